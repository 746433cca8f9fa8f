"""/healthz: database reachability and the scheduler's heartbeat, as the daemon writes it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from monitor.daemon import Daemon
from monitor.heartbeat import SCHEDULER, beat, pulse
from monitor.render import Alert
from monitor.runtime import bootstrap, utcnow
from tests.support.cli import make_workspace
from tests.web.conftest import make_app
from tests.web.seed import NOW


# (seconds since the last beat, beat interval) → status and scheduler.ok; None: never beat
@pytest.mark.parametrize(("age", "interval", "status", "ok"), [
    (None, None, "degraded", False),
    (5, 30, "ok", True),
    (90, 30, "ok", True),
    (91, 30, "degraded", False),
    (3000, 30, "degraded", False),
    (3000, 1200, "ok", True),
])
def test_healthz_reports_heartbeat_age(store: tuple[sessionmaker[Session], str], age: int | None,
                                       interval: int | None, status: str, ok: bool) -> None:
    sessions, url = store
    if age is not None and interval is not None:
        with sessions.begin() as s:
            beat(s, SCHEDULER, NOW - timedelta(seconds=age), interval)
    r = TestClient(make_app(sessions, url)).get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == status
    assert body["database"] == {"ok": True, "error": None}
    assert body["scheduler"]["ok"] is ok
    assert body["scheduler"]["age_seconds"] == age
    assert body["scheduler"]["interval_seconds"] == interval
    assert r.headers["cache-control"] == "no-store"


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing-folder' / 'regwatch.db'}"
    app = make_app(sessionmaker(create_engine(url)), url)
    r = TestClient(app).get("/healthz")
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "down"
    assert body["database"]["ok"] is False
    assert body["database"]["error"].startswith("OperationalError: unable to open database file")


class _Silent:
    """A notifier for a daemon that has nothing to announce."""

    def send(self, url: str, alert: Alert, key: str) -> tuple[bool, str]:
        raise AssertionError("no alert is expected")


def test_daemon_heartbeat_is_what_healthz_reads(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, REGWATCH_TICK_SECONDS="7")
    ws.write_targets([])
    rt = bootstrap(ws.env)
    Daemon(rt, _Silent()).heartbeat()
    with rt.sessions() as s:
        p = pulse(s, SCHEDULER, utcnow())
    assert p.alive and p.interval_seconds == 7
    assert p.age_seconds is not None and p.age_seconds < 60
