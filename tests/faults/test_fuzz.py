"""Property: whatever bytes arrive, reading and parsing either succeed or raise CheckFailed (a failed
check with a reason). No other exception escapes the parser boundary."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor import reading
from monitor.capture import Capture, PlanSubstance, PlanTarget
from monitor.errors import CheckFailed
from monitor.parsers import PARSERS
from tests.conftest import fixture_bytes

SUBSTANCES = {"thymosin-alpha-1": PlanSubstance("thymosin-alpha-1", "Thymosin alpha-1",
                                                 ["Ta1", "thymalfasin", "thymosin alpha-1"], ["thymosin beta-4"])}

# (parser, a real document it reads, how the fixture is rendered)
SEEDS = [
    ("fda_categories", "categories/2023-09-29-ta1-cat2.txt", "pdf"),
    ("fda_categories", "categories/2023-09-29-ta1-cat2.txt", "xlsx"),
    ("fda_category2_page", "fda/category2-legacy-2024-06-ta1.html", "raw"),
    ("pcac_meeting", "fda/pcac-2024-12-04-agenda.html", "raw"),
    ("pcac_meeting", "fda/pcac-2024-12-04-minutes.txt", "pdf"),
    ("pcac_index", "fda/pcac-2024-materials-index.html", "raw"),
    ("fda_page", "fda/warning-letter-ta1.html", "raw"),
    ("federal_register", "federal_register/term-thymosin-alpha.json", "raw"),
    ("federal_register", "federal_register/2024-24828.htm", "raw"),
    ("ecfr_section", "ecfr/216.23-2025-01.xml", "raw"),
    ("ecfr_section", "ecfr/versions-216.23.json", "raw"),
]


def _attempt(parser: str, url: str, body: bytes) -> None:
    target = PlanTarget("t", url, parser, {}, [], ["thymosin-alpha-1"])
    capture = Capture("t", url, url, 200, {}, body, datetime(2026, 1, 1), 1)
    try:
        got = reading.read(capture, 20 * 1024 * 1024)
        if got is not None:
            reading.parse(target, got.document, reading.matchers_for(target, SUBSTANCES), {})
    except CheckFailed:
        pass


@st.composite
def _mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    body = bytearray(seed)
    for _ in range(draw(st.integers(0, 8))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        at = draw(st.integers(0, max(0, len(body) - 1)))
        if op == "flip" and body:
            body[at] = draw(st.integers(0, 255))
        elif op == "cut":
            del body[at:]
        elif op == "insert":
            body[at:at] = draw(st.binary(max_size=64))
        elif op == "delete":
            del body[at:at + draw(st.integers(1, 256))]
    return bytes(body)


@pytest.mark.parametrize(("parser", "fixture", "kind"), SEEDS)
@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_mutated_documents_never_escape_as_anything_but_a_failed_check(
        parser: str, fixture: str, kind: str, data: st.DataObject) -> None:
    seed = fixture_bytes(fixture, kind)
    url = "https://www.ecfr.gov/api/versioner/v1/full/2025-01-01/title-21.xml?part=216&section=216.23" \
        if fixture.endswith(".xml") else "https://www.fda.gov/x"
    _attempt(parser, url, data.draw(_mutated(seed)))


@pytest.mark.parametrize("parser", sorted(PARSERS))
@settings(max_examples=30, deadline=None, derandomize=True)
@given(body=st.one_of(st.binary(max_size=2048), st.text(max_size=2048).map(str.encode),
                      st.sampled_from([b"%PDF-1.4", b"PK\x03\x04", b"{", b"[", b"<html>", b"<?xml version='1.0'?>"])))
def test_random_bytes_never_escape_as_anything_but_a_failed_check(parser: str, body: bytes) -> None:
    _attempt(parser, "https://www.fda.gov/x", body)
