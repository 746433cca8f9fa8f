"""Operator edits of targets: add, edit, enable, disable, remove, import; validated and audit-logged.

Every path validates with the model YAML import uses (`config.Target`, the substance ids
in the database, the parser's options model) plus the SSRF guard and the domain allowlist,
and records the target before and after in the audit log in the same transaction.

Re-baselining: an edit that changes what a target reads (url, parser, options, or adds a
substance) clears `last_success_at` and makes the target due now. Its next crawl is then
read as the target's first (`Processor.established`): every reading it brings is stored as
a `baseline` event, never a `status` alert, even where it differs from the current state.

Concurrent edits: each target has a `version` (a fingerprint of its config). An editor
passes the version it read; a save against a target changed since is refused (Conflict).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.audit import record
from monitor.config import Target, validate_options
from monitor.errors import ConfigError, Conflict, FetchFailed, Invalid
from monitor.models import ObservationRow, SubstanceRow, TargetRow, TrackStateRow
from monitor.targets import ImportReport, get_target, import_targets, target_fields
from monitor.urlguard import check_url

CONFIG_KEYS = ("id", "name", "url", "parser", "every", "substances", "follow", "options", "enabled")
_READS = ("url", "parser", "options")


def target_config(row: TargetRow) -> dict[str, Any]:
    """A stored target as its targets.yaml entry (what the audit log keeps before and after)."""
    return {"id": row.id, "name": row.name, "url": row.url, "parser": row.parser, "every": row.every,
            "substances": list(row.substances), "follow": list(row.follow), "options": dict(row.options),
            "enabled": row.enabled}


def version(config: Mapping[str, Any]) -> str:
    """A fingerprint of a target's config: changes whenever any key does."""
    return hashlib.sha256(json.dumps(dict(config), sort_keys=True, default=str).encode()).hexdigest()[:12]


def row_version(row: TargetRow) -> str:
    """The version of a stored target."""
    return version(target_config(row))


def field_message(err: Any) -> str:
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "missing":
        return "required"
    if err["type"] == "extra_forbidden":
        return f"unknown key (value {err['input']!r})"
    if err["type"] == "value_error" or msg.startswith(repr(err.get("input"))):
        return msg
    return f"{err.get('input')!r}: {msg}"


def validate_target(entry: Mapping[str, Any], substance_ids: set[str], domains: Sequence[str],
                    allow_private: bool) -> Target:
    """The entry as a Target, or Invalid naming every bad field (the web shows each beside its input)."""
    subject = f"target {entry.get('id')!r}" if entry.get("id") else "target"
    try:
        target = Target.model_validate(dict(entry))
    except ValidationError as exc:
        fields: dict[str, str] = {}
        for err in exc.errors():
            fields.setdefault(str(err["loc"][0]) if err["loc"] else "(entry)", field_message(err))
        raise Invalid(subject, fields) from None
    errors: dict[str, str] = {}
    unknown = [sid for sid in target.substances if sid not in substance_ids]
    if unknown:
        allowed = ", ".join(sorted(substance_ids)) or "(none defined)"
        errors["substances"] = f"{unknown[0]!r} is not a known substance; allowed: {allowed}"
    try:
        validate_options(target)
    except ValueError as exc:
        errors["options"] = str(exc).removeprefix("options.")
    try:
        check_url(target.url, allow_private, domains)
    except FetchFailed as exc:
        errors["url"] = str(exc)
    if errors:
        raise Invalid(subject, errors)
    return target


def known_substances(session: Session) -> set[str]:
    """The substance ids a target may name."""
    return set(session.scalars(select(SubstanceRow.id)))


def _check_version(row: TargetRow, expected: str | None) -> None:
    if expected is not None and expected != row_version(row):
        raise Conflict(
            f"target {row.id!r} was changed by someone else since you opened it (version {expected}, "
            f"now {row_version(row)}); nothing was saved: reload it and apply your change again"
        )


def _rebaseline(row: TargetRow, before: Mapping[str, Any], after: Mapping[str, Any], now: datetime) -> bool:
    added = set(after["substances"]) - set(before["substances"])
    if any(before[k] != after[k] for k in _READS) or added:
        row.last_success_at = None
        row.next_check_at = now
        return True
    return False


