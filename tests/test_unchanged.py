"""Byte-identical captures written in batches (monitor/unchanged.py), on SQLite and PostgreSQL.

Each row: what happens in the database between the crawl's start (when the batch reads what
it trusts) and its write, and what the stored result must then be. Whatever happened, the
outcome must equal what the one-capture-at-a-time path would have stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.capture import Capture, CrawlPlan, PlanChannel, PlanSubstance, PlanTarget
from monitor.config import Target, load_substances
from monitor.db import open_store
from monitor.models import CheckRow, DocumentRow, EventRow, TargetRow
from monitor.process import Processor
from monitor.targets import import_targets, sync_substances
from tests.conftest import CONFIG, FIXTURES
from tests.support.fixturegen import text_to_pdf

URL = "https://www.fda.gov/media/94155/download"
T0 = datetime(2026, 11, 1, 12, 0)
BODY = text_to_pdf((FIXTURES / "categories" / "2023-09-29-ta1-cat2.txt").read_text(encoding="utf-8"))
# Another version of the list, naming thymosin alpha-1 in Category 1.
OTHER = text_to_pdf((FIXTURES / "categories" / "ta1-cat1.txt").read_text(encoding="utf-8"))


class Crawls:
    """One database, and crawls (processors) over it with their own clocks."""

    def __init__(self, db_url: str) -> None:
        self.sessions: sessionmaker[Session] = open_store(db_url)
        subs = load_substances(CONFIG / "substances.yaml")
        with self.sessions.begin() as s:
            sync_substances(s, subs, T0)
            import_targets(s, [Target(id="cats", name="Categories", url=URL, parser="fda_categories", every="6h",
                                      substances=("thymosin-alpha-1",))], T0)
        self.plan = CrawlPlan(
            database_url="", tick_started_at=T0.isoformat(),
            targets=[PlanTarget("cats", URL, "fda_categories", {}, [], ["thymosin-alpha-1"])],
            substances=[PlanSubstance(x.id, x.name, list(x.synonyms), list(x.exclude)) for x in subs],
            channels=[PlanChannel("hook", ["status", "source"], [])], failure_threshold=3,
        )
        self.hour = 0

    def start(self) -> Processor:
        """A new crawl: it reads what it trusts now."""
        self.hour += 1
        at = T0 + timedelta(hours=self.hour)
        return Processor(replace(self.plan, tick_started_at=at.isoformat()), self.sessions, lambda: at)

    def checks(self) -> list[str]:
        with self.sessions() as s:
            return [c.outcome for c in s.scalars(select(CheckRow).order_by(CheckRow.id))]

    def events(self) -> list[str]:
        with self.sessions() as s:
            return [f"{e.kind}: {e.summary}" for e in s.scalars(select(EventRow).order_by(EventRow.id))]

    def target(self) -> TargetRow:
        with self.sessions() as s:
            row = s.get(TargetRow, "cats")
            assert row is not None
            return row


def capture(body: bytes, confirming: bool = False, error: str | None = None) -> Capture:
    return Capture("cats", URL, URL, None if error else 200, {}, body, T0, 5, error, confirming=confirming)


def _nothing(c: Crawls) -> None:
    pass


def _changed_by_another_crawl(c: Crawls) -> None:
    c.start().handle(capture(OTHER))


def _target_edited(c: Crawls) -> None:
    with c.sessions.begin() as s:
        row = s.get(TargetRow, "cats")
        assert row is not None
        row.url, row.updated_at = URL + "?moved", T0 + timedelta(days=1)


def _target_failing(c: Crawls) -> None:
    other = c.start()
    for _ in range(3):
        other.handle(capture(b"", error="DownloadTimeoutError: timed out"))


@dataclass(frozen=True)
class Case:
    name: str
    meanwhile: Callable[[Crawls], None]
    # What the crawl under test fetches (byte-identical to the baseline unless said).
    fetched: Capture
    queued: bool
    checks: list[str]
    # Events after the baseline's.
    events: list[str]
    rebaselining: bool = False


CASES = [
    Case("nothing happened meanwhile: queued, then written as one unchanged check", _nothing, capture(BODY),
         queued=True, checks=["changed", "unchanged"], events=[]),
    Case("another crawl stored a new version meanwhile: refused at the write, read in full as a change back",
         _changed_by_another_crawl, capture(BODY), queued=True, checks=["changed", "changed", "changed"],
         events=["status: Thymosin alpha-1"]),
    Case("the target was re-pointed meanwhile: refused, read in full, stays re-baselining", _target_edited,
         capture(BODY), queued=True, checks=["changed", "unchanged"], events=[], rebaselining=True),
    Case("the target started failing meanwhile: refused, read in full, recovery announced", _target_failing,
         capture(BODY), queued=True, checks=["changed", "failed", "failed", "failed", "unchanged"],
         events=["source: Source Categories failing", "source: Source Categories recovered"]),
    Case("a confirming fetch is never queued", _nothing, capture(BODY, confirming=True), queued=False,
         checks=["changed", "unchanged"], events=[]),
    Case("a different body is never queued", _nothing, capture(OTHER), queued=False,
         checks=["changed", "changed"], events=["status: Thymosin alpha-1"]),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_unchanged_batch(db_url: str, case: Case) -> None:
    crawls = Crawls(db_url)
    assert crawls.start().handle(capture(BODY)).outcome == "changed"
    baseline_events = len(crawls.events())
    crawl = crawls.start()
    case.meanwhile(crawls)
    out = crawl.handle(case.fetched, batch=True)
    assert bool(crawl.unchanged.pending) is case.queued
    if case.queued:
        assert out.outcome == "unchanged"
    crawl.flush()
    assert not crawl.unchanged.pending
    assert crawls.checks() == case.checks
    new_events = crawls.events()[baseline_events:]
    assert len(new_events) == len(case.events), new_events
    for got, want in zip(new_events, case.events, strict=True):
        assert got.startswith(want), (got, want)
    target = crawls.target()
    assert (target.last_success_at is None) is case.rebaselining
    assert target.consecutive_failures == 0 and not target.failure_alerted
    with crawls.sessions() as s:
        doc = s.scalars(select(DocumentRow)).one()
        last = s.scalars(select(CheckRow).order_by(CheckRow.id.desc())).first()
        assert last is not None and last.snapshot_id == doc.current_snapshot_id


def test_a_failing_target_is_never_queued_and_its_recovery_is_announced(db_url: str) -> None:
    crawls = Crawls(db_url)
    crawls.start().handle(capture(BODY))
    _target_failing(crawls)
    crawl = crawls.start()
    assert crawl.handle(capture(BODY), batch=True).outcome == "unchanged"
    assert not crawl.unchanged.pending
    assert crawls.events()[-1].startswith("source: Source Categories recovered after 3 failed checks")


def test_a_full_batch_is_written_without_waiting_for_a_flush(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("monitor.unchanged.MAX_BATCH", 3)
    crawls = Crawls(db_url)
    crawls.start().handle(capture(BODY))
    crawl = crawls.start()
    for _ in range(3):
        crawl.handle(capture(BODY), batch=True)
    assert not crawl.unchanged.pending
    assert crawls.checks() == ["changed", "unchanged", "unchanged", "unchanged"]
