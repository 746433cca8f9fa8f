"""Scale-out benchmark: one tick over N loopback targets on one Scrapyd node, then on two.

    source scripts/ci/postgres.sh          # or pass --postgres URL (an admin URL: a database is created per run)
    .venv/bin/python -m bench.scaleout --targets 5000

Both nodes run on this machine (real `scrapyd` processes, the egg built by scrapyd-deploy), all
targets on one loopback fixture server (tests/support/target_farm.py), one shared PostgreSQL.
It prints, per node count, the tick's wall time and throughput, the ratio between them, and
where the time went: claiming and planning, scheduling, the crawl (job start-up, fetching,
processing and storing), closing the books, and how busy the machine's CPUs were.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from monitor.crawl_scrapyd import ScrapydNode, run_scrapyd
from monitor.models import CheckRow
from monitor.runtime import bootstrap, utcnow
from monitor.tick import _close_books, claim
from tests.support.databases import POSTGRES_ENV, fresh_postgres_database
from tests.support.scrapyd import build_egg, start_nodes
from tests.support.server import FixtureServer
from tests.support.target_farm import farm_env, farm_targets, write_config


def _cpu() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs, from /proc/stat."""
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


@dataclass
class Run:
    """One tick's measurements."""

    nodes: int
    targets: int
    claim_s: float
    crawl_s: float
    books_s: float
    jobs: int
    job_busy_s: float
    startup_s: float
    fetch_s: float
    cpu_busy: float

    @property
    def wall_s(self) -> float:
        return self.claim_s + self.crawl_s + self.books_s

    @property
    def per_second(self) -> float:
        return self.targets / self.wall_s


def _when(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def run_once(root: Path, admin_url: str, server: FixtureServer, egg: bytes, targets: list[dict[str, object]],
             node_count: int, batch_size: int, max_proc: int) -> Run:
    """Start `node_count` nodes, claim every target into one plan, crawl it, close the books."""
    nodes = start_nodes(root / f"nodes-{node_count}", node_count, egg, max_proc=max_proc)
    try:
        with fresh_postgres_database(admin_url) as url:
            write_config(root / f"config-{node_count}", targets)
            rt = bootstrap(farm_env(root / f"config-{node_count}", url, REGWATCH_LOG_LEVEL="WARNING"))
            busy0, total0 = _cpu()
            t0 = time.monotonic()
            started = utcnow()
            plan = claim(rt, started, None)
            assert plan is not None
            t1 = time.monotonic()
            batches = run_scrapyd(plan, [n.url for n in nodes], batch_size, 0.2, 3600)
            t2 = time.monotonic()
            results = _close_books(rt, plan, started, batches)
            t3 = time.monotonic()
            busy1, total1 = _cpu()
            failed = [b for b in batches if b.requeue]
            assert not failed, failed
            assert len(results) == len(targets)
            with rt.sessions() as s:
                fetch_ms = s.scalar(select(func.sum(CheckRow.duration_ms))) or 0
            finished = [j for node in nodes for j in ScrapydNode(node.url).listjobs()["finished"]]
            busy = sum(_when(j["end_time"]) - _when(j["start_time"]) for j in finished)
            # The fixed cost of one job (process start, imports, Scrapy start and stop): a job of one target.
            run_scrapyd(replace(plan, targets=list(plan.targets)[:1]), [nodes[0].url], 1, 0.2, 600)
            probe = max(ScrapydNode(nodes[0].url).listjobs()["finished"], key=lambda j: _when(j["end_time"]))
            startup = _when(probe["end_time"]) - _when(probe["start_time"])
            return Run(node_count, len(targets), t1 - t0, t2 - t1, t3 - t2, len(finished), busy, startup,
                       fetch_ms / 1000, (busy1 - busy0) / max(1.0, total1 - total0))
    finally:
        for node in nodes:
            node.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--max-proc", type=int, default=1, help="crawl processes per node")
    parser.add_argument("--postgres", default=os.environ.get(POSTGRES_ENV, ""), help=f"admin URL (default ${POSTGRES_ENV})")
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON")
    args = parser.parse_args(argv)
    if not args.postgres:
        parser.error(f"no PostgreSQL: `source scripts/ci/postgres.sh` (sets {POSTGRES_ENV}) or pass --postgres")
    with tempfile.TemporaryDirectory(prefix="regwatch-scaleout-") as tmp:
        root = Path(tmp)
        egg = build_egg(root / "egg")
        server = FixtureServer().start()
        try:
            targets = farm_targets(server, args.targets)
            runs = [run_once(root, args.postgres, server, egg, targets, n, args.batch_size, args.max_proc) for n in (1, 2)]
        finally:
            server.stop()
    if args.json:
        print(json.dumps([{**vars(r), "wall_s": r.wall_s, "per_second": r.per_second} for r in runs], indent=2))
        return 0
    for r in runs:
        print(f"{r.nodes} node(s): {r.targets} targets in {r.wall_s:.1f} s = {r.per_second:.1f} targets/s; "
              f"claim+plan {r.claim_s:.1f} s, crawl {r.crawl_s:.1f} s ({r.jobs} jobs, {r.job_busy_s:.1f} s job time, "
              f"{r.startup_s:.1f} s fixed cost per job, {r.fetch_s:.0f} s summed request latency, overlapping), "
              f"close books {r.books_s:.1f} s; CPU {r.cpu_busy:.0%} busy")
    print(f"throughput ratio 2 nodes / 1 node: {runs[1].per_second / runs[0].per_second:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
