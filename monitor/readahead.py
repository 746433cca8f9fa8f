"""Reading captures ahead of processing, in worker processes.

Extraction, normalization and the target's parser (lxml, pypdf, openpyxl, matching) are pure
CPU work on one capture. Done in the crawl child's processing thread, they shared one core (the
GIL) with Scrapy's reactor and the database writes: 1,000 changed pages spent ~60 % of their
processing time there. The pipeline now hands each capture that is not byte-identical to its
last version to a small process pool as it arrives; the processing thread takes the result
when the capture's turn comes, in order, so database writes stay in one thread and in crawl
order. The parse is only used if the processing thread finds it needs one (reading.parse).

A worker that dies (a parser crashing the interpreter on a hostile document) breaks the pool:
from then on, and for the captures it held, reading happens inline as before.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace

from monitor import reading
from monitor.capture import Capture, PlanTarget
from monitor.matching import SubstanceMatcher

log = logging.getLogger("regwatch.readahead")

# Workers when REGWATCH_READ_WORKERS is auto (-1): one core is left to the reactor and the
# database thread; a 1-core machine reads inline.
MAX_AUTO_WORKERS = 4
# ...and only for crawls this large: starting a worker costs ~0.7 s of CPU (a fresh interpreter
# importing lxml, pypdf, openpyxl) and delays a small crawl's first readings, hence its alerts.
MIN_AUTO_TARGETS = 64
# Readings started and not yet released: each holds a body and its text, so memory stays
# bounded when storing lags (later captures wait their turn to be read).
MAX_AHEAD = 32


def auto_workers(setting: int, targets: int) -> int:
    """The pool size for a REGWATCH_READ_WORKERS value and a crawl of `targets` targets
    (a number: that many, 0 reading inline; -1, auto: per the cores, for crawls of
    MIN_AUTO_TARGETS or more)."""
    if setting >= 0:
        return setting
    if targets < MIN_AUTO_TARGETS:
        return 0
    return max(0, min(MAX_AUTO_WORKERS, (os.cpu_count() or 1) - 1))


def _ready() -> None:
    """Nothing: by the time it runs, a worker has imported the readers (this module's imports)."""


def _read_in_worker(capture: Capture, max_body_bytes: int, target: PlanTarget,
                    matchers: Sequence[SubstanceMatcher], known_hash: str | None) -> reading.Early:
    """reading.read_early, less the body on the way back (the crawl child has it; `result` puts it back)."""
    early = reading.read_early(capture, max_body_bytes, target, matchers, known_hash)
    if early.reading is None:
        return early
    return replace(early, reading=replace(early.reading, document=replace(early.reading.document, body=b"")))


# What a worker needs besides the size limit: the capture, its target, matchers, known text hash.
Job = tuple[Capture, PlanTarget, Sequence[SubstanceMatcher], str | None]


class ReadAhead:
    """A process pool reading captures (reading.read_early), or nothing at all when `workers` is 0.

    Readings are started in crawl order while fewer than MAX_AHEAD are outstanding; the others
    wait in a queue and start as the processing thread releases earlier ones, so the workers
    stay busy on exactly the captures the processing thread needs next.
    """

    def __init__(self, workers: int, max_body_bytes: int):
        self.max_body_bytes = max_body_bytes
        # spawn, not fork: the crawl child has threads (reactor, processing) whose locks a fork copies.
        self.pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) \
            if workers > 0 else None
        if self.pool is not None:
            # Start the workers now, while the crawl reads robots.txt and fetches its first pages.
            self.pool.submit(_ready)
        self.lock = threading.Lock()  # submit runs in the crawl's thread, release in the processing thread
        self.outstanding = 0
        self.waiting: deque[tuple[Job, Future[reading.Early]]] = deque()

    def submit(self, capture: Capture, target: PlanTarget, matchers: Sequence[SubstanceMatcher],
               known_hash: str | None) -> Future[reading.Early] | None:
        """A future of `capture`'s reading (reading.read_early); None when there is no pool (it is
        read inline later)."""
        if self.pool is None or capture.error or capture.status is None:
            return None
        future: Future[reading.Early] = Future()
        with self.lock:
            self.outstanding += 1
            if self.waiting or self.outstanding - len(self.waiting) > MAX_AHEAD:
                self.waiting.append(((capture, target, matchers, known_hash), future))
                return future
        self._start((capture, target, matchers, known_hash), future)
        return future

    def _start(self, job: Job, future: Future[reading.Early]) -> None:
        pool = self.pool
        if pool is None or not future.set_running_or_notify_cancel():
            if pool is None and not future.done():
                future.set_exception(BrokenProcessPool("no reading workers"))
            return
        try:
            work = pool.submit(_read_in_worker, job[0], self.max_body_bytes, *job[1:])
        except (BrokenProcessPool, RuntimeError) as exc:
            future.set_exception(BrokenProcessPool(str(exc)))
            return

        def done(w: Future[reading.Early]) -> None:
            exc = w.exception()
            if exc is not None:
                future.set_exception(exc)
            else:
                future.set_result(w.result())

        work.add_done_callback(done)

    def result(self, future: Future[reading.Early] | None, capture: Capture) -> reading.Early:
        """The reading of `capture`: the worker's, or read here when there was none or the pool broke.
        A CheckFailed raised in the worker is raised here, as an inline read would."""
        if future is not None:
            try:
                early = future.result()
            except BrokenProcessPool:
                self._broken()
            else:
                if early.reading is None:
                    return early
                doc = replace(early.reading.document, body=capture.body)
                return replace(early, reading=replace(early.reading, document=doc))
        return reading.Early(reading.read(capture, self.max_body_bytes))

    def release(self, future: Future[reading.Early] | None) -> None:
        """The processing thread is done with a capture (whether it needed the reading or not):
        a reading nobody will take is cancelled, and the next waiting one starts."""
        if future is None:
            return
        cancelled = future.cancel()  # a reading nobody will take (a no-op once started)
        with self.lock:
            self.outstanding -= 1
            if cancelled and any(f is future for _, f in self.waiting):
                self.waiting = deque((c, f) for c, f in self.waiting if f is not future)
            nxt = self.waiting.popleft() if self.waiting and self.outstanding - len(self.waiting) < MAX_AHEAD \
                else None
        if nxt is not None:
            self._start(*nxt)

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
