"""The JSON API over a seeded store: the same shapes as the CLI's --json output, filters, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from monitor import views
from monitor.db import open_store
from monitor.models import TargetRow
from tests.support.databases import BACKENDS, database_url
from tests.web.conftest import make_app
from tests.web.seed import EXAMPLE, NOW, TA1, Seeded, seed


@pytest.mark.parametrize("backend", BACKENDS)
def test_status_and_events_have_the_cli_shapes(backend: str, tmp_path: Path) -> None:
    with database_url(backend, tmp_path) as url:
        sessions = open_store(url)
        seed(sessions)
        with TestClient(make_app(sessions, url)) as client, sessions() as s:
            status = client.get("/api/status")
            assert status.status_code == 200
            assert status.json() == views.status(s, NOW)
            assert client.get("/api/events").json() == views.events(s)
            targets = [views.target_dict(t) for t in s.scalars(select(TargetRow).order_by(TargetRow.id))]
            assert client.get("/api/targets").json() == targets
        sessions.kw["bind"].dispose()


def test_status_answers_in_plain_words(client: TestClient) -> None:
    subs = {s["id"]: s for s in client.get("/api/status").json()["substances"]}
    assert subs[TA1]["summary"] == {
        "state": "NO_PATHWAY", "label": "No active 503A compounding pathway",
        "reason": "In 503A Category 2: FDA found significant safety risks.",
    }
    assert subs[EXAMPLE]["summary"]["state"] == "UNDER_REVIEW"
    (cat,) = [t for t in subs[TA1]["tracks"] if t["track"] == "503a_category"]
    assert cat["state"] == "CAT2"
    assert cat["evidence"]["quote"] == "Thymosin Alpha-1 (Ta1) <script>alert(1)</script>"
    assert cat["evidence"]["observed_at"] == "2026-11-10T12:00:00Z"


# Seeded events, newest first: source, status, document, status (NOW-10d), then three baselines.
@pytest.mark.parametrize(("query", "expected_kinds"), [
    ("", ["source", "status", "document", "status", "baseline", "baseline", "baseline"]),
    ("?since=2026-11-10T12:00:00Z", ["source", "status", "document", "status"]),
    ("?since=2026-11-10T13:00:00%2B01:00", ["source", "status", "document", "status"]),  # the same instant
    ("?since=2026-11-10T12:00:01", ["source", "status", "document"]),  # naive means UTC
    ("?since=2026-11-20", []),
    ("?since=0001-01-01T00:00:00%2B14:00", ["source", "status", "document", "status", "baseline", "baseline", "baseline"]),
    ("?limit=2", ["source", "status"]),
])
def test_events_since_and_limit(client: TestClient, query: str, expected_kinds: list[str]) -> None:
    assert [e["kind"] for e in client.get(f"/api/events{query}").json()] == expected_kinds


def test_substance_events(client: TestClient, seeded: Seeded) -> None:
    events = client.get(f"/api/substances/{TA1}/events").json()
    assert {e["substance"] for e in events} == {TA1}
    assert [e["id"] for e in events][:2] == [seeded.document_event_id, seeded.status_event_id]
    status = next(e for e in events if e["id"] == seeded.status_event_id)
    assert (status["from"], status["to"], status["change_id"]) == ("CAT1", "CAT2", seeded.change_id)
    assert client.get(f"/api/substances/{TA1}/events?since=2026-11-15").json() == [events[0]]


@pytest.mark.parametrize(("path", "status", "detail"), [
    ("/api/substances/no-such-thing/events", 404, "no substance with id 'no-such-thing'"),
    ("/api/events?since=yesterday", 422, None),
    ("/api/events?limit=0", 422, None),
    ("/api/nothing", 404, "Not Found"),
])
def test_api_errors_are_json(client: TestClient, path: str, status: int, detail: str | None) -> None:
    r = client.get(path)
    assert r.status_code == status
    assert r.headers["content-type"] == "application/json"
    if detail is not None:
        assert r.json() == {"detail": detail}


def test_openapi_describes_the_responses(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert set(doc["paths"]) == {"/api/status", "/api/events", "/api/substances/{substance_id}/events", "/api/targets",
                                 "/healthz"}
    ok = doc["paths"]["/api/status"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/Status"}
    event = doc["components"]["schemas"]["Event"]
    assert {"from", "to", "observed_at", "change_id"} <= set(event["properties"])
    assert event["properties"]["observed_at"]["format"] == "date-time"
    assert "404" in doc["paths"]["/api/substances/{substance_id}/events"]["get"]["responses"]
    assert client.get("/docs").status_code == 200
