"""Operator actions that crawl, against the loopback fixture server through the real CLI:
`targets test` (a dry run that stores nothing), re-baselining after a URL edit, and the
URL guard re-checking every crawl request, redirects included."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import fixture_bytes
from tests.support.cli import Workspace, make_workspace
from tests.support.server import FixtureServer, WebhookReceiver

TA1 = "thymosin-alpha-1"
PDF = "application/pdf"
CAT2 = "categories/2023-09-29-ta1-cat2.txt"
WITHDRAWN = "categories/2024-09-27-ta1-withdrawn.txt"
TABLES = ("targets", "documents", "snapshots", "checks", "observations", "track_states", "events", "deliveries",
          "audit_log")


def _add(ws: Workspace, tid: str, url: str) -> dict[str, Any]:
    return ws.json("targets", "add", tid, "--name", "FDA 503A categories", "--url", url, "--parser", "fda_categories",
                   "--substance", TA1, "--option", "min_entries=10")


def _dump(ws: Workspace) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(ws.db) as conn:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in TABLES}


@pytest.mark.slow
def test_targets_test_shows_observations_and_diff_and_stores_nothing(
        tmp_path: Path, fixture_server: FixtureServer, webhook: WebhookReceiver) -> None:
    ws = make_workspace(tmp_path, [webhook.apprise_url])
    ws.write_targets([])
    fixture_server.set("/cats", fixture_bytes(CAT2, "pdf"), PDF)
    _add(ws, "cats", fixture_server.url("/cats"))
    ws.run("check")
    fixture_server.set("/cats", fixture_bytes(WITHDRAWN, "pdf"), PDF)
    before = _dump(ws)
    fetched = len(fixture_server.requests)

    report = ws.json("targets", "test", "cats")

    assert len(fixture_server.requests) > fetched  # it really fetched, now
    assert report["error"] is None
    (capture,) = report["captures"]
    assert (capture["outcome"], capture["status"], capture["kind"]) == ("changed", 200, "pdf")
    assert "nominations were withdrawn" in capture["text"]
    (obs,) = capture["observations"]
    assert (obs["substance"], obs["track"], obs["state"], obs["current"], obs["would"]) == (
        TA1, "503a_category", "NONE", "CAT2", "status")
    assert "nominations were withdrawn" in obs["evidence"]
    assert capture["diff"].startswith(f"--- stored snapshot {capture['stored_snapshot_id']}\n+++ fetched now")
    assert "-Thymosin Alpha-1 (Ta1)" in capture["diff"]
    assert _dump(ws) == before  # not a row written: no check, snapshot, event, delivery or audit entry
    assert webhook.received == []

    # Testing an unsaved URL: a page that fails is reported, still without writing anything.
    fixture_server.set("/bot", b"", mode="bot")
    proc = ws.run("targets", "test", "cats", "--url", fixture_server.url("/bot"), check=False)
    assert proc.returncode == 1 and "failed" in proc.stdout and "bot-protection or site-error page" in proc.stdout
    assert _dump(ws) == before


@pytest.mark.slow
def test_editing_the_url_re_baselines_without_a_status_alert(
        tmp_path: Path, fixture_server: FixtureServer, webhook: WebhookReceiver) -> None:
    ws = make_workspace(tmp_path, [webhook.apprise_url])
    ws.write_targets([])
    fixture_server.set("/old", fixture_bytes(CAT2, "pdf"), PDF)
    fixture_server.set("/new", fixture_bytes(WITHDRAWN, "pdf"), PDF)
    _add(ws, "cats", fixture_server.url("/old"))
    ws.run("check")
    assert ws.json("targets", "show", "cats")["last_success_at"] is not None

    edited = ws.json("targets", "edit", "cats", "--url", fixture_server.url("/new"))
    assert edited["last_success_at"] is None  # its next crawl is read as its first

    out = ws.run("check").stdout
    assert "0 alert(s) sent" in out
    events = ws.json("events")
    assert [e["kind"] for e in events] == ["baseline", "baseline"]
    rebaselined = events[0]
    assert (rebaselined["from"], rebaselined["to"]) == ("CAT2", "NONE")
    assert "(was In 503A Category 2" in rebaselined["summary"]
    (sub,) = ws.json("status")["substances"]
    assert {t["track"]: t["state"] for t in sub["tracks"]}["503a_category"] == "NONE"
    assert webhook.received == []
    update = next(e for e in ws.json("audit") if e["action"] == "update")
    assert update["changed"] == ["url"]


@pytest.mark.slow
def test_each_crawl_request_is_checked_so_a_redirect_off_the_allowlist_fails(
        tmp_path: Path, fixture_server: FixtureServer) -> None:
    ws = make_workspace(tmp_path)
    ws.write_targets([])
    # Loopback passes (REGWATCH_ALLOW_PRIVATE_HOSTS lifts the allowlist for it); the host it
    # redirects to is public and outside the allowlist, so the crawl refuses the redirect.
    fixture_server.set("/moved", b"", status=302, headers={"Location": "http://files.example.org/list.pdf"})
    _add(ws, "moved", fixture_server.url("/moved"))
    out = ws.run("check", check=False).stdout
    shown = ws.json("targets", "show", "moved")
    assert shown["last_outcome"] == "failed", out
    assert "files.example.org is not in the domain allowlist" in shown["last_error"]
    assert ws.json("events") == []


def test_without_the_setting_private_and_unlisted_targets_are_refused_at_add(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, REGWATCH_ALLOW_PRIVATE_HOSTS="false")
    ws.write_targets([])
    proc = ws.run("targets", "add", "t", "--name", "T", "--url", "http://127.0.0.1:8080/x", "--parser", "fda_page",
                  check=False)
    assert proc.returncode == 2 and "url: refused 'http://127.0.0.1:8080/x': 127.0.0.1 is not in the domain allowlist" \
        in proc.stderr
    assert ws.run("allowlist", "off").stdout.strip().startswith("(off")
    for url, why in (("http://169.254.169.254/latest/meta-data/", "a cloud metadata address"),
                     ("http://localhost:8080/x", "a loopback address")):
        proc = ws.run("targets", "add", "t", "--name", "T", "--url", url, "--parser", "fda_page", check=False)
        assert proc.returncode == 2 and why in proc.stderr
    assert ws.run("allowlist", "set", "fda.gov", "ecfr.gov").stdout.strip() == "fda.gov ecfr.gov"
    assert ws.json("targets", "list") == []
    (change, off) = [e for e in ws.json("audit") if e["entity"] == "setting"]
    assert (change["before"], change["after"]) == ({"domains": []}, {"domains": ["fda.gov", "ecfr.gov"]})
    assert off["after"] == {"domains": []}
