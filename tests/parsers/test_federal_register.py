"""federal_register: documents.json answers and FR document texts → mentions and readings, one row per case."""

from __future__ import annotations

import json
from typing import Any

import pytest

from monitor.errors import BadDocument, DocumentInvalid
from monitor.extract import extract
from monitor.matching import SubstanceMatcher
from monitor.normalize import normalize
from monitor.parsers import PARSERS, Document
from monitor.parsers.base import ParseResult
from monitor.parsers.federal_register import VOLATILE_KEYS
from tests.conftest import fixture_bytes

TA1 = "thymosin-alpha-1"
BPC = "bpc-157"
FR = "https://www.federalregister.gov"
QUERY = f"{FR}/api/v1/documents.json?conditions[term]=%22thymosin+alpha%22&order=newest&per_page=100"
LOOPBACK_QUERY = "http://127.0.0.1:8765/api/v1/documents.json?conditions[term]=Ta1&per_page=2"


def _text_url(number: str, published: str) -> str:
    return f"{FR}/documents/full_text/text/{published.replace('-', '/')}/{number}.txt"


@pytest.fixture(scope="module")
def watched(matchers: list[SubstanceMatcher]) -> list[SubstanceMatcher]:
    """The shipped substances plus BPC-157, so other peptides' readings are checked too."""
    return [*matchers, SubstanceMatcher(BPC, "BPC-157", ("BPC-157-related bulk drug substances",), ())]


def _doc(body: bytes, url: str) -> Document:
    extracted = extract(body)
    return Document(url, extracted.kind, normalize(extracted.text), body, extracted.title, extracted.text)


def _parse(body: bytes, url: str, substances: list[SubstanceMatcher], **options: Any) -> ParseResult:
    spec = PARSERS["federal_register"]
    return spec.func(_doc(body, url), substances, spec.options.model_validate(options))


def _fixture(name: str) -> bytes:
    return fixture_bytes(f"federal_register/{name}")


# documents.json answers: (fixture, options, result_count, [(document number, text the quote contains)]) for Ta1
QUERY_ROWS = [
    # Ta1 only in the body of 2024-24828; FR's search excerpt shows it.
    ("term-thymosin-alpha.json", {}, 1, [("2024-24828", "thymosin alpha-1-related bulk drug substances")]),
    ("term-ta1-page1.json", {}, 3, [("2027-90004", "decided not to include"), ("2026-90001", "proposes not to include")]),
    # No excerpt and no mention in title/abstract: FR's term search matched it, quoted by its title.
    ("term-ta1-page2.json", {}, 3, [("2024-24828", "Pharmacy Compounding Advisory Committee; Notice of Meeting")]),
    ("pcac-notices.json", {"term_query": False}, 3, []),
    ("rules-216.json", {"term_query": False}, 3,
     [("2027-90004", "decided not to include"), ("2026-90001", "thymosin alpha-1 acetate")]),
    ("zero-hits.json", {}, 0, []),
    # Only never-match names, and the search excerpt shows FR matched "thymosin" in "thymosin beta-4".
    ("never-match.json", {}, 1, []),
    ("never-match.json", {"term_query": False}, 1, []),
]


@pytest.mark.parametrize(("fixture", "options", "count", "expected"), QUERY_ROWS)
def test_reads_query_answers(fixture: str, options: dict[str, Any], count: int, expected: list[tuple[str, str]],
                             watched: list[SubstanceMatcher]) -> None:
    result = _parse(_fixture(fixture), QUERY, watched, **options)
    ta1 = [m for m in result.mentions if m.substance == TA1]
    assert [m.ref for m in ta1] == [ref for ref, _ in expected]
    for mention, (ref, quote) in zip(ta1, expected, strict=True):
        assert quote in mention.quote
        assert mention.title.startswith(f"FR {ref}: ")
    assert result.observations == ()
    assert result.metrics == {"result_count": count}


