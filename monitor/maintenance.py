"""Retention and backups: what `regwatch prune` deletes, and how `regwatch db backup` copies the store.

Pruning never touches what the dashboard, an alert or a status rests on:
- `checks` older than the cutoff are thinned to a daily summary: per target, UTC day and
  outcome the latest check survives (so each day still shows whether a target was failing,
  unchanged or not modified, with the last error), and every `changed` check survives.
- `changes` older than the cutoff are deleted only when no event points at them (events are
  how the dashboard and alerts link to a diff) and they are not their document's latest.
- `snapshots` older than the cutoff are deleted only when nothing points at them: no
  observation (so every snapshot that set or evidenced a status stays), no remaining change,
  no event or track state (through their observation or change), no document as current.

The selection is pure (`thin_checks`, `prunable_changes`, `prunable_snapshots`); `prune`
is the I/O edge that reads candidates, applies the selection and deletes in batches.
"""

from __future__ import annotations

import shlex
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from monitor.errors import StoreError
from monitor.models import ChangeRow, CheckRow, DocumentRow, EventRow, ObservationRow, SnapshotRow, TrackStateRow

BATCH = 500


@dataclass(frozen=True)
class CheckInfo:
    """What retention needs to know about one check."""

    id: int
    target_id: str
    started_at: datetime
    outcome: str


@dataclass(frozen=True)
class ChangeInfo:
    """What retention needs to know about one change."""

    id: int
    document_id: int
    created_at: datetime


@dataclass(frozen=True)
class PruneReport:
    """What a prune deleted and what it kept of the old rows."""

    cutoff: datetime
    checks_deleted: int
    checks_kept: int
    changes_deleted: int
    snapshots_deleted: int
    snapshots_kept: int


def thin_checks(checks: Iterable[CheckInfo], cutoff: datetime) -> list[int]:
    """Ids of checks to delete: older than `cutoff`, not `changed`, not their day's latest of their outcome."""
    latest: dict[tuple[str, date, str], CheckInfo] = {}
    old: list[CheckInfo] = []
    for c in checks:
        if c.started_at >= cutoff or c.outcome == "changed":
            continue
        old.append(c)
        key = (c.target_id, c.started_at.date(), c.outcome)
        best = latest.get(key)
        if best is None or (c.started_at, c.id) > (best.started_at, best.id):
            latest[key] = c
    keep = {c.id for c in latest.values()}
    return sorted(c.id for c in old if c.id not in keep)


def prunable_changes(changes: Iterable[ChangeInfo], cutoff: datetime, linked: set[int]) -> list[int]:
    """Ids of changes to delete: older than `cutoff`, no event links them, not their document's latest."""
    rows = list(changes)
    newest: dict[int, ChangeInfo] = {}
    for c in rows:
        best = newest.get(c.document_id)
        if best is None or (c.created_at, c.id) > (best.created_at, best.id):
            newest[c.document_id] = c
    keep = linked | {c.id for c in newest.values()}
    return sorted(c.id for c in rows if c.created_at < cutoff and c.id not in keep)


def prunable_snapshots(snapshots: Iterable[tuple[int, datetime]], cutoff: datetime, referenced: set[int]) -> list[int]:
    """Ids of snapshots to delete: last seen before `cutoff` and referenced by nothing."""
    return sorted(sid for sid, last_seen in snapshots if last_seen < cutoff and sid not in referenced)


def _delete(s: Session, column: Any, ids: Sequence[int]) -> None:
    for i in range(0, len(ids), BATCH):
        s.execute(delete(column.table).where(column.in_(ids[i:i + BATCH])))


