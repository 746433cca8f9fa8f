"""`regwatch targets add|edit|enable|disable|remove|test`: operator edits from a shell or a script.

Each command validates like `targets import`, is audit-logged with the caller as actor
(`cli:<os user>`), and prints the target (`--json`: the `targets show --json` shape plus
`version`). `test` fetches through the real crawl path and stores nothing.
"""

from __future__ import annotations

import getpass
import json
import logging
import sys
from pathlib import Path
from typing import Any

import click
import yaml

from monitor import views
from monitor.allowlist import allowed_domains
from monitor.config import Target, load_targets
from monitor.errors import Invalid
from monitor.models import TargetRow
from monitor.preview import PreviewReport, dry_run
from monitor.runtime import Runtime, bootstrap, utcnow
from monitor.target_ops import (
    add_target,
    edit_target,
    import_checked,
    known_substances,
    remove_target,
    row_version,
    set_enabled,
    target_config,
    validate_target,
)
from monitor.targets import ImportReport, get_target


def load_runtime() -> Runtime:
    """Settings, config and database for one command, with logging to stderr."""
    rt = bootstrap()
    logging.basicConfig(level=rt.settings.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return rt


def cli_actor() -> str:
    """Who an edit from the command line is recorded as."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def target_json(row: TargetRow) -> dict[str, Any]:
    """`targets show --json` plus the version an editor passes back with --if-version."""
    return {**views.target_dict(row), "version": row_version(row)}


def _show(row: TargetRow, as_json: bool, verb: str) -> None:
    if as_json:
        click.echo(json.dumps(target_json(row), indent=2, ensure_ascii=False))
    else:
        state = "enabled" if row.enabled else "disabled"
        click.echo(f"{verb} target {row.id} ({state}, version {row_version(row)}): {row.parser} {row.url}")


def _options(pairs: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise Invalid("target", {"options": f"{pair!r} is not KEY=VALUE"})
        out[key.strip()] = yaml.safe_load(raw) if raw.strip() else None
    return out


JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
VERSION_OPTION = click.option("--if-version", "expect", metavar="VERSION",
                              help="Refuse the change if the target is no longer at this version (from --json).")


@click.command("add")
@click.argument("target_id")
@click.option("--name", required=True, help="Display name.")
@click.option("--url", required=True, help="The http(s) URL to watch.")
@click.option("--parser", required=True, help="Parser name (see docs/configuration.md).")
@click.option("--every", default="6h", show_default=True, help="Check interval: 90s, 30m, 6h, 1d.")
@click.option("--substance", "substances", multiple=True, help="A substance id to watch (repeatable).")
@click.option("--follow", multiple=True, help="A regular expression of links to follow (repeatable).")
@click.option("--option", "options", multiple=True, metavar="KEY=VALUE", help="A parser option (repeatable).")
@click.option("--disabled", is_flag=True, help="Add it disabled.")
@JSON_OPTION
def targets_add(target_id: str, name: str, url: str, parser: str, every: str, substances: tuple[str, ...],
                follow: tuple[str, ...], options: tuple[str, ...], disabled: bool, as_json: bool) -> None:
    """Add a target; it is checked on the next tick."""
    rt = load_runtime()
    entry = {"id": target_id, "name": name, "url": url, "parser": parser, "every": every,
             "substances": list(substances), "follow": list(follow), "options": _options(options),
             "enabled": not disabled}
    with rt.sessions.begin() as s:
        row = add_target(s, entry, cli_actor(), utcnow(), allowed_domains(s), rt.settings.allow_private_hosts)
    _show(row, as_json, "added")


@click.command("edit")
@click.argument("target_id")
@click.option("--name", help="Display name.")
@click.option("--url", help="The http(s) URL to watch (re-baselines the target).")
@click.option("--parser", help="Parser name (re-baselines the target).")
@click.option("--every", help="Check interval: 90s, 30m, 6h, 1d.")
@click.option("--substance", "substances", multiple=True, help="Replace the substances (repeatable).")
@click.option("--follow", multiple=True, help="Replace the follow patterns (repeatable).")
@click.option("--no-follow", is_flag=True, help="Remove every follow pattern.")
@click.option("--option", "options", multiple=True, metavar="KEY=VALUE",
              help="Set a parser option (repeatable; an empty VALUE removes it; re-baselines the target).")
@VERSION_OPTION
@JSON_OPTION
def targets_edit(target_id: str, name: str | None, url: str | None, parser: str | None, every: str | None,
                 substances: tuple[str, ...], follow: tuple[str, ...], no_follow: bool, options: tuple[str, ...],
                 expect: str | None, as_json: bool) -> None:
    """Change some keys of a target; the others keep their value."""
    rt = load_runtime()
    changes: dict[str, Any] = {k: v for k, v in {"name": name, "url": url, "parser": parser, "every": every}.items()
                               if v is not None}
    if substances:
        changes["substances"] = list(substances)
    if follow or no_follow:
        changes["follow"] = list(follow)
    with rt.sessions.begin() as s:
        if options:
            merged = {**get_target(s, target_id).options, **_options(options)}
            changes["options"] = {k: v for k, v in merged.items() if v is not None}
        before = row_version(get_target(s, target_id))
        row = edit_target(s, target_id, changes, cli_actor(), utcnow(), allowed_domains(s),
                          rt.settings.allow_private_hosts, expect)
        verb = "unchanged" if row_version(row) == before else "updated"
    _show(row, as_json, verb)


def _switch(target_id: str, enabled: bool, expect: str | None, as_json: bool) -> None:
    rt = load_runtime()
    with rt.sessions.begin() as s:
        row = set_enabled(s, target_id, enabled, cli_actor(), utcnow(), expect)
    _show(row, as_json, "enabled" if enabled else "disabled")


@click.command("enable")
@click.argument("target_id")
@VERSION_OPTION
@JSON_OPTION
def targets_enable(target_id: str, expect: str | None, as_json: bool) -> None:
    """Enable a target (it is due at once)."""
    _switch(target_id, True, expect, as_json)


@click.command("disable")
@click.argument("target_id")
@VERSION_OPTION
@JSON_OPTION
def targets_disable(target_id: str, expect: str | None, as_json: bool) -> None:
    """Disable a target: it keeps its history and is no longer checked."""
    _switch(target_id, False, expect, as_json)


@click.command("remove")
@click.argument("target_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--force", is_flag=True, help="Also drop the current statuses this target is the evidence of.")
@VERSION_OPTION
@JSON_OPTION
def targets_remove(target_id: str, yes: bool, force: bool, expect: str | None, as_json: bool) -> None:
    """Delete a target with its documents, snapshots and checks (its events stay)."""
    rt = load_runtime()
    if not yes:
        click.confirm(f"Delete target {target_id!r} and its stored documents?", abort=True, err=True)
    with rt.sessions.begin() as s:
        before = remove_target(s, target_id, cli_actor(), utcnow(), force, expect)
    if as_json:
        click.echo(json.dumps({"removed": target_id, "before": before}, indent=2, ensure_ascii=False))
    else:
        click.echo(f"removed target {target_id}")


def _print_preview(report: PreviewReport) -> None:
    for c in report.captures:
        click.echo(f"{c['outcome']:<12} {c.get('status') or '-':<4} {c['url']}")
        if c.get("error"):
            click.echo(f"    error: {c['error']}")
        for o in c.get("observations", []):
            would = f"  → would raise a {o['would']} event" if o["would"] else ""
            click.echo(f"    {o['substance']} {o['track']}: {o['state']} (now {o['current'] or '-'}){would}")
            click.echo(f"        “{o['evidence'][:160]}”")
        if c.get("diff"):
            click.echo("    diff against the stored snapshot:")
            for line in c["diff"].splitlines()[:60]:
                click.echo(f"      {line}")
        elif c.get("text"):
            click.echo(f"    text ({c['text_length']} characters): {c['text'][:300]!r}")
    if report.error:
        click.echo(f"error: {report.error}")


@click.command("test")
@click.argument("target_id")
@click.option("--url", help="Test this URL instead of the stored one (nothing is saved).")
@click.option("--parser", help="Test with this parser instead of the stored one.")
@click.option("--option", "options", multiple=True, metavar="KEY=VALUE", help="Override a parser option.")
@JSON_OPTION
def targets_test(target_id: str, url: str | None, parser: str | None, options: tuple[str, ...], as_json: bool) -> None:
    """Fetch a target now through the real crawl and show text, observations and diff; store nothing.

    Exits 1 when the target's own page fails (as its check would)."""
    rt = load_runtime()
    with rt.sessions() as s:
        entry = target_config(get_target(s, target_id))
        entry.update({k: v for k, v in {"url": url, "parser": parser}.items() if v is not None})
        if options:
            entry["options"] = {**entry["options"], **_options(options)}
        target: Target = validate_target(entry, known_substances(s), allowed_domains(s),
                                         rt.settings.allow_private_hosts)
    report = dry_run(rt.sessions, rt.settings, target)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        _print_preview(report)
    primary = next((c for c in report.captures if c.get("primary")), None)
    if report.error or primary is None or primary["outcome"] == "failed":
        sys.exit(1)  # scripts can tell a target that would fail its check


def import_file(rt: Runtime, file: Path, dry_run_only: bool) -> ImportReport:
    """`targets import`: validate the whole file (entries and URLs), then upsert by id, audit-logged."""
    with rt.sessions() as s:
        known = known_substances(s)
    parsed = load_targets(file, known)
    with rt.sessions.begin() as s:
        report = import_checked(s, file, parsed, cli_actor(), utcnow(), allowed_domains(s),
                                rt.settings.allow_private_hosts)
        if dry_run_only:
            s.rollback()
    return report


TARGET_COMMANDS = (targets_add, targets_edit, targets_enable, targets_disable, targets_remove, targets_test)
