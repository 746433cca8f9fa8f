"""Measuring a tool: wall seconds, CPU seconds of its whole process tree, and peak RSS of the tree.

- A command run to completion (`run`): CPU is the rusage of reaped children (every descendant
  its parent waited for, e.g. regwatch's crawl child) taken around the run; peak RSS is the
  largest *sum* of RSS over the tree, sampled every 50 ms with psutil.
- A long-running server (`Window`): CPU is the difference of the tree's CPU times (live
  processes and their reaped children) across the window; peak RSS is sampled likewise.
"""

from __future__ import annotations

import contextlib
import os
import resource
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

SAMPLE_SECONDS = 0.05


@dataclass
class Measurement:
    """What one run cost."""

    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    returncode: int = 0
    stdout: str = ""
    stderr: str = ""


def tree(pid: int) -> list[psutil.Process]:
    """A process and its live descendants."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def tree_rss(pid: int) -> int:
    """Sum of RSS (bytes) over a process tree."""
    total = 0
    for p in tree(pid):
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += p.memory_info().rss
    return total


def tree_cpu(pid: int) -> float:
    """User + system CPU seconds of a live tree, including children its members have reaped."""
    total = 0.0
    for p in tree(pid):
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            t = p.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
    return total


@dataclass
class Sampler:
    """Samples a tree's RSS in a thread; keeps the peak and the (time, rss) series."""

    pid: int
    period: float = SAMPLE_SECONDS
    peak: int = 0
    series: list[tuple[float, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        t0 = time.monotonic()
        while not self._stop.is_set():
            rss = tree_rss(self.pid)
            self.peak = max(self.peak, rss)
            self.series.append((time.monotonic() - t0, rss))
            self._stop.wait(self.period)

    def start(self) -> Sampler:
        self._thread.start()
        return self

    def stop(self) -> int:
        """Stop sampling; the peak RSS in bytes."""
        self._stop.set()
        self._thread.join()
        return self.peak


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(cmd: Sequence[str], env: Mapping[str, str] | None = None, cwd: Path | None = None,
        timeout: float = 1800) -> Measurement:
    """Run `cmd` to completion and measure it (stdout and stderr kept in the result)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        cpu0 = _children_cpu()
        t0 = time.monotonic()
        proc = subprocess.Popen(list(cmd), env=dict(env) if env is not None else None, cwd=cwd, stdout=out, stderr=err,
                                start_new_session=True)
        sampler = Sampler(proc.pid).start()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
        wall = time.monotonic() - t0
        peak = sampler.stop()
        cpu = _children_cpu() - cpu0
        out.seek(0)
        err.seek(0)
        return Measurement(wall, cpu, peak / 2**20, proc.returncode, out.read().decode(errors="replace"),
                           err.read().decode(errors="replace"))


class Window:
    """Measures a long-running process tree between `start()` and `stop()`."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.sampler = Sampler(pid)
        self.cpu0 = 0.0
        self.t0 = 0.0

    def start(self) -> Window:
        self.cpu0 = tree_cpu(self.pid)
        self.t0 = time.monotonic()
        self.sampler.start()
        return self

    def stop(self) -> Measurement:
        wall = time.monotonic() - self.t0
        cpu = tree_cpu(self.pid) - self.cpu0
        peak = self.sampler.stop()
        return Measurement(wall, cpu, peak / 2**20)