# FR document texts: (fixture, URL, substance, [(track, state, detail subset, evidence contains)], mention quote or None)
TEXT_ROWS = [
    ("2024-24828.htm", _text_url("2024-24828", "2024-10-25"), TA1,
     [("pcac", "SCHEDULED", {"date": "2024-12-04", "comments_close": "2024-12-03", "document_number": "2024-24828"},
       "thymosin alpha-1-related bulk drug substances (thymosin alpha-1 acetate")],
     "thymosin alpha-1-related bulk drug substances"),
    ("2024-24828.htm", _text_url("2024-24828", "2024-10-25"), BPC, [], None),
    ("2026-07361.txt", _text_url("2026-07361", "2026-04-16"), TA1, [], None),
    ("2026-07361.txt", _text_url("2026-07361", "2026-04-16"), BPC,
     [("pcac", "SCHEDULED", {"date": "2026-07-23", "comments_close": "2026-07-22"}, "BPC-157-related bulk drug substances")],
     "BPC-157-related"),
    # Named in the background, not on the agenda (which lists thymosin beta-4): a mention, no reading.
    ("2026-90005-notice-ta1-background.txt", _text_url("2026-90005", "2026-10-16"), TA1, [],
     "the Committee discussed thymosin alpha-1-related bulk drug substances"),
    ("2016-30109.txt", _text_url("2016-30109", "2016-12-16"), TA1, [], None),
    ("2026-90001-prorule-not-include.htm", _text_url("2026-90001", "2026-12-01"), TA1,
     [("rulemaking", "PROPOSED_NOT_INCLUDE", {"date": "2026-12-01", "comments_close": "2027-02-01"},
       "(5) Thymosin alpha-1-related bulk drug substances")],
     "(5) Thymosin alpha-1-related"),
    ("2026-90001-prorule-not-include.htm", _text_url("2026-90001", "2026-12-01"), BPC,
     [("rulemaking", "PROPOSED_INCLUDE", {"date": "2026-12-01"}, "(7) BPC-157-related")], "(7) BPC-157-related"),
    ("2026-90002-prorule-include.txt", _text_url("2026-90002", "2026-12-02"), TA1,
     [("rulemaking", "PROPOSED_INCLUDE", {"date": "2026-12-02", "comments_close": "2027-03-01"},
       "proposes to place thymalfasin (thymosin alpha-1) on the list")],
     "proposes to place thymalfasin"),
    # The codified (a)(7) item decides, not the SUMMARY's sentence about comments.
    ("2027-90003-rule-include.txt", _text_url("2027-90003", "2027-06-24"), TA1,
     [("rulemaking", "FINAL_INCLUDE", {"date": "2027-06-24", "action": "Final rule."}, "(7) Thymosin alpha-1 (thymalfasin)")],
     "(7) Thymosin alpha-1"),
    ("2027-90004-rule-not-include.txt", _text_url("2027-90004", "2027-06-25"), TA1,
     [("rulemaking", "FINAL_NOT_INCLUDE", {"date": "2027-06-25"}, "(4) Thymosin alpha-1-related bulk drug substances")],
     "(4) Thymosin alpha-1-related"),
]


@pytest.mark.parametrize(("fixture", "url", "substance", "expected", "quote"), TEXT_ROWS)
def test_reads_document_texts(fixture: str, url: str, substance: str, expected: list[tuple[str, str, dict[str, str], str]],
                              quote: str | None, watched: list[SubstanceMatcher]) -> None:
    result = _parse(_fixture(fixture), url, watched)
    observations = [o for o in result.observations if o.substance == substance]
    assert [(o.track, o.state) for o in observations] == [(track, state) for track, state, _, _ in expected]
    for obs, (_, _, detail, evidence) in zip(observations, expected, strict=True):
        assert detail.items() <= dict(obs.detail).items()
        assert evidence in obs.evidence
        assert not obs.from_absence
    mentions = [m for m in result.mentions if m.substance == substance]
    if quote is None:
        assert mentions == []
    else:
        (mention,) = mentions
        number = fixture[:10]
        assert (mention.ref, quote in mention.quote) == (number, True)
        assert mention.title.startswith(f"FR {number}: ")


BROKEN_ROWS = [
    (_fixture("error.json"), QUERY, DocumentInvalid,
     r"has no 'count' \(keys: _comment, errors, message, status\): Request not valid"),
    (_fixture("error.html"), QUERY, DocumentInvalid, "expected JSON from the documents.json query"),
    (_fixture("error.html"), _text_url("2024-24828", "2024-10-25"), DocumentInvalid, "no AGENCY: or ACTION: header"),
    (b'{"count": 2, "results": {"document_number": "2024-24828"}}', QUERY, DocumentInvalid, "'results' is a dict"),
    (b'{"count": 1, "results": [{"title": "Thymosin alpha-1"}]}', QUERY, DocumentInvalid, "result 0 .* no valid document_number"),
    (b'{"count": "3", "results": []}', QUERY, DocumentInvalid, "no 'count'"),
    (b'[{"document_number": "2024-24828"}]', QUERY, DocumentInvalid, "a JSON list, not an object"),
    (b'{"count": 1, "results": [{"document_num', QUERY, BadDocument, "invalid JSON"),
    (_fixture("2024-24828.htm").replace(b"held on December 4, 2024, from", b"held at a date to be announced, from"),
     _text_url("2024-24828", "2024-10-25"), DocumentInvalid,
     "names Thymosin alpha-1 on its agenda but its DATES section gives no meeting date"),
    (_fixture("2026-90002-prorule-include.txt").replace(b"(Wednesday, December 2, 2026)", b"(Wednesday)"),
     "http://127.0.0.1:8765/documents/full_text/text/2026-90002.txt", DocumentInvalid, "has no publication date"),
    (b"%PDF-1.7\n%%EOF\n", _text_url("2024-24828", "2024-10-25"), BadDocument, "unreadable PDF"),
]


