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
from monitor.capture import Capture
from monitor.errors import CheckFailed
from monitor.readahead import ReadAhead, auto_workers
from tests.conftest import fixture_bytes

LIMIT = 20 * 1024 * 1024
ROWS = [
    ("fda/hub-503a.html", "raw"),
    ("fda/category2-2024-11-ta1-other-risks.html", "raw"),
    ("categories/2023-09-29-ta1-cat2.txt", "pdf"),
    ("categories/2023-09-29-ta1-cat2.txt", "xlsx"),
    ("fda/bot-access-denied.html", "raw"),  # a bot wall: CheckFailed, in the worker as inline
    ("fda/site-error.html", "raw"),
]


def _capture(body: bytes, status: int | None = 200, error: str | None = None) -> Capture:
    url = "https://www.fda.gov/doc"
    return Capture("t", url, url, status, {}, body, datetime(2026, 11, 1), 5, error)


def _outcome(fn: object) -> object:
    try:
        got = fn()  # type: ignore[operator]
    except CheckFailed as exc:
        return (type(exc).__name__, str(exc))
    return got if got is None else (got.content_hash, got.raw_sha256, got.document.text, got.document.title)


@pytest.fixture(scope="module")
def ahead() -> Iterator[ReadAhead]:
    pool = ReadAhead(1, LIMIT)
    yield pool
    pool.close()


@pytest.mark.parametrize(("path", "kind"), ROWS, ids=[f"{p}-{k}" for p, k in ROWS])
def test_a_worker_reads_exactly_as_inline(ahead: ReadAhead, path: str, kind: str) -> None:
    capture = _capture(fixture_bytes(path, kind))
    future = ahead.submit(capture)
    assert future is not None
    assert _outcome(lambda: ahead.result(future, capture)) == _outcome(lambda: reading.read(capture, LIMIT))
    ahead.release(future)


def test_failed_fetches_are_never_sent_to_a_worker(ahead: ReadAhead) -> None:
    assert ahead.submit(_capture(b"", status=None, error="DownloadTimeoutError: timed out")) is None


def test_readings_in_flight_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("monitor.readahead.MAX_AHEAD", 2)
    pool = ReadAhead(1, LIMIT)
    try:
        capture = _capture(fixture_bytes("fda/hub-503a.html"))
        first, second = pool.submit(capture), pool.submit(capture)
        assert first is not None and second is not None
        assert pool.submit(capture) is None  # the processing thread will read this one itself
        pool.release(first)
        assert pool.submit(capture) is not None
    finally:
        pool.close()


def test_a_dead_worker_means_reading_inline_from_then_on() -> None:
    pool = ReadAhead(1, LIMIT)
    capture = _capture(fixture_bytes("fda/hub-503a.html"))
    inline = _outcome(lambda: reading.read(capture, LIMIT))
    try:
        warm = pool.submit(capture)
        assert warm is not None and _outcome(lambda: pool.result(warm, capture)) == inline
        assert pool.pool is not None
        for pid in list(pool.pool._processes):  # the workers, as a crash would leave them
            os.kill(pid, signal.SIGKILL)
        future = pool.submit(capture)
        assert _outcome(lambda: pool.result(future, capture)) == inline
        assert pool.pool is None and pool.submit(capture) is None
    finally:
        pool.close()


@pytest.mark.parametrize(("setting", "workers"), [(-1, 0), (3, 3), (0, max(0, min(4, (os.cpu_count() or 1) - 1)))])
def test_worker_count_from_the_setting(setting: int, workers: int) -> None:
    assert auto_workers(setting) == workers