def _referenced_snapshots(s: Session) -> set[int]:
    """Every snapshot something points at (after changes were pruned)."""
    refs: set[int] = set()
    queries = [
        select(ObservationRow.snapshot_id),
        select(DocumentRow.current_snapshot_id),
        select(ChangeRow.old_snapshot_id),
        select(ChangeRow.new_snapshot_id),
        # Already covered by observations and changes; kept explicit so a future schema
        # change (e.g. pruning observations) cannot silently orphan what a status rests on.
        select(ObservationRow.snapshot_id).join(TrackStateRow, TrackStateRow.observation_id == ObservationRow.id),
        select(ObservationRow.snapshot_id).join(EventRow, EventRow.observation_id == ObservationRow.id),
        select(ChangeRow.old_snapshot_id).join(EventRow, EventRow.change_id == ChangeRow.id),
        select(ChangeRow.new_snapshot_id).join(EventRow, EventRow.change_id == ChangeRow.id),
    ]
    for q in queries:
        refs.update(i for i in s.scalars(q.distinct()) if i is not None)
    return refs


def prune(sessions: sessionmaker[Session], cutoff: datetime) -> PruneReport:
    """Delete what retention allows before `cutoff` (one transaction per table, oldest first)."""
    with sessions.begin() as s:
        checks = [CheckInfo(*r) for r in s.execute(select(
            CheckRow.id, CheckRow.target_id, CheckRow.started_at, CheckRow.outcome).where(CheckRow.started_at < cutoff))]
        doomed_checks = thin_checks(checks, cutoff)
        _delete(s, CheckRow.id, doomed_checks)
    with sessions.begin() as s:
        linked = {i for i in s.scalars(select(EventRow.change_id).distinct()) if i is not None}
        changes = [ChangeInfo(*r) for r in s.execute(select(ChangeRow.id, ChangeRow.document_id, ChangeRow.created_at))]
        doomed_changes = prunable_changes(changes, cutoff, linked)
        _delete(s, ChangeRow.id, doomed_changes)
    with sessions.begin() as s:
        old = list(s.execute(select(SnapshotRow.id, SnapshotRow.last_seen_at).where(SnapshotRow.last_seen_at < cutoff)))
        doomed_snaps = prunable_snapshots(((r[0], r[1]) for r in old), cutoff, _referenced_snapshots(s))
        _delete(s, SnapshotRow.id, doomed_snaps)
    return PruneReport(cutoff, len(doomed_checks), len(checks) - len(doomed_checks), len(doomed_changes),
                       len(doomed_snaps), len(old) - len(doomed_snaps))


def backend(url: str) -> str:
    """'sqlite', 'postgresql' or another SQLAlchemy backend name."""
    return make_url(url).get_backend_name()


def default_backup_path(url: str, now: datetime, folder: Path = Path("var/backups")) -> Path:
    """var/backups/regwatch-<UTC time>.db (SQLite) or .dump (pg_dump custom format)."""
    suffix = ".db" if backend(url) == "sqlite" else ".dump"
    return folder / f"regwatch-{now:%Y%m%dT%H%M%SZ}{suffix}"


def backup_sqlite(url: str, dest: Path) -> Path:
    """Copy a live SQLite database to `dest` with sqlite3's online backup API (safe while regwatch runs)."""
    source = make_url(url).database
    if not source or source == ":memory:" or not Path(source).is_file():
        raise StoreError(f"no SQLite database file to back up at {source!r} (REGWATCH_DATABASE_URL={url!r})")
    if dest.exists():
        raise StoreError(f"backup file {dest} already exists; name another file")
    dest.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return dest


def libpq_url(url: str, hide_password: bool = True) -> str:
    """The URL as libpq tools (pg_dump, psql) take it: no '+driver', password masked by default."""
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=hide_password)


def pg_dump_command(url: str, dest: Path) -> str:
    """The pg_dump command that backs up the database at `url` to `dest` (password shown as ***)."""
    return shlex.join(["pg_dump", "--format=custom", "--no-owner", f"--file={dest}", f"--dbname={libpq_url(url)}"])


def pg_restore_command(url: str, dump: Path) -> str:
    """The pg_restore command that restores `dump` into the database at `url` (password shown as ***)."""
    return shlex.join(["pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={libpq_url(url)}", str(dump)])
