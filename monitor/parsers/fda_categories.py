"""`fda_categories`: FDA's 503A/503B categories file (PDF or XLSX) → category per substance.

The file has an "Updates to Categories…" block, then three headed lists:
"Category 1: Bulk Drug Substances Under Evaluation", "Category 2: … Raise Significant
Safety Risks", "Category 3: … Nominated Without Adequate Support" (DOMAIN.md §2.1).
A reading of NONE rests on absence, so it is only given when all three headings are
present and the entry count is plausible; otherwise the document is invalid.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from pydantic import Field

from monitor.errors import DocumentInvalid
from monitor.matching import SubstanceMatcher, context
from monitor.parsers.base import Document, Observation, ParseResult, ParserOptions

_HEADING = re.compile(r"^\W*category\s+([123])\s*[:.\-–—]?\s*(bulk drug substances\b.*)$", re.I)
_UPDATES = re.compile(r"^\W*updates to categories\b", re.I)
_UPDATED = re.compile(
    r"\bupdated:?\s+((?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},\s+\d{4}|\d{1,2}/\d{1,2}/\d{4})",
    re.I,
)
# Lines that are layout, not entries: page furniture, column headers, footnotes.
_NOT_ENTRY = re.compile(
    r"^(page \d+( of \d+)?|\d+|-\s*\d+\s*-|bulk drug substances?( name)?|substance( name)?|sheet: .*|"
    r"\d+\s+(hydrated|the |this |see |fda |for ).*|synthetic test fixture.*)$",
    re.I,
)
_STATE = {"1": "CAT1", "2": "CAT2", "3": "CAT3"}
# When one substance sits in two categories (e.g. split by route), the safety-risk
# category is what a clinic must see first.
_PRIORITY = ("2", "1", "3")


class CategoriesOptions(ParserOptions):
    """Options of `fda_categories`."""

    program: Literal["503a", "503b"] = "503a"
    min_entries: int = Field(default=10, ge=1)


def _sections(lines: Sequence[str]) -> tuple[list[str], dict[str, list[str]], dict[str, str]]:
    updates: list[str] = []
    sections: dict[str, list[str]] = {}
    headings: dict[str, str] = {}
    current: str | None = None
    in_updates = False
    for line in lines:
        heading = _HEADING.match(line)
        if heading and heading.group(1) not in sections:
            current = heading.group(1)
            sections[current] = []
            headings[current] = line.strip()
            in_updates = False
            continue
        if current is None:
            if _UPDATES.match(line):
                in_updates = True
            elif in_updates:
                updates.append(line)
            continue
        if not _NOT_ENTRY.match(line.strip()):
            sections[current].append(line)
    return updates, sections, headings


def parse(doc: Document, substances: Sequence[SubstanceMatcher], options: CategoriesOptions) -> ParseResult:
    """Read each substance's category from a categories file."""
    lines = [ln.strip() for ln in doc.text.splitlines() if ln.strip()]
    updates, sections, headings = _sections(lines)
    missing = [f"Category {n}" for n in "123" if n not in sections]
    if missing:
        raise DocumentInvalid(
            f"categories file lacks the heading(s) {', '.join(missing)}; not a complete categories document"
        )
    count = sum(len(v) for v in sections.values())
    if count < options.min_entries:
        raise DocumentInvalid(
            f"categories file lists only {count} entries (at least {options.min_entries} expected)"
        )
    updated = _UPDATED.search(doc.raw_text[:2000])
    edition = f" (updated {updated.group(1)})" if updated else ""
    track = "503a_category" if options.program == "503a" else "503b"
    observations: list[Observation] = []
    for matcher in substances:
        found = {n: [e for e in sections[n] if matcher.matches(e)] for n in "123"}
        placed = [n for n in _PRIORITY if found[n]]
        if placed:
            n = placed[0]
            entry = found[n][0]
            observations.append(Observation(
                substance=matcher.id, track=track, state=_STATE[n],
                evidence=f"{headings[n]}: {entry}",
                detail={"categories": [f"CAT{k}" for k in sorted(placed)], "entry": entry,
                        "edition": edition.strip(" ()")},
            ))
            continue
        # PDF text wraps long notes over several lines: quote whole sentences of the block.
        block = " ".join(updates)
        notes = list(dict.fromkeys(context(block, m) for m in matcher.mentions(block)))
        evidence = notes[0] if notes else (
            f"Not listed under Category 1, 2 or 3 of the {options.program.upper()} categories file{edition}"
        )
        observations.append(Observation(
            substance=matcher.id, track=track, state="NONE", evidence=evidence,
            detail={"edition": edition.strip(" ()"), "update_notes": notes}, from_absence=True,
        ))
    metrics = {"entry_count": count, **{f"category_{n}_entries": len(sections[n]) for n in "123"}}
    return ParseResult(tuple(observations), metrics)
