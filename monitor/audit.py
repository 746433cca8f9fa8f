"""The audit log: who changed what, when, with the object before and after.

Every change an operator makes (targets, users, tokens, settings, from the CLI or the web)
is recorded in the same transaction as the change itself, so the log never claims a change
that was rolled back and never misses one that was committed. Secrets are never logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.models import AuditRow
from monitor.views import iso

ACTIONS = ("create", "update", "enable", "disable", "delete", "import", "login", "logout", "token")


def record(session: Session, actor: str, action: str, entity: str, entity_id: str,
           before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, now: datetime) -> AuditRow:
    """Add one audit entry to the caller's transaction."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; known: {', '.join(ACTIONS)}")
    row = AuditRow(actor=actor[:64], at=now, action=action, entity=entity, entity_id=entity_id[:64],
                   before=dict(before) if before is not None else None,
                   after=dict(after) if after is not None else None)
    session.add(row)
    return row


def changed_fields(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[str]:
    """The keys whose value differs between `before` and `after` (all keys on create or delete)."""
    b, a = before or {}, after or {}
    return sorted(k for k in set(b) | set(a) if b.get(k) != a.get(k))


def entry_dict(row: AuditRow) -> dict[str, Any]:
    """One entry in the `audit --json` shape."""
    return {
        "id": row.id, "at": iso(row.at), "actor": row.actor, "action": row.action, "entity": row.entity,
        "entity_id": row.entity_id, "before": row.before, "after": row.after,
        "changed": changed_fields(row.before, row.after),
    }


def entries(session: Session, entity: str | None = None, entity_id: str | None = None,
            since: datetime | None = None, limit: int = 500) -> list[dict[str, Any]]:
    """Audit entries, newest first."""
    q = select(AuditRow).order_by(AuditRow.at.desc(), AuditRow.id.desc()).limit(limit)
    if entity is not None:
        q = q.where(AuditRow.entity == entity)
    if entity_id is not None:
        q = q.where(AuditRow.entity_id == entity_id)
    if since is not None:
        q = q.where(AuditRow.at >= since)
    return [entry_dict(r) for r in session.scalars(q)]
