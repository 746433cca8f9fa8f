"""`ecfr_section`: 21 CFR 216.23 through the eCFR versioner API → `503a_list` per substance.

The target URL is the section's version history,
`…/api/versioner/v1/versions/title-21.json?part=216&section=216.23` (DOMAIN.md §2.6):
`content_versions[]` with `date, amendment_date, issue_date, identifier, name, substantive,
removed`. It is the cheapest change detector: a new version changes its text. `derive`
turns it into the full-text URL for the latest version's date, on the target's own scheme
and host: `…/api/versioner/v1/full/{date}/title-21.xml?part=216&section=216.23`.

That XML holds `<DIV8 N="216.23" TYPE="SECTION">` (as the root of a section slice, or inside
a `<DIV5>` part) with `<P>` paragraphs: "(a) The following bulk drug substances can be used
in compounding under section 503A(b)(1)(A)(i)(III)…" then numbered items, "(b) … will not be
included on the list…" then numbered items, then (c) criteria and (d). A reading needs both
list markers and at least one item under each; anything less is DocumentInvalid, because
ABSENT rests on the substance not being found.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from bs4 import BeautifulSoup, Tag
from pydantic import Field

from monitor.errors import DocumentInvalid
from monitor.matching import SubstanceMatcher
from monitor.parsers.base import Document, Observation, ParseResult, ParserOptions

_A_MARKER = re.compile(r"^\(a\)\s*The following bulk drug substances can be used in compounding under section 503A", re.I)
_B_MARKER = re.compile(r"^\(b\)\s.*\bwill not be included\b", re.I)
_LETTERED = re.compile(r"^\(([a-z])\)")
_ITEM = re.compile(r"^\((\d+)\)\s*\S")
_VERSIONS_PATH = re.compile(r"^(?P<api>.*/api/versioner/v1)/versions/(?P<title>title-\d+)\.json$")
_FULL_DATE = re.compile(r"/full/(\d{4}-\d{2}-\d{2})/")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_XML_START = re.compile(rb"^\s*(?:<\?xml\b|<DIV\d\b|<ECFR\b)")


class EcfrOptions(ParserOptions):
    """Options of `ecfr_section`."""

    # The section read when the document URL does not name one (`section=` in its query).
    section: str = Field(default="216.23", pattern=r"^\d+\.\d+$")


def _section_of(url: str, options: EcfrOptions) -> str:
    return parse_qs(urlsplit(url).query).get("section", [options.section])[0]


def _versions(data: object, section: str, url: str) -> list[Mapping[str, Any]]:
    """The section's content_versions, each with an ISO `date`; DocumentInvalid otherwise."""
    versions = data.get("content_versions") if isinstance(data, dict) else None
    if not isinstance(versions, list):
        keys = ", ".join(sorted(data)) if isinstance(data, dict) else type(data).__name__
        raise DocumentInvalid(f"eCFR versions answer from {url} has no 'content_versions' list (keys: {keys})")
    mine: list[Mapping[str, Any]] = [v for v in versions if isinstance(v, dict) and str(v.get("identifier", section)) == section]
    if not mine:
        raise DocumentInvalid(f"eCFR versions answer from {url} lists no version of section {section} "
                              f"({len(versions)} entries)")
    bad = [v.get("date") for v in mine if not (isinstance(v.get("date"), str) and _ISO.match(v["date"]))]
    if bad:
        raise DocumentInvalid(f"eCFR versions answer from {url} has versions without an ISO date: {bad[:3]!r}")
    return mine