@pytest.mark.parametrize(("body", "url", "error", "message"), BROKEN_ROWS)
def test_refuses_broken_documents(body: bytes, url: str, error: type[Exception], message: str,
                                  watched: list[SubstanceMatcher]) -> None:
    with pytest.raises(error, match=message):
        _parse(body, url, watched)


_P2 = "page=2&per_page=2"
# (fixture, URL it came from, options, URLs derive must return, in order)
DERIVE_ROWS = [
    ("term-ta1-page1.json", QUERY, {},
     [_P2, _text_url("2027-90004", "2027-06-25"), _text_url("2026-90001", "2026-12-01")]),
    ("term-ta1-page1.json", QUERY, {"max_pages": 1},
     [_text_url("2027-90004", "2027-06-25"), _text_url("2026-90001", "2026-12-01")]),
    ("term-ta1-page1.json", QUERY, {"follow_text": False}, [_P2]),
    # Tests and the demo serve the same paths on loopback: FR's own URLs follow the queried host.
    ("term-ta1-page1.json", LOOPBACK_QUERY, {},
     [_P2, "http://127.0.0.1:8765/documents/full_text/text/2027/06/25/2027-90004.txt",
      "http://127.0.0.1:8765/documents/full_text/text/2026/12/01/2026-90001.txt"]),
    ("term-ta1-page2.json", QUERY, {}, [_text_url("2024-24828", "2024-10-25")]),
    # The default field set has no raw_text_url: built from publication_date and document_number.
    ("term-thymosin-alpha.json", QUERY, {}, [_text_url("2024-24828", "2024-10-25")]),
    ("zero-hits.json", QUERY, {}, []),
    ("error.json", QUERY, {}, []),
    ("2024-24828.htm", _text_url("2024-24828", "2024-10-25"), {}, []),
]


@pytest.mark.parametrize(("fixture", "url", "options", "expected"), DERIVE_ROWS)
def test_derives_pages_and_texts(fixture: str, url: str, options: dict[str, Any], expected: list[str]) -> None:
    spec = PARSERS["federal_register"]
    assert spec.derive is not None
    found = spec.derive(url, _fixture(fixture), spec.options.model_validate(options))
    assert len(found) == len(expected)
    for got, want in zip(found, expected, strict=True):
        assert got.endswith(want) if want == _P2 else got == want
    if found and expected[0] == _P2:
        assert found[0].startswith(url.split("/api/", 1)[0] + "/api/v1/documents.json?")


def _without_volatile(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_volatile(v) for k, v in value.items() if k not in VOLATILE_KEYS}
    if isinstance(value, list):
        return [_without_volatile(v) for v in value]
    return value


def test_cache_busters_change_neither_reading_nor_hash_once_dropped(watched: list[SubstanceMatcher]) -> None:
    original = json.loads(_fixture("term-thymosin-alpha.json"))
    busted = json.loads(_fixture("term-thymosin-alpha.json"))
    result = busted["results"][0]
    result["public_inspection_pdf_url"] = result["public_inspection_pdf_url"].split("?")[0] + "?1799999999"
    result["page_views"] = {"count": 4321, "last_updated": "2026-11-20T10:00:00.000-05:00"}
    result["regulations_dot_gov_info"] = {"checked_regulationsdotgov_at": "2026-11-20T09:00:00.000-05:00"}
    bodies = [json.dumps(v).encode() for v in (original, busted)]
    readings = [_parse(b, QUERY, watched) for b in bodies]
    assert readings[0] == readings[1]
    spec = PARSERS["federal_register"]
    assert spec.derive is not None
    options = spec.options.model_validate({})
    assert spec.derive(QUERY, bodies[0], options) == spec.derive(QUERY, bodies[1], options)
    # Extraction drops the volatile keys before hashing, and dropping them is enough:
    texts = [normalize(extract(b).text) for b in bodies]
    assert texts[0] == texts[1]
    cleaned = [normalize(extract(json.dumps(_without_volatile(v)).encode()).text) for v in (original, busted)]
    assert cleaned[0] == cleaned[1]


def test_registered_and_no_longer_planned() -> None:
    assert "federal_register" in PARSERS
    assert PARSERS["federal_register"].derive is not None
