"""Re-baselining on a real store with the real Processor (no crawl): which edits re-baseline, and an
edit made while a crawl of the old URL is running still re-baselines the next crawl."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from monitor.capture import Capture, CrawlPlan, PlanSubstance, PlanTarget
from monitor.config import Substance, load_substances
from monitor.db import open_store
from monitor.models import TargetRow
from monitor.process import Processor
from monitor.target_ops import add_target, edit_target, set_enabled
from monitor.targets import sync_substances
from tests.conftest import CONFIG, fixture_bytes

NOW = datetime(2026, 11, 1, 12, 0)
TA1 = "thymosin-alpha-1"
OLD, NEW = "http://127.0.0.1:9/old.pdf", "http://127.0.0.1:9/new.pdf"


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    store = open_store(f"sqlite:///{tmp_path / 'regwatch.db'}")
    with store.begin() as s:
        sync_substances(s, [*load_substances(CONFIG / "substances.yaml"), Substance(id="bpc-157", name="BPC-157")], NOW)
        add_target(s, {"id": "cats", "name": "Cats", "url": OLD, "parser": "fda_categories", "substances": [TA1],
                       "options": {"min_entries": 10}}, "test", NOW, (), True)
        s.get(TargetRow, "cats").last_success_at = NOW  # type: ignore[union-attr]
    return store


def _last_success(sessions: sessionmaker[Session]) -> datetime | None:
    with sessions() as s:
        row = s.get(TargetRow, "cats")
        assert row is not None
        return row.last_success_at


@pytest.mark.parametrize(("change", "rebaselines"), [
    ({"url": NEW}, True),
    ({"parser": "fda_page", "options": {}}, True),
    ({"options": {"min_entries": 20}}, True),
    ({"substances": [TA1, "bpc-157"]}, True),  # a newly watched substance's first reading is history
    ({"substances": []}, False),
    ({"name": "Renamed"}, False),
    ({"every": "12h"}, False),
    ({"follow": [r"\.pdf$"]}, False),
])
def test_edits_that_change_what_a_target_reads_re_baseline_it(sessions: sessionmaker[Session], change: dict[str, Any],
                                                               rebaselines: bool) -> None:
    with sessions.begin() as s:
        edit_target(s, "cats", change, "test", NOW + timedelta(hours=1), (), True)
    assert (_last_success(sessions) is None) is rebaselines


def test_enabling_or_disabling_does_not_re_baseline(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        set_enabled(s, "cats", False, "test", NOW)
        set_enabled(s, "cats", True, "test", NOW)
    assert _last_success(sessions) == NOW


def test_an_edit_during_a_crawl_of_the_old_url_still_re_baselines(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'regwatch.db'}"
    planned = PlanTarget(id="cats", url=OLD, parser="fda_categories", options={"min_entries": 10}, follow=[],
                         substances=[TA1])
    subs = [PlanSubstance(s.id, s.name, list(s.synonyms), list(s.exclude))
            for s in load_substances(CONFIG / "substances.yaml")]
    plan = CrawlPlan(database_url=url, tick_started_at=NOW.isoformat(), targets=[planned], substances=subs, channels=[])
    processor = Processor(plan, sessions, lambda: NOW + timedelta(minutes=5))  # the crawl has started
    with sessions.begin() as s:  # an operator re-points the target meanwhile
        edit_target(s, "cats", {"url": NEW}, "test", NOW + timedelta(minutes=1), (), True)
    body = fixture_bytes("categories/2023-09-29-ta1-cat2.txt", "pdf")
    outcome = processor.handle(Capture("cats", OLD, OLD, 200, {"content-type": "application/pdf"}, body,
                                       NOW + timedelta(minutes=2), 10))
    assert outcome.outcome == "changed"
    assert _last_success(sessions) is None  # the next crawl, of NEW, is read as the target's first
