"""One Federal Register document's text (a result's `raw_text_url`): mentions, PCAC agendas, 216.23 rules.

The text is the FR plain rendering (govinfo layout, sometimes wrapped in `<pre>`): a header
"[Federal Register Volume 89, Number 207 (Friday, October 25, 2024)]" and "[FR Doc No: …]",
the agency block and title, then "AGENCY:", "ACTION:", "SUMMARY:", "DATES:", "ADDRESSES:",
"FOR FURTHER INFORMATION CONTACT:" and "SUPPLEMENTARY INFORMATION:" (DOMAIN.md §2.5).
Lines are hard-wrapped at about 70 columns and paragraphs end at blank lines, so the text is
re-flowed to one line per paragraph before matching and quoting.

Readings, besides one DocumentMention per named substance:
- a Pharmacy Compounding Advisory Committee meeting NOTICE naming the substance in its
  agenda ("… nominated for / being considered for inclusion on the 503A Bulks List") →
  `pcac` SCHEDULED, dated by the meeting;
- a proposed or final rule amending 21 CFR 216.23 → `rulemaking`, dated by publication.
  Which list it goes on is read from the amendatory text first (the item's paragraph (a) or
  (b)), then from the SUMMARY's wording; discussion elsewhere stays a mention only.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from monitor.errors import DocumentInvalid
from monitor.matching import Mention, SubstanceMatcher, context
from monitor.parsers.base import Document, DocumentMention, Observation, ParseResult

_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december")
# "December 4, 2024", "Dec. 4, 2024", "July 23 and 24, 2026" (the first day is the date).
_DATE = (r"(?P<month>(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*)\.?\s+(?P<day>\d{1,2})"
         r"(?:\s*(?:and|-|–|through|to)\s*\d{1,2})?,?\s+(?P<year>\d{4})")
_DATE_RE = re.compile(_DATE, re.I)
_HEADER = re.compile(r"^(AGENCY|ACTION|SUMMARY|DATES?|ADDRESSES|FOR FURTHER INFORMATION CONTACT|"
                     r"SUPPLEMENTARY INFORMATION):\s*(.*)$")
_VOLUME = re.compile(r"\[Federal Register Volume \d+, (?:Number|Issue) \d+ \(\w+, " + _DATE + r"\)\]", re.I)
_URL_DATE = re.compile(r"/(\d{4})/(\d{2})/(\d{2})/")
_DOC_NO = (re.compile(r"\[FR Doc No:\s*(\d{4})\s*[-–]\s*(\d{4,5})\]"),
           re.compile(r"\[FR Doc\.\s*(\d{4})\s*[-–]\s*(\d{4,5})\s+Filed"))
_URL_DOC_NO = re.compile(r"(?<![\d-])(\d{4})-(\d{4,5})(?:\.(?:txt|html?|json|xml|pdf))?(?:[?#/]|$)")
_PCAC = re.compile(r"pharmacy compounding advisory committee", re.I)
_AGENDA = re.compile(
    r"^Agenda:|(?:being considered|nominated|proposed|under consideration)\s+for\s+(?:inclusion|placement)\s+"
    r"on\s+the\s+(?:section\s+)?503A\s+(?:bulks?|bulk\s+drug\s+substances?)\s+list", re.I)
# A paragraph that starts another labelled part of a notice ("Procedure:", "DATES:") ends the agenda.
_LABEL = re.compile(r"^[A-Z][A-Za-z ,/&()-]{1,60}:(?:\s|$)")
_AGENDA_END = re.compile(r"^FDA intends to make (?:background|meeting) material", re.I)
_MEETING = re.compile(r"\bheld on\s+" + _DATE, re.I)
_COMMENTS = (re.compile(r"\bdocket will close on\s+" + _DATE, re.I),
             re.compile(r"\bcomments?\b[^.]{0,160}?\b(?:by|on or before|until)\s+" + _DATE, re.I))
_RULE_216_23 = re.compile(r"\b216\.23\b")
_ITEM = re.compile(r"^(?:\*\s*)*\((\d+)\)\s*")
_LETTERED = re.compile(r"^(?:\*\s*)*\(([a-z])\)(?:\s|$)")
_ELISION = re.compile(r"^(?:\*\s*){3,}$")
_NOT_INCLUDE = re.compile(
    r"\bnot\s+(?:to\s+)?(?:be\s+)?(?:include|included|place|placed|add|added|list|listed)\b|"
    r"\bcannot be used in compounding\b|\bparagraph \(b\)|216\.23\(b\)", re.I)
_INCLUDE = re.compile(
    r"\b(?:propos\w*\s+to|will|by)\s+(?:include|place|add|adding|including|placing)\b|"
    r"\bcan be used in compounding\b|\bparagraph \(a\)|216\.23\(a\)", re.I)
_HYPHEN_BREAK = re.compile(r"(?<=[A-Za-z0-9])-\n[ \t]*(?=[A-Za-z0-9])")
_AGENDA_MAX_PARAGRAPHS = 8
_WALK_BACK_MAX = 60


@dataclass(frozen=True)
class FrText:
    """A Federal Register document re-flowed: one paragraph per line, with its sections."""

    flat: str  # paragraphs joined by "\n"
    starts: tuple[int, ...]  # offset of each paragraph in `flat`
    paragraphs: tuple[str, ...]
    sections: dict[str, tuple[int, int]]  # header → (first, last+1) paragraph index

    def paragraph_at(self, offset: int) -> int:
        """Index of the paragraph holding `offset` of `flat`."""
        return bisect.bisect_right(self.starts, offset) - 1

    def section_text(self, name: str) -> str:
        """The paragraphs of one section (header label stripped), joined by newlines."""
        if name not in self.sections:
            return ""
        first, stop = self.sections[name]
        head = _HEADER.match(self.paragraphs[first])
        rest = [head.group(2)] if head else []
        return "\n".join([*rest, *self.paragraphs[first + 1:stop]])


def _reflow(text: str) -> FrText:
    paragraphs: list[str] = []
    # A line broken after a hyphen ("CJC-1295-" / "related") continues the same word.
    text = _HYPHEN_BREAK.sub("-", text.replace("\r\n", "\n"))
    for block in re.split(r"\n[ \t]*\n", text):
        line = " ".join(block.split())
        # A rule line ("-----") or a comment header is layout, never content.
        if line and not re.fullmatch(r"[-=_ ]+", line):
            paragraphs.append(line)
    starts: list[int] = []
    at = 0
    for p in paragraphs:
        starts.append(at)
        at += len(p) + 1
    sections: dict[str, tuple[int, int]] = {}
    current: str | None = None
    for i, p in enumerate(paragraphs):
        head = _HEADER.match(p)
        if head:
            if current is not None:
                sections[current] = (sections[current][0], i)
            current = "DATES" if head.group(1) == "DATE" else head.group(1)
            sections.setdefault(current, (i, i + 1))
    if current is not None:
        sections[current] = (sections[current][0], len(paragraphs))
    return FrText("\n".join(paragraphs), tuple(starts), tuple(paragraphs), sections)


def _iso(m: re.Match[str]) -> str | None:
    """The ISO date of a `_DATE` match, or None when it is not a real calendar date."""
    month = next((i for i, name in enumerate(_MONTHS, 1) if name.startswith(m.group("month").lower()[:3])), 0)
    try:
        return date(int(m.group("year")), month, int(m.group("day"))).isoformat()
    except ValueError:
        return None


def _document_number(text: str, url: str) -> str:
    for pattern in _DOC_NO:
        found = pattern.search(text)
        if found:
            return f"{found.group(1)}-{found.group(2)}"
    found = _URL_DOC_NO.search(url.split("?", 1)[0])
    if found:
        return f"{found.group(1)}-{found.group(2)}"
    raise DocumentInvalid(f"Federal Register text at {url} has no '[FR Doc No: …]' line and no document number in its URL")


def _publication_date(text: str, url: str) -> str | None:
    found = _VOLUME.search(text[:2000])
    if found:
        return _iso(found)
    by_url = _URL_DATE.search(url)
    return "-".join(by_url.groups()) if by_url else None


def _title(fr: FrText, fallback: str) -> str:
    agency = fr.sections.get("AGENCY")
    if agency and agency[0] > 0:
        candidate = fr.paragraphs[agency[0] - 1]
        if not candidate.startswith(("[", "RIN ")):
            return candidate
    return fallback


def _agenda_blocks(fr: FrText) -> list[tuple[int, int]]:
    blocks: list[tuple[int, int]] = []
    for i, p in enumerate(fr.paragraphs):
        if not _AGENDA.search(p):
            continue
        stop = i + 1
        while (stop < len(fr.paragraphs) and stop - i < _AGENDA_MAX_PARAGRAPHS
               and not _LABEL.match(fr.paragraphs[stop]) and not _AGENDA_END.match(fr.paragraphs[stop])):
            stop += 1
        blocks.append((i, stop))
    return blocks


def _pcac(fr: FrText, matcher: SubstanceMatcher, found: Sequence[Mention], number: str, url: str) -> Observation | None:
    blocks = _agenda_blocks(fr)
    on_agenda = [m for m in found if any(a <= fr.paragraph_at(m.start) < b for a, b in blocks)]
    if not on_agenda:
        return None
    dates = fr.section_text("DATES")
    meeting = _MEETING.search(dates) or _DATE_RE.search(dates)
    meeting_iso = _iso(meeting) if meeting else None
    if meeting_iso is None:
        raise DocumentInvalid(
            f"PCAC notice {number} ({url}) names {matcher.name} on its agenda but its DATES section gives no meeting date: "
            f"{dates[:200]!r}")
    detail: dict[str, str] = {"date": meeting_iso, "document_number": number}
    for pattern in _COMMENTS:
        close = pattern.search(fr.flat)
        if close and (close_iso := _iso(close)):
            detail["comments_close"] = close_iso
            break
    return Observation(matcher.id, "pcac", "SCHEDULED", context(fr.flat, on_agenda[0]), detail)


def _list_of(fr: FrText, index: int) -> str | None:
    """'a' or 'b' when paragraph `index` is, or is an item under, 216.23 paragraph (a) or (b)."""
    lettered = _LETTERED.match(fr.paragraphs[index])
    if lettered:
        return lettered.group(1) if lettered.group(1) in "ab" else None
    if not _ITEM.match(fr.paragraphs[index]):
        return None
    for j in range(index - 1, max(-1, index - _WALK_BACK_MAX), -1):
        p = fr.paragraphs[j]
        if _ITEM.match(p) or _ELISION.match(p):
            continue
        lettered = _LETTERED.match(p)
        return lettered.group(1) if lettered and lettered.group(1) in "ab" else None
    return None


def _direction(fr: FrText, found: Sequence[Mention]) -> tuple[bool, Mention] | None:
    """(included?, deciding mention): codified list first, then the SUMMARY's wording."""
    for m in found:
        listed = _list_of(fr, fr.paragraph_at(m.start))
        if listed:
            return listed == "a", m
    summary = fr.sections.get("SUMMARY")
    for m in found:
        if summary is None or not summary[0] <= fr.paragraph_at(m.start) < summary[1]:
            continue
        sentence = context(fr.flat, m, limit=100_000)
        if _NOT_INCLUDE.search(sentence):
            return False, m
        if _INCLUDE.search(sentence):
            return True, m
    return None


