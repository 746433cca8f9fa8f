"""Byte-identical captures, recorded in batches.

Most checks find a page byte for byte as it was: nothing to read, parse or assess, only
"seen again, still healthy" to write. Written one transaction per capture, that bookkeeping
was most of an unchanged crawl's cost (1,000 pages: ~4 s of ORM round trips), so the
processor queues such captures here and writes them together with a few Core statements.

Correctness rests on what the crawl read when it started (`load`). The writes re-check it:
a document updated meanwhile by another crawl, or a target edited or failing meanwhile, is
handed back to the processor, which runs the full path for that capture instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, false, insert, select, update
from sqlalchemy.orm import Session

from monitor.capture import Capture, PlanTarget
from monitor.models import CheckRow, DocumentRow, SnapshotRow, TargetRow

# Bodies are kept until written (a capture handed back is read in full), so batches stay small.
MAX_BATCH = 256


@dataclass(frozen=True)
class Known:
    """A document's state when the crawl started: its current snapshot and the raw bytes behind it."""

    document_id: int
    snapshot_id: int
    raw_sha256: str
    assessed_key: str | None
    # The snapshot's text hash: a worker does not parse a text already read (monitor/readahead.py).
    content_hash: str


@dataclass(frozen=True)
class Seen:
    """A capture found byte-identical, waiting to be written."""

    capture: Capture
    known: Known


def _same_config(row: Any, planned: PlanTarget) -> bool:
    return (row.url, row.parser, dict(row.options or {})) == (planned.url, planned.parser, dict(planned.options))


class UnchangedBatch:
    """The byte-identical captures of one crawl not yet written, and what they are checked against."""

    def __init__(self, known: Mapping[tuple[str, str], Known], healthy: Mapping[str, datetime]):
        self.known = dict(known)
        # Targets with no failure to count down or recovery to announce, and their config's
        # version (updated_at): only their successes are plain bookkeeping.
        self.healthy = dict(healthy)
        self.pending: list[Seen] = []

    @classmethod
    def load(cls, s: Session, targets: Iterable[PlanTarget]) -> UnchangedBatch:
        """What the crawl's targets' documents held when it started, in two queries."""
        planned = {t.id: t for t in targets}
        ids = list(planned)
        known = {
            (r.target_id, r.url): Known(r.id, r.current_snapshot_id, r.last_raw_sha256, r.assessed_key,
                                        r.content_hash)
            for r in s.execute(
                select(DocumentRow.target_id, DocumentRow.url, DocumentRow.id, DocumentRow.current_snapshot_id,
                       DocumentRow.last_raw_sha256, SnapshotRow.assessed_key, SnapshotRow.content_hash)
                .join(SnapshotRow, SnapshotRow.id == DocumentRow.current_snapshot_id)
                .where(DocumentRow.target_id.in_(ids), DocumentRow.last_raw_sha256.is_not(None)))
        }
        healthy = {
            r.id: r.updated_at for r in s.execute(
                select(TargetRow.id, TargetRow.url, TargetRow.parser, TargetRow.options, TargetRow.updated_at)
                .where(TargetRow.id.in_(ids), TargetRow.consecutive_failures == 0,
                       TargetRow.failure_alerted.is_(False), TargetRow.last_success_at.is_not(None)))
            if _same_config(r, planned[r.id])
        }
        return cls(known, healthy)

    def match(self, capture: Capture, key: str) -> Known | None:
        """The document state a capture repeats byte for byte, or None when it needs the full path."""
        if capture.error or capture.status is None or not 200 <= capture.status < 300 or capture.confirming:
            return None
        if capture.primary and capture.target_id not in self.healthy:
            return None
        known = self.known.get((capture.target_id, capture.url))
        if known is None or known.assessed_key != key:
            return None
        return known if capture.body_sha256 == known.raw_sha256 else None

    def maybe_same(self, capture: Capture) -> bool:
        """False when the crawl-start state says this body differs from the document's last one."""
        known = self.known.get((capture.target_id, capture.url))
        return known is None or capture.body_sha256 == known.raw_sha256

    def add(self, capture: Capture, known: Known) -> None:
        """Queue a matched capture for the next write."""
        self.pending.append(Seen(capture, known))

    @property
    def full(self) -> bool:
        """Whether the batch should be written now."""
        return len(self.pending) >= MAX_BATCH

    def take(self) -> list[Seen]:
        """Empty the batch, returning what it held."""
        out, self.pending = self.pending, []
        return out

    def write(self, s: Session, seen: list[Seen], now: datetime) -> list[Seen]:
        """Record `seen` as unchanged, successful checks; return the captures whose document or
        target changed since the crawl started (the caller runs the full path for them)."""
        # Core statements on the session's connection: no ORM identity map or unit of work.
        conn = s.connection()
        doc_seen = update(DocumentRow).where(
            DocumentRow.id == bindparam("b_doc"), DocumentRow.current_snapshot_id == bindparam("b_snap"),
            DocumentRow.last_raw_sha256 == bindparam("b_sha"),
        ).values(last_seen_at=bindparam("b_now"))
        target_ok = update(TargetRow).where(
            TargetRow.id == bindparam("b_target"), TargetRow.updated_at == bindparam("b_version"),
            TargetRow.consecutive_failures == 0, TargetRow.failure_alerted == false(),
        ).values(last_checked_at=bindparam("b_now"), last_success_at=bindparam("b_now"), last_outcome="unchanged",
                 last_error=None)
        written: list[Seen] = []
        refused: list[Seen] = []
        for item in seen:
            c, k = item.capture, item.known
            if conn.execute(doc_seen, {"b_doc": k.document_id, "b_snap": k.snapshot_id, "b_sha": k.raw_sha256,
                                       "b_now": now}).rowcount != 1:
                refused.append(item)
                continue
            if c.primary and conn.execute(target_ok, {"b_target": c.target_id, "b_version": self.healthy[c.target_id],
                                                      "b_now": now}).rowcount != 1:
                refused.append(item)
                continue
            written.append(item)
        if written:
            conn.execute(update(SnapshotRow).where(SnapshotRow.id == bindparam("b_snap")).values(last_seen_at=now),
                         [{"b_snap": i.known.snapshot_id} for i in written])
            conn.execute(insert(CheckRow), [{
                "target_id": i.capture.target_id, "document_id": i.known.document_id, "url": i.capture.url,
                "started_at": i.capture.started_at, "duration_ms": i.capture.duration_ms,
                "http_status": i.capture.status, "outcome": "unchanged", "error": None,
                "snapshot_id": i.known.snapshot_id, "change_id": None,
            } for i in written])
        for item in refused:
            # Whatever changed, the crawl-start state is stale for this document and target.
            self.known.pop((item.capture.target_id, item.capture.url), None)
            self.healthy.pop(item.capture.target_id, None)
        return refused
