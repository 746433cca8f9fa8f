"""ecfr_section: the 216.23 versions answer and section XML → metrics, derived URL, 503a_list per substance."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from bs4 import XMLParsedAsHTMLWarning

from monitor.errors import DocumentInvalid
from monitor.extract import extract, sniff
from monitor.matching import SubstanceMatcher
from monitor.normalize import normalize
from monitor.parsers import PARSERS, Document
from monitor.parsers.base import ParseResult
from tests.conftest import fixture_bytes

TA1 = "thymosin-alpha-1"
VERSIONS = "https://www.ecfr.gov/api/versioner/v1/versions/title-21.json?part=216&section=216.23"
LOOPBACK_VERSIONS = "http://127.0.0.1:8765/api/versioner/v1/versions/title-21.json?part=216&section=216.23"
FULL = "https://www.ecfr.gov/api/versioner/v1/full/2025-01-02/title-21.xml?part=216&section=216.23"


@pytest.fixture(scope="module")
def watched(matchers: list[SubstanceMatcher]) -> list[SubstanceMatcher]:
    """The shipped substances plus two listed ones, to check the lists are read, not just Ta1's absence."""
    return [*matchers, SubstanceMatcher("thymol-iodide", "Thymol iodide", (), ()),
            SubstanceMatcher("tranilast", "Tranilast", (), ())]


def _doc(body: bytes, url: str) -> Document:
    # extract() sniffs eCFR XML as HTML (its <HEAD> elements), and bs4 warns about that;
    # see test_ecfr_xml_is_sniffed_as_xml below.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        extracted = extract(body)
    return Document(url, extracted.kind, normalize(extracted.text), body, extracted.title, extracted.text)


def _parse(body: bytes, url: str, substances: list[SubstanceMatcher], **options: Any) -> ParseResult:
    spec = PARSERS["ecfr_section"]
    return spec.func(_doc(body, url), substances, spec.options.model_validate(options))


def _fixture(name: str) -> bytes:
    return fixture_bytes(f"ecfr/{name}")


# (fixture, substance, state, evidence contains, entry_count)
SECTION_ROWS = [
    ("216.23-2025-01.xml", TA1, "ABSENT", "Not named in 21 CFR 216.23(a) or (b)", 10),
    ("216.23-2025-01.xml", "thymol-iodide", "INCLUDED", "21 CFR 216.23(a): (6)Thymol iodide (for topical use only).", 10),
    ("216.23-2025-01.xml", "tranilast", "NOT_INCLUDED", "21 CFR 216.23(b): (4) Tranilast.", 10),
    ("216.23-ta1-in-a.xml", TA1, "INCLUDED", "21 CFR 216.23(a): (7) Thymosin alpha–1 (thymalfasin)", 11),
    ("216.23-ta1-in-b.xml", TA1, "NOT_INCLUDED", "21 CFR 216.23(b): (4) Thymosin alpha-1-related bulk drug substances", 11),
    ("216.23-ta1-in-b.xml", "tranilast", "NOT_INCLUDED", "(5) Tranilast.", 11),
]


@pytest.mark.parametrize(("fixture", "substance", "state", "evidence", "entries"), SECTION_ROWS)
def test_reads_the_503a_list(fixture: str, substance: str, state: str, evidence: str, entries: int,
                             watched: list[SubstanceMatcher]) -> None:
    result = _parse(_fixture(fixture), FULL, watched)
    (obs,) = [o for o in result.observations if o.substance == substance]
    assert (obs.track, obs.state) == ("503a_list", state)
    assert evidence in obs.evidence
    assert obs.from_absence is (state == "ABSENT")
    assert obs.detail["as_of"] == "2025-01-02"
    assert result.metrics == {"entry_count": entries}
    assert result.mentions == ()


