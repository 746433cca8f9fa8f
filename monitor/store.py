"""Row-level reads and writes the processor needs, kept apart from its flow."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from monitor.assess import Current
from monitor.models import DocumentRow, ObservationRow, SnapshotRow, TrackStateRow
from monitor.parsers import ParseResult

UNIQUE = ["target_id", "url"]

# How many of a document's latest versions count as "recent" for flapping.
FLAP_WINDOW = 5


def recent_hashes(s: Session, document_id: int) -> set[str]:
    """Content hashes of a document's latest FLAP_WINDOW versions."""
    rows = s.scalars(select(SnapshotRow.content_hash).where(SnapshotRow.document_id == document_id)
                     .order_by(SnapshotRow.last_seen_at.desc()).limit(FLAP_WINDOW))
    return set(rows)


def moves_on_absence(s: Session, result: ParseResult) -> bool:
    """Whether an observation that rests on absence would change a track's current state."""
    for obs in result.observations:
        if obs.from_absence:
            row = s.get(TrackStateRow, (obs.substance, obs.track))
            if row is not None and row.state != obs.state:
                return True
    return False


def document_row(session: Session, target_id: str, url: str, now: datetime) -> DocumentRow:
    """The document row for (target, url), created if it is new."""
    query = select(DocumentRow).where(DocumentRow.target_id == target_id, DocumentRow.url == url)
    doc = session.scalar(query)
    if doc is None:
        # Two crawls may meet the same new URL at once (a named `check` beside the daemon):
        # insert-if-absent is atomic on both backends (a plain INSERT would raise a unique
        # violation in the loser and roll back its whole capture), then read back whichever won.
        values = {"target_id": target_id, "url": url, "first_seen_at": now, "last_seen_at": now}
        if session.get_bind().dialect.name == "postgresql":
            session.execute(pg_insert(DocumentRow).values(values).on_conflict_do_nothing(index_elements=UNIQUE))
        else:
            session.execute(sqlite_insert(DocumentRow).values(values).on_conflict_do_nothing(index_elements=UNIQUE))
        doc = session.scalars(query).one()
    return doc


def current_of(s: Session, states: Mapping[tuple[str, str], TrackStateRow]) -> dict[tuple[str, str], Current]:
    """Track states with the detail of the observation that set each (what assess.transitions compares)."""
    out: dict[tuple[str, str], Current] = {}
    for key, row in states.items():
        setter = s.get(ObservationRow, row.observation_id)
        out[key] = Current(row.state, setter.detail if setter else {})
    return out
