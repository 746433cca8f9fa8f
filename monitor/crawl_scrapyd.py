"""The Scrapyd crawl backend: a tick's targets as batches spread over Scrapyd nodes.

Each batch becomes one job of the `watch` spider on the least-loaded node that accepts it
(running + pending jobs, from ``daemonstatus.json``), with the batch's plan passed inline
as the spider argument `plan` and the plan's Scrapy settings as ``setting=NAME=value``.
The tick then follows the jobs through ``listjobs.json`` until they finish. The spiders'
pipeline on each node writes to the shared database exactly as the local crawl child does,
so the tick closes its books the same way afterwards.

Failures: a node that is down or refuses a job is skipped for the rest of the tick; a node
that stops answering while it has jobs is given up, and the targets of its jobs that got no
check go back to the queue; a job unfinished at the deadline is cancelled (TERM, then KILL)
and its unchecked targets go back to the queue too. Nothing is re-sent within the tick, so
no target is checked twice in one tick.
"""

from __future__ import annotations

import json
import logging
import math
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from monitor.capture import CrawlPlan
from monitor.crawl import SPIDER_NAME, BatchResult, crawl_settings
from monitor.errors import CrawlError

log = logging.getLogger("regwatch.scrapyd")

PROJECT = "regwatch"
# One spider argument is one command-line argument of the node's crawl process, and Linux
# caps a single argument at 128 KiB (MAX_ARG_STRLEN): batches are split to stay below.
MAX_PLAN_CHARS = 100_000
# A node is given up once it has missed this many polls in a row and stayed silent for this many
# poll intervals (a busy node answering late is not lost: its crawls may still be writing).
MISSED_POLLS = 3
SILENT_POLLS = 10


