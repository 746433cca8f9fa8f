"""`pcac_index` and `pcac_meeting`: Pharmacy Compounding Advisory Committee sources (DOMAIN.md §2.4).

A target's followed documents are read by the target's own parser, so both names dispatch
on content: HTML pages go to `pcac_html` (committee, materials and meeting pages), PDFs to
`pcac_pdf` (briefing documents and summary minutes). `pcac_index` accepts every kind it may
reach by following links; `pcac_meeting` refuses an index page where a meeting page should
be (a re-titled meeting URL that now redirects to the committee page is a failed check).
"""

from __future__ import annotations

from collections.abc import Sequence

from monitor.errors import DocumentInvalid
from monitor.matching import SubstanceMatcher
from monitor.parsers.base import Document, ParseResult, ParserOptions
from monitor.parsers.pcac_html import read_page
from monitor.parsers.pcac_pdf import read_pdf


class PcacOptions(ParserOptions):
    """Options of `pcac_index` and `pcac_meeting` (none yet; unknown keys are refused)."""


def _read(doc: Document, substances: Sequence[SubstanceMatcher], allow_index: bool) -> ParseResult:
    if doc.kind == "html":
        return read_page(doc, substances, allow_index)
    if doc.kind in ("pdf", "text"):
        return read_pdf(doc, substances)
    raise DocumentInvalid(f"PCAC parsers read HTML pages and PDFs, not {doc.kind} ({doc.url})")


def parse_index(doc: Document, substances: Sequence[SubstanceMatcher], options: PcacOptions) -> ParseResult:
    """Committee or yearly materials page (mentions), or a meeting page/PDF reached from one."""
    return _read(doc, substances, allow_index=True)


def parse_meeting(doc: Document, substances: Sequence[SubstanceMatcher], options: PcacOptions) -> ParseResult:
    """One meeting page (agenda → SCHEDULED, briefing links) or one of its PDFs (position, votes)."""
    return _read(doc, substances, allow_index=False)
