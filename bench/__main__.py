"""`python -m bench`: regwatch against urlwatch and changedetection.io on a loopback farm.

Runs in its own virtualenv (bench/.venvs/bench, created on first use, then re-executed
into); regwatch runs from the project's .venv through its CLI; the peers from their own venvs.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def _args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--targets", type=int, help="farm size (default 1000; 100 with --quick)")
    p.add_argument("--quick", action="store_true", help="about two minutes: 100 targets, short idle/drift runs")
    p.add_argument("--ticks", type=int, help="daemon ticks of 1 s for the RSS drift (default 500; 60 with --quick)")
    p.add_argument("--changes", type=int, default=30, help="changes timed for change → alert latency (default 30)")
    p.add_argument("--idle-seconds", type=float, help="idle daemon sampling (default 30; 15 with --quick)")
    p.add_argument("--peers", default="urlwatch,changedetection", help="comma-separated peers to run, or 'none'")
    p.add_argument("--no-profile", action="store_true", help="skip the py-spy profiles")
    p.add_argument("--out", type=Path, default=BENCH / "results", help="results folder (default bench/results)")
    p.add_argument("--regwatch-python", type=Path, default=ROOT / ".venv" / "bin" / "python",
                   help="interpreter that has regwatch installed (default .venv/bin/python)")
    a = p.parse_args(argv)
    a.targets = a.targets or (100 if a.quick else 1000)
    a.ticks = a.ticks if a.ticks is not None else (60 if a.quick else 500)
    a.idle_seconds = a.idle_seconds or (15.0 if a.quick else 30.0)
    a.out = a.out.resolve()  # tools run in their own folders
    return a


def _reexec_in_venv() -> None:
    """Run in bench/.venvs/bench (psutil, matplotlib, py-spy), installing it first if needed."""
    from bench.venvs import VENVS, ensure

    if Path(sys.prefix).resolve() == (VENVS / "bench").resolve():
        return
    bin_dir = ensure("bench")
    os.chdir(ROOT)
    os.execv(str(bin_dir / "python"), [str(bin_dir / "python"), "-m", "bench", *sys.argv[1:]])


def main(argv: list[str]) -> int:
    _reexec_in_venv()
    from bench import farm, floor, profile, results, solo
    from bench.cdio_driver import ChangeDetection
    from bench.regwatch_driver import BENCH_SETTINGS, Regwatch
    from bench.runner import Context, rows_json, run_scenarios
    from bench.server import FarmProcess, WebhookReceiver
    from bench.urlwatch_driver import Urlwatch
    from bench.venvs import InstallError, ensure

    a = _args(argv)
    started = time.monotonic()
    # Bytecode caches as in a normal install: without them every process (regwatch's CLI, its crawl
    # child, urlwatch, changedetection.io) would recompile its modules on each start.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

    def log(msg: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {msg}", file=sys.stderr, flush=True)

    if not a.regwatch_python.is_file():
        print(f"bench: {a.regwatch_python} not found: run `make` (or pass --regwatch-python)", file=sys.stderr)
        return 2
    a.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="regwatch-bench-"))
    wanted = [] if a.peers == "none" else [p.strip() for p in a.peers.split(",") if p.strip()]
    peer_errors: dict[str, str] = {}
    bins: dict[str, Path] = {}
    for name in wanted:
        try:
            bins[name] = ensure(name)
        except InstallError as exc:
            peer_errors["urlwatch" if name == "urlwatch" else "changedetection.io"] = f"install: {exc}"
    data: dict[str, Any] = {"meta": {
        "started_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "targets": a.targets,
        "pdfs": sum(farm.is_pdf(i) for i in range(a.targets)), "cpus": os.cpu_count(), "python": platform.python_version(),
        "regwatch_settings": BENCH_SETTINGS, "work_dir": str(work), "quick": a.quick,
        "peers": [(BENCH / f"requirements-{n}.txt").read_text().strip().splitlines()[-1] for n in wanted],
    }, "rows": [], "peer_errors": peer_errors, "solo": {}, "profile": {}}

    log(f"farm: rendering {a.targets} targets")
    farm_proc = FarmProcess(a.targets)
    receiver = WebhookReceiver()
    cdio: ChangeDetection | None = None
    try:
        rw = Regwatch(work / "regwatch", farm_proc, receiver.apprise_url, a.regwatch_python, a.targets)
        log(f"regwatch: {rw.import_targets()}")
        uw = Urlwatch(work / "urlwatch", bins["urlwatch"], farm_proc, a.targets) if "urlwatch" in bins else None
        if "changedetection" in bins:
            cdio = ChangeDetection(work / "changedetection", bins["changedetection"], farm_proc, a.targets)
            try:
                m = cdio.start()
                data["meta"]["changedetection_startup"] = {"wall_s": m.wall_s, "cpu_s": m.cpu_s, "peak_rss_mb": m.peak_rss_mb}
                log(f"changedetection.io up on port {cdio.port} in {m.wall_s:.1f} s")
            except Exception as exc:
                peer_errors["changedetection.io"] = f"start: {exc}"
                cdio.stop()
                cdio = None
        ctx = Context(a.targets, farm_proc, receiver, rw, uw, cdio, peer_errors)
        log("side by side: " + ", ".join(farm.SCENARIOS))
        rows = run_scenarios(ctx, log)
        data["rows"] = rows_json(rows)
        if cdio is not None:
            data["meta"]["changedetection_watch_errors"] = cdio.errors()
            cdio.stop()
            cdio = None
        log("the floor: a bare Scrapy spider fetching every page")
        try:
            data["solo"]["scrapy_floor"] = floor.measure_floor(
                a.regwatch_python, [farm_proc.url(i) for i in range(a.targets)], 10, work / "floor")
        except Exception as exc:  # the floor is context: its failure must not lose the figures
            data["solo"]["scrapy_floor_error"] = f"{exc.__class__.__name__}: {exc}"
        log(f"regwatch alone: change → alert over {a.changes} changes")
        data["solo"]["latency"] = solo.latency(ctx, a.changes)
        log(f"regwatch alone: idle daemon for {a.idle_seconds:.0f} s")
        data["solo"]["idle"] = solo.idle(ctx, a.idle_seconds)
        log(f"regwatch alone: RSS drift over {a.ticks} ticks of 1 s")
        data["solo"]["drift"] = solo.drift(ctx, a.ticks)
        if not a.no_profile:
            log("profiling regwatch (py-spy): unchanged and all-changed cycles")
            try:
                data["profile"] = profile.profile(ctx, Path(sys.prefix) / "bin" / "py-spy", a.out)
            except Exception as exc:  # a profiler failure must not lose the figures above
                data["profile_error"] = f"{exc.__class__.__name__}: {str(exc)[-1500:]}"
                log(f"profiling failed: {exc}")
    finally:
        if cdio is not None:
            cdio.stop()
        receiver.stop()
        farm_proc.stop()
    data["meta"]["total_s"] = round(time.monotonic() - started, 1)
    text = results.write(data, a.out)
    print(text)
    log(f"results in {a.out} (results.json, results.md, results.png); work files in {work}")
    if os.environ.get("BENCH_KEEP_WORK") != "1":
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
