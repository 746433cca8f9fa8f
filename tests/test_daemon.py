"""`regwatch run`: ticks on its own, logs a line per check, keeps the last good config, stops on Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from monitor.errors import ConfigError
from monitor.runtime import bootstrap
from tests.conftest import fixture_bytes
from tests.support.cli import make_workspace
from tests.support.server import FixtureServer, WebhookReceiver


@pytest.mark.slow
def test_run_checks_alerts_and_stops_cleanly_on_ctrl_c(tmp_path: Path, fixture_server: FixtureServer,
                                                       webhook: WebhookReceiver) -> None:
    ws = make_workspace(tmp_path, [webhook.apprise_url], REGWATCH_TICK_SECONDS="1")
    fixture_server.set("/cats.pdf", fixture_bytes("categories/2023-09-29-ta1-cat2.txt", "pdf"), "application/pdf")
    ws.write_targets([{"id": "cats", "name": "Categories", "url": fixture_server.url("/cats.pdf"),
                       "parser": "fda_categories", "every": "1m", "substances": ["thymosin-alpha-1"]}])
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "run", "--no-web"], cwd=ws.root, env=ws.env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not ws.db.exists():
            time.sleep(0.2)
        while time.monotonic() < deadline:
            if ws.json("status")["substances"][0]["tracks"]:
                break
            time.sleep(0.5)
        else:
            pytest.fail("the daemon never checked the target")
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "check cats http://127.0.0.1" in out and " changed" in out
    assert "stopped" in out
    assert "Traceback" not in out


def test_reload_keeps_the_last_good_config(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    ws.write_targets([])
    rt = bootstrap(ws.env)
    good = rt.config
    (ws.config / "substances.yaml").write_text("substances:\n  - id: Bad Id\n    name: x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="substance 'Bad Id'"):
        rt.reload()
    assert rt.config is good
    assert [s.id for s in rt.config.substances] == ["thymosin-alpha-1"]


def test_alerts_test_reports_each_channel(tmp_path: Path, webhook: WebhookReceiver) -> None:
    ws = make_workspace(tmp_path, [webhook.apprise_url, "json://127.0.0.1:9/closed"])
    ws.write_targets([])
    proc = ws.run("alerts", "test", check=False)
    assert proc.returncode == 1
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 2
    assert any(" ok " in ln and webhook.apprise_url in ln for ln in lines)
    assert any("FAILED" in ln and "127.0.0.1:9" in ln for ln in lines)
    assert "1 of 2 channel(s) failed" in proc.stderr
    (msg,) = webhook.wait_for(1)
    assert msg["json"]["title"] == "[regwatch] test notification"


