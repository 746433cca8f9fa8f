"""Source health: consecutive failures, one `source` event when failing, one on recovery."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from monitor.capture import PlanChannel
from monitor.events import add_event
from monitor.models import TargetRow


def _fmt(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M UTC")


def mark_success(session: Session, target: TargetRow, outcome: str, now: datetime,
                 channels: Sequence[PlanChannel]) -> None:
    """A good check: reset the failure count; announce recovery if a failure was announced."""
    if target.failure_alerted:
        add_event(
            session, channels, now, kind="source", severity="info", target_id=target.id, url=target.url,
            observed_at=now,
            summary=f"Source {target.name} recovered after {target.consecutive_failures} failed checks "
                    f"(failing since {_fmt(target.failing_since or now)})",
        )
    target.consecutive_failures = 0
    target.failing_since = None
    target.failure_alerted = False
    target.last_checked_at = now
    target.last_success_at = now
    target.last_outcome = outcome
    target.last_error = None
    if outcome == "changed":
        target.last_change_at = now


def mark_failure(session: Session, target: TargetRow, reason: str, now: datetime, threshold: int,
                 channels: Sequence[PlanChannel]) -> None:
    """A failed check: count it; at `threshold` in a row raise one `source` event."""
    target.consecutive_failures += 1
    target.failing_since = target.failing_since or now
    target.last_checked_at = now
    target.last_outcome = "failed"
    target.last_error = reason
    if target.consecutive_failures >= threshold and not target.failure_alerted:
        target.failure_alerted = True
        add_event(
            session, channels, now, kind="source", severity="high", target_id=target.id, url=target.url,
            observed_at=now, evidence=reason,
            summary=f"Source {target.name} failing since {_fmt(target.failing_since)} "
                    f"({target.consecutive_failures} checks in a row), last reason: {reason}",
        )
