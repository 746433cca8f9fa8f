"""`regwatch demo`: replay thymosin alpha-1's real history through the real pipeline, offline.

A loopback server plays each dated version of every source; each step runs a real tick
(Scrapy crawl child, SQLite, assessment, outbox) and prints every alert as it is
delivered, also sending it to REGWATCH_NOTIFY_URLS when set.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from monitor.capture import PlanChannel
from monitor.config import Target
from monitor.demo.history import STEPS, Step, demo_targets
from monitor.demo.server import DemoServer
from monitor.errors import RegwatchError
from monitor.models import EventRow, TargetRow
from monitor.notify import AppriseNotifier
from monitor.render import Alert
from monitor.runtime import Channels, Runtime, bootstrap, utcnow
from monitor.targets import import_targets
from monitor.tick import run_tick

CONSOLE = "console://"
ROOT = Path(__file__).resolve().parents[2]


class DemoNotifier:
    """Prints alerts for the console channel; hands every other URL to Apprise."""

    def __init__(self, echo: Callable[[str], None]):
        self.echo = echo
        self.apprise = AppriseNotifier()

    def send(self, url: str, alert: Alert, key: str) -> tuple[bool, str]:
        if url == CONSOLE:
            self.echo("    ALERT " + alert.title.removeprefix("[regwatch] "))
            for line in alert.body.splitlines()[1:4]:
                self.echo("          " + line)
            return True, "printed"
        return self.apprise.send(url, alert, key)


@dataclass
class StepResult:
    """What one step produced."""

    step: Step
    events: list[dict[str, Any]] = field(default_factory=list)
    outcomes: dict[str, str] = field(default_factory=dict)


def _events_since(rt: Runtime, last_id: int) -> list[dict[str, Any]]:
    with rt.sessions() as s:
        rows = s.scalars(select(EventRow).where(EventRow.id > last_id).order_by(EventRow.id))
        return [{"id": e.id, "kind": e.kind, "track": e.track, "from": e.from_state, "to": e.to_state,
                 "summary": e.summary, "target": e.target_id} for e in rows]


def run_demo(workdir: Path, echo: Callable[[str], None], env: Mapping[str, str] | None = None) -> list[StepResult]:
    """Replay the history into a database under `workdir`; returns each step's events."""
    if not (ROOT / "tests" / "fixtures").is_dir():
        raise RegwatchError("regwatch demo replays the project's fixtures: run it from a source checkout")
    server = DemoServer().start()
    try:
        config = workdir / "config"
        config.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "config" / "substances.yaml", config / "substances.yaml")
        targets = demo_targets(server.base)
        (config / "targets.yaml").write_text(yaml.safe_dump({"targets": targets}), encoding="utf-8")
        base_env = dict(os.environ if env is None else env)
        run_env = {k: v for k, v in base_env.items() if not k.startswith("REGWATCH_") or k in (
            "REGWATCH_NOTIFY_URLS", "REGWATCH_BASE_URL")}
        run_env.update({
            "REGWATCH_DATABASE_URL": f"sqlite:///{workdir / 'regwatch.db'}",
            "REGWATCH_CONFIG_DIR": str(config),
            "REGWATCH_ALLOW_PRIVATE_HOSTS": "true",
            "REGWATCH_DOWNLOAD_DELAY": "0",
            "REGWATCH_FETCH_TIMEOUT": "10",
        })
        rt = bootstrap(run_env)
        console = PlanChannel("console", ["status", "document", "source"], [])
        rt.channels = Channels((console, *rt.channels.routing), {"console": CONSOLE, **rt.channels.urls})
        notifier = DemoNotifier(echo)
        results: list[StepResult] = []
        last_event = 0
        for step in STEPS:
            echo(f"\n{step.date}  {step.title}")
            for path, make in step.routes.items():
                (server.prefixes if path.endswith("/") else server.routes)[path] = make()
            server.walled = set(step.walled)
            if step.add_targets:
                _enable(rt, [t for t in targets if t["id"] in step.add_targets])
            with rt.sessions() as s:
                ids = list(s.scalars(select(TargetRow.id).where(TargetRow.enabled.is_(True)).order_by(TargetRow.id)))
            report = run_tick(rt, notifier, ids, log_level="ERROR")
            result = StepResult(step, _events_since(rt, last_event), {r.target_id: r.outcome for r in report.results})
            for r in report.results:
                if r.outcome == "failed":
                    echo(f"    check failed (no status change): {r.target_id}: {r.error}")
            if result.events:
                last_event = result.events[-1]["id"]
            if not any(e["kind"] in ("status", "document") for e in result.events):
                echo("    no change in status")
            results.append(result)
        return results
    finally:
        server.stop()


def _enable(rt: Runtime, entries: list[dict[str, Any]]) -> None:
    with rt.sessions.begin() as s:
        import_targets(s, [Target.model_validate({**e, "enabled": True}) for e in entries], utcnow())


def demo_command(echo: Callable[[str], None], keep: Path | None) -> Path:
    """The CLI's demo: run in `keep` (or a fresh temporary folder) and say how to browse it."""
    workdir = keep or Path(tempfile.mkdtemp(prefix="regwatch-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    echo(f"regwatch demo: replaying thymosin alpha-1's history into {workdir / 'regwatch.db'}")
    results = run_demo(workdir, echo)
    alerts = sum(1 for r in results for e in r.events if e["kind"] == "status")
    env = f"REGWATCH_DATABASE_URL=sqlite:///{workdir / 'regwatch.db'} REGWATCH_CONFIG_DIR={workdir / 'config'}"
    echo(f"\n{len(results)} steps, {alerts} status alerts. Browse the result in the dashboard:\n"
         f"  {env} regwatch serve      # then open http://127.0.0.1:8000/\n"
         f"or on the command line:\n  {env} regwatch status")
    return workdir