def add_target(session: Session, entry: Mapping[str, Any], actor: str, now: datetime,
               domains: Sequence[str], allow_private: bool) -> TargetRow:
    """Create a target from a targets.yaml-shaped entry; it is due at once."""
    target = validate_target(entry, known_substances(session), domains, allow_private)
    if session.get(TargetRow, target.id) is not None:
        raise Invalid(f"target {target.id!r}", {"id": f"a target with id {target.id!r} already exists"})
    row = TargetRow(id=target.id, created_at=now, updated_at=now, next_check_at=now, **target_fields(target))
    session.add(row)
    session.flush()
    record(session, actor, "create", "target", target.id, None, target_config(row), now)
    return row


def edit_target(session: Session, target_id: str, changes: Mapping[str, Any], actor: str, now: datetime,
                domains: Sequence[str], allow_private: bool, expect_version: str | None = None) -> TargetRow:
    """Apply `changes` (targets.yaml keys) to a target; unchanged keys keep their value."""
    row = get_target(session, target_id)
    _check_version(row, expect_version)
    if "id" in changes and changes["id"] != target_id:
        raise Invalid(f"target {target_id!r}", {"id": "a target's id cannot change (it keys its history)"})
    before = target_config(row)
    entry = {**before, **{k: v for k, v in changes.items() if k != "id"}}
    target = validate_target(entry, known_substances(session), domains, allow_private)
    values = target_fields(target)
    changed = {k: v for k, v in values.items() if getattr(row, k) != v}
    if not changed:
        return row
    for k, v in changed.items():
        setattr(row, k, v)
    row.updated_at = now
    after = target_config(row)
    if "every_seconds" in changed or (target.enabled and not before["enabled"]):
        row.next_check_at = now
    _rebaseline(row, before, after, now)
    record(session, actor, "update", "target", target_id, before, after, now)
    return row


def set_enabled(session: Session, target_id: str, enabled: bool, actor: str, now: datetime,
                expect_version: str | None = None) -> TargetRow:
    """Enable (due at once) or disable a target; a no-op when it already is."""
    row = get_target(session, target_id)
    _check_version(row, expect_version)
    if row.enabled == enabled:
        return row
    before = target_config(row)
    row.enabled = enabled
    row.updated_at = now
    if enabled:
        row.next_check_at = now
    record(session, actor, "enable" if enabled else "disable", "target", target_id, before, target_config(row), now)
    return row


def remove_target(session: Session, target_id: str, actor: str, now: datetime, force: bool = False,
                  expect_version: str | None = None) -> dict[str, Any]:
    """Delete a target with its documents, snapshots and checks (events stay as history).

    A target whose readings are the evidence of a current status is kept unless `force`
    (then those statuses are dropped and read afresh): disabling it is usually what is meant.
    """
    row = get_target(session, target_id)
    _check_version(row, expect_version)
    backed = list(session.scalars(select(TrackStateRow).join(
        ObservationRow, ObservationRow.id == TrackStateRow.observation_id).where(ObservationRow.target_id == target_id)))
    if backed and not force:
        what = ", ".join(f"{t.substance_id} {t.track} = {t.state}" for t in backed)
        raise Conflict(f"target {target_id!r} holds the evidence of the current status ({what}); "
                       "disable it instead, or remove it with --force to drop those statuses")
    before = target_config(row)
    if backed:
        before["dropped_statuses"] = [f"{t.substance_id} {t.track} {t.state}" for t in backed]
    for t in backed:
        session.delete(t)
    session.flush()
    session.delete(row)
    session.flush()
    record(session, actor, "delete", "target", target_id, before, None, now)
    return before


def import_checked(session: Session, path: Path, targets: Sequence[Target], actor: str, now: datetime,
                   domains: Sequence[str], allow_private: bool) -> ImportReport:
    """Import validated targets (config.load_targets) after the URL checks; audit-logged.

    Every target is checked before anything is written, so one bad entry changes nothing.
    """
    for t in targets:
        try:
            check_url(t.url, allow_private, domains)
        except FetchFailed as exc:
            raise ConfigError(f"{path}: target {t.id!r}: url: {exc}") from None
    before = {t.id: target_config(row) for t in targets if (row := session.get(TargetRow, t.id)) is not None}
    report = import_targets(session, targets, now)
    session.flush()
    for tid in report.created:
        record(session, actor, "create", "target", tid, None, target_config(get_target(session, tid)), now)
    for tid in report.updated:
        row = get_target(session, tid)
        after = target_config(row)
        _rebaseline(row, before[tid], after, now)
        record(session, actor, "update", "target", tid, before[tid], after, now)
    return report
