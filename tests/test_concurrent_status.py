"""Two crawls that see the same status change at the same moment raise one status event.

Two workers (PostgreSQL, FOR UPDATE SKIP LOCKED claims) check different targets at once; two
targets may read the same substance's track (the categories file and its mirror here). Both
processors read the track's current state, and only one may announce the change. The test
holds each processor, just after it read the state, at a barrier the other must reach too:
without a lock on the track's row both pass it with the old state and both announce.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from monitor import announce
from monitor.capture import Capture, CrawlPlan, PlanChannel, PlanSubstance, PlanTarget
from monitor.config import Target, load_substances
from monitor.db import open_store
from monitor.models import EventRow
from monitor.process import Processor
from monitor.targets import import_targets, sync_substances
from tests.conftest import CONFIG, FIXTURES
from tests.support.fixturegen import text_to_pdf

T0 = datetime(2026, 11, 1, 12, 0)
URLS = {"cats": "https://www.fda.gov/media/94155/download", "mirror": "https://www.fda.gov/media/94155/mirror"}
CAT2 = text_to_pdf((FIXTURES / "categories" / "2023-09-29-ta1-cat2.txt").read_text(encoding="utf-8"))
CAT1 = text_to_pdf((FIXTURES / "categories" / "ta1-cat1.txt").read_text(encoding="utf-8"))


def _capture(target: str, body: bytes) -> Capture:
    return Capture(target, URLS[target], URLS[target], 200, {}, body, T0, 5)


def test_one_status_event_when_two_crawls_see_the_change_at_once(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    sessions = open_store(db_url)
    subs = load_substances(CONFIG / "substances.yaml")
    with sessions.begin() as s:
        sync_substances(s, subs, T0)
        import_targets(s, [Target(id=t, name=t, url=u, parser="fda_categories", every="6h",
                                  substances=("thymosin-alpha-1",)) for t, u in URLS.items()], T0)
    plan = CrawlPlan(
        database_url="", tick_started_at=T0.isoformat(),
        targets=[PlanTarget(t, u, "fda_categories", {}, [], ["thymosin-alpha-1"]) for t, u in URLS.items()],
        substances=[PlanSubstance(x.id, x.name, list(x.synonyms), list(x.exclude)) for x in subs],
        channels=[PlanChannel("hook", ["status", "source"], [])],
    )

    def crawl(hours: int) -> Processor:
        return Processor(plan, sessions, lambda: T0 + timedelta(hours=hours))

    first = crawl(1)
    for target in URLS:
        first.handle(_capture(target, CAT2))

    barrier = threading.Barrier(2, timeout=3)
    real = announce.current_of

    def held(s: Any, states: Mapping[Any, Any]) -> Any:
        out = real(s, states)
        with contextlib.suppress(threading.BrokenBarrierError):  # the other crawl waits for our lock
            barrier.wait()
        return out

    monkeypatch.setattr(announce, "current_of", held)
    outcomes: dict[str, str] = {}
    threads = [threading.Thread(target=lambda t=t: outcomes.__setitem__(t, crawl(2).handle(_capture(t, CAT1)).outcome))
               for t in URLS]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    with sessions() as s:
        status = [(e.from_state, e.to_state) for e in s.scalars(select(EventRow).where(EventRow.kind == "status"))]
    assert status == [("CAT2", "CAT1")], (status, outcomes)
