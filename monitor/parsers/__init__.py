"""The parser registry: a target's `parser` names one of these (DESIGN.md, 'Parser names')."""

from __future__ import annotations

from monitor.parsers import ecfr_section, fda_categories, fda_category2_page, fda_page, federal_register, pcac
from monitor.parsers.base import Document, DocumentMention, Observation, ParseResult, ParserOptions, ParserSpec

PARSERS: dict[str, ParserSpec] = {
    spec.name: spec
    for spec in (
        ParserSpec("fda_categories", fda_categories.parse, fda_categories.CategoriesOptions,
                   "FDA 503A/503B categories file (PDF or XLSX) → 503a_category or 503b track"),
        ParserSpec("fda_category2_page", fda_category2_page.parse, fda_category2_page.Category2Options,
                   "FDA Category 2 safety-risk table → CAT2 on 503a_category/503b; row and other-risks mentions"),
        ParserSpec("pcac_index", pcac.parse_index, pcac.PcacOptions,
                   "PCAC committee and yearly materials pages (mentions); meeting pages and PDFs reached from them"),
        ParserSpec("pcac_meeting", pcac.parse_meeting, pcac.PcacOptions,
                   "one PCAC meeting page (agenda → SCHEDULED) with its briefing (FDA position) and minutes (votes) PDFs"),
        ParserSpec("fda_page", fda_page.parse, fda_page.FdaPageOptions,
                   "any other FDA page: substance mentions with their context sentence, no track readings"),
        ParserSpec("federal_register", federal_register.parse, federal_register.FederalRegisterOptions,
                   "Federal Register documents.json query (mentions) and each document's text (pcac, rulemaking)",
                   federal_register.derive),
        ParserSpec("ecfr_section", ecfr_section.parse, ecfr_section.EcfrOptions,
                   "eCFR versioner for 21 CFR 216.23: version list, then the section XML → 503a_list",
                   ecfr_section.derive),
    )
}

__all__ = ["Document", "DocumentMention", "Observation", "ParseResult", "ParserOptions", "ParserSpec"]
