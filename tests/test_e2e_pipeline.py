"""End to end: real Scrapy crawl (child process), real SQLite file, real Apprise to a real
JSON webhook and a real SMTP server, through the real `regwatch` CLI."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import fixture_bytes
from tests.support.cli import Workspace, make_workspace
from tests.support.server import FixtureServer, WebhookReceiver
from tests.support.smtp import SmtpServer

TA1 = "thymosin-alpha-1"
CATS = "/media/94155/download"
MIME = {"pdf": "application/pdf", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _target(server: FixtureServer) -> dict[str, object]:
    return {"id": "fda-503a-categories", "name": "FDA 503A categories", "url": server.url(CATS),
            "parser": "fda_categories", "every": "6h", "substances": [TA1], "options": {"min_entries": 10}}


def _serve(server: FixtureServer, fixture: str, kind: str) -> None:
    server.set(CATS, fixture_bytes(f"categories/{fixture}", kind), MIME[kind])


def _track(ws: Workspace) -> dict[str, object] | None:
    (sub,) = ws.json("status")["substances"]
    tracks = {t["track"]: t for t in sub["tracks"]}
    return tracks.get("503a_category")


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["pdf", "xlsx"])
def test_category_change_alerts_once_with_evidence(tmp_path: Path, fixture_server: FixtureServer,
                                                  webhook: WebhookReceiver, smtp: SmtpServer, kind: str) -> None:
    # The XLSX run reads in a worker process (monitor/readahead.py), the PDF run inline.
    ws = make_workspace(tmp_path, [webhook.apprise_url, smtp.apprise_url],
                        REGWATCH_READ_WORKERS="1" if kind == "xlsx" else "0")
    ws.write_targets([_target(fixture_server)])

    # 1. Thymosin alpha-1 in Category 2: a baseline, stored and shown, not alerted.
    _serve(fixture_server, "2023-09-29-ta1-cat2.txt", kind)
    out = ws.run("check").stdout
    assert "changed" in out
    track = _track(ws)
    assert track is not None and track["state"] == "CAT2"
    events = ws.json("events")
    assert [(e["kind"], e["to"]) for e in events] == [("baseline", "CAT2")]
    assert webhook.received == [] and smtp.messages == []

    # 2. Withdrawn: one status event CAT2 → NONE, delivered to both channels.
    _serve(fixture_server, "2024-09-27-ta1-withdrawn.txt", kind)
    out = ws.run("check", "fda-503a-categories").stdout
    assert "2 alert(s) sent, 0 failed" in out
    status_events = [e for e in ws.json("events") if e["kind"] == "status"]
    assert len(status_events) == 1
    event = status_events[0]
    assert (event["substance"], event["track"], event["from"], event["to"]) == (TA1, "503a_category", "CAT2", "NONE")
    assert "nominations were withdrawn" in event["evidence"]
    assert event["severity"] == "critical"
    (hook,) = webhook.wait_for(1)
    assert hook["json"]["title"] == "[regwatch] Thymosin alpha-1: Not in any 503A category"
    body = hook["json"]["message"]
    for expected in ("Was: In 503A Category 2", "Now: Not in any 503A category [NONE]", "nominations were withdrawn",
                     fixture_server.url(CATS), "Observed: ", "http://regwatch.test/changes/"):
        assert expected in body
    assert hook["headers"]["x-regwatch-idempotency-key"].startswith(f"regwatch-{event['id']}-")
    (mail,) = smtp.messages
    assert "Thymosin alpha-1: Not in any 503A category" in mail["Subject"]

    # 3. Only the "Updated <date>" line changes: no new snapshot, no event, no alert.
    _serve(fixture_server, "2024-11-15-date-only.txt", kind)
    out = ws.run("check", "fda-503a-categories").stdout
    assert "unchanged" in out and "0 event(s)" in out
    assert len([e for e in ws.json("events") if e["kind"] == "status"]) == 1
    assert len(webhook.received) == 1 and len(smtp.messages) == 1
    summary = ws.json("status")["substances"][0]["summary"]
    assert summary["state"] == "NO_PATHWAY"


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "reason"), [
    ("500", "HTTP 500"),
    ("bot", "bot-protection or site-error page"),
    ("refused", "Connection was refused"),
    ("truncate", "truncated body"),
])
def test_failed_fetch_changes_no_state_and_records_reason(tmp_path: Path, fixture_server: FixtureServer,
                                                         webhook: WebhookReceiver, mode: str, reason: str) -> None:
    ws = make_workspace(tmp_path, [webhook.apprise_url])
    target = _target(fixture_server)
    ws.write_targets([target])
    _serve(fixture_server, "2023-09-29-ta1-cat2.txt", "pdf")
    ws.run("check")
    before = _track(ws)

    if mode == "refused":
        ws.write_targets([{**target, "url": "http://127.0.0.1:9/media/94155/download"}])
        ws.run("targets", "import", str(ws.config / "targets.yaml"))
    else:
        fixture_server.mode(CATS, mode)
    out = ws.run("check", "fda-503a-categories").stdout
    assert "failed" in out
    shown = ws.json("targets", "show", "fda-503a-categories")
    assert shown["last_outcome"] == "failed" and shown["consecutive_failures"] == 1
    assert reason in shown["last_error"]
    assert _track(ws) == before
    assert [e["kind"] for e in ws.json("events")] == ["baseline"]
    assert webhook.received == []


@pytest.mark.slow
def test_absence_is_confirmed_by_a_second_fetch_before_it_is_announced(
        tmp_path: Path, fixture_server: FixtureServer, webhook: WebhookReceiver) -> None:
    ws = make_workspace(tmp_path, [webhook.apprise_url])
    ws.write_targets([_target(fixture_server)])
    _serve(fixture_server, "2023-09-29-ta1-cat2.txt", "pdf")
    ws.run("check")
    # A half-served edition without thymosin alpha-1 (it still passes its sanity markers),
    # then the real one again on the immediate second fetch: nothing is announced.
    withdrawn = fixture_bytes("categories/2024-09-27-ta1-withdrawn.txt", "pdf")
    fixture_server.routes[CATS].queue = [withdrawn]
    before = len(fixture_server.requests)
    out = ws.run("check", "fda-503a-categories").stdout
    assert "0 event(s)" in out
    assert len([p for p, _ in fixture_server.requests[before:] if p == CATS]) == 2
    assert [e["kind"] for e in ws.json("events")] == ["baseline"]
    assert webhook.received == []
    # When the second fetch agrees, the change is announced once.
    fixture_server.set(CATS, withdrawn, MIME["pdf"])
    out = ws.run("check", "fda-503a-categories").stdout
    assert "1 event(s)" in out and "1 alert(s) sent" in out
    assert len(webhook.wait_for(1)) == 1


@pytest.mark.slow
def test_conditional_requests_make_a_304_an_unchanged_check(tmp_path: Path, fixture_server: FixtureServer) -> None:
    ws = make_workspace(tmp_path)
    ws.write_targets([_target(fixture_server)])
    fixture_server.set(CATS, fixture_bytes("categories/2023-09-29-ta1-cat2.txt", "pdf"), MIME["pdf"], etag='"v1"')
    ws.run("check")
    before = len(fixture_server.requests)
    out = ws.run("check", "fda-503a-categories").stdout
    assert "not_modified" in out
    (headers,) = [h for p, h in fixture_server.requests[before:] if p == CATS]
    assert headers["if-none-match"] == '"v1"'
    assert headers["user-agent"].startswith("regwatch/") and "+http" in headers["user-agent"]
    assert [e["kind"] for e in ws.json("events")] == ["baseline"]
    assert ws.json("targets", "show", "fda-503a-categories")["last_outcome"] == "not_modified"


@pytest.mark.slow
def test_robots_txt_is_obeyed(tmp_path: Path, fixture_server: FixtureServer) -> None:
    ws = make_workspace(tmp_path)
    fixture_server.set("/robots.txt", b"User-agent: *\nDisallow: /private/\n", "text/plain")
    fixture_server.set("/private/cats.pdf", fixture_bytes("categories/2023-09-29-ta1-cat2.txt", "pdf"), MIME["pdf"])
    ws.write_targets([{**_target(fixture_server), "url": fixture_server.url("/private/cats.pdf")}])
    ws.run("check")
    shown = ws.json("targets", "show", "fda-503a-categories")
    assert shown["last_outcome"] == "failed" and "robots.txt" in shown["last_error"]
    assert "/private/cats.pdf" not in [p for p, _ in fixture_server.requests]


def _waiting_children(ws: Workspace) -> list[int]:
    """Prestarted crawl children (`monitor.crawl -`) of this workspace still alive."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
            env = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"monitor.crawl" in cmd and b"-" in cmd and f"REGWATCH_CONFIG_DIR={ws.config}".encode() in env:
            found.append(int(proc.name))
    return found


@pytest.mark.parametrize("why", ["nothing is due", "the configuration is invalid"])
def test_a_check_that_crawls_nothing_leaves_no_crawl_child_behind(tmp_path: Path, why: str) -> None:
    # `check` starts its crawl child before it knows whether anything is due (monitor.crawl.prestart).
    # A child left waiting would also hold check's output open: the run would not end in time.
    ws = make_workspace(tmp_path, [])
    if why == "nothing is due":
        assert "no target is due" in ws.run("check", timeout=30).stdout
    else:
        (ws.config / "targets.yaml").write_text("targets: [{id: 1}]\n", encoding="utf-8")
        assert ws.run("check", check=False, timeout=30).returncode != 0
    # It may still be loading Scrapy when `check` exits; then it reads the end of its stdin and exits.
    deadline = time.monotonic() + 15
    while _waiting_children(ws) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _waiting_children(ws) == []
