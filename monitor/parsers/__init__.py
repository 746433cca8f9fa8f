"""The parser registry: a target's `parser` names one of these (DESIGN.md, 'Parser names')."""

from __future__ import annotations

from monitor.parsers import fda_categories
from monitor.parsers.base import Document, DocumentMention, Observation, ParseResult, ParserOptions, ParserSpec

PARSERS: dict[str, ParserSpec] = {
    spec.name: spec
    for spec in (
        ParserSpec("fda_categories", fda_categories.parse, fda_categories.CategoriesOptions,
                   "FDA 503A/503B categories file (PDF or XLSX) → 503a_category or 503b track"),
    )
}

# Names DESIGN.md reserves for parsers this version does not ship yet: a target may name
# them only while disabled, so the shipped config can list every source.
PLANNED: dict[str, str] = {
    "fda_category2_page": "FDA Category 2 safety-risk table",
    "pcac_index": "PCAC committee and meeting-materials pages",
    "pcac_meeting": "one PCAC meeting page with briefing documents and minutes",
    "federal_register": "Federal Register documents.json query",
    "ecfr_section": "eCFR versioner for 21 CFR 216.23",
    "fda_page": "any other FDA page: substance mentions with context",
}

__all__ = ["PARSERS", "PLANNED", "Document", "DocumentMention", "Observation", "ParseResult", "ParserOptions", "ParserSpec"]
