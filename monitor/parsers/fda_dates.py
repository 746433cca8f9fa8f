"""Dates as FDA pages and PDFs write them → ISO (YYYY-MM-DD).

FDA writes "December 4, 2024", "Dec. 4, 2024", "July 23-24, 2026" (a two-day meeting: the
first day counts), "July 23 - 24, 2026" (briefing covers) and "12/04/2024" or "9/29/23"
(table cells, memo headers). Impossible dates are skipped, never guessed.
"""

from __future__ import annotations

import re
from datetime import date

_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
MONTH_DATE = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:\s*[-–—]\s*\d{1,2})?,?\s+(\d{4})\b",
    re.I,
)
NUMERIC_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b")
ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def month_dates(text: str) -> list[tuple[int, str]]:
    """Every written-out date in `text` as (offset, ISO date), in order."""
    out: list[tuple[int, str]] = []
    for m in MONTH_DATE.finditer(text):
        iso = _iso(int(m.group(3)), _MONTHS[m.group(1).lower()[:3]], int(m.group(2)))
        if iso:
            out.append((m.start(), iso))
    return out


def first_date(text: str) -> str | None:
    """The first date of any supported form in `text`, as ISO; None when there is none."""
    found: list[tuple[int, str]] = list(month_dates(text))
    for m in NUMERIC_DATE.finditer(text):
        year = int(m.group(3))
        iso = _iso(year + 2000 if year < 100 else year, int(m.group(1)), int(m.group(2)))
        if iso:
            found.append((m.start(), iso))
    for m in ISO_DATE.finditer(text):
        iso = _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if iso:
            found.append((m.start(), iso))
    return min(found)[1] if found else None
