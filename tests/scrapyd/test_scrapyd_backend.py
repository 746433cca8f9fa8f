"""The Scrapyd crawl backend for real: two Scrapyd processes on 127.0.0.1 running the deployed
egg, a shared PostgreSQL, and the loopback fixture server.

A tick over 200 targets spreads over both nodes (a third, dead URL is skipped) and gives the
same track states, events and target health as the local backend; a node killed mid-run
loses no target (its unchecked targets come back in the next tick); a job past the deadline
is cancelled and its unchecked target is returned to the queue with a failed check saying why.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from monitor import views
from monitor.models import CheckRow, TargetRow
from monitor.notify import AppriseNotifier
from monitor.runtime import Runtime, bootstrap, utcnow
from monitor.tick import TickReport, run_tick
from monitor.web.app import create_app
from tests.support.scrapyd import ScrapydProcess, _free_port
from tests.support.server import FixtureServer
from tests.support.target_farm import farm_env, farm_targets, write_config

pytestmark = pytest.mark.slow

# What the tick itself writes for a target no crawl checked (as opposed to a crawl's own check).
BOOKKEEPING = ("not checked:", "crawl ended before")


def _runtime(tmp_path: Path, name: str, targets: list[dict[str, Any]], db: str, **extra: str) -> Runtime:
    write_config(tmp_path / name, targets)
    return bootstrap(farm_env(tmp_path / name, db, **extra))


def _scrapyd_env(nodes: list[str], batch_size: int = 25, timeout: int = 120) -> dict[str, str]:
    return {"REGWATCH_CRAWL_BACKEND": "scrapyd", "REGWATCH_SCRAPYD_URLS": " ".join(nodes),
            "REGWATCH_SCRAPYD_BATCH_SIZE": str(batch_size), "REGWATCH_SCRAPYD_POLL_SECONDS": "0.1",
            "REGWATCH_CRAWL_TIMEOUT": str(timeout)}


def _checks(rt: Runtime) -> tuple[Counter[str], Counter[str]]:
    """Per target: checks of its own URL made by a crawl, and failed checks the tick wrote instead."""
    crawled: Counter[str] = Counter()
    booked: Counter[str] = Counter()
    with rt.sessions() as s:
        rows = s.execute(select(CheckRow.target_id, CheckRow.error).join(TargetRow, TargetRow.id == CheckRow.target_id)
                         .where(CheckRow.url == TargetRow.url))
        for target_id, error in rows:
            (booked if (error or "").startswith(BOOKKEEPING) else crawled)[target_id] += 1
    return crawled, booked


def _results(rt: Runtime) -> dict[str, Any]:
    """What a crawl of the farm comes to, independent of which target was checked first."""
    with rt.sessions() as s:
        status = views.status(s, utcnow())
        targets = {t.id: (t.last_outcome, t.last_error, t.consecutive_failures)
                   for t in s.scalars(select(TargetRow))}
        events = Counter((e["kind"], e["substance"], e["track"], e["from"], e["to"]) for e in views.events(s))
    tracks = {(sub["id"], t["track"]): t["state"] for sub in status["substances"] for t in sub["tracks"]}
    return {"tracks": tracks, "events": events, "targets": targets}


def _nodes_of(rt: Runtime) -> Counter[str | None]:
    with rt.sessions() as s:
        return Counter(s.scalars(select(TargetRow.last_node)))


def test_a_tick_over_200_targets_uses_both_nodes_and_matches_the_local_backend(
        tmp_path: Path, fixture_server: FixtureServer, nodes: list[ScrapydProcess], pg: Callable[[], str]) -> None:
    targets = farm_targets(fixture_server, 200)
    dead = f"http://127.0.0.1:{_free_port()}"  # a node that is down: skipped, nothing lost
    rt = _runtime(tmp_path, "scrapyd", targets, pg(), **_scrapyd_env([dead, *(n.url for n in nodes)], batch_size=50))
    report = run_tick(rt, AppriseNotifier())

    assert report.crawl_failed is None, report.crawl_failed + "\n" + "\n".join(n.job_logs() for n in nodes)
    crawled, booked = _checks(rt)
    assert crawled == Counter({t["id"]: 1 for t in targets}) and not booked
    used = _nodes_of(rt)
    assert set(used) == {n.url for n in nodes}, used
    assert min(used.values()) >= 50, f"work was not spread: {used}"
    with rt.sessions() as s:
        shown = {t["id"]: t["last_node"] for t in views.status(s, utcnow())["targets"]}
        assert set(shown.values()) == {n.url for n in nodes}
        first = s.get(TargetRow, "farm-00000")
        assert first is not None and views.target_dict(first)["last_node"] == shown["farm-00000"]
    with TestClient(create_app(rt.sessions, rt.settings)) as client:
        page = client.get("/sources").text
    assert '<th scope="col">Node</th>' in page and all(f'<div>{n.url}</div>' in page for n in nodes)

    local = _runtime(tmp_path, "local", targets, pg())
    assert run_tick(local, AppriseNotifier()).crawl_failed is None
    assert _nodes_of(local) == Counter({"local": 200})
    on_scrapyd, on_local = _results(rt), _results(local)
    assert on_scrapyd["tracks"] == {("thymosin-alpha-1", "503a_category"): "CAT2", ("thymosin-alpha-1", "503b"): "CAT2"}
    assert on_scrapyd == on_local


def _tick_in_background(rt: Runtime) -> tuple[threading.Thread, list[TickReport]]:
    out: list[TickReport] = []
    thread = threading.Thread(target=lambda: out.append(run_tick(rt, AppriseNotifier())), daemon=True)
    thread.start()
    return thread, out


def test_a_node_stopped_mid_run_loses_no_target_and_checks_none_twice(
        tmp_path: Path, fixture_server: FixtureServer, nodes: list[ScrapydProcess], pg: Callable[[], str]) -> None:
    targets = farm_targets(fixture_server, 120)
    keep, lose = nodes
    rt = _runtime(tmp_path, "scrapyd", targets, pg(), **_scrapyd_env([n.url for n in nodes], batch_size=20))
    thread, out = _tick_in_background(rt)
    # Kill one node (its Scrapyd and its crawl processes, as a machine failure would) once the
    # crawl is well under way: each node has jobs done, one running and more waiting.
    deadline = time.monotonic() + 90
    while True:
        with rt.sessions() as s:
            done = s.scalar(select(func.count()).select_from(CheckRow)) or 0
        if done >= 30:
            break
        assert thread.is_alive() and time.monotonic() < deadline, "the crawl ended or stalled before the kill"
        time.sleep(0.05)
    lose.kill()
    thread.join(120)
    assert not thread.is_alive()
    (first,) = out

    crawled, booked = _checks(rt)
    returned = set(booked)
    assert returned and first.crawl_failed and lose.url in first.crawl_failed
    assert returned.isdisjoint(crawled), "a target was both checked and returned"
    assert set(crawled) | returned == {t["id"] for t in targets}
    assert max(crawled.values()) == 1 and max(booked.values()) == 1
    with rt.sessions() as s:
        rows = {t.id: t for t in s.scalars(select(TargetRow))}
        assert {r.last_node for r in rows.values()} == {keep.url, lose.url}
        assert any(rows[t].last_node == lose.url for t in crawled), "the lost node had checked nothing"
        for target_id in returned:
            row = rows[target_id]
            assert row.next_check_at is not None and row.next_check_at <= utcnow(), "not back in the queue"
            assert row.consecutive_failures == 0, "a lost node is not the source's failure"
        error = s.scalar(select(CheckRow.error).where(CheckRow.target_id == sorted(returned)[0]))
    assert error is not None and f"Scrapyd node {lose.url} stopped answering" in error and "returned to the queue" in error

    # The next tick (the dead node still configured, and skipped) checks exactly the returned targets.
    second = run_tick(rt, AppriseNotifier())
    assert second.crawl_failed is None
    assert {r.target_id for r in second.results} == returned
    crawled, booked = _checks(rt)
    assert crawled == Counter({t["id"]: 1 for t in targets}), "every target checked exactly once by a crawl"
    assert set(booked) == returned
    with rt.sessions() as s:
        assert set(s.scalars(select(TargetRow.last_node).where(TargetRow.id.in_(returned)))) == {keep.url}


def test_a_job_past_the_deadline_is_cancelled_and_its_unchecked_target_returned(
        tmp_path: Path, fixture_server: FixtureServer, nodes: list[ScrapydProcess], pg: Callable[[], str]) -> None:
    targets = farm_targets(fixture_server, 6)
    hanging = targets[5]
    fixture_server.mode(hanging["url"].removeprefix(fixture_server.base), "hang")
    rt = _runtime(tmp_path, "scrapyd", targets, pg(), REGWATCH_FETCH_TIMEOUT="60",
                  **_scrapyd_env([n.url for n in nodes], batch_size=3, timeout=8))
    started = time.monotonic()
    report = run_tick(rt, AppriseNotifier())
    assert time.monotonic() - started < 40, "the cancelled job was not stopped"
    assert report.crawl_failed and "did not finish within 8s and was cancelled" in report.crawl_failed

    crawled, booked = _checks(rt)
    assert crawled == Counter({t["id"]: 1 for t in targets[:5]})
    assert booked == Counter({hanging["id"]: 1})
    with rt.sessions() as s:
        row = s.get(TargetRow, hanging["id"])
        assert row is not None and row.next_check_at is not None and row.next_check_at <= utcnow()
        assert row.consecutive_failures == 0 and row.last_node in {n.url for n in nodes}
        error = s.scalar(select(CheckRow.error).where(CheckRow.target_id == hanging["id"]))
    assert error is not None and "was cancelled" in error and "returned to the queue for the next tick" in error
