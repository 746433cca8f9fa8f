"""regwatch alone: change → alert latency, the idle daemon, RSS drift over ticks.

All three run on the benchmark's workspace after the side-by-side scenarios, so the daemon
holds the full target list (every target checked, none due for 6 h).
"""

from __future__ import annotations

import re
import signal
import statistics
import subprocess
import time
from typing import Any

from bench import measure
from bench.regwatch_driver import Regwatch, alert_latencies
from bench.runner import Context, pct

_TICK_DONE = re.compile(r"Daemon\.tick.*executed successfully")


def latency(ctx: Context, changes: int) -> dict[str, Any]:
    """Change the status line of `changes` targets, check them, time each alert from observation to webhook."""
    n = min(changes, ctx.count)
    ctx.farm.set(status=2, noise=1, first=0, last=n)
    before = len(ctx.receiver.received)
    res = ctx.regwatch.check(range(n))
    time.sleep(0.5)
    lat = alert_latencies(ctx.regwatch, ctx.receiver.received[before:])
    return {"changes": n, "alerts": len(lat), "wall_s": res.m.wall_s, "p50_s": pct(lat, 0.5), "p95_s": pct(lat, 0.95),
            "max_s": max(lat, default=float("nan")), "min_s": min(lat, default=float("nan")),
            "definition": "webhook arrival time minus the event's observed_at (start of the fetch that showed the "
                          "change), one `regwatch check` over the changed targets"}


def _daemon(rw: Regwatch, tick_seconds: int | None) -> subprocess.Popen[bytes]:
    env = dict(rw.env, REGWATCH_LOG_LEVEL="INFO")
    if tick_seconds is not None:
        env["REGWATCH_TICK_SECONDS"] = str(tick_seconds)
    log = (rw.root / f"daemon-{tick_seconds or 'default'}.log").open("wb")
    return subprocess.Popen(rw.cmd("run", "--no-web"), env=env, cwd=rw.root, stdout=log, stderr=log,
                            start_new_session=True)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def idle(ctx: Context, seconds: float, warmup: float = 5.0) -> dict[str, Any]:
    """`regwatch run --no-web` (default tick) with every target checked: RSS and CPU while idle."""
    proc = _daemon(ctx.regwatch, None)
    try:
        time.sleep(warmup)
        w = measure.Window(proc.pid)
        w.sampler.period = 0.5
        w.start()
        time.sleep(seconds)
        m = w.stop()
        rss = [r for _, r in w.sampler.series]
    finally:
        _stop(proc)
    return {"seconds": round(m.wall_s, 1), "rss_mean_mb": statistics.fmean(rss) / 2**20 if rss else float("nan"),
            "rss_peak_mb": m.peak_rss_mb, "cpu_s": m.cpu_s, "cpu_percent": 100 * m.cpu_s / m.wall_s,
            "targets": ctx.count, "tick_seconds": "default (30)"}


def drift(ctx: Context, ticks: int) -> dict[str, Any]:
    """RSS of the daemon over `ticks` ticks of 1 s (REGWATCH_TICK_SECONDS=1), nothing due."""
    proc = _daemon(ctx.regwatch, 1)
    rss: list[tuple[float, int]] = []
    try:
        t0 = time.monotonic()
        w = measure.Window(proc.pid).start()
        while time.monotonic() - t0 < ticks + 2:
            time.sleep(1.0)
            rss.append((time.monotonic() - t0, measure.tree_rss(proc.pid)))
        m = w.stop()
    finally:
        _stop(proc)
    done = len(_TICK_DONE.findall((ctx.regwatch.root / "daemon-1.log").read_text(errors="replace")))
    early = [r for t, r in rss if 5 <= t <= 15] or [rss[0][1]]
    late = [r for _, r in rss[-10:]]
    e, lt = statistics.median(early), statistics.median(late)
    return {"ticks_requested": ticks, "ticks_run": done, "tick_seconds": 1, "rss_early_mb": e / 2**20,
            "rss_late_mb": lt / 2**20, "drift_percent": 100 * (lt - e) / e, "rss_max_mb": max(r for _, r in rss) / 2**20,
            "cpu_s": m.cpu_s, "series_mb": [(round(t, 1), round(r / 2**20, 2)) for t, r in rss]}
