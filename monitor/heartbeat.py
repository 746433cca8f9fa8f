"""Heartbeats: a long-running component records when it last ran, so /healthz in any process can tell.

The row lives in the database (not a file) because `regwatch serve` and `regwatch run --no-web`
may run as two services that share only the database.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from monitor.models import HeartbeatRow

SCHEDULER = "scheduler"


def beat(session: Session, name: str, now: datetime, interval_seconds: int) -> None:
    """Record that `name` is alive at `now` and will beat again within `interval_seconds`."""
    row = session.get(HeartbeatRow, name)
    if row is None:
        row = HeartbeatRow(name=name, beat_at=now, interval_seconds=interval_seconds, pid=os.getpid(),
                           host=socket.gethostname()[:255])
        session.add(row)
    row.beat_at, row.interval_seconds = now, interval_seconds
    row.pid, row.host = os.getpid(), socket.gethostname()[:255]


@dataclass(frozen=True)
class Pulse:
    """How a heartbeat reads at `now`."""

    name: str
    beat_at: datetime | None
    age_seconds: float | None
    interval_seconds: int | None
    alive: bool


# A component counts as alive while its last beat is younger than this many of its intervals
# (one missed beat is normal under load; three is not).
MISSED_BEATS = 3


def pulse(session: Session, name: str, now: datetime) -> Pulse:
    """Read `name`'s heartbeat: its age and whether it is recent enough to call the component alive."""
    row = session.get(HeartbeatRow, name)
    if row is None:
        return Pulse(name, None, None, None, False)
    age = max(0.0, (now - row.beat_at).total_seconds())
    return Pulse(name, row.beat_at, age, row.interval_seconds, age <= MISSED_BEATS * max(1, row.interval_seconds))