def _parse_versions(doc: Document, section: str) -> ParseResult:
    try:
        data = json.loads(doc.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DocumentInvalid(f"eCFR versions answer from {doc.url} is not JSON: {exc}") from None
    versions = _versions(data, section, doc.url)
    metrics = {"version_count": len(versions)}
    substantive = [str(v["date"]) for v in versions if v.get("substantive") is True]
    if substantive:
        # As YYYYMMDD so the processor can compare it like any other figure; it only grows.
        metrics["latest_substantive_date"] = int(max(substantive).replace("-", ""))
    return ParseResult((), metrics, ())


def _paragraphs(doc: Document, section: str) -> list[str]:
    soup = BeautifulSoup(doc.body, "lxml-xml")
    found = [d for d in soup.find_all("DIV8") if isinstance(d, Tag) and d.get("N") == section]
    if not found:
        names = [str(d.get("N")) for d in soup.find_all("DIV8") if isinstance(d, Tag)][:5]
        raise DocumentInvalid(f"eCFR XML from {doc.url} has no <DIV8 N=\"{section}\" TYPE=\"SECTION\"> "
                              f"(sections found: {', '.join(names) or 'none'})")
    return [" ".join(p.get_text().split()) for p in found[0].find_all("P") if isinstance(p, Tag)]


def _lists(paragraphs: Sequence[str], section: str, url: str) -> dict[str, list[str]]:
    lists: dict[str, list[str]] = {}
    current: str | None = None
    for p in paragraphs:
        if _LETTERED.match(p):
            current = "a" if _A_MARKER.match(p) else "b" if _B_MARKER.match(p) else None
            if current:
                lists.setdefault(current, [])
        elif current and _ITEM.match(p):
            lists[current].append(p)
    for letter, marker in (("a", "can be used in compounding"), ("b", "will not be included")):
        if letter not in lists:
            raise DocumentInvalid(f"21 CFR {section} from {url} lacks paragraph ({letter}) \"… {marker} …\"")
    for letter, items in lists.items():
        if not items:
            raise DocumentInvalid(f"21 CFR {section}({letter}) from {url} has no numbered items")
    return lists


def _parse_section(doc: Document, substances: Sequence[SubstanceMatcher], section: str) -> ParseResult:
    lists = _lists(_paragraphs(doc, section), section, doc.url)
    as_of = _FULL_DATE.search(doc.url)
    base = {"as_of": as_of.group(1)} if as_of else {}
    observations: list[Observation] = []
    for matcher in substances:
        hits = {letter: [item for item in items if matcher.matches(item)] for letter, items in lists.items()}
        placed = [letter for letter in ("a", "b") if hits[letter]]
        if not placed:
            observations.append(Observation(
                matcher.id, "503a_list", "ABSENT", f"Not named in 21 CFR {section}(a) or (b)",
                {**base, "entries_a": len(lists["a"]), "entries_b": len(lists["b"])}, from_absence=True))
            continue
        # Named in both (e.g. one salt form each): the included form is the pathway that exists.
        letter = placed[0]
        item = hits[letter][0]
        number = _ITEM.match(item)
        observations.append(Observation(
            matcher.id, "503a_list", "INCLUDED" if letter == "a" else "NOT_INCLUDED",
            f"21 CFR {section}({letter}): {item}",
            {**base, "paragraph": letter, "item": number.group(1) if number else "", "also_in": placed[1:]}))
    return ParseResult(tuple(observations), {"entry_count": len(lists["a"]) + len(lists["b"])}, ())


def parse(doc: Document, substances: Sequence[SubstanceMatcher], options: EcfrOptions) -> ParseResult:
    """Read the versions answer (metrics only) or the section XML (a 503a_list reading)."""
    section = _section_of(doc.url, options)
    if doc.kind == "json":
        return _parse_versions(doc, section)
    # Judged by the body, not only `kind`: an eCFR answer's <HEAD> elements can make it sniff as HTML.
    if doc.kind == "xml" or _XML_START.match(doc.body):
        return _parse_section(doc, substances, section)
    raise DocumentInvalid(f"ecfr_section expects the versions JSON or the section XML, got a {doc.kind} document ({doc.url})")


def derive(url: str, body: bytes, options: EcfrOptions) -> list[str]:
    """From the versions answer: the full-text URL of the latest version, on the same scheme and host."""
    parts = urlsplit(url)
    path = _VERSIONS_PATH.match(parts.path)
    if path is None:
        return []
    try:
        versions = _versions(json.loads(body), _section_of(url, options), url)
    except (ValueError, UnicodeDecodeError, DocumentInvalid):
        return []
    latest = max(str(v["date"]) for v in versions)
    full = f"{path.group('api')}/full/{latest}/{path.group('title')}.xml"
    return [urlunsplit((parts.scheme, parts.netloc, full, parts.query, ""))]
