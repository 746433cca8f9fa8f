"""Both backends for real: a crawl through the CLI, and workers that never check a target twice.

Each test runs on SQLite and on a fresh PostgreSQL database (the `db_url` fixture); the
processor, outbox and migration tests in test_process.py and test_delivery.py do too.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from monitor.capture import CrawlPlan
from monitor.models import CheckRow, TargetRow
from monitor.runtime import Runtime, bootstrap, utcnow
from monitor.tick import claim
from tests.conftest import fixture_bytes
from tests.support.cli import Workspace, make_workspace
from tests.support.databases import fresh_postgres_database, postgres_admin_url
from tests.support.server import FixtureServer, WebhookReceiver

TA1 = "thymosin-alpha-1"
CATS = "/media/94155/download"
PAGES = 20


@pytest.mark.slow
def test_a_real_crawl_records_a_status_change_and_alerts_once(db_url: str, tmp_path: Path, fixture_server: FixtureServer,
                                                               webhook: WebhookReceiver) -> None:
    ws = make_workspace(tmp_path, [webhook.apprise_url], REGWATCH_DATABASE_URL=db_url)
    ws.write_targets([{"id": "cats", "name": "FDA 503A categories", "url": fixture_server.url(CATS),
                       "parser": "fda_categories", "every": "6h", "substances": [TA1], "options": {"min_entries": 10}}])
    fixture_server.set(CATS, fixture_bytes("categories/2023-09-29-ta1-cat2.txt", "pdf"), "application/pdf")
    assert "changed" in ws.run("check").stdout
    assert [(e["kind"], e["to"]) for e in ws.json("events")] == [("baseline", "CAT2")]

    fixture_server.set(CATS, fixture_bytes("categories/ta1-cat1.txt", "pdf"), "application/pdf")
    assert "1 alert(s) sent, 0 failed" in ws.run("check", "cats").stdout
    (event,) = [e for e in ws.json("events") if e["kind"] == "status"]
    assert (event["substance"], event["from"], event["to"]) == (TA1, "CAT2", "CAT1")
    (hook,) = webhook.wait_for(1)
    assert hook["headers"]["x-regwatch-idempotency-key"].startswith(f"regwatch-{event['id']}-")
    (sub,) = ws.json("status")["substances"]
    assert {t["track"]: t["state"] for t in sub["tracks"]}["503a_category"] == "CAT1"


def _page(i: int) -> bytes:
    return (f"<html><head><title>Page {i}</title></head><body><main id='main-content'><h1>Page {i}</h1>"
            f"<p>Compounding policy update number {i}.</p></main></body></html>").encode()


def _pages_workspace(tmp_path: Path, server: FixtureServer, db_url: str) -> Workspace:
    ws = make_workspace(tmp_path, REGWATCH_DATABASE_URL=db_url)
    targets = []
    for i in range(PAGES):
        server.set(f"/page/{i}", _page(i))
        targets.append({"id": f"page-{i:02d}", "name": f"Page {i}", "url": server.url(f"/page/{i}"),
                        "parser": "fda_page", "every": "6h", "substances": [TA1]})
    ws.write_targets(targets)
    ws.run("targets", "list")  # migrate and import once, before the workers race
    return ws


@pytest.mark.slow
def test_two_workers_check_every_due_target_exactly_once(db_url: str, tmp_path: Path,
                                                         fixture_server: FixtureServer) -> None:
    ws = _pages_workspace(tmp_path, fixture_server, db_url)
    cmd = [sys.executable, "-m", "monitor", "check"]
    workers = [subprocess.Popen(cmd, cwd=ws.root, env=ws.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    outputs = [w.communicate(timeout=180) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs

    rt = bootstrap(ws.env)
    with rt.sessions() as s:
        per_target = Counter(s.scalars(select(CheckRow.target_id).join(TargetRow, TargetRow.url == CheckRow.url)))
        assert s.scalar(select(func.count()).select_from(TargetRow).where(TargetRow.next_check_at <= utcnow())) == 0
    assert per_target == Counter({f"page-{i:02d}": 1 for i in range(PAGES)})
    fetched = Counter(path for path, _ in fixture_server.requests if path.startswith("/page/"))
    assert fetched == Counter({f"/page/{i}": 1 for i in range(PAGES)})
    # Between them the two reports name each target once.
    reported = [line.split()[0] for out, _ in outputs for line in out.splitlines() if line.startswith("page-")]
    assert sorted(reported) == [f"page-{i:02d}" for i in range(PAGES)]


def _claim_in_thread(rt: Runtime) -> tuple[threading.Thread, dict[str, Any]]:
    result: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: result.update(plan=claim(rt, utcnow(), None)), daemon=True)
    thread.start()
    return thread, result


def _ids(plan: CrawlPlan | None) -> set[str]:
    return {t.id for t in plan.targets} if plan else set()


def test_claim_skips_targets_another_worker_holds_on_postgresql(tmp_path: Path, fixture_server: FixtureServer) -> None:
    with fresh_postgres_database(postgres_admin_url()) as url:
        rt = bootstrap(_pages_workspace(tmp_path, fixture_server, url).env)
        every = {f"page-{i:02d}" for i in range(PAGES)}
        with rt.sessions() as other:  # another worker, mid-claim: it holds the first ten rows
            held = set(other.scalars(select(TargetRow.id).order_by(TargetRow.id).limit(10).with_for_update()))
            thread, result = _claim_in_thread(rt)
            thread.join(30)
            assert not thread.is_alive(), "claim waited for the locked rows instead of skipping them"
            assert _ids(result["plan"]) == every - held
            other.rollback()
        assert _ids(claim(rt, utcnow(), None)) == held  # released (its claim rolled back): now ours
        assert claim(rt, utcnow(), None) is None
        rt.sessions.kw["bind"].dispose()


def test_claim_on_sqlite_reads_only_after_the_write_lock(tmp_path: Path, fixture_server: FixtureServer) -> None:
    db = tmp_path / "regwatch.db"
    rt = bootstrap(_pages_workspace(tmp_path, fixture_server, f"sqlite:///{db}").env)
    other = sqlite3.connect(db, isolation_level=None)  # another worker, mid-claim, holding the write lock
    other.execute("BEGIN IMMEDIATE")
    thread, result = _claim_in_thread(rt)
    thread.join(0.5)
    assert thread.is_alive(), "claim did not wait for the other worker's write transaction"
    other.execute("UPDATE targets SET next_check_at = '2999-01-01 00:00:00.000000'")
    other.execute("COMMIT")
    other.close()
    thread.join(30)
    assert not thread.is_alive()
    assert result["plan"] is None, "claim read due rows from before the other worker's commit"
    with rt.sessions.begin() as s:
        s.execute(update(TargetRow).values(next_check_at=None))
    assert len(_ids(claim(rt, utcnow(), None))) == PAGES
