"""Driving changedetection.io (pip-installed into bench/.venvs/changedetection) over the farm.

Started on 127.0.0.1 with ALLOW_IANA_RESTRICTED_ADDRESSES=true (loopback targets),
DISABLE_VERSION_CHECK=yes and FETCH_WORKERS=10 (its default, stated). Its default watches
are deleted, the farm's URLs imported with POST /api/v1/import (which queues their first
check), later cycles queued with GET /api/v1/watch?recheck_all=1. A cycle is complete when
the queue is empty and every watch's `last_checked` is at or after the cycle's start; what
it reports as changed is the watches whose `last_changed` is in the cycle. Its server is
long-running, so a cycle's cost is the server tree's CPU and peak RSS over the cycle.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from bench import measure
from bench.server import FarmProcess

POLL_SECONDS = 0.25


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ChangeDetection:
    """One changedetection.io server with a fresh datastore."""

    def __init__(self, root: Path, bin_dir: Path, farm_proc: FarmProcess, count: int) -> None:
        self.root = root
        self.exe = bin_dir / "changedetection.io"
        self.farm = farm_proc
        self.count = count
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}/api/v1"
        self.key = ""
        self.proc: subprocess.Popen[bytes] | None = None

    def _api(self, method: str, path: str, body: bytes | None = None, ctype: str = "application/json") -> Any:
        req = urllib.request.Request(self.base + path, data=body, method=method,
                                     headers={"x-api-key": self.key, "Content-Type": ctype})
        with urllib.request.urlopen(req, timeout=120) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def start(self) -> measure.Measurement:
        """Start the server, wait for its API, delete its default watches; the start-up's cost."""
        self.root.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, ALLOW_IANA_RESTRICTED_ADDRESSES="true", DISABLE_VERSION_CHECK="yes",
                   FETCH_WORKERS="10", LOGGER_LEVEL="WARNING")
        log = (self.root / "changedetection.log").open("wb")
        t0 = time.monotonic()
        self.proc = subprocess.Popen([str(self.exe), "-d", str(self.root / "datastore"), "-C", "-h", "127.0.0.1",
                                      "-p", str(self.port)], env=env, cwd=self.root, stdout=log, stderr=log,
                                     start_new_session=True)
        window = measure.Window(self.proc.pid).start()
        store = self.root / "datastore" / "changedetection.json"
        deadline = time.monotonic() + 180
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"changedetection.io exited {self.proc.returncode}: "
                                   f"{(self.root / 'changedetection.log').read_text(errors='replace')[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError("changedetection.io API did not answer within 180 s")
            try:
                self.key = json.loads(store.read_text())["settings"]["application"]["api_access_token"]
                self._api("GET", "/systeminfo")
                break
            except (OSError, ValueError, KeyError):
                time.sleep(0.25)
        for uuid in self._api("GET", "/watch"):
            self._api("DELETE", f"/watch/{uuid}")
        m = window.stop()
        m.wall_s = time.monotonic() - t0
        return m

    def _wait(self, since: int, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            try:
                if self._api("GET", "/systeminfo")["queue_size"]:
                    continue
                watches = self._api("GET", "/watch")
            except urllib.error.HTTPError as exc:
                # Its API iterates the watches while its workers change them ("dictionary changed
                # size during iteration", HTTP 500): a poll to repeat, not a failed cycle.
                if exc.code >= 500:
                    continue
                raise
            if len(watches) >= self.count and all((w["last_checked"] or 0) >= since for w in watches.values()):
                return dict(watches)
        raise RuntimeError(f"changedetection.io did not finish the cycle within {timeout:.0f} s")

    def cycle(self, first: bool, timeout: float = 1800) -> tuple[measure.Measurement, dict[str, int]]:
        """Import (first cycle) or recheck every watch; wait until all are checked; cost and report."""
        assert self.proc is not None
        time.sleep(1.1)  # last_checked has 1 s resolution: keep cycles in distinct seconds
        since = int(time.time())
        window = measure.Window(self.proc.pid).start()
        if first:
            urls = "\n".join(self.farm.url(i) for i in range(self.count)).encode()
            self._api("POST", "/import", urls, "text/plain")
        else:
            self._api("GET", "/watch?recheck_all=1")
        watches = self._wait(since, timeout)
        m = window.stop()
        report = {
            "changed": sum((w["last_changed"] or 0) >= since for w in watches.values()),
            "error": sum(bool(w["last_error"]) for w in watches.values()),
        }
        return m, report

    def errors(self) -> list[str]:
        """The distinct last errors of its watches (e.g. a missing PDF tool)."""
        return sorted({str(w["last_error"]) for w in self._api("GET", "/watch").values() if w["last_error"]})

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL)."""
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
