"""Crash safety: kill -9 of the crawl child or of the daemon leaves a consistent database, and
pending alerts are delivered after restart once per event and channel (by idempotency key)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import fixture_bytes
from tests.support.cli import Workspace, make_workspace
from tests.support.server import FixtureServer, WebhookReceiver

PDF = "application/pdf"


def _children_running(pattern: str) -> list[int]:
    out = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _consistent(db: Path) -> None:
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        # Every event's outbox rows exist with it, and no check points at a missing snapshot.
        orphans = con.execute("SELECT COUNT(*) FROM deliveries d LEFT JOIN events e ON e.id = d.event_id "
                              "WHERE e.id IS NULL").fetchone()
        assert orphans == (0,)
    finally:
        con.close()


def _setup(tmp_path: Path, server: FixtureServer, urls: list[str], **env: str) -> Workspace:
    ws = make_workspace(tmp_path, urls, **env)
    server.set("/cats.pdf", fixture_bytes("categories/2023-09-29-ta1-cat2.txt", "pdf"), PDF)
    ws.write_targets([{"id": "cats", "name": "Categories", "url": server.url("/cats.pdf"),
                       "parser": "fda_categories", "every": "1m", "substances": ["thymosin-alpha-1"]}])
    return ws


@pytest.mark.slow
def test_kill_9_of_the_crawl_child_fails_the_check_and_keeps_the_database(
        tmp_path: Path, fixture_server: FixtureServer) -> None:
    ws = _setup(tmp_path, fixture_server, [], REGWATCH_FETCH_TIMEOUT="60")
    ws.run("check")
    fixture_server.mode("/cats.pdf", "hang")
    marker = f"monitor.crawl {tmp_path}"  # never match another test's child
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "check", "cats"], cwd=ws.root, env=ws.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    children: list[int] = []
    while time.monotonic() < deadline and not children:
        children = [p for p in _children_running("monitor.crawl") if _is_child_of(p, proc.pid)]
        time.sleep(0.2)
    assert children, f"no crawl child found ({marker})"
    time.sleep(1.0)
    os.kill(children[0], signal.SIGKILL)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, (out, err)
    assert "crawl child exited with code -9" in out + err
    _consistent(ws.db)
    shown = ws.json("targets", "show", "cats")
    assert shown["last_outcome"] == "failed" and "code -9" in shown["last_error"]
    # The next run works normally.
    fixture_server.mode("/cats.pdf", "ok")
    assert "unchanged" in ws.run("check", "cats").stdout


def _is_child_of(pid: int, parent: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return int(stat.rsplit(")", 1)[1].split()[1]) == parent


@pytest.mark.slow
def test_kill_9_of_the_daemon_then_restart_delivers_each_alert_once(
        tmp_path: Path, fixture_server: FixtureServer, webhook: WebhookReceiver) -> None:
    ws = _setup(tmp_path, fixture_server, [webhook.apprise_url], REGWATCH_TICK_SECONDS="1")
    ws.run("check")
    # A change happens while the alert channel is down: the alert waits in the outbox.
    webhook.status = 503
    fixture_server.set("/cats.pdf", fixture_bytes("categories/ta1-cat1.txt", "pdf"), PDF)
    ws.run("check", "cats")
    events = [e for e in ws.json("events") if e["kind"] == "status"]
    assert len(events) == 1

    def daemon() -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "monitor", "run", "--no-web"], cwd=ws.root, env=ws.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)

    first = daemon()
    time.sleep(4)  # it ticks and retries while the channel is down
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    _consistent(ws.db)

    webhook.status = 200
    rows = ws.json("alerts", "list")
    (pending,) = [r for r in rows if r["status"] == "pending"]
    assert pending["attempts"] >= 1
    # Let the backoff elapse (as if the machine had been down for a while).
    con = sqlite3.connect(ws.db)
    with con:
        con.execute("UPDATE deliveries SET next_attempt_at = '2000-01-01 00:00:00'")
    con.close()
    second = daemon()
    try:
        time.sleep(4)
    finally:
        second.send_signal(signal.SIGINT)
        second.wait(timeout=30)
    _consistent(ws.db)
    keys = [m["headers"]["x-regwatch-idempotency-key"] for m in webhook.received]
    assert keys and set(keys) == {f"regwatch-{events[0]['id']}-{pending['channel']}"}
    assert [r["status"] for r in ws.json("alerts", "list")] == ["sent"]
