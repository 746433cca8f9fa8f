"""The HTML pages in-process: key content, links, escaping of scraped text, errors, freshness rules."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from monitor.models import TargetRow
from monitor.web import readmodel
from tests.web.seed import CATEGORIES_V2, CATS_URL, HOSTILE, NOW, TA1, Seeded

ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _paths(s: Seeded) -> dict[str, str]:
    return {
        "index": "/", "substance": f"/substances/{TA1}", "change": f"/changes/{s.change_id}", "sources": "/sources",
        "snapshot": f"/snapshots/{s.new_snapshot_id}",
    }


@pytest.mark.parametrize(("page", "expected"), [
    ("index", ["<h1>US compounding status</h1>", "No active 503A compounding pathway", "Under FDA review",
               'aria-hidden="true">✖</span>', "In 503A Category 2: FDA found significant safety risks.",
               "Last verified:</strong> <time datetime=\"2026-11-20T11:00:00Z\" title=\"2026-11-20 11:00 UTC\">",
               "Stale: this status may be out of date.", "FDA Category 2 safety-risk table</a> has been failing since",
               f'<a href="{CATS_URL}" rel="noopener noreferrer">Official source</a>', '<a href="/snapshots/2">Stored copy</a>']),
    ("substance", ["<h1>Thymosin alpha-1</h1>", "<h2 id=\"timeline\">Timeline</h2>", "History by track",
                   '<a href="/changes/1">What changed</a>',
                   'In 503A Category 1 (under evaluation) <span aria-label="changed to">→</span>',
                   f'href="/substances/{TA1}/feed.atom"']),
    ("change", ["Inline", "Side by side", '<tr class="r-del">', '<tr class="r-add">', "<mark>Thymosin Alpha-1</mark>",
                '<a href="/snapshots/1.txt" download>', '<a href="/snapshots/2.txt" download>', "+1 line added",
                "−1 line removed", "Thymosin beta-4 fragment (LKKTETQ)"]),
    ("sources", ["<h1>Sources</h1>", 'id="target-fda-category2-page" class="row--stale"',
                 "Stale: failing for over three intervals", 'class="row--failing"', "Not checked yet", "Disabled",
                 "timed out after 60 s"]),
    ("snapshot", ["Stored copy: 503A categories", '<a href="/snapshots/2.txt" download>', "<mark>Thymosin Alpha-1</mark>"]),
])
def test_page_shows_its_key_content(client: TestClient, seeded: Seeded, page: str, expected: list[str]) -> None:
    r = client.get(_paths(seeded)[page])
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    missing = [e for e in expected if e not in r.text]
    assert not missing, f"{page} lacks {missing}"


def test_substance_timeline_is_newest_first(client: TestClient, seeded: Seeded) -> None:
    html = client.get(f"/substances/{TA1}").text
    timeline = html[html.index('id="timeline"'):html.index('id="history"')]
    ids = [int(i) for i in re.findall(r'id="event-(\d+)"', timeline)]
    assert ids[:2] == [seeded.document_event_id, seeded.status_event_id]
    assert len(ids) == 4


@pytest.mark.parametrize("page", ["index", "substance", "change", "sources", "snapshot"])
def test_scraped_markup_is_shown_as_text(client: TestClient, seeded: Seeded, page: str) -> None:
    html = client.get(_paths(seeded)[page]).text
    assert HOSTILE not in html
    assert "<img" not in html
    assert not re.search(r"href=\"\s*javascript:", html, re.I)
    assert html.count("<script") == 1  # only our own localtime.js
    if page != "sources":
        assert ESCAPED in html
    else:
        assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;HTTP 503" in html


def test_pages_send_a_content_security_policy(client: TestClient) -> None:
    r = client.get("/")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in client.get("/docs").headers  # Swagger UI loads from its CDN


def test_snapshot_text_downloads(client: TestClient, seeded: Seeded) -> None:
    r = client.get(f"/snapshots/{seeded.new_snapshot_id}.txt")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.headers["content-disposition"] == f'attachment; filename="snapshot-{seeded.new_snapshot_id}.txt"'
    assert r.text == CATEGORIES_V2


@pytest.mark.parametrize("path", ["/substances/nothing", "/changes/999", "/snapshots/999", "/snapshots/999.txt",
                                  "/changes/abc", "/substances/nothing/feed.atom", "/no/such/page"])
def test_missing_things_are_html_404s(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert "<h1>Not found</h1>" in r.text


# (consecutive failures, failing for, interval seconds, enabled, ever checked) → health
@pytest.mark.parametrize(("failures", "failing_for", "every", "enabled", "checked", "health"), [
    (0, None, 3600, True, True, "ok"),
    (0, None, 3600, True, False, "unchecked"),
    (2, timedelta(hours=2), 3600, True, True, "failing"),
    (3, timedelta(hours=3), 3600, True, True, "failing"),  # exactly three intervals: not more than three
    (3, timedelta(hours=3, seconds=1), 3600, True, True, "stale"),
    (9, timedelta(days=2), 86400, True, True, "failing"),
    (9, timedelta(days=4), 86400, True, True, "stale"),
    (1, timedelta(hours=1), 3600, True, False, "failing"),  # never succeeded, failing since the first try
    (9, timedelta(days=9), 3600, False, True, "disabled"),
])
def test_source_health(failures: int, failing_for: timedelta | None, every: int, enabled: bool, checked: bool,
                       health: str) -> None:
    row = TargetRow(id="t", name="T", url="https://example.org/", every="x", every_seconds=every, enabled=enabled,
                    substances=[], consecutive_failures=failures,
                    failing_since=NOW - failing_for if failing_for else None,
                    last_checked_at=NOW - timedelta(minutes=5) if checked else None)
    assert readmodel.source_health(row, NOW).health == health


def test_last_verified_is_the_latest_success_among_contributing_sources(
        store: tuple[sessionmaker[Session], str], seeded: Seeded) -> None:
    sessions = store[0]
    with sessions.begin() as s:
        # A newer success on a target that does not watch the substance must not count.
        s.get_one(TargetRow, "federal-register").last_success_at = NOW - timedelta(minutes=1)
        s.get_one(TargetRow, "fda-503a-categories").enabled = False
    with sessions() as s:
        (card,) = readmodel.cards(s, NOW, TA1)
    # fda-503a-categories is disabled but set the current 503A category state, so it still counts.
    assert card.last_verified == NOW - timedelta(hours=1)
    assert [src.id for src in card.stale] == ["fda-category2-page"]
    with sessions.begin() as s:
        s.get_one(TargetRow, "fda-category2-page").failing_since = NOW - timedelta(hours=17)
    with sessions() as s:
        assert readmodel.cards(s, NOW, TA1)[0].stale == []
