"""The `regwatch` command line. Expected errors print one line and exit non-zero; bugs keep tracebacks."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

from monitor import views
from monitor.cli_alerts import alerts_list, alerts_retry
from monitor.cli_db import db, prune
from monitor.cli_targets import TARGET_COMMANDS, import_file
from monitor.cli_users import allowlist, audit, users
from monitor.cli_web import HOST_OPTION, PORT_OPTION, serve, serving
from monitor.errors import ConfigError, RegwatchError
from monitor.models import TargetRow
from monitor.notify import AppriseNotifier, mask
from monitor.render import Alert
from monitor.runtime import Runtime, bootstrap, utcnow
from monitor.settings import SETTINGS
from monitor.targets import export_targets, get_target


def _rt() -> Runtime:
    rt = bootstrap()
    logging.basicConfig(level=rt.settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    return rt


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@click.group()
@click.version_option(package_name="regwatch")
def cli() -> None:
    """regwatch: watch FDA sources and alert when a substance's compounding status changes."""


@cli.command()
@click.option("--no-web", is_flag=True, help="Run only the scheduler (the dashboard is served by `serve`).")
@HOST_OPTION
@PORT_OPTION
def run(no_web: bool, host: str, port: int) -> None:
    """Run the daemon (a tick every REGWATCH_TICK_SECONDS) and the dashboard; Ctrl-C stops both cleanly."""
    from monitor.daemon import Daemon

    rt = _rt()
    daemon = Daemon(rt, AppriseNotifier())
    if no_web:
        daemon.run()
        return
    with serving(rt, host, port):
        daemon.run()


@cli.command()
@click.argument("target_ids", nargs=-1)
def check(target_ids: tuple[str, ...]) -> None:
    """Check the due targets (or the named ones) now, in the foreground."""
    from monitor.tick import run_tick

    rt = _rt()
    report = run_tick(rt, AppriseNotifier(), list(target_ids) or None, log_level="ERROR")
    if not report.results:
        click.echo("no target is due (name targets to check them anyway)")
    counts: dict[str, int] = {}
    for r in report.results:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
        line = f"{r.target_id:<32} {r.outcome:<12} {r.documents} doc(s)"
        if r.error:
            line += f"  {r.error}"
        click.echo(line)
        for e in r.events:
            click.echo(f"    event: {e}")
    for d in report.deliveries:
        click.echo(f"alert  event {d.event_id} → {d.channel}: {'sent' if d.ok else 'FAILED ' + d.detail}")
    events = sum(len(r.events) for r in report.results)
    sent = sum(d.ok for d in report.deliveries)
    outcome_text = ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "nothing checked"
    click.echo(f"{len(report.results)} target(s): {outcome_text}; {events} event(s); "
               f"{sent} alert(s) sent, {len(report.deliveries) - sent} failed")
    if report.crawl_failed:
        raise RegwatchError(report.crawl_failed)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status(as_json: bool) -> None:
    """Each substance's summary and per-track state."""
    rt = _rt()
    with rt.sessions() as s:
        data = views.status(s, utcnow())
    if as_json:
        _print_json(data)
        return
    for sub in data["substances"]:
        click.echo(f"{sub['name']}: {sub['summary']['label']}: {sub['summary']['reason']}")
        for t in sub["tracks"]:
            click.echo(f"  {t['track']:<14} {t['state']:<28} since {t['since']}  “{t['evidence']['quote'][:100]}”")


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO date or time (e.g. 2026-11-01 or 2026-11-01T12:00Z)") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--since", help="Only events observed at or after this ISO time (UTC unless a zone is given).")
def events(as_json: bool, since: str | None) -> None:
    """Status changes, documents, source health and baselines, newest first."""
    rt = _rt()
    with rt.sessions() as s:
        data = views.events(s, _since(since))
    if as_json:
        _print_json(data)
        return
    for e in data:
        click.echo(f"{e['observed_at']}  {e['kind']:<8} {e['severity']:<8} {e['summary']}")


@cli.group()
def targets() -> None:
    """List, show, add, edit, enable, disable, remove, test, import and export watch targets."""


