"""Driving regwatch through its real CLI: workspace, `targets import`, `check`, and its database.

The benchmark raises the per-domain concurrency to the peers' level (both run 10 workers) with
the documented settings REGWATCH_CONCURRENCY_PER_DOMAIN=10 and REGWATCH_DOWNLOAD_DELAY=0: the
farm is one loopback host, whereas real targets spread over many domains. The shipped defaults
(2 per domain, 1 s delay) stay polite.
"""

from __future__ import annotations

import os
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from bench import farm, measure
from bench.server import ROOT, FarmProcess

TA1 = "thymosin-alpha-1"
BENCH_SETTINGS = {
    "REGWATCH_CONCURRENCY_PER_DOMAIN": "10",
    "REGWATCH_DOWNLOAD_DELAY": "0",
    "REGWATCH_ALLOW_PRIVATE_HOSTS": "true",
}
_SUMMARY = re.compile(r"^(\d+) target\(s\): (.*?); (\d+) event\(s\); (\d+) alert\(s\) sent, (\d+) failed$", re.M)


def target_id(index: int) -> str:
    """The target id of farm target `index`."""
    return f"notice-{index:04d}"


@dataclass
class CheckResult:
    """One `regwatch check` run: its cost and what it said."""

    m: measure.Measurement
    outcomes: dict[str, int]
    events: int
    sent: int
    failed: int


class Regwatch:
    """A regwatch workspace (config folder + SQLite file) over the farm."""

    def __init__(self, root: Path, farm_proc: FarmProcess, webhook_url: str, python: Path, count: int) -> None:
        self.root = root
        self.python = python
        self.count = count
        self.farm = farm_proc
        config = root / "config"
        config.mkdir(parents=True, exist_ok=True)
        (config / "substances.yaml").write_text((ROOT / "config" / "substances.yaml").read_text(encoding="utf-8"),
                                                encoding="utf-8")
        (config / "targets.yaml").write_text("targets: []\n", encoding="utf-8")
        # fda_page mentions are `document` events; the default routing (status, source) would drop them.
        (config / "notifications.yaml").write_text(yaml.safe_dump({"channels": [{
            "name": "bench-webhook", "url_env": "REGWATCH_NOTIFY_URLS", "events": ["status", "document", "source"],
        }]}), encoding="utf-8")
        self.db = root / "regwatch.db"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("REGWATCH_")}
        self.env.update(BENCH_SETTINGS)
        self.env.update({
            "REGWATCH_DATABASE_URL": f"sqlite:///{self.db}",
            "REGWATCH_CONFIG_DIR": str(config),
            "REGWATCH_NOTIFY_URLS": webhook_url,
            "REGWATCH_BASE_URL": "http://regwatch.bench",
            "REGWATCH_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        })

    def cmd(self, *args: str) -> list[str]:
        """The command line of `regwatch ARGS`."""
        return [str(self.python), "-m", "monitor", *args]

    def import_targets(self) -> str:
        """Write the farm's targets file and import it with `regwatch targets import`."""
        targets = [{"id": target_id(i), "name": f"FDA notice {i:04d}", "url": self.farm.url(i), "parser": "fda_page",
                    "every": "6h", "substances": [TA1]} for i in range(self.count)]
        path = self.root / "bench-targets.yaml"
        path.write_text(yaml.safe_dump({"targets": targets}, sort_keys=False), encoding="utf-8")
        m = measure.run(self.cmd("targets", "import", str(path)), self.env, self.root)
        if m.returncode != 0:
            raise RuntimeError(f"regwatch targets import failed ({m.returncode}): {m.stderr[-2000:]}")
        return m.stdout.strip()

    def check(self, indices: range | None = None, prefix: list[str] | None = None) -> CheckResult:
        """`regwatch check` over all (or the given) targets, named so none is skipped as not due."""
        ids = [target_id(i) for i in (indices if indices is not None else range(self.count))]
        m = measure.run([*(prefix or []), *self.cmd("check", *ids)], self.env, self.root)
        found = _SUMMARY.search(m.stdout)
        if m.returncode != 0 or found is None:
            raise RuntimeError(f"regwatch check failed ({m.returncode}): {m.stdout[-1500:]}\n{m.stderr[-3000:]}")
        outcomes = {}
        for part in found.group(2).split(", "):
            n, _, name = part.partition(" ")
            if n.isdigit():
                outcomes[name] = int(n)
        return CheckResult(m, outcomes, int(found.group(3)), int(found.group(4)), int(found.group(5)))

    # --- the database -------------------------------------------------------------------------

    def db_bytes(self) -> dict[str, int]:
        """File size and bytes in use of the SQLite file, after folding the WAL back into it."""
        with sqlite3.connect(self.db) as con:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            page = con.execute("PRAGMA page_size").fetchone()[0]
            pages = con.execute("PRAGMA page_count").fetchone()[0]
            free = con.execute("PRAGMA freelist_count").fetchone()[0]
        return {"file": self.db.stat().st_size, "in_use": (pages - free) * page}

    def table_rows(self) -> dict[str, int]:
        """Row counts of the tables a check writes to."""
        with sqlite3.connect(self.db) as con:
            return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                    for t in ("checks", "snapshots", "changes", "events", "deliveries", "documents")}

    def observed_at(self, event_ids: list[int]) -> dict[int, float]:
        """Event id → the epoch second its change was observed (the capture that showed it)."""
        if not event_ids:
            return {}
        with sqlite3.connect(self.db) as con:
            rows = con.execute(f"SELECT id, observed_at FROM events WHERE id IN ({','.join('?' * len(event_ids))})",
                               event_ids).fetchall()
        return {i: datetime.fromisoformat(str(at)).replace(tzinfo=UTC).timestamp() for i, at in rows}

    def deliveries_pending(self) -> int:
        """Outbox rows not sent."""
        with sqlite3.connect(self.db) as con:
            return int(con.execute("SELECT count(*) FROM deliveries WHERE status != 'sent'").fetchone()[0])


def alert_latencies(rw: Regwatch, received: list[dict[str, Any]]) -> list[float]:
    """Seconds from observation (capture start) to arrival at the webhook, per delivered alert."""
    keys = [r["headers"].get("x-regwatch-idempotency-key", "") for r in received]
    ids = [int(k.split("-")[1]) for k in keys if k.startswith("regwatch-")]
    seen = rw.observed_at(ids)
    out = []
    for r, k in zip(received, keys, strict=True):
        if k.startswith("regwatch-") and int(k.split("-")[1]) in seen:
            out.append(r["at"] - seen[int(k.split("-")[1])])
    return out


def latency_targets(count: int, changes: int) -> range:
    """The targets whose status changes in the latency run (the first `changes`, PDFs included)."""
    return range(min(count, changes))


def html_share(indices: range) -> int:
    """How many of these targets are HTML pages."""
    return sum(not farm.is_pdf(i) for i in indices)
