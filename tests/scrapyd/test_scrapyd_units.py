"""The Scrapyd backend's settings and batching, without nodes."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.capture import CrawlPlan, PlanTarget
from monitor.crawl import load_plan
from monitor.crawl_scrapyd import MAX_PLAN_CHARS, split
from monitor.errors import SettingError
from monitor.settings import load_settings


@pytest.mark.parametrize(("env", "message"), [
    ({"REGWATCH_CRAWL_BACKEND": "celery"}, "REGWATCH_CRAWL_BACKEND='celery' is not one of local, scrapyd"),
    ({"REGWATCH_CRAWL_BACKEND": "scrapyd"}, "REGWATCH_CRAWL_BACKEND=scrapyd needs REGWATCH_SCRAPYD_URLS"),
    ({"REGWATCH_CRAWL_BACKEND": "scrapyd", "REGWATCH_SCRAPYD_URLS": "node1:6800"}, "'node1:6800' is not an http(s) URL"),
    ({"REGWATCH_SCRAPYD_BATCH_SIZE": "many"}, "REGWATCH_SCRAPYD_BATCH_SIZE='many' is not a whole number"),
])
def test_bad_backend_settings_are_refused_by_name(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings(env)


def test_backend_settings_are_read() -> None:
    st = load_settings({"REGWATCH_CRAWL_BACKEND": "Scrapyd", "REGWATCH_SCRAPYD_URLS": "http://a:6800/, http://b:6800",
                        "REGWATCH_SCRAPYD_POLL_SECONDS": "0.5"})
    assert (st.crawl_backend, st.scrapyd_urls, st.scrapyd_poll_seconds) == ("scrapyd", ("http://a:6800", "http://b:6800"), 0.5)
    assert load_settings({}).crawl_backend == "local"


def _plan(count: int, padding: int = 0) -> CrawlPlan:
    targets = [PlanTarget(id=f"t{i}", url=f"http://127.0.0.1/{i}", parser="fda_page", options={"pad": "x" * padding},
                          follow=[], substances=[]) for i in range(count)]
    return CrawlPlan(database_url="sqlite://", tick_started_at="2026-01-01T00:00:00", targets=targets, substances=[],
                     channels=[])


@pytest.mark.parametrize(("count", "nodes", "batch_size", "padding", "sizes"), [
    (0, 2, 100, 0, []),
    (1, 2, 100, 0, [1]),                    # fewer targets than nodes: one batch per target
    (10, 2, 100, 0, [5, 5]),                # at least one batch per node
    (10, 3, 100, 0, [4, 4, 2]),
    (250, 2, 100, 0, [84, 84, 82]),         # at most batch_size per batch, evenly cut
    (8, 1, 100, 30_000, [2, 2, 2, 2]),      # each batch's JSON stays under one argument's limit
])
def test_split_keeps_every_target_once_in_order(count: int, nodes: int, batch_size: int, padding: int,
                                                sizes: list[int]) -> None:
    plan = _plan(count, padding)
    batches = split(plan, nodes, batch_size)
    assert [len(b.targets) for b in batches] == sizes
    assert [t.id for b in batches for t in b.targets] == [t.id for t in plan.targets]
    assert all(len(b.dumps()) <= MAX_PLAN_CHARS for b in batches)


def test_a_plan_reads_the_same_inline_as_json_text_and_from_a_file(tmp_path: Path) -> None:
    plan = _plan(3)
    plan.dump(tmp_path / "plan.json")
    inline, from_file = load_plan(plan.dumps()), load_plan(str(tmp_path / "plan.json"))
    assert inline == from_file and inline.dumps() == plan.dumps() and [t.id for t in inline.targets] == ["t0", "t1", "t2"]
