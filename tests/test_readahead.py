"""Reading in worker processes (monitor/readahead.py): the same reading as inline, in real processes.

One row per document: a worker's reading (or the CheckFailed it raised) must be exactly what
reading the capture inline gives. Then the pool's limits: a dead worker, the in-flight bound.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from datetime import datetime

import pytest

from monitor import reading
from monitor.capture import Capture, PlanSubstance, PlanTarget
from monitor.config import load_substances
from monitor.errors import CheckFailed
from monitor.matching import SubstanceMatcher
from monitor.readahead import ReadAhead, auto_workers
from tests.conftest import CONFIG, fixture_bytes

LIMIT = 20 * 1024 * 1024
ROWS = [
    ("fda/hub-503a.html", "raw", "fda_page"),
    ("fda/category2-2024-11-ta1-other-risks.html", "raw", "fda_category2_page"),
    ("categories/2023-09-29-ta1-cat2.txt", "pdf", "fda_categories"),
    ("categories/2023-09-29-ta1-cat2.txt", "xlsx", "fda_categories"),
    ("fda/no-main-markers.html", "raw", "fda_page"),  # the parser refuses it: raised where it is needed
    ("fda/bot-access-denied.html", "raw", "fda_page"),  # a bot wall: CheckFailed, in the worker as inline
    ("fda/site-error.html", "raw", "fda_page"),
]
SUBSTANCES = {s.id: PlanSubstance(s.id, s.name, list(s.synonyms), list(s.exclude))
              for s in load_substances(CONFIG / "substances.yaml")}


def _target(parser: str) -> PlanTarget:
    return PlanTarget("t", "https://www.fda.gov/doc", parser, {}, [], ["thymosin-alpha-1"])


def _job(capture: Capture, parser: str = "fda_page") -> tuple[Capture, PlanTarget, list[SubstanceMatcher], None]:
    target = _target(parser)
    return capture, target, reading.matchers_for(target, SUBSTANCES), None


def _capture(body: bytes, status: int | None = 200, error: str | None = None) -> Capture:
    url = "https://www.fda.gov/doc"
    return Capture("t", url, url, status, {}, body, datetime(2026, 11, 1), 5, error)


def _outcome(fn: object) -> object:
    try:
        got = fn()  # type: ignore[operator]
    except CheckFailed as exc:
        return (type(exc).__name__, str(exc))
    if isinstance(got, reading.Early):
        got = got.reading
    return got if got is None else (got.content_hash, got.raw_sha256, got.document.text, got.document.title,
                                    got.document.body, got.document.raw_text)


def _parsed(fn: object) -> object:
    try:
        return fn()  # type: ignore[operator]
    except CheckFailed as exc:
        return (type(exc).__name__, str(exc))


@pytest.fixture(scope="module")
def ahead() -> Iterator[ReadAhead]:
    pool = ReadAhead(1, LIMIT)
    yield pool
    pool.close()


@pytest.mark.parametrize(("path", "kind", "parser"), ROWS, ids=[f"{p}-{k}" for p, k, _ in ROWS])
def test_a_worker_reads_and_parses_exactly_as_inline(ahead: ReadAhead, path: str, kind: str, parser: str) -> None:
    capture = _capture(fixture_bytes(path, kind))
    job = _job(capture, parser)
    future = ahead.submit(*job)
    assert future is not None
    assert _outcome(lambda: ahead.result(future, capture)) == _outcome(lambda: reading.read(capture, LIMIT))
    try:
        early = ahead.result(future, capture)
    except CheckFailed:
        return  # not readable: nothing to parse
    assert early.reading is not None
    doc = early.reading.document
    assert _parsed(lambda: reading.parse(job[1], doc, job[2], {}, early=early)) == \
        _parsed(lambda: reading.parse(job[1], doc, job[2], {}))
    ahead.release(future)


def test_a_known_text_is_not_parsed_again(ahead: ReadAhead) -> None:
    capture = _capture(fixture_bytes("fda/hub-503a.html"))
    known = reading.read(capture, LIMIT)
    assert known is not None
    future = ahead.submit(capture, *_job(capture)[1:3], known.content_hash)
    early = ahead.result(future, capture)
    assert early.reading is not None and early.parsed is None and early.parse_error is None
    ahead.release(future)


def test_failed_fetches_are_never_sent_to_a_worker(ahead: ReadAhead) -> None:
    assert ahead.submit(*_job(_capture(b"", status=None, error="DownloadTimeoutError: timed out"))) is None


def test_readings_in_flight_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("monitor.readahead.MAX_AHEAD", 2)
    pool = ReadAhead(1, LIMIT)
    try:
        capture = _capture(fixture_bytes("fda/hub-503a.html"))
        inline = _outcome(lambda: reading.read(capture, LIMIT))
        first, second, third = pool.submit(*_job(capture)), pool.submit(*_job(capture)), pool.submit(*_job(capture))
        assert first is not None and second is not None and third is not None
        assert _outcome(lambda: pool.result(first, capture)) == inline
        assert not third.running() and not third.done()  # waits until an earlier one is released
        pool.release(first)
        assert _outcome(lambda: pool.result(third, capture)) == inline
        skipped = pool.submit(*_job(capture))  # waiting, then not needed after all: never read
        assert skipped is not None
        pool.release(skipped)
        assert skipped.cancelled() and not pool.waiting
    finally:
        pool.close()


def test_a_dead_worker_means_reading_inline_from_then_on() -> None:
    pool = ReadAhead(1, LIMIT)
    capture = _capture(fixture_bytes("fda/hub-503a.html"))
    inline = _outcome(lambda: reading.read(capture, LIMIT))
    try:
        warm = pool.submit(*_job(capture))
        assert warm is not None and _outcome(lambda: pool.result(warm, capture)) == inline
        assert pool.pool is not None
        for pid in list(pool.pool._processes):  # the workers, as a crash would leave them
            os.kill(pid, signal.SIGKILL)
        future = pool.submit(*_job(capture))
        assert _outcome(lambda: pool.result(future, capture)) == inline
        assert pool.pool is None and pool.submit(*_job(capture)) is None
    finally:
        pool.close()


@pytest.mark.parametrize(("setting", "targets", "workers"), [
    (0, 1000, 0), (3, 5, 3), (-1, 1000, max(0, min(4, (os.cpu_count() or 1) - 1))),
    (-1, 63, 0),  # auto: a small crawl reads inline, a worker's start would delay its alerts
])
def test_worker_count_from_the_setting(setting: int, targets: int, workers: int) -> None:
    assert auto_workers(setting, targets) == workers
