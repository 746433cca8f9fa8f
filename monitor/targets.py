"""Targets and substances in the database: import (upsert by id), export, listing."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.config import Substance, Target
from monitor.errors import NotFound
from monitor.models import SubstanceRow, TargetRow

# Spread checks of targets with the same interval: up to this share of the interval.
JITTER_SHARE = 0.1
# Fields whose change makes the stored snapshots of a target incomparable.
_REBASELINE_FIELDS = ("url", "parser", "options")


@dataclass
class ImportReport:
    """What an import did, by target id."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def jitter(target_id: str, every_seconds: int) -> timedelta:
    """A stable per-target offset, so equal intervals do not all fall due on one tick."""
    share = (zlib.crc32(target_id.encode()) % 1000) / 1000
    return timedelta(seconds=int(every_seconds * JITTER_SHARE * share))


def next_check(target_id: str, every_seconds: int, now: datetime) -> datetime:
    """When a target checked now is next due."""
    return now + timedelta(seconds=every_seconds) + jitter(target_id, every_seconds)


def target_fields(t: Target) -> dict[str, Any]:
    """The columns an imported target sets."""
    return {
        "name": t.name, "url": t.url, "parser": t.parser, "options": dict(t.options), "every": t.every,
        "every_seconds": t.every_seconds, "follow": list(t.follow), "substances": list(t.substances),
        "enabled": t.enabled,
    }


def import_targets(session: Session, targets: Sequence[Target], now: datetime) -> ImportReport:
    """Upsert targets by id; a new or re-pointed target is due at once."""
    report = ImportReport()
    for t in targets:
        row = session.get(TargetRow, t.id)
        values = target_fields(t)
        if row is None:
            session.add(TargetRow(id=t.id, created_at=now, updated_at=now, next_check_at=now, **values))
            report.created.append(t.id)
            continue
        changed = {k: v for k, v in values.items() if getattr(row, k) != v}
        if not changed:
            report.unchanged.append(t.id)
            continue
        for k, v in changed.items():
            setattr(row, k, v)
        row.updated_at = now
        if any(k in changed for k in _REBASELINE_FIELDS) or "every_seconds" in changed:
            row.next_check_at = now
        report.updated.append(t.id)
    return report


def sync_substances(session: Session, substances: Sequence[Substance], now: datetime) -> None:
    """Make the substances table match the config (upsert; substances are never deleted: history)."""
    for s in substances:
        row = session.get(SubstanceRow, s.id)
        values = {"name": s.name, "synonyms": list(s.synonyms), "exclude": list(s.exclude)}
        if row is None:
            session.add(SubstanceRow(id=s.id, updated_at=now, **values))
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            row.updated_at = now


def export_targets(session: Session) -> str:
    """All targets as a targets.yaml document that `import` reads back unchanged."""
    out = []
    for row in session.scalars(select(TargetRow).order_by(TargetRow.id)):
        entry: dict[str, Any] = {"id": row.id, "name": row.name, "url": row.url, "parser": row.parser,
                                 "every": row.every, "substances": list(row.substances)}
        if row.follow:
            entry["follow"] = list(row.follow)
        if row.options:
            entry["options"] = dict(row.options)
        entry["enabled"] = row.enabled
        out.append(entry)
    return yaml.safe_dump({"targets": out}, sort_keys=False, allow_unicode=True)


def get_target(session: Session, target_id: str) -> TargetRow:
    """The target with this id, or NotFound listing the known ids."""
    row = session.get(TargetRow, target_id)
    if row is None:
        known = ", ".join(session.scalars(select(TargetRow.id).order_by(TargetRow.id))) or "(none)"
        raise NotFound(f"no target {target_id!r}; known targets: {known}")
    return row