def _rulemaking(fr: FrText, matcher: SubstanceMatcher, found: Sequence[Mention], action: str, number: str,
                published: str | None, url: str) -> Observation | None:
    low = action.lower()
    stage = "PROPOSED" if "proposed rule" in low else "FINAL" if re.search(r"\bfinal rule\b", low) else None
    if stage is None or not _RULE_216_23.search(fr.flat):
        return None
    decided = _direction(fr, found)
    if decided is None:
        return None
    included, mention = decided
    if published is None:
        raise DocumentInvalid(f"rule {number} ({url}) names {matcher.name} but has no publication date in its header or URL")
    detail: dict[str, str] = {"date": published, "document_number": number, "action": action}
    if stage == "PROPOSED":
        close = _COMMENTS[1].search(fr.section_text("DATES"))
        if close and (close_iso := _iso(close)):
            detail["comments_close"] = close_iso
    state = f"{stage}_{'INCLUDE' if included else 'NOT_INCLUDE'}"
    return Observation(matcher.id, "rulemaking", state, context(fr.flat, mention), detail)


def parse_text(doc: Document, substances: Sequence[SubstanceMatcher]) -> ParseResult:
    """Read one FR document's text; DocumentInvalid when it is not an FR document at all."""
    # raw_text keeps the blank lines that end paragraphs; the normalized text has dropped them.
    fr = _reflow(doc.raw_text or doc.text)
    missing = [h for h in ("AGENCY", "ACTION") if h not in fr.sections]
    if missing:
        raise DocumentInvalid(
            f"not a Federal Register document text: no {' or '.join(h + ':' for h in missing)} header at {doc.url} "
            f"(starts {fr.flat[:120]!r})")
    number = _document_number(fr.flat, doc.url)
    published = _publication_date(fr.flat, doc.url)
    action = fr.section_text("ACTION").split("\n", 1)[0]
    title = _title(fr, doc.title)
    preamble_end = fr.sections.get("SUPPLEMENTARY INFORMATION", (len(fr.paragraphs), 0))[0]
    is_pcac_notice = action.lower().startswith("notice") and bool(
        _PCAC.search("\n".join(fr.paragraphs[:preamble_end])))
    observations: list[Observation] = []
    mentions: list[DocumentMention] = []
    for matcher in substances:
        found = matcher.mentions(fr.flat)
        if not found:
            continue
        read: list[Observation] = []
        if is_pcac_notice and (pcac := _pcac(fr, matcher, found, number, doc.url)):
            read.append(pcac)
        if (rule := _rulemaking(fr, matcher, found, action, number, published, doc.url)):
            read.append(rule)
        observations += read
        quote = read[0].evidence if read else context(fr.flat, found[0])
        mentions.append(DocumentMention(matcher.id, number, quote, f"FR {number}: {title}"))
    return ParseResult(tuple(observations), {}, tuple(mentions))
