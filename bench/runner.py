"""The side-by-side scenarios: each farm scenario is run by every tool before the next, in an order
that rotates per scenario (so no tool always runs first on a warm or cold machine)."""

from __future__ import annotations

import statistics
import sys
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from bench import farm
from bench.cdio_driver import ChangeDetection
from bench.regwatch_driver import Regwatch, alert_latencies
from bench.server import FarmProcess, WebhookReceiver
from bench.urlwatch_driver import Urlwatch

SCENARIO_NAMES = tuple(farm.SCENARIOS)


@dataclass
class Row:
    """One tool's run of one scenario."""

    tool: str
    scenario: str
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    alerts: int
    reported: dict[str, int]
    requests: int
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    """Everything the scenarios drive."""

    count: int
    farm: FarmProcess
    receiver: WebhookReceiver
    regwatch: Regwatch
    urlwatch: Urlwatch | None
    cdio: ChangeDetection | None
    errors: dict[str, str] = field(default_factory=dict)


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of values (nearest rank); NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def _regwatch(ctx: Context, scenario: str) -> Row:
    rw = ctx.regwatch
    before_db, before_rows, before_hooks = rw.db_bytes(), rw.table_rows(), len(ctx.receiver.received)
    res = rw.check()
    after_db, after_rows = rw.db_bytes(), rw.table_rows()
    hooks = ctx.receiver.received[before_hooks:]
    lat = alert_latencies(rw, hooks)
    extra = {
        "db_file_bytes_added": after_db["file"] - before_db["file"],
        "db_in_use_bytes_added": after_db["in_use"] - before_db["in_use"],
        "db_in_use_bytes_per_check": (after_db["in_use"] - before_db["in_use"]) / ctx.count,
        "db_file_bytes_per_check": (after_db["file"] - before_db["file"]) / ctx.count,
        "rows_added": {k: after_rows[k] - before_rows[k] for k in after_rows},
        "events": res.events, "alerts_sent": res.sent, "alerts_failed": res.failed,
        "undelivered": rw.deliveries_pending(),
    }
    if lat:
        extra["alert_latency_s"] = {"p50": pct(lat, 0.5), "p95": pct(lat, 0.95), "max": max(lat),
                                    "mean": statistics.fmean(lat), "n": len(lat)}
    return Row("regwatch", scenario, res.m.wall_s, res.m.cpu_s, res.m.peak_rss_mb, len(hooks), res.outcomes, 0, extra)


def _urlwatch(ctx: Context, scenario: str) -> Row:
    assert ctx.urlwatch is not None
    m, counts = ctx.urlwatch.check()
    return Row("urlwatch", scenario, m.wall_s, m.cpu_s, m.peak_rss_mb, counts.get("changed", 0), counts, 0)


def _cdio(ctx: Context, scenario: str) -> Row:
    assert ctx.cdio is not None
    m, report = ctx.cdio.cycle(first=scenario == "baseline")
    return Row("changedetection.io", scenario, m.wall_s, m.cpu_s, m.peak_rss_mb, report["changed"], report, 0,
               {"note": "server tree measured over the cycle; completion polled through its API every 0.25 s"})


def run_scenarios(ctx: Context, log: Callable[[str], None]) -> list[Row]:
    """Every scenario, every tool; a peer that fails is recorded in ctx.errors and dropped."""
    tools: list[tuple[str, Callable[[Context, str], Row]]] = [("regwatch", _regwatch)]
    if ctx.urlwatch is not None:
        tools.append(("urlwatch", _urlwatch))
    if ctx.cdio is not None:
        tools.append(("changedetection.io", _cdio))
    rows: list[Row] = []
    for k, scenario in enumerate(SCENARIO_NAMES):
        ctx.farm.scenario(scenario)
        order = tools[k % len(tools):] + tools[:k % len(tools)]
        for name, fn in order:
            if name in ctx.errors:
                continue
            served = ctx.farm.requests()
            try:
                row = fn(ctx, scenario)
            except Exception as exc:
                if name == "regwatch":
                    raise
                ctx.errors[name] = f"{scenario}: {exc.__class__.__name__}: {exc}"
                traceback.print_exc(file=sys.stderr)
                log(f"  {name:<20} {scenario:<10} FAILED: {exc}")
                continue
            row.requests = ctx.farm.requests() - served
            rows.append(row)
            log(f"  {name:<20} {scenario:<10} wall {row.wall_s:7.2f} s  cpu {row.cpu_s:7.2f} s  "
                f"rss {row.peak_rss_mb:7.1f} MB  alerts {row.alerts:5d}  {row.reported}")
    return rows


def rows_json(rows: list[Row]) -> list[dict[str, Any]]:
    """Rows as plain dicts."""
    return [asdict(r) for r in rows]
