"""PCAC meeting PDFs: FDA briefing documents (FDA's position) and Final Summary Minutes (votes).

Briefing (DOMAIN.md §2.4): "FDA Evaluation of X-Related Bulk Drug Substances" names what was
evaluated; the "CONCLUSION AND RECOMMENDATION" section states the position ("we propose not
adding", "weigh against" → FDA_RECOMMENDS_NOT_INCLUDE; "we recommend … be placed on",
"weighs in favor" → FDA_RECOMMENDS_INCLUDE). A position is only read for the substance the
document evaluates, never for one it merely mentions.
Minutes: each question's vote "Yes = 4, No = 17, Abstain = 0" (or "Yes: 4 No: 17 Abstain: 0")
→ VOTED_FOR when yes > no, else VOTED_AGAINST, for the substance the question names.
Both carry the meeting date from the cover, so `detail["date"]` compares with the meeting page's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from monitor.errors import DocumentInvalid
from monitor.matching import SubstanceMatcher
from monitor.parsers.base import Document, DocumentMention, Observation, ParseResult
from monitor.parsers.fda_dates import month_dates
from monitor.parsers.fda_page import first_mentions

_HEAD = 3000
# "FDA Evaluation of" is matched case-sensitively: it is a title; prose says "FDA's evaluation of".
_SUBJECTS = (
    re.compile(r"FDA Evaluation of (.{2,150}?)\s*[-–—]?\s*(?i:related\s+bulk\s+drug\s+substances?)"),
    re.compile(r"SUBJECT:\s*(?i:evaluation\s+of)\s+(.{2,200}?)\s+(?i:for\s+(?:inclusion|the\s+503A))"),
)
_SUBJECT_LINE = re.compile(r"^\s*(?:\d+\.\s*)?FDA Evaluation of ([^\n]{2,80})$", re.M)
_CONCLUSION = re.compile(r"CONCLUSIONS?\s+AND\s+RECOMMENDATIONS?")
_LEADER = re.compile(r"\s*(?:\.{3,}|…)")
_SECTION_END = re.compile(r"\b(?:[IVX]+\.\s+)?(?:REFERENCES|APPENDIX|APPENDICES)\b")
_NOT = r"(?:(?!\bnot\b).)"
_AGAINST = (
    re.compile(r"\bpropos\w*\s+not\s+(?:to\s+)?(?:add|includ|plac)\w*", re.I),
    re.compile(r"\brecommend\w*\s+(?:not|against)\s+(?:add|includ|plac)\w*", re.I),
    re.compile(r"\bnot\s+be\s+(?:placed|included|added)\b", re.I),
    re.compile(r"\b(?:do|does)\s+not\s+recommend\b", re.I),
)
_FOR = (
    re.compile(rf"\brecommend\w*\s+(?:that\s+)?{_NOT}{{0,160}}?\s+be\s+(?:placed|included|added)\s+on\b", re.I),
    re.compile(r"\bpropos\w*\s+(?:to\s+)?(?:add|includ|plac)\w*", re.I),
)
_WEIGH_AGAINST = re.compile(r"\bweighs?\s+against\b", re.I)
_WEIGH_FOR = re.compile(r"\bweighs?\s+in\s+favou?r\b", re.I)
_TALLY = re.compile(
    r"\byes\s*[=:]?\s*(\d+)\s*[,;]?\s*no\s*[=:]?\s*(\d+)\s*[,;]?\s*abstain\w*\s*[=:]?\s*(\d+)", re.I)
# Where a question starts, strongest marker first: "2. VOTE:", "Question 2"; "VOTE:"; "2. ".
# ("Vote Result:" before a tally is not a question start.)
_QUESTION_STARTS = (
    re.compile(r"^\s*(?:question\s+\d+\b|\d+[.)]\s*(?:VOTE|DISCUSSION)\b)", re.I | re.M),
    re.compile(r"^\s*VOTE\s*:", re.I | re.M),
    re.compile(r"^\s*\d+[.)]\s+\S", re.M),
)
_VOTE_LABEL = re.compile(r"\s*\b(?:vote\s+results?|vote|results?)\s*:?\s*$", re.I)


def _flat(text: str) -> str:
    return " ".join(text.split())


def meeting_date(text: str) -> str | None:
    """The meeting date on a PDF's cover: a written-out date near the word "Meeting", else the
    first written-out date (memo dates such as "DATE: 11/5/2024" are never the meeting)."""
    head = _flat(text[:_HEAD])
    dates = month_dates(head)
    for at, iso in dates:
        if re.search(r"meeting", head[max(0, at - 120):at + 40], re.I):
            return iso
    return dates[0][1] if dates else None


def _sentence(text: str, start: int, end: int) -> str:
    left, right = text.rfind(". ", 0, start), text.find(". ", end)
    return text[left + 2 if left >= 0 else 0:right + 1 if right >= 0 else len(text)].strip()


def _position(section: str) -> tuple[str, str] | None:
    """(state, sentence) for the decisive position phrase of a conclusion section."""
    decisive = [(m.start(), m.end(), "FDA_RECOMMENDS_NOT_INCLUDE") for p in _AGAINST for m in p.finditer(section)]
    decisive += [(m.start(), m.end(), "FDA_RECOMMENDS_INCLUDE") for p in _FOR for m in p.finditer(section)
                 if not any(s <= m.start() < e for s, e, _ in decisive)]
    if not decisive:
        decisive = [(m.start(), m.end(), "FDA_RECOMMENDS_NOT_INCLUDE") for m in _WEIGH_AGAINST.finditer(section)]
        decisive += [(m.start(), m.end(), "FDA_RECOMMENDS_INCLUDE") for m in _WEIGH_FOR.finditer(section)]
    if not decisive:
        return None
    start, end, state = max(decisive)
    return state, _sentence(section, start, end)


def _briefing(doc: Document, text: str, date: str | None, matchers: Sequence[SubstanceMatcher],
              subjects: list[str]) -> ParseResult:
    observations: list[Observation] = []
    mentions: list[DocumentMention] = []
    for matcher in matchers:
        subject = next((s for s in subjects if matcher.matches(s)), None)
        if subject is None:
            mentions += first_mentions(text, [matcher], "document", doc.title)
            continue
        # The heading is upper case; a title-case one counts too, unless it is a contents line ("….28").
        heads = list(_CONCLUSION.finditer(text)) or [
            m for m in re.finditer(_CONCLUSION.pattern, text, re.I) if not _LEADER.match(text, m.end())]
        if not heads:
            raise DocumentInvalid(f"briefing document evaluating {subject!r} has no CONCLUSION AND RECOMMENDATION section")
        start = heads[-1].end()
        stop = _SECTION_END.search(text, start)
        section = _flat(text[start:stop.start() if stop else start + 8000])
        position = _position(section)
        if position is None:
            raise DocumentInvalid(
                f"briefing document evaluating {subject!r}: no position phrase in its conclusion {section[:160]!r}")
        if date is None:
            raise DocumentInvalid(f"briefing document evaluating {subject!r} names no meeting date on its cover")
        state, sentence = position
        detail = {"date": date, "subject": subject, "document": "briefing"}
        observations.append(Observation(matcher.id, "pcac", state, sentence, detail))
        mentions.append(DocumentMention(matcher.id, "briefing", sentence, doc.title))
    return ParseResult(tuple(observations), {}, tuple(mentions))


def _question(block: str) -> str:
    question = block
    for pattern in _QUESTION_STARTS:
        starts = list(pattern.finditer(block))
        if starts:
            question = block[starts[-1].start():]
            break
    return _VOTE_LABEL.sub("", _flat(question))


def _minutes(doc: Document, text: str, date: str | None, matchers: Sequence[SubstanceMatcher]) -> ParseResult:
    observations: list[Observation] = []
    mentions: list[DocumentMention] = []
    tallies = list(_TALLY.finditer(text))
    for matcher in matchers:
        before = 0
        votes: list[Observation] = []
        for tally in tallies:
            question = _question(text[before:tally.start()])
            before = tally.end()
            if not matcher.matches(question):
                continue
            if date is None:
                raise DocumentInvalid("summary minutes record a vote but name no meeting date on the cover")
            yes, no, abstain = (int(g) for g in tally.groups())
            state = "VOTED_FOR" if yes > no else "VOTED_AGAINST"
            evidence = f"{question[:400]} Vote: {_flat(tally.group(0))}"
            detail = {"date": date, "yes": yes, "no": no, "abstain": abstain, "question": question[:400]}
            votes.append(Observation(matcher.id, "pcac", state, evidence, detail))
        if not votes and matcher.matches(text) and not tallies:
            raise DocumentInvalid(f"summary minutes name {matcher.name!r} but no vote tally (Yes/No/Abstain) could be read")
        observations += votes
        if votes:
            mentions.append(DocumentMention(matcher.id, "minutes", votes[0].evidence, doc.title))
        else:
            mentions += first_mentions(text, [matcher], "document", doc.title)
    return ParseResult(tuple(observations), {}, tuple(mentions))


def read_pdf(doc: Document, matchers: Sequence[SubstanceMatcher]) -> ParseResult:
    """Position from a briefing document, votes from summary minutes, mentions from any other PDF."""
    text = doc.text
    if not text.strip():
        raise DocumentInvalid(f"{doc.kind} document has no text to read")
    head = _flat(text[:_HEAD])
    date = meeting_date(text)
    if re.search(r"summary\s+minutes", head, re.I):
        return _minutes(doc, text, date, matchers)
    flat = _flat(text)
    found = [m.group(1) for p in _SUBJECTS for m in p.finditer(flat)] + [m.group(1) for m in _SUBJECT_LINE.finditer(text)]
    subjects = list(dict.fromkeys(s.strip(" -–—") for s in found))
    if subjects:
        return _briefing(doc, text, date, matchers, subjects)
    return ParseResult(mentions=tuple(first_mentions(text, matchers, "document", doc.title)))
