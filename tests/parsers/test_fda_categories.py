"""fda_categories: one row per fixture and format → the expected reading or the expected error."""

from __future__ import annotations

import pytest

from monitor.errors import BadDocument, DocumentInvalid
from monitor.extract import extract
from monitor.matching import SubstanceMatcher
from monitor.normalize import normalize
from monitor.parsers import PARSERS, Document
from monitor.parsers.base import ParseResult
from tests.conftest import fixture_bytes

TA1 = "thymosin-alpha-1"

# (fixture, expected 503a_category state, text the evidence must contain)
ROWS = [
    ("categories/2023-09-29-ta1-cat2.txt", "CAT2", "Thymosin Alpha-1 (Ta1)"),
    ("categories/2024-09-27-ta1-withdrawn.txt", "NONE", "nominations were withdrawn"),
    ("categories/2024-11-15-date-only.txt", "NONE", "nominations were withdrawn"),
    ("categories/ta1-cat1.txt", "CAT1", "Thymosin alpha-1 acetate"),
    ("categories/ta1-cat3.txt", "CAT3", "Thymalfasin"),
    ("categories/never-match.txt", "NONE", "Not listed under Category 1, 2 or 3"),
]
BROKEN = [
    ("categories/missing-cat3-heading.txt", DocumentInvalid, "Category 3"),
    ("categories/too-few-entries.txt", DocumentInvalid, "only 3 entries"),
]


def _parse(body: bytes, matchers: list[SubstanceMatcher], **options: object) -> ParseResult:
    extracted = extract(body)
    doc = Document("https://www.fda.gov/media/94155/download", extracted.kind, normalize(extracted.text), body,
                   extracted.title, extracted.text)
    spec = PARSERS["fda_categories"]
    return spec.func(doc, matchers, spec.options.model_validate(options))


@pytest.mark.parametrize("kind", ["pdf", "xlsx"])
@pytest.mark.parametrize(("fixture", "state", "evidence"), ROWS)
def test_reads_category(fixture: str, state: str, evidence: str, kind: str, matchers: list[SubstanceMatcher]) -> None:
    result = _parse(fixture_bytes(fixture, kind), matchers)
    (obs,) = [o for o in result.observations if o.substance == TA1]
    assert (obs.track, obs.state) == ("503a_category", state)
    assert evidence in obs.evidence
    assert obs.from_absence is (state == "NONE")
    assert result.metrics["entry_count"] >= 10


@pytest.mark.parametrize("kind", ["pdf", "xlsx"])
@pytest.mark.parametrize(("fixture", "error", "message"), BROKEN)
def test_refuses_incomplete_documents(fixture: str, error: type[Exception], message: str, kind: str,
                                      matchers: list[SubstanceMatcher]) -> None:
    with pytest.raises(error, match=message):
        _parse(fixture_bytes(fixture, kind), matchers)


def test_503b_program_reads_the_503b_track(matchers: list[SubstanceMatcher]) -> None:
    result = _parse(fixture_bytes("categories/2023-09-29-ta1-cat2.txt", "pdf"), matchers, program="503b")
    assert [(o.track, o.state) for o in result.observations] == [("503b", "CAT2")]


def test_date_stamp_alone_does_not_change_the_normalized_text() -> None:
    texts = [normalize(extract(fixture_bytes(f, "pdf")).text)
             for f in ("categories/2024-09-27-ta1-withdrawn.txt", "categories/2024-11-15-date-only.txt")]
    assert texts[0] == texts[1]


@pytest.mark.parametrize("body", [b"%PDF-1.7\n garbage without end", b"PK\x03\x04 not a zip at all", b""])
def test_garbage_bodies_are_bad_documents(body: bytes) -> None:
    with pytest.raises(BadDocument):
        extract(body)
