"""The replay of thymosin alpha-1's real history through the real crawl (what `regwatch demo` runs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.demo import run_demo
from monitor.demo.history import STEPS


@pytest.mark.slow
def test_history_replay_reports_every_transition_and_nothing_else(tmp_path: Path) -> None:
    printed: list[str] = []
    results = run_demo(tmp_path, printed.append, env={})
    assert [r.step.date for r in results] == [s.date for s in STEPS]
    for r in results:
        status = [(e["track"], e["from"], e["to"]) for e in r.events if e["kind"] == "status"]
        baselines = [(e["track"], e["from"], e["to"]) for e in r.events if e["kind"] == "baseline"]
        assert status == [(x.track, x.old, x.new) for x in r.step.expect], r.step.title
        assert sorted(baselines) == sorted((x.track, x.old, x.new) for x in r.step.expect_baselines), r.step.title
        assert not [e for e in r.events if e["kind"] == "source"], r.step.title

    by_date = {r.step.date: r for r in results}
    # The facts of DOMAIN.md §1, step by step.
    assert [e["to"] for e in by_date["2024-09-27"].events if e["kind"] == "status"] == ["NONE"]
    assert [e["to"] for e in by_date["2024-10-25"].events if e["kind"] == "status"] == ["SCHEDULED"]
    vote = [e for e in by_date["2025-01-21"].events if e["kind"] == "status"]
    assert [e["to"] for e in vote] == ["VOTED_AGAINST"]
    # Noise-only and failure-only steps: no status or document event at all.
    for date in ("2025-05-14", "2025-07-01", "2026-04-16"):
        assert [e for e in by_date[date].events if e["kind"] in ("status", "document")] == [], date
    assert by_date["2025-07-01"].outcomes["fda-503a-categories"] == "failed"
    assert by_date["2025-07-01"].outcomes["fda-category2-page"] == "failed"
    # Every alert was printed as it was delivered.
    assert any("ALERT Thymosin alpha-1: PCAC voted against inclusion" in line for line in printed)
    assert any("Yes = 4, No = 17" in line for line in printed)