class ScrapydNode:
    """A client of one Scrapyd node's JSON API; every failure is a CrawlError naming the node."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _call(self, endpoint: str, params: Sequence[tuple[str, str]] = (), post: bool = False) -> dict[str, Any]:
        query = urllib.parse.urlencode(list(params))
        url = f"{self.url}/{endpoint}"
        if post:
            request = urllib.request.Request(url, data=query.encode(), method="POST")
        else:
            request = urllib.request.Request(f"{url}?{query}" if query else url)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                data = json.loads(response.read())
        except (OSError, ValueError) as exc:  # URLError, HTTPError, timeouts, bad JSON
            raise CrawlError(f"Scrapyd node {self.url}: {endpoint} failed: {exc}") from None
        if not isinstance(data, dict) or data.get("status") != "ok":
            message = data.get("message", data) if isinstance(data, dict) else data
            raise CrawlError(f"Scrapyd node {self.url}: {endpoint} refused: {message}")
        return data

    def load(self) -> int:
        """Jobs running or waiting on the node (all projects)."""
        data = self._call("daemonstatus.json")
        return int(data.get("running", 0)) + int(data.get("pending", 0))

    def schedule(self, spider: str, args: dict[str, str], settings: dict[str, Any]) -> str:
        """Queue one job; returns its id."""
        params = [("project", PROJECT), ("spider", spider), *args.items(),
                  *(("setting", f"{k}={v}") for k, v in settings.items())]
        return str(self._call("schedule.json", params, post=True)["jobid"])

    def listjobs(self) -> dict[str, Any]:
        """listjobs.json for this project: pending, running and finished jobs with their times."""
        return self._call("listjobs.json", [("project", PROJECT)])

    def jobs(self) -> dict[str, str]:
        """Job id → pending | running | finished, for this project."""
        data = self.listjobs()
        return {str(job["id"]): state for state in ("pending", "running", "finished") for job in data.get(state, [])}

    def cancel(self, job: str, signal: str = "TERM") -> None:
        """Take a pending job off the queue, or signal a running one."""
        self._call("cancel.json", [("project", PROJECT), ("job", job), ("signal", signal)], post=True)

    def add_version(self, version: str, egg: bytes) -> None:
        """Deploy an egg of the project (what `scrapyd-deploy` does)."""
        boundary = "regwatch-egg-boundary"
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
                 for name, value in (("project", PROJECT), ("version", version))]
        body = b"".join([*parts, f'--{boundary}\r\nContent-Disposition: form-data; name="egg"; filename="project.egg"\r\n'
                         f"Content-Type: application/octet-stream\r\n\r\n".encode(), egg, f"\r\n--{boundary}--\r\n".encode()])
        request = urllib.request.Request(f"{self.url}/addversion.json", data=body, method="POST",
                                         headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        try:
            with urllib.request.urlopen(request, timeout=max(self.timeout, 60)) as response:
                data = json.loads(response.read())
        except (OSError, ValueError) as exc:
            raise CrawlError(f"Scrapyd node {self.url}: addversion.json failed: {exc}") from None
        if data.get("status") != "ok":
            raise CrawlError(f"Scrapyd node {self.url}: addversion.json refused: {data.get('message', data)}")


def split(plan: CrawlPlan, nodes: int, batch_size: int) -> list[CrawlPlan]:
    """The plan cut into batches: at least one per node, at most `batch_size` targets each,
    each small enough to pass as one argument; target order is kept."""
    targets = list(plan.targets)
    if not targets:
        return []
    count = min(len(targets), max(nodes, math.ceil(len(targets) / batch_size)))
    size = math.ceil(len(targets) / count)
    pending = [targets[i:i + size] for i in range(0, len(targets), size)]
    batches: list[CrawlPlan] = []
    while pending:
        chunk = pending.pop(0)
        batch = replace(plan, targets=chunk)
        if len(chunk) > 1 and len(batch.dumps()) > MAX_PLAN_CHARS:
            half = len(chunk) // 2
            pending[:0] = [chunk[:half], chunk[half:]]
            continue
        batches.append(batch)
    return batches


@dataclass
class _Job:
    node: ScrapydNode
    job: str
    batch: CrawlPlan

    @property
    def target_ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.batch.targets)


def _schedule(batches: list[CrawlPlan], nodes: list[ScrapydNode]) -> tuple[list[_Job], list[BatchResult]]:
    """Send each batch to the least-loaded live node; a node that fails once is skipped after."""
    live = list(nodes)
    jobs: list[_Job] = []
    unsent: list[BatchResult] = []
    sent: dict[str, int] = {n.url: 0 for n in nodes}
    for batch in batches:
        ids = tuple(t.id for t in batch.targets)
        errors: list[str] = []
        while live:
            loads: list[tuple[int, int, int, ScrapydNode]] = []
            for i, node in enumerate(list(live)):
                try:
                    loads.append((node.load(), sent[node.url], i, node))
                except CrawlError as exc:
                    log.warning("skipping %s", exc)
                    errors.append(str(exc))
                    live.remove(node)
            if not loads:
                break
            node = min(loads, key=lambda x: x[:3])[3]
            try:
                job = node.schedule(SPIDER_NAME, {"plan": batch.dumps()}, crawl_settings(batch))
            except CrawlError as exc:
                log.warning("skipping %s", exc)
                errors.append(str(exc))
                live.remove(node)
                continue
            log.info("scheduled %d target(s) on %s as job %s", len(ids), node.url, job)
            jobs.append(_Job(node, job, batch))
            sent[node.url] += 1
            break
        else:
            why = "no Scrapyd node accepted the job" + (f" ({'; '.join(errors[-2:])})" if errors else "")
            unsent.append(BatchResult(ids, "", why, requeue=True))
    return jobs, unsent


def _stop(jobs: list[_Job], poll: float, sleep: Callable[[float], None]) -> None:
    """Cancel unfinished jobs and wait until they are gone: TERM first (Scrapy shuts down
    cleanly), then KILL, so no write of theirs lands after the tick closes its books."""
    grace = max(5.0, 3 * poll)
    for signal in ("TERM", "KILL"):
        waiting = []
        for job in jobs:
            try:
                job.node.cancel(job.job, signal)
                waiting.append(job)
            except CrawlError as exc:
                log.warning("cannot cancel job %s: %s", job.job, exc)
        end = time.monotonic() + grace
        while waiting and time.monotonic() < end:
            sleep(poll)
            still = []
            for job in waiting:
                try:
                    if job.node.jobs().get(job.job, "finished") != "finished":
                        still.append(job)
                except CrawlError:
                    pass  # the node is gone, and its processes with it
            waiting = still
        jobs = waiting
        if not jobs:
            return


def run_scrapyd(plan: CrawlPlan, urls: Sequence[str], batch_size: int, poll: float, timeout: float,
                sleep: Callable[[float], None] = time.sleep) -> list[BatchResult]:
    """Crawl `plan` on the Scrapyd nodes at `urls`; one BatchResult per batch, for the books."""
    nodes = [ScrapydNode(u) for u in urls]
    deadline = time.monotonic() + timeout
    jobs, results = _schedule(split(plan, len(nodes), batch_size), nodes)
    missed: dict[str, int] = {}
    answered = {n.url: time.monotonic() for n in nodes}
    while jobs and time.monotonic() < deadline:
        sleep(poll)
        for url in {j.node.url for j in jobs}:
            mine = [j for j in jobs if j.node.url == url]
            try:
                states = mine[0].node.jobs()
                missed[url], answered[url] = 0, time.monotonic()
            except CrawlError as exc:
                missed[url] = missed.get(url, 0) + 1
                if missed[url] < MISSED_POLLS or time.monotonic() - answered[url] < SILENT_POLLS * poll:
                    continue
                log.error("giving up %d job(s): %s", len(mine), exc)
                results += [BatchResult(j.target_ids, url, f"Scrapyd node {url} stopped answering during job {j.job}",
                                        requeue=True) for j in mine]
                jobs = [j for j in jobs if j.node.url != url]
                continue
            for job in mine:
                # A finished job may already have left the node's (bounded) list of finished jobs.
                if states.get(job.job, "finished") == "finished":
                    results.append(BatchResult(job.target_ids, url))
                    jobs.remove(job)
    if jobs:
        log.error("cancelling %d Scrapyd job(s) unfinished after %ss", len(jobs), timeout)
        _stop(jobs, poll, sleep)
        results += [BatchResult(j.target_ids, j.node.url,
                                f"Scrapyd job {j.job} on {j.node.url} did not finish within {timeout:g}s and was cancelled",
                                requeue=True) for j in jobs]
    return results
