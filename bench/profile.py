"""Profiling regwatch's cycles with py-spy (sampling, all subprocesses: the CLI parent and the crawl child).

py-spy writes collapsed stacks ("process P:"cmd";frame;frame… count"); we sum samples per
function (self: the leaf frame; total: any frame of the stack) per process role, leaving out
samples whose leaf is a wait (select, Condition.wait, sleep…): the figures are CPU, not waiting.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from bench.runner import Context

RATE = 100  # samples per second
_PROCESS = re.compile(r'process \d+:"([^"]*)"')
_LINE = re.compile(r":\d+\)$")
# Leaf functions where a thread waits rather than computes: py-spy cannot always tell them idle.
_IDLE = {"select", "poll", "wait", "_wait", "sleep", "acquire", "_wait_for_tstate_lock", "recv_into", "accept",
         "_worker", "get",
         # the reading pool's pipe (monitor/readahead.py): blocked while a worker is busy
         "_send", "_recv"}


def _role(cmdline: str) -> str:
    if "multiprocessing" in cmdline:
        return "reading worker"  # monitor/readahead.py: spawned by the crawl child
    return "crawl child" if "monitor.crawl" in cmdline else "regwatch check (parent)"


def summarize(raw: str, top: int = 15) -> dict[str, Any]:
    """Per role: samples, and the top functions by self and by total samples."""
    roles: dict[str, dict[str, Counter[str]]] = {}
    samples: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        procs = _PROCESS.findall(stack)
        role = _role(procs[-1]) if procs else "unknown"
        frames = [_LINE.sub(")", f) for f in _PROCESS.sub("", stack).split(";") if f.strip()]
        if not frames:
            continue
        if frames[-1].split(" ")[0].rsplit(".", 1)[-1] in _IDLE:
            continue  # waiting, not working
        n = int(count)
        samples[role] += n
        r = roles.setdefault(role, {"self": Counter(), "total": Counter()})
        r["self"][frames[-1]] += n
        for f in set(frames):
            r["total"][f] += n
    out: dict[str, Any] = {}
    for role, r in roles.items():
        total = samples[role]
        out[role] = {
            "samples": total, "seconds": total / RATE,
            "top_self": [(f, n, round(100 * n / total, 1)) for f, n in r["self"].most_common(top)],
            "top_total": [(f, n, round(100 * n / total, 1)) for f, n in r["total"].most_common(top)],
        }
    return out


def profile(ctx: Context, py_spy: Path, out_dir: Path) -> dict[str, Any]:
    """Profile an unchanged cycle and an all-changed cycle of every target."""
    results: dict[str, Any] = {}
    for label, status in (("unchanged", None), ("changed", 3)):
        if status is not None:
            ctx.farm.set(status=status, noise=1)
        raw = out_dir / f"profile-{label}.txt"
        prefix = [str(py_spy), "record", "--subprocesses", "--rate", str(RATE), "--format", "raw",
                  "--output", str(raw), "--"]
        res = ctx.regwatch.check(prefix=prefix)
        results[label] = {"wall_s_under_profiler": res.m.wall_s, "outcomes": res.outcomes, "raw": raw.name,
                          "roles": summarize(raw.read_text(errors="replace")) if raw.is_file() else {}}
    return results
