"""PCAC HTML pages: the committee page, the yearly materials pages and meeting pages.

Index pages (committee page, "{YYYY} Meeting Materials, Pharmacy Compounding Advisory
Committee") only lead to meeting pages (the target's `follow:` does that) and give mentions.
A meeting page (DOMAIN.md §2.4) has the event box `#event-information` (Date / Time /
Location), the agenda sentence "The Committee will discuss the following bulk drug substances
being considered for inclusion on the 503A Bulks List: …", a chart that "identifies the
use(s) FDA reviewed", and a materials table of `/media/<id>/download` links. A watched
substance on the agenda, or with its own FDA briefing document, is SCHEDULED for the meeting
date. "Updated Information (as of M/D/YYYY)" blocks are logistics noise and are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Tag

from monitor.errors import DocumentInvalid
from monitor.matching import SubstanceMatcher, context, fold_name
from monitor.parsers.base import Document, DocumentMention, Observation, ParseResult
from monitor.parsers.fda_dates import first_date
from monitor.parsers.fda_page import check_fda_html, context_mentions

COMMITTEE = "pharmacy compounding advisory committee"
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_AGENDA = re.compile(r"being\s+considered\s+for\s+inclusion\s+on\s+the\s+503A\s+bulks?\s+list", re.I)
_CHART = re.compile(r"identifies\s+the\s+uses?(?:\s*\(s\))?\s+(?:that\s+)?FDA\s+reviewed", re.I)
_UPDATED = re.compile(r"^\s*updated\s+information\b", re.I)
_MEDIA = re.compile(r"/media/\d+/download")
_BRIEFING = re.compile(r"briefing\s+document", re.I)
_INDEX_LINK = re.compile(r"/advisory-committee-calendar/|meeting-materials")


def _text(tag: Tag) -> str:
    return " ".join(tag.get_text(" ", strip=True).split())


def _is_heading(tag: Tag) -> bool:
    if tag.name in _HEADINGS:
        return True
    strong = tag.find(["strong", "b"]) if tag.name == "p" else None
    return strong is not None and _text(strong) == _text(tag)


def _drop_updated_blocks(soup: BeautifulSoup) -> None:
    """Remove "Updated Information (as of …)" headings and everything under them."""
    for node in soup.find_all([*_HEADINGS, "p"]):
        if not isinstance(node, Tag) or node.decomposed or not _is_heading(node) or not _UPDATED.match(_text(node)):
            continue
        for sib in list(node.find_next_siblings()):
            if isinstance(sib, Tag) and _is_heading(sib):
                break
            sib.decompose()
        node.decompose()


def _agenda(soup: BeautifulSoup) -> tuple[str, list[str]] | None:
    """The agenda text (sentence plus any list that follows it) and the chart's rows."""
    found = [t for t in soup.find_all(["p", "li", "div", "td"]) if isinstance(t, Tag) and _AGENDA.search(_text(t))]
    if not found:
        return None
    node = min(found, key=lambda t: len(_text(t)))
    parts = [_text(node)]
    for sib in node.find_next_siblings():
        if not isinstance(sib, Tag) or not (sib.name in ("ul", "ol") or _CHART.search(_text(sib))):
            break
        parts.append(_text(sib))
    rows: list[str] = []
    chart = node.find_next("table")
    if isinstance(chart, Tag) and chart.find("a", href=_MEDIA) is None:
        for tr in chart.find_all("tr"):
            cells = [_text(c) for c in tr.find_all(["td", "th"])] if isinstance(tr, Tag) else []
            if any(cells):
                rows.append(" | ".join(c for c in cells if c))
    return "\n".join(parts), rows


def _meeting_date(soup: BeautifulSoup, heading: str, title: str) -> str | None:
    box = soup.select_one("#event-information")
    if box is not None:
        text = _text(box)
        labelled = re.search(r"\bdates?\s*:?\s*(.{0,60})", text, re.I)
        found = (first_date(labelled.group(1)) if labelled else None) or first_date(text)
        if found:
            return found
    return first_date(heading) or first_date(title)


def _index(doc: Document, soup: BeautifulSoup, substances: Sequence[SubstanceMatcher], heading: str) -> ParseResult:
    links = [a for a in soup.find_all("a", href=True) if isinstance(a, Tag) and _INDEX_LINK.search(str(a["href"]))]
    if not links:
        raise DocumentInvalid(f"PCAC index page {heading!r} links to no meeting or materials page")
    return ParseResult(mentions=tuple(context_mentions(doc.text, substances, heading)))


def _meeting(doc: Document, soup: BeautifulSoup, substances: Sequence[SubstanceMatcher], heading: str,
             agenda: tuple[str, list[str]] | None, links: list[tuple[str, str]]) -> ParseResult:
    date = _meeting_date(soup, heading, doc.title)
    observations: list[Observation] = []
    mentions: list[DocumentMention] = []
    for matcher in substances:
        scheduled: Observation | None = None
        if agenda is not None:
            text, rows = agenda
            found = matcher.mentions(text)
            chart = [r for r in rows if matcher.matches(r)]
            if found or chart:
                parts = [context(text, found[0])] if found else []
                quote = " ".join([*parts, f"Chart: {'; '.join(chart)}"] if chart else parts)
                mentions.append(DocumentMention(matcher.id, "agenda", quote, heading))
                scheduled = Observation(matcher.id, "pcac", "SCHEDULED", quote, {"date": date, "source": "agenda"})
        for url, label in links:
            if not matcher.matches(label):
                continue
            mentions.append(DocumentMention(matcher.id, url, label, heading))
            if scheduled is None and _BRIEFING.search(label):
                scheduled = Observation(matcher.id, "pcac", "SCHEDULED", label,
                                        {"date": date, "source": "briefing document", "url": url})
        if scheduled is not None:
            if date is None:
                raise DocumentInvalid(f"meeting page {heading!r} names {matcher.name!r} but no meeting date")
            observations.append(scheduled)
    return ParseResult(tuple(observations), {}, tuple(mentions))


def read_page(doc: Document, substances: Sequence[SubstanceMatcher], allow_index: bool) -> ParseResult:
    """Read a PCAC committee, materials or meeting page (see the module docstring)."""
    soup = check_fda_html(doc)
    h1 = soup.find("h1")
    heading = _text(h1) if isinstance(h1, Tag) else doc.title
    folded = fold_name(heading)
    if COMMITTEE not in folded and COMMITTEE not in fold_name(doc.title):
        raise DocumentInvalid(f"not a Pharmacy Compounding Advisory Committee page: title {heading[:100]!r}")
    if folded == COMMITTEE or ("meeting materials" in folded and first_date(heading) is None):
        if not allow_index:
            raise DocumentInvalid(f"expected a PCAC meeting page, got the committee/materials page {heading!r}")
        return _index(doc, soup, substances, heading)
    _drop_updated_blocks(soup)
    agenda = _agenda(soup)
    # The media URL without "?attachment" variants is the link's stable identity.
    links = [(urljoin(doc.url, str(a["href"]).strip()).split("?", 1)[0], _text(a))
             for a in soup.find_all("a", href=_MEDIA) if isinstance(a, Tag)]
    if soup.select_one("#event-information") is None and agenda is None and not links:
        raise DocumentInvalid(f"PCAC page {heading!r} has no event box, agenda or meeting materials")
    return _meeting(doc, soup, substances, heading, agenda, links)
