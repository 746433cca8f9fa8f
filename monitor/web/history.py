"""The past, as the dashboard shows it: a substance's timeline and track history, one change, one snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.matching import SubstanceMatcher
from monitor.models import ChangeRow, DocumentRow, EventRow, ObservationRow, SnapshotRow, SubstanceRow, TargetRow
from monitor.vocab import TRACK_NAMES, TRACKS, state_label

KIND_LABELS = {"status": "Status change", "baseline": "First reading", "document": "Document", "source": "Source health"}


@dataclass(frozen=True)
class Entry:
    """One event on a timeline, with the stored snapshot its observation was read from."""

    event: EventRow
    snapshot_id: int | None

    @property
    def kind_label(self) -> str:
        """The event kind in words."""
        return KIND_LABELS.get(self.event.kind, self.event.kind)

    @property
    def from_label(self) -> str:
        """The old state in words."""
        return state_label(self.event.track or "", self.event.from_state)

    @property
    def to_label(self) -> str:
        """The new state in words."""
        return state_label(self.event.track or "", self.event.to_state)


def timeline(session: Session, substance_id: str, limit: int = 200) -> list[Entry]:
    """A substance's events, newest first, in one query."""
    rows = session.execute(
        select(EventRow, ObservationRow.snapshot_id)
        .outerjoin(ObservationRow, ObservationRow.id == EventRow.observation_id)
        .where(EventRow.substance_id == substance_id)
        .order_by(EventRow.observed_at.desc(), EventRow.id.desc())
        .limit(limit)
    ).all()
    return [Entry(e, snap) for e, snap in rows]


@dataclass(frozen=True)
class TrackHistory:
    """Every state a track has been set to, newest first."""

    track: str
    name: str
    entries: list[Entry]


def track_histories(session: Session, substance_id: str) -> list[TrackHistory]:
    """Per track, the observations that set its state (the baseline and each status change)."""
    rows = session.execute(
        select(EventRow, ObservationRow.snapshot_id)
        .outerjoin(ObservationRow, ObservationRow.id == EventRow.observation_id)
        .where(EventRow.substance_id == substance_id, EventRow.kind.in_(("status", "baseline")),
               EventRow.track.is_not(None))
        .order_by(EventRow.observed_at.desc(), EventRow.id.desc())
    ).all()
    by_track: dict[str, list[Entry]] = {}
    for e, snap in rows:
        by_track.setdefault(e.track or "", []).append(Entry(e, snap))
    order = [t for t in TRACKS if t in by_track] + sorted(t for t in by_track if t not in TRACKS)
    return [TrackHistory(t, TRACK_NAMES.get(t, t), by_track[t]) for t in order]


@dataclass(frozen=True)
class SnapshotMeta:
    """A stored snapshot without its text."""

    id: int
    title: str
    final_url: str
    kind: str
    content_hash: str
    captured_at: datetime
    last_seen_at: datetime


_META = (SnapshotRow.id, SnapshotRow.title, SnapshotRow.final_url, SnapshotRow.kind, SnapshotRow.content_hash,
         SnapshotRow.captured_at, SnapshotRow.last_seen_at)


@dataclass(frozen=True)
class ChangeDetail:
    """One stored change and what it is about."""

    change: ChangeRow
    document: DocumentRow
    target: TargetRow | None
    old: SnapshotMeta | None
    new: SnapshotMeta | None
    events: list[Entry]


def change_detail(session: Session, change_id: int) -> ChangeDetail | None:
    """A change with its document, target, both snapshots' metadata and the events it caused."""
    change = session.get(ChangeRow, change_id)
    if change is None:
        return None
    doc = session.get(DocumentRow, change.document_id)
    if doc is None:  # the foreign key cascades, so this is only a race with a deletion
        return None
    ids = [i for i in (change.old_snapshot_id, change.new_snapshot_id) if i is not None]
    metas = {r.id: SnapshotMeta(*r) for r in session.execute(select(*_META).where(SnapshotRow.id.in_(ids)))}
    events = session.execute(
        select(EventRow, ObservationRow.snapshot_id)
        .outerjoin(ObservationRow, ObservationRow.id == EventRow.observation_id)
        .where(EventRow.change_id == change_id).order_by(EventRow.id)
    ).all()
    return ChangeDetail(
        change, doc, session.get(TargetRow, doc.target_id),
        metas.get(change.old_snapshot_id) if change.old_snapshot_id is not None else None,
        metas.get(change.new_snapshot_id), [Entry(e, s) for e, s in events],
    )


@dataclass(frozen=True)
class SnapshotDetail:
    """A stored snapshot with its text and where it came from."""

    snapshot: SnapshotRow
    document: DocumentRow
    target: TargetRow | None


def snapshot_detail(session: Session, snapshot_id: int) -> SnapshotDetail | None:
    """One snapshot in full, or None."""
    snap = session.get(SnapshotRow, snapshot_id)
    if snap is None:
        return None
    doc = session.get(DocumentRow, snap.document_id)
    if doc is None:
        return None
    return SnapshotDetail(snap, doc, session.get(TargetRow, doc.target_id))


def matchers(session: Session) -> list[SubstanceMatcher]:
    """A matcher per watched substance, to mark mentions in diffs and snapshots."""
    return [SubstanceMatcher(s.id, s.name, tuple(s.synonyms), tuple(s.exclude))
            for s in session.scalars(select(SubstanceRow).order_by(SubstanceRow.id))]
