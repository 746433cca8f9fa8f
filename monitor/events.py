"""Writing events and their outbox rows (always inside the caller's transaction)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from monitor.capture import PlanChannel
from monitor.models import DeliveryRow, EventRow


def channel_name_for_url(url: str) -> str:
    """A stable channel name for a bare REGWATCH_NOTIFY_URLS entry, without revealing it."""
    return "notify-" + hashlib.sha256(url.encode()).hexdigest()[:10]


def idempotency_key(event_id: int, channel: str) -> str:
    """The key a receiver uses to drop a redelivered alert: one per event and channel."""
    return f"regwatch-{event_id}-{channel}"


def add_event(
    session: Session,
    channels: Sequence[PlanChannel],
    now: datetime,
    *,
    kind: str,
    severity: str,
    summary: str,
    observed_at: datetime,
    substance_id: str | None = None,
    track: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    evidence: str = "",
    url: str | None = None,
    target_id: str | None = None,
    change_id: int | None = None,
    observation_id: int | None = None,
) -> EventRow:
    """Insert an event and one pending delivery per channel that wants it."""
    event = EventRow(
        kind=kind, severity=severity, summary=summary, observed_at=observed_at,
        substance_id=substance_id, track=track, from_state=from_state, to_state=to_state,
        evidence=evidence, url=url, target_id=target_id, change_id=change_id,
        observation_id=observation_id,
    )
    session.add(event)
    session.flush()
    for ch in channels:
        if kind in ch.events and (not ch.substances or substance_id is None or substance_id in ch.substances):
            session.add(DeliveryRow(
                event_id=event.id, channel=ch.name, idempotency_key=idempotency_key(event.id, ch.name),
                status="pending", attempts=0, next_attempt_at=now, created_at=now,
            ))
    return event