@targets.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def targets_list(as_json: bool) -> None:
    """Every target with its health."""
    rt = _rt()
    with rt.sessions() as s:
        rows = [views.target_dict(t) for t in s.scalars(select(TargetRow).order_by(TargetRow.id))]
    if as_json:
        _print_json(rows)
        return
    for t in rows:
        state = "enabled" if t["enabled"] else "disabled"
        click.echo(f"{t['id']:<32} {state:<8} {t['parser']:<20} every {t['every']:<5} "
                   f"last {t['last_outcome'] or '-':<12} {t['url']}")


@targets.command("show")
@click.argument("target_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def targets_show(target_id: str, as_json: bool) -> None:
    """One target in full."""
    rt = _rt()
    with rt.sessions() as s:
        data = views.target_dict(get_target(s, target_id))
    if as_json:
        _print_json(data)
        return
    for k, v in data.items():
        click.echo(f"{k}: {v}")


@targets.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate and report, change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def targets_import(file: Path, dry_run: bool, as_json: bool) -> None:
    """Upsert targets from a targets.yaml file, by id (audit-logged; one bad entry changes nothing)."""
    report = import_file(_rt(), file, dry_run)
    if as_json:
        _print_json({"file": str(file), "dry_run": dry_run, **vars(report)})
        return
    click.echo(f"{'would import' if dry_run else 'imported'} {file}: {len(report.created)} created, "
               f"{len(report.updated)} updated, {len(report.unchanged)} unchanged")


@targets.command("export")
@click.argument("file", required=False, type=click.Path(path_type=Path))
def targets_export(file: Path | None) -> None:
    """Write every target as YAML (to FILE, or standard output)."""
    rt = _rt()
    with rt.sessions() as s:
        text = export_targets(s)
    if file is None:
        click.echo(text, nl=False)
    else:
        file.write_text(text, encoding="utf-8")


@cli.group()
def alerts() -> None:
    """Notification channels."""


alerts.add_command(alerts_list)
alerts.add_command(alerts_retry)


@alerts.command("test")
def alerts_test() -> None:
    """Send a test message to every channel and print each channel's result."""
    rt = _rt()
    if not rt.channels.urls:
        raise ConfigError("no notification channel: set REGWATCH_NOTIFY_URLS or write config/notifications.yaml")
    notifier = AppriseNotifier()
    alert = Alert("[regwatch] test notification",
                  f"This is a test message from regwatch at {utcnow():%Y-%m-%d %H:%M} UTC.\n"
                  f"Dashboard: {rt.settings.base_url}/")
    failed = 0
    for name, url in rt.channels.urls.items():
        ok, detail = notifier.send(url, alert, f"regwatch-test-{name}")
        failed += not ok
        click.echo(f"{name:<24} {'ok' if ok else 'FAILED'}  {mask(url)}  {'' if ok else detail}")
    if failed:
        raise RegwatchError(f"{failed} of {len(rt.channels.urls)} channel(s) failed")


@cli.command()
@click.option("--dir", "keep", type=click.Path(path_type=Path), help="Keep the demo database in this folder.")
def demo(keep: Path | None) -> None:
    """Replay thymosin alpha-1's real history offline through the real pipeline."""
    from monitor.demo import demo_command

    logging.basicConfig(level="WARNING", format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    demo_command(click.echo, keep)


@cli.command("settings")
def settings_cmd() -> None:
    """List every REGWATCH_* setting with its default and meaning."""
    for s in SETTINGS:
        click.echo(f"{s.name}={s.default}\n    {s.help}")


def main() -> None:
    """Entry point: expected errors → one line on stderr and their exit code."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except RegwatchError as exc:
        click.echo(f"regwatch: error: {exc}", err=True)
        sys.exit(exc.exit_code)


cli.add_command(db)
cli.add_command(prune)
cli.add_command(serve)
for _command in TARGET_COMMANDS:
    targets.add_command(_command)
cli.add_command(users)
cli.add_command(audit)
cli.add_command(allowlist)
