"""`fda_category2_page`: FDA's Category 2 safety-risk page → CAT2 readings and row mentions.

The page (DOMAIN.md §2.2) holds one table captioned "Bulk drug substances under category 2
of the interim policies". Its header was renamed between versions ("Bulk drug substance |
503A category 2, 503B category 2, or both | Date added to category 2 | Potential significant
safety risks", formerly "Category 2 substance | Nominated with sufficient information under
503A or 503B or both | Date added to Category 2 | Safety risks"), so columns are found by
fuzzy header words, then by position. A row naming a watched substance reads CAT2 on the
503A and/or 503B track. A substance *not* in the table gets no reading (the categories file
is the authority for NONE), only the absence of the `category2-table` mention, which turns
a row appearing or disappearing into a document event. The section on substances with
identified risks that are not in Category 2 gives an `other-risks` mention.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bs4 import BeautifulSoup, Tag
from pydantic import Field

from monitor.errors import DocumentInvalid
from monitor.matching import SubstanceMatcher, context, fold_name
from monitor.parsers.base import Document, DocumentMention, Observation, ParseResult, ParserOptions
from monitor.parsers.fda_dates import first_date
from monitor.parsers.fda_page import check_fda_html, context_mentions

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
# The part on risky substances outside Category 2: a heading or caption naming "other … safety
# risks", or a lead paragraph saying the substances are "not in category 2".
_OTHER_HEADING = re.compile(r"\bother\b.*\bsafety\s+risks?\b|\bnot\s+(?:in|under)\s+category\s+2\b", re.I)
_OTHER_LEAD = re.compile(r"\bnot\s+(?:in|under|placed\s+in)\s+category\s+2\b", re.I)
_EVIDENCE_LIMIT = 500


class Category2Options(ParserOptions):
    """Options of `fda_category2_page`."""

    # Fewer body rows than this means the table was cut or emptied: refuse the page.
    min_rows: int = Field(default=5, ge=1)


def _cells(row: Tag) -> list[str]:
    return [" ".join(c.get_text(" ", strip=True).split()) for c in row.find_all(["td", "th"], recursive=False)]


def _table(soup: BeautifulSoup) -> Tag:
    tables = [t for t in soup.find_all("table") if isinstance(t, Tag)]
    for table in tables:
        caption = table.find("caption")
        if caption is not None and "category 2" in fold_name(caption.get_text(" ")):
            return table
    for table in tables:
        first = table.find("tr")
        if isinstance(first, Tag) and "category 2" in fold_name(" ".join(_cells(first))):
            return table
    raise DocumentInvalid(
        "no table captioned 'Bulk drug substances under category 2…' or headed 'Category 2' on the page "
        f"(found {len(tables)} table(s))")


def _columns(header: list[str], width: int) -> tuple[int, int, int | None]:
    """(substance, program, date) column indexes: fuzzy header words first, then position."""
    folded = [fold_name(h) for h in header]
    program = next((i for i, h in enumerate(folded) if re.search(r"\b503 [ab]\b|\bboth\b", h)), None)
    when = next((i for i, h in enumerate(folded) if "date" in h and i != program), None)
    rest = [i for i in range(len(folded)) if i not in (program, when) and "risk" not in folded[i]]
    substance = next((i for i in rest if "substance" in folded[i]), rest[0] if rest else None)
    if substance is None or program is None:
        if width < 3:
            raise DocumentInvalid(f"Category 2 table has {width} column(s); header {header!r} is not recognizable")
        return 0, 1, 2
    return substance, program, when


def _program(cell: str) -> str | None:
    low = cell.lower()
    has_a, has_b = bool(re.search(r"503\s*a\b", low)), bool(re.search(r"503\s*b\b", low))
    if "both" in low or (has_a and has_b):
        return "both"
    return "503A" if has_a else "503B" if has_b else None


def _rows(table: Tag) -> tuple[list[str], list[list[str]]]:
    header: list[str] = []
    body: list[list[str]] = []
    for tr in table.find_all("tr"):
        if not isinstance(tr, Tag):
            continue
        cells = _cells(tr)
        if not header and tr.find("td") is None:
            header = cells
        elif tr.find("td") is not None and sum(1 for c in cells if c) >= 2:
            body.append(cells)
    return header, body


def _blocks(tag: Tag) -> list[str]:
    blocks = tag.find_all(["p", "li", "tr"]) or [tag]
    return [" ".join(b.get_text(" ", strip=True).split()) for b in blocks]


def _section_text(soup: BeautifulSoup, table: Tag) -> str:
    """Text of the part on risky substances outside Category 2, one block per line: from its
    heading or lead paragraph to the next heading, or the whole table it captions."""
    for node in soup.find_all([*_HEADINGS, "caption", "p"]):
        if not isinstance(node, Tag):
            continue
        marker = _OTHER_LEAD if node.name == "p" else _OTHER_HEADING
        if not marker.search(node.get_text(" ", strip=True)):
            continue
        if any(parent is table for parent in node.parents):
            continue
        if node.name == "caption":
            return "\n".join(_blocks(node.parent)) if isinstance(node.parent, Tag) else ""
        lines = [] if node.name in _HEADINGS else _blocks(node)
        for sib in node.find_next_siblings():
            if not isinstance(sib, Tag) or sib.name in _HEADINGS or sib is table or table in sib.find_all("table"):
                break
            lines += _blocks(sib)
        return "\n".join(line for line in lines if line)
    return ""


def _row_readings(matcher: SubstanceMatcher, hits: list[list[str]], col_sub: int, col_prog: int,
                  col_date: int | None) -> list[Observation]:
    """CAT2 on the 503A and/or 503B track for each row naming the substance."""
    out: list[Observation] = []
    for row in hits:
        cell = row[col_prog] if len(row) > col_prog else ""
        program = _program(cell)
        if program is None:
            raise DocumentInvalid(
                f"Category 2 row for {row[col_sub]!r} has no readable program (503A/503B/both): {cell!r}")
        when = row[col_date] if col_date is not None and len(row) > col_date else ""
        detail = {"program": program, "date_added": first_date(when) or when, "entry": row[col_sub]}
        evidence = " | ".join(c for c in row if c)[:_EVIDENCE_LIMIT]
        if program in ("503A", "both"):
            out.append(Observation(matcher.id, "503a_category", "CAT2", evidence, detail))
        if program in ("503B", "both"):
            out.append(Observation(matcher.id, "503b", "CAT2", evidence, detail))
    return out


def parse(doc: Document, substances: Sequence[SubstanceMatcher], options: Category2Options) -> ParseResult:
    """CAT2 readings for watched substances in the Category 2 table, plus row and section mentions."""
    if doc.kind != "html":
        raise DocumentInvalid(f"the Category 2 page is HTML, got a {doc.kind} document")
    soup = check_fda_html(doc)
    h1 = soup.find("h1")
    heading = h1.get_text(" ", strip=True) if h1 else doc.title
    folded = fold_name(heading)
    if not ("bulk drug substances" in folded and "safety risk" in folded and "compounding" in folded):
        raise DocumentInvalid(f"not the Category 2 safety-risk page: title {heading[:100]!r}")
    table = _table(soup)
    header, rows = _rows(table)
    if len(rows) < options.min_rows:
        raise DocumentInvalid(f"Category 2 table has only {len(rows)} row(s) (at least {options.min_rows} expected)")
    width = max(len(r) for r in rows)
    col_sub, col_prog, col_date = _columns(header, width)

    observations: list[Observation] = []
    mentions: list[DocumentMention] = []
    for matcher in substances:
        hits = [r for r in rows if len(r) > col_sub and matcher.matches(r[col_sub])]
        if hits:
            observations += _row_readings(matcher, hits, col_sub, col_prog, col_date)
            quote = "; ".join(" | ".join(c for c in r if c)[:_EVIDENCE_LIMIT] for r in hits)
            mentions.append(DocumentMention(matcher.id, "category2-table", quote, heading))

    section = _section_text(soup, table)
    for matcher in substances:
        found = matcher.mentions(section)
        if found:
            quotes = list(dict.fromkeys(context(section, m) for m in found))
            mentions.append(DocumentMention(matcher.id, "other-risks", " … ".join(quotes), heading))
    # Prose elsewhere on the page (intro, footnotes): per-sentence mentions, as on any FDA page.
    covered = fold_name(" ".join(" ".join(r) for r in rows) + " " + section)
    mentions += [m for m in context_mentions(doc.text, substances, heading) if fold_name(m.quote) not in covered]
    # No row-count metric: the processor refuses a metric that halves, and FDA removed 12 rows in
    # one update (April 2026); a lawful shrink must not lock the target into failing. min_rows guards.
    return ParseResult(tuple(observations), {}, tuple(mentions))
