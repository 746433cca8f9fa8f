"""Dashboard throughput with a year of history: `python -m bench.web [--targets 50] [--seconds 10]`.

Seeds a SQLite store with 50 targets checked hourly for a year (438,000 checks) and changing
weekly (snapshots, diffs, observations, status events), serves it with `regwatch serve`, and
drives `/`, `/api/status` and a static file (the baseline: what the server does with no
application work) with wrk from Debian's package. It also counts SQL statements per request
at two store sizes, to show the pages make no query per row. Figures go to stdout and to
bench/results/web.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert

from monitor.db import open_store
from monitor.models import (
    ChangeRow,
    CheckRow,
    DocumentRow,
    EventRow,
    ObservationRow,
    SnapshotRow,
    SubstanceRow,
    TargetRow,
    TrackStateRow,
)

RESULTS = Path(__file__).resolve().parent / "results"
START = datetime(2025, 11, 21)
STATES = ("CAT1", "CAT2", "CAT3", "NONE")


def seed(url: str, targets: int, days: int = 365) -> dict[str, int]:
    """A store with `targets` sources checked hourly for `days` days and changing weekly."""
    sessions = open_store(url)
    counts = {"checks": 0, "snapshots": 0, "events": 0}
    with sessions.begin() as s:
        for i in range(10):
            s.add(SubstanceRow(id=f"substance-{i}", name=f"Peptide {i}", synonyms=[], exclude=[], updated_at=START))
        for t in range(targets):
            sub = f"substance-{t % 10}"
            s.add(TargetRow(id=f"target-{t:03d}", name=f"FDA page {t}", url=f"https://www.fda.gov/page-{t}",
                            parser="fda_page", options={}, every="1h", every_seconds=3600, follow=[],
                            substances=[sub], enabled=True, next_check_at=START + timedelta(days=days),
                            last_checked_at=START + timedelta(days=days), last_success_at=START + timedelta(days=days),
                            last_outcome="unchanged", consecutive_failures=0, failure_alerted=False,
                            created_at=START, updated_at=START))
            s.flush()
            doc = DocumentRow(target_id=f"target-{t:03d}", url=f"https://www.fda.gov/page-{t}", first_seen_at=START,
                              last_seen_at=START)
            s.add(doc)
            s.flush()
            prev: SnapshotRow | None = None
            for week in range(days // 7):
                at = START + timedelta(weeks=week)
                snap = SnapshotRow(document_id=doc.id, content_hash=f"{t:03d}-{week:03d}".ljust(64, "0"), kind="html",
                                   title=f"FDA page {t}", text=("Lorem ipsum dolor sit amet. " * 150) + f"week {week}",
                                   final_url=doc.url, raw_sha256="0" * 64, raw_size=60_000, metrics={}, mentions=[],
                                   captured_at=at, last_seen_at=at)
                s.add(snap)
                s.flush()
                change_id = None
                if prev is not None:
                    change = ChangeRow(document_id=doc.id, old_snapshot_id=prev.id, new_snapshot_id=snap.id,
                                       diff=f"--- a\n+++ b\n-week {week - 1}\n+week {week}", created_at=at)
                    s.add(change)
                    s.flush()
                    change_id = change.id
                state = STATES[week % 4]
                obs = ObservationRow(snapshot_id=snap.id, target_id=f"target-{t:03d}", substance_id=sub,
                                     track="503a_category", state=state, detail={}, evidence=f"Peptide {t % 10} {state}",
                                     url=doc.url, observed_at=at)
                s.add(obs)
                s.flush()
                s.add(EventRow(kind="status", severity="critical", substance_id=sub, track="503a_category",
                               from_state=STATES[(week - 1) % 4], to_state=state, summary=f"Peptide {t % 10}: {state}",
                               evidence=obs.evidence, url=doc.url, target_id=f"target-{t:03d}", change_id=change_id,
                               observation_id=obs.id, observed_at=at))
                counts["snapshots"] += 1
                counts["events"] += 1
                prev = snap
            doc.current_snapshot_id = prev.id if prev else None
            if t < 10 and prev is not None:
                s.add(TrackStateRow(substance_id=sub, track="503a_category", state="CAT2", since=START,
                                    observation_id=obs.id, updated_at=START))
    rows = [{"target_id": f"target-{t:03d}", "url": f"https://www.fda.gov/page-{t}", "started_at": START + timedelta(hours=h),
             "duration_ms": 120, "http_status": 200, "outcome": "unchanged"}
            for t in range(targets) for h in range(days * 24)]
    with sessions.begin() as s:
        for i in range(0, len(rows), 50_000):
            s.execute(insert(CheckRow), rows[i:i + 50_000])
    counts["checks"] = len(rows)
    return counts


def queries_per_request(url: str, paths: list[str]) -> dict[str, int]:
    """SQL statements one request to each path runs (in-process, through the real app)."""
    from fastapi.testclient import TestClient

    from monitor.settings import load_settings
    from monitor.web.app import create_app

    sessions = open_store(url)
    engine = sessions.kw["bind"]
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    client = TestClient(create_app(sessions, load_settings({"REGWATCH_DATABASE_URL": url})))
    out: dict[str, int] = {}
    for path in paths:
        client.get(path)  # warm
        seen.clear()
        assert client.get(path).status_code == 200, path
        out[path] = len(seen)
    return out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wrk(url: str, seconds: int, connections: int) -> float:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", url], capture_output=True, text=True,
                         check=True).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m or "Non-2xx" in out:
        raise RuntimeError(f"wrk on {url} gave no clean figure:\n{out}")
    return float(m.group(1))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--targets", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    args = ap.parse_args(argv)
    if shutil.which("wrk") is None:
        print("bench.web needs wrk: apt-get install wrk", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="regwatch-bench-web-"))
    url = f"sqlite:///{work / 'year.db'}"
    small = f"sqlite:///{work / 'small.db'}"
    t0 = time.perf_counter()
    counts = seed(url, args.targets)
    seed(small, max(5, args.targets // 10), days=28)
    print(f"seeded {counts} in {time.perf_counter() - t0:.1f}s; database {(work / 'year.db').stat().st_size / 1e6:.0f} MB")
    paths = ["/", "/api/status", "/sources"]
    q_big, q_small = queries_per_request(url, paths), queries_per_request(small, paths)
    port = _free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("REGWATCH_")},
           "REGWATCH_DATABASE_URL": url, "REGWATCH_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen([sys.executable, "-m", "monitor", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        rps = {p: _wrk(base + p, args.seconds, args.connections) for p in ["/static/style.css", "/", "/api/status"]}
    finally:
        server.terminate()
        server.wait(timeout=10)
    baseline = rps["/static/style.css"]
    result: dict[str, Any] = {
        "store": counts, "targets": args.targets, "wrk": {"seconds": args.seconds, "connections": args.connections},
        "requests_per_second": rps, "ratio_to_static_baseline": {p: round(v / baseline, 3) for p, v in rps.items()},
        "sql_statements_per_request": {"year_store": q_big, "small_store": q_small},
        "goal": "/ and /api/status >= 500 requests/s on 2 cores; statements per request independent of store size",
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "web.json").write_text(json.dumps(result, indent=2))
    print(f"{'path':<14}{'req/s':>10}{'÷ static':>10}{'SQL (year)':>12}{'SQL (small)':>12}")
    for p in ["/static/style.css", "/", "/api/status"]:
        print(f"{p:<14}{rps[p]:>10.0f}{rps[p] / baseline:>10.2f}{q_big.get(p, 0):>12}{q_small.get(p, 0):>12}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