BROKEN_ROWS = [
    (_fixture("216.23-missing-b.xml"), FULL, r"lacks paragraph \(b\)"),
    # A real eCFR answer, for another part: no DIV8 216.23 in it.
    (_fixture("title-3-part-101-2024-05-17.xml"), FULL, r"no <DIV8 N=\"216.23\".*sections found: 101.1, 101.2"),
    (b'<?xml version="1.0"?>\n<DIV8 N="216.23" TYPE="SECTION"><HEAD>x</HEAD><P>(a) The following bulk drug substances '
     b"can be used in compounding under section 503A(b)(1)(A)(i)(III) of the", FULL, r"lacks paragraph \(b\)"),
    (_fixture("216.23-2025-01.xml").replace(b"<P>(1) Oxitriptan.</P>", b"").replace(b"<P>(2) Piracetam.</P>", b"")
     .replace(b"<P>(3) Silver Protein Mild.</P>", b"").replace(b"<P>(4) Tranilast.</P>", b""),
     FULL, r"216.23\(b\) .* has no numbered items"),
    (_fixture("versions-error.json"), VERSIONS, r"no 'content_versions' list \(keys: _comment, error\)"),
    (_fixture("versions-empty.json"), VERSIONS, "lists no version of section 216.23"),
    (b'{"content_versions": [{"identifier": "216.23", "date": "March 21, 2019"}]}', VERSIONS, "without an ISO date"),
    (fixture_bytes("federal_register/error.html"), FULL, "expects the versions JSON or the section XML, got a html"),
]


@pytest.mark.parametrize(("body", "url", "message"), BROKEN_ROWS)
def test_refuses_incomplete_documents(body: bytes, url: str, message: str, watched: list[SubstanceMatcher]) -> None:
    with pytest.raises(DocumentInvalid, match=message):
        _parse(body, url, watched)


# (fixture, URL, metrics, derived URL)
VERSION_ROWS = [
    ("versions-216.23.json", VERSIONS, {"version_count": 1, "latest_substantive_date": 20190321},
     "https://www.ecfr.gov/api/versioner/v1/full/2019-03-21/title-21.xml?part=216&section=216.23"),
    # The latest version is editorial: the text is read as of it, the substantive date stays the amendment's.
    ("versions-216.23-new.json", VERSIONS, {"version_count": 3, "latest_substantive_date": 20270726},
     "https://www.ecfr.gov/api/versioner/v1/full/2027-09-01/title-21.xml?part=216&section=216.23"),
    ("versions-216.23.json", LOOPBACK_VERSIONS, {"version_count": 1, "latest_substantive_date": 20190321},
     "http://127.0.0.1:8765/api/versioner/v1/full/2019-03-21/title-21.xml?part=216&section=216.23"),
]


@pytest.mark.parametrize(("fixture", "url", "metrics", "derived"), VERSION_ROWS)
def test_reads_versions_and_derives_the_text_url(fixture: str, url: str, metrics: dict[str, int], derived: str,
                                                 watched: list[SubstanceMatcher]) -> None:
    result = _parse(_fixture(fixture), url, watched)
    assert result == ParseResult((), metrics, ())
    spec = PARSERS["ecfr_section"]
    assert spec.derive is not None
    assert spec.derive(url, _fixture(fixture), spec.options.model_validate({})) == [derived]


@pytest.mark.parametrize(("body", "url"), [
    (_fixture("versions-error.json"), VERSIONS),
    (_fixture("216.23-2025-01.xml"), FULL),
    (_fixture("versions-216.23.json"), "https://www.ecfr.gov/api/versioner/v1/titles.json"),
])
def test_derives_nothing_from_other_documents(body: bytes, url: str) -> None:
    spec = PARSERS["ecfr_section"]
    assert spec.derive is not None
    assert spec.derive(url, body, spec.options.model_validate({})) == []


def test_a_new_version_changes_the_hashed_text() -> None:
    texts = [_doc(_fixture(f), VERSIONS).text for f in ("versions-216.23.json", "versions-216.23-new.json")]
    assert texts[0] != texts[1]


def test_registered_and_no_longer_planned() -> None:
    assert "ecfr_section" in PARSERS


def test_ecfr_xml_is_sniffed_as_xml() -> None:
    assert sniff(_fixture("title-3-part-101-2024-05-17.xml")) == "xml"
