"""`regwatch serve` and `regwatch run` serve the dashboard; Ctrl-C (or SIGTERM) stops them cleanly."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import Workspace, make_workspace


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def _start(ws: Workspace, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "monitor", *args], cwd=ws.root, env=ws.env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait_for_health(proc: subprocess.Popen[str], base: str, ready: str, timeout: float = 60) -> dict[str, Any]:
    """Poll /healthz until its status is `ready`; fail with the process output if it dies or times out."""
    deadline = time.monotonic() + timeout
    last: dict[str, Any] = {}
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the server exited {proc.returncode}:\n{proc.communicate()[0]}")
        try:
            code, body = _get(base + "/healthz")
            last = json.loads(body)
            if code == 200 and last["status"] == ready:
                return last
        except OSError:
            pass
        time.sleep(0.2)
    proc.kill()
    pytest.fail(f"/healthz never said {ready!r} (last: {last}):\n{proc.communicate()[0]}")


def _stop(proc: subprocess.Popen[str], sig: signal.Signals) -> str:
    proc.send_signal(sig)
    try:
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    return out


@pytest.mark.slow
def test_serve_serves_the_dashboard_alone(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    ws.write_targets([])
    port = _free_port()
    proc = _start(ws, "serve", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    health = _wait_for_health(proc, base, "degraded")
    assert health["database"]["ok"] is True
    assert health["scheduler"]["last_beat_at"] is None  # no scheduler runs beside `serve`
    code, html = _get(base + "/")
    assert code == 200 and "Thymosin alpha-1" in html and "Status unknown" in html
    out = _stop(proc, signal.SIGTERM)
    assert proc.returncode == 0, out
    assert f"dashboard at {base}" in out and "stopped" in out
    assert "Traceback" not in out


@pytest.mark.slow
def test_run_serves_the_dashboard_beside_the_scheduler(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, REGWATCH_TICK_SECONDS="1")
    ws.write_targets([])
    port = _free_port()
    proc = _start(ws, "run", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    health = _wait_for_health(proc, base, "ok")
    assert health["scheduler"]["interval_seconds"] == 1
    assert _get(base + "/api/status")[0] == 200
    out = _stop(proc, signal.SIGINT)
    assert proc.returncode == 0, out
    assert "stopped" in out and "Traceback" not in out
    with pytest.raises(OSError):
        _get(base + "/healthz")  # the web thread stopped with the daemon


def test_serve_fails_clearly_when_the_port_is_taken(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    ws.write_targets([])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = ws.run("serve", "--port", str(port), check=False, timeout=60)
    assert proc.returncode == 1
    assert f"regwatch: error: cannot serve the dashboard on 127.0.0.1:{port}" in proc.stderr
