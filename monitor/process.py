"""Per-capture processing in the crawl child: read → parse → store → diff → assess → events.

Everything one capture causes (check, snapshot, change, observations, track states,
events, outbox rows, target health) is written in one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from monitor import reading
from monitor.announce import announce_mentions, announce_transitions
from monitor.capture import Capture, CrawlPlan
from monitor.diff import unified
from monitor.errors import CheckFailed
from monitor.health import mark_failure, mark_success
from monitor.matching import SubstanceMatcher
from monitor.models import (
    ChangeRow,
    CheckRow,
    DocumentRow,
    SnapshotRow,
    TargetRow,
)
from monitor.parsers import DocumentMention, ParseResult
from monitor.readahead import ReadAhead, auto_workers
from monitor.store import document_row, moves_on_absence, recent_hashes
from monitor.unchanged import UnchangedBatch

log = logging.getLogger("regwatch.process")


@dataclass(frozen=True)
class Outcome:
    """What one capture came to, for the log line."""

    target_id: str
    url: str
    outcome: str
    error: str | None = None
    events: tuple[str, ...] = ()
    needs_confirmation: bool = False


class Processor:
    """Turns captures into stored state; one per crawl."""

    def __init__(self, plan: CrawlPlan, sessions: sessionmaker[Session], clock: Callable[[], datetime]):
        self.plan = plan
        self.sessions = sessions
        self.clock = clock
        self.targets = {t.id: t for t in plan.targets}
        self.substances = {s.id: s for s in plan.substances}
        self._inputs: dict[str, tuple[list[SubstanceMatcher], str]] = {}
        # Targets read successfully before this crawl: their new readings are news, not baselines.
        self._matchers: dict[tuple[str, ...], list[SubstanceMatcher]] = {}
        with sessions() as s:
            self.established = {
                t.id for t in s.scalars(select(TargetRow).where(TargetRow.id.in_(self.targets)))
                if t.last_success_at is not None
            }
            self.unchanged = UnchangedBatch.load(s, plan.targets)
        self.ahead = ReadAhead(auto_workers(plan.read_workers, len(plan.targets)), plan.max_body_bytes)

    def handle(self, capture: Capture, batch: bool = False,
               ahead: Future[reading.Early] | None = None) -> Outcome:
        """Process one capture; never raises: a bad document is a failed check, and so is a bug
        (logged with its traceback) so that the crawl goes on and the failure is visible.

        With `batch`, a byte-identical capture is only queued: `flush` writes it. `ahead` is
        the capture's reading started by `read_ahead`."""
        try:
            try:
                return self._handle(capture, batch, ahead)
            except IntegrityError:
                # Another crawl wrote the same first row (a track state, a snapshot) between our
                # read and our write; our transaction rolled back whole, so read again and redo it.
                log.info("check %s %s raced another crawl; retrying once", capture.target_id, capture.url)
                return self._handle(capture, batch=False)
        except Exception as exc:
            log.exception("processing %s %s failed", capture.target_id, capture.url)
            return self._failed(capture, f"internal error while processing: {exc.__class__.__name__}: {exc}"[:500])
        finally:
            self.ahead.release(ahead)

    def read_ahead(self, capture: Capture) -> Future[reading.Early] | None:
        """Start reading (and parsing, if its text is new) a capture in a worker process, unless
        it is byte-identical to its last version; pass the result to `handle`."""
        matchers, key = self._reading_inputs(capture.target_id)
        if self.unchanged.match(capture, key) is not None:
            return None
        known = self.unchanged.known.get((capture.target_id, capture.url))
        return self.ahead.submit(capture, self.targets[capture.target_id], matchers,
                                 known.content_hash if known is not None and known.assessed_key == key else None)

    def close(self) -> None:
        """Write what is queued and stop the reading workers (end of the crawl)."""
        self.flush()
        self.ahead.close()

    def flush(self) -> None:
        """Write the byte-identical captures queued so far (the pipeline calls this when it has
        nothing else to do, and at the end of the crawl); any the database refuses, because their
        document or target changed since the crawl started, go through the full path."""
        seen = self.unchanged.take()
        if not seen:
            return
        try:
            with self.sessions.begin() as s:
                refused = self.unchanged.write(s, seen, self.clock())
        except Exception:
            log.exception("recording %d unchanged checks at once failed; recording them one by one", len(seen))
            refused = seen
        for item in refused:
            self.handle(item.capture)

    def _handle(self, capture: Capture, batch: bool, ahead: Future[reading.Early] | None = None) -> Outcome:
        target = self.targets[capture.target_id]
        matchers, key = self._reading_inputs(target.id)
        reverted = False
        if batch and (known := self.unchanged.match(capture, key)) is not None:
            # Byte-identical to the body behind the current, already assessed snapshot.
            self.unchanged.add(capture, known)
            if self.unchanged.full:
                self.flush()
            log.info("check %s %s unchanged", capture.target_id, capture.url)
            return Outcome(capture.target_id, capture.url, "unchanged")
        # Checks are written in the order they were made: the queued ones first.
        self.flush()
        # (Only asked of the database when the crawl-start state does not already say the bytes
        # differ: were they the same after all, reading them in full stores the same result.)
        if self.unchanged.maybe_same(capture) and self._same_bytes(capture, key):
            return self._store(capture, None, None, key, same_bytes=True)
        try:
            early = self.ahead.result(ahead, capture)
            got = early.reading
            result: ParseResult | None = None
            if got is not None:
                with self.sessions() as s:
                    doc = s.scalar(select(DocumentRow).where(
                        DocumentRow.target_id == target.id, DocumentRow.url == capture.url))
                    prev = s.get(SnapshotRow, doc.current_snapshot_id) if doc and doc.current_snapshot_id else None
                    reverted = doc is not None and prev is not None and prev.content_hash != got.content_hash \
                        and got.content_hash in recent_hashes(s, doc.id)
                    if not reverted and (prev is None or prev.content_hash != got.content_hash
                                         or prev.assessed_key != key):
                        metrics = prev.metrics if prev is not None else {}
                        confirmed = doc is not None and doc.suspect_hash == got.content_hash
                        result = reading.parse(target, got.document, matchers, metrics, accept_drop=confirmed,
                                               early=early)
                    if result is not None and not capture.confirming and moves_on_absence(s, result):
                        # A reading that rests on the substance being absent is only announced when
                        # an immediate second fetch says the same (a half-served page says nothing).
                        log.info("check %s %s needs confirming: an absence would change a status",
                                 capture.target_id, capture.url)
                        return Outcome(capture.target_id, capture.url, "unconfirmed", needs_confirmation=True)
        except reading.MetricDrop as exc:
            return self._failed(capture, str(exc), suspect_hash=got.content_hash if got else None)
        except CheckFailed as exc:
            return self._failed(capture, str(exc))
        return self._store(capture, got, result, key, reverted)

    def _reading_inputs(self, target_id: str) -> tuple[list[SubstanceMatcher], str]:
        """A target's matchers (compiled patterns) and assessed key, built once per crawl, not per capture."""
        cached = self._inputs.get(target_id)
        if cached is None:
            target = self.targets[target_id]
            # Compiled once per substance set: targets mostly watch the same few substances.
            matchers = self._matchers.get(tuple(target.substances))
            if matchers is None:
                matchers = self._matchers[tuple(target.substances)] = reading.matchers_for(target, self.substances)
            cached = self._inputs[target_id] = (matchers, reading.assessed_key(target, matchers, self.substances))
        return cached

    def _same_bytes(self, capture: Capture, key: str) -> bool:
        if capture.error or capture.status is None or not 200 <= capture.status < 300 or capture.confirming:
            return False
        with self.sessions() as s:
            row = s.execute(
                select(DocumentRow.last_raw_sha256, SnapshotRow.assessed_key)
                .join(SnapshotRow, SnapshotRow.id == DocumentRow.current_snapshot_id)
                .where(DocumentRow.target_id == capture.target_id, DocumentRow.url == capture.url)
            ).first()
        return row is not None and row[1] == key and row[0] == capture.body_sha256

    def _failed(self, capture: Capture, reason: str, suspect_hash: str | None = None) -> Outcome:
        now = self.clock()
        with self.sessions.begin() as s:
            doc = s.scalar(select(DocumentRow).where(
                DocumentRow.target_id == capture.target_id, DocumentRow.url == capture.url))
            if doc is not None and suspect_hash is not None:
                doc.suspect_hash = suspect_hash
            s.add(CheckRow(
                target_id=capture.target_id, document_id=doc.id if doc else None, url=capture.url,
                started_at=capture.started_at, duration_ms=capture.duration_ms, http_status=capture.status,
                outcome="failed", error=reason,
            ))
            target = s.get(TargetRow, capture.target_id)
            if capture.primary and target is not None:
                mark_failure(s, target, reason, now, self.plan.failure_threshold, self.plan.channels)
        log.warning("check %s %s failed: %s", capture.target_id, capture.url, reason)
        return Outcome(capture.target_id, capture.url, "failed", reason)

    def _store(self, capture: Capture, got: reading.Reading | None, result: ParseResult | None,
               key: str, reverted: bool = False, same_bytes: bool = False) -> Outcome:
        now = self.clock()
        events: list[str] = []
        with self.sessions.begin() as s:
            doc = document_row(s, capture.target_id, capture.url, now)
            doc.last_seen_at = now
            snap: SnapshotRow | None = s.get(SnapshotRow, doc.current_snapshot_id) if doc.current_snapshot_id else None
            change: ChangeRow | None = None
            old = snap
            if got is None:
                outcome = "unchanged" if same_bytes else "not_modified"
            else:
                snap = s.scalar(select(SnapshotRow).where(
                    SnapshotRow.document_id == doc.id, SnapshotRow.content_hash == got.content_hash))
                if snap is None:
                    d = got.document
                    snap = SnapshotRow(
                        document_id=doc.id, content_hash=got.content_hash, kind=d.kind, title=d.title, text=d.text,
                        final_url=capture.final_url, raw_sha256=got.raw_sha256, raw_size=len(capture.body),
                        metrics={}, captured_at=now, last_seen_at=now,
                    )
                    s.add(snap)
                    s.flush()
                outcome = "unchanged" if old is not None and old.id == snap.id else "changed"
                if old is not None and old.id != snap.id:
                    change = ChangeRow(document_id=doc.id, old_snapshot_id=old.id, new_snapshot_id=snap.id,
                                       diff=unified(old.text, snap.text, f"snapshot {old.id}", f"snapshot {snap.id}"),
                                       created_at=now)
                    s.add(change)
                    s.flush()
                doc.current_snapshot_id = snap.id
                doc.suspect_hash = None
                doc.last_raw_sha256 = got.raw_sha256
                doc.etag = capture.headers.get("etag")
                doc.last_modified = capture.headers.get("last-modified")
            if snap is not None:
                snap.last_seen_at = now
                if reverted:
                    # Flapping: content back to a recent version raises nothing now; if it stays,
                    # the next check re-reads it (assessed_key cleared) and reports what is true.
                    snap.assessed_key = None
                    events.append(f"content returned to snapshot {snap.id} (flapping): no status event")
            if result is not None and snap is not None:
                old_mentions = [DocumentMention(**m) for m in (old.mentions if got is not None and old else [])]
                snap.metrics = dict(result.metrics)
                snap.mentions = [vars(m) for m in result.mentions]
                snap.assessed_key = key
                # Readings from a target's first successful crawl are history (baselines), not news.
                established = capture.target_id in self.established
                events = announce_transitions(s, self.plan.channels, capture, snap, result, change, now, established)
                if established:
                    events += announce_mentions(s, self.plan.channels, capture, old_mentions, list(result.mentions),
                                              change, now)
            s.add(CheckRow(
                target_id=capture.target_id, document_id=doc.id, url=capture.url, started_at=capture.started_at,
                duration_ms=capture.duration_ms, http_status=capture.status, outcome=outcome,
                snapshot_id=snap.id if snap else None, change_id=change.id if change else None,
            ))
            target = s.get(TargetRow, capture.target_id)
            if capture.primary and target is not None:
                mark_success(s, target, outcome, now, self.plan.channels)
                planned = self.targets[capture.target_id]
                if (target.url, target.parser, target.options) != (planned.url, planned.parser, dict(planned.options)):
                    # Re-pointed while this crawl read the old config (monitor/target_ops.py): it stays
                    # re-baselining, so its next crawl, of the new config, is read as its first.
                    target.last_success_at = None
        log.info("check %s %s %s%s", capture.target_id, capture.url, outcome,
                 "".join(f"; {e}" for e in events))
        return Outcome(capture.target_id, capture.url, outcome, None, tuple(events))
