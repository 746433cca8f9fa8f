"""Atom feeds: well-formed, the required Atom elements, status events only, scraped text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from monitor.models import EventRow
from monitor.web.feed import render_feed
from tests.web.conftest import BASE_URL
from tests.web.seed import EXAMPLE, HOSTILE, NOW, TA1, Seeded

A = "{http://www.w3.org/2005/Atom}"


def _parse(body: bytes) -> ET.Element:
    root = ET.fromstring(body)
    assert root.tag == f"{A}feed"
    for el in [root, *root.findall(f"{A}entry")]:
        for required in ("id", "title", "updated"):
            assert (el.findtext(f"{A}{required}") or "").strip(), f"{el.tag} lacks {required}"
        datetime.fromisoformat(el.findtext(f"{A}updated", "").replace("Z", "+00:00"))
    return root


@pytest.mark.parametrize(("path", "substances"), [
    ("/feed.atom", [EXAMPLE, TA1]),
    (f"/substances/{TA1}/feed.atom", [TA1]),
    (f"/substances/{EXAMPLE}/feed.atom", [EXAMPLE]),
])
def test_feed_lists_status_changes_newest_first(client: TestClient, path: str, substances: list[str]) -> None:
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/atom+xml; charset=utf-8"
    root = _parse(r.content)
    assert root.find(f"{A}link[@rel='self']").get("href") == BASE_URL + path  # type: ignore[union-attr]
    entries = root.findall(f"{A}entry")
    links = [e.find(f"{A}link[@rel='alternate']").get("href") for e in entries]  # type: ignore[union-attr]
    assert [link.split("/substances/")[1].split("#")[0] for link in links] == substances  # type: ignore[union-attr]
    assert all(e.find(f"{A}category") is not None for e in entries)


def test_feed_entry_carries_the_evidence_as_escaped_text(client: TestClient, seeded: Seeded) -> None:
    r = client.get(f"/substances/{TA1}/feed.atom")
    assert HOSTILE.encode() not in r.content
    (entry,) = _parse(r.content).findall(f"{A}entry")
    assert entry.findtext(f"{A}id") == f"{BASE_URL}/substances/{TA1}#event-{seeded.status_event_id}"
    content = entry.findtext(f"{A}content") or ""
    assert f"Evidence: “Thymosin Alpha-1 (Ta1) {HOSTILE}”" in content
    assert "503A category: In 503A Category 1 (under evaluation) → In 503A Category 2" in content
    related = entry.find(f"{A}link[@rel='related']")
    assert related is not None and related.get("href") == f"{BASE_URL}/changes/{seeded.change_id}"


def test_characters_xml_forbids_are_dropped() -> None:
    event = EventRow(id=1, kind="status", severity="critical", substance_id=TA1, track="pcac", from_state="NONE",
                     to_state="VOTED_AGAINST", summary="PCAC voted\x0c against \x00inclusion & <more>",
                     evidence="page\x0b break", url="https://www.fda.gov/x?a=1&b=2", observed_at=NOW)
    root = _parse(render_feed([event], BASE_URL, "/feed.atom", "t", NOW))
    entry = root.find(f"{A}entry")
    assert entry is not None
    assert entry.findtext(f"{A}title") == "PCAC voted against inclusion & <more>"
    assert entry.find(f"{A}link[@rel='via']").get("href") == "https://www.fda.gov/x?a=1&b=2"  # type: ignore[union-attr]


def test_empty_feed_is_valid() -> None:
    root = _parse(render_feed([], BASE_URL, "/feed.atom", "t", NOW))
    assert root.findall(f"{A}entry") == []
    assert root.findtext(f"{A}updated") == "2026-11-20T12:00:00Z"
