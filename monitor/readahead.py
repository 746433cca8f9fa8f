"""Reading captures ahead of processing, in worker processes.

Extraction and normalization (lxml, pypdf, openpyxl) are pure CPU work on one capture. Done in
the crawl child's processing thread, they shared one core (the GIL) with Scrapy's reactor and
the database writes: 1,000 changed pages spent ~60 % of their processing time there. The
pipeline now hands each capture that is not byte-identical to its last version to a small
process pool as it arrives; the processing thread takes the reading when its turn comes, in
order, so database writes stay in one thread and in crawl order.

A worker that dies (a parser crashing the interpreter on a hostile document) breaks the pool:
from then on, and for the captures it held, reading happens inline as before.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from monitor import reading
from monitor.capture import Capture

log = logging.getLogger("regwatch.readahead")

# Workers when REGWATCH_READ_WORKERS is 0 ("auto"): one core is left to the reactor and the
# database thread; a 1-core machine reads inline.
MAX_AUTO_WORKERS = 4
# Readings started and not yet taken: each holds a body and its text, so memory stays bounded
# when storing lags (beyond this, the processing thread reads the capture itself).
MAX_AHEAD = 64


def auto_workers(setting: int) -> int:
    """The pool size for a REGWATCH_READ_WORKERS value (negative: read inline; 0: per the cores)."""
    if setting < 0:
        return 0
    if setting > 0:
        return setting
    return max(0, min(MAX_AUTO_WORKERS, (os.cpu_count() or 1) - 1))


class ReadAhead:
    """A process pool reading captures (reading.read), or nothing at all when `workers` is 0."""

    def __init__(self, workers: int, max_body_bytes: int):
        self.max_body_bytes = max_body_bytes
        # spawn, not fork: the crawl child has threads (reactor, processing) whose locks a fork copies.
        self.pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) \
            if workers > 0 else None
        # Each counted by one thread only (the crawl's, the processing thread's): no lock needed.
        self.started = 0
        self.taken = 0

    def submit(self, capture: Capture) -> Future[reading.Reading | None] | None:
        """Start reading `capture` in a worker; None when there is no pool (read inline later)."""
        if self.pool is None or capture.error or capture.status is None or self.started - self.taken >= MAX_AHEAD:
            return None
        try:
            future = self.pool.submit(reading.read, capture, self.max_body_bytes)
            self.started += 1
            return future
        except (BrokenProcessPool, RuntimeError):
            self._broken()
            return None

    def result(self, future: Future[reading.Reading | None] | None, capture: Capture) -> reading.Reading | None:
        """The reading of `capture`: the worker's, or read here when there was none or the pool broke.
        A CheckFailed raised in the worker is raised here, as an inline read would."""
        if future is not None:
            try:
                return future.result()
            except BrokenProcessPool:
                self._broken()
        return reading.read(capture, self.max_body_bytes)

    def release(self, future: Future[reading.Reading | None] | None) -> None:
        """The processing thread is done with a capture (whether it needed the reading or not)."""
        if future is not None:
            future.cancel()  # a reading nobody will take: spare the worker (no-op once started)
            self.taken += 1

    def _broken(self) -> None:
        if self.pool is not None:
            log.error("a reading worker process died; reading the rest of this crawl inline")
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None

    def close(self) -> None:
        """Stop the workers (end of the crawl)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
