"""Per-capture processing in the crawl child: read → parse → store → diff → assess → events.

Everything one capture causes (check, snapshot, change, observations, track states,
events, outbox rows, target health) is written in one transaction.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from monitor import reading
from monitor.assess import Transition, mention_changes, transitions
from monitor.capture import Capture, CrawlPlan
from monitor.diff import unified
from monitor.errors import CheckFailed
from monitor.events import add_event
from monitor.health import mark_failure, mark_success
from monitor.matching import SubstanceMatcher
from monitor.models import (
    ChangeRow,
    CheckRow,
    DocumentRow,
    ObservationRow,
    SnapshotRow,
    SubstanceRow,
    TargetRow,
    TrackStateRow,
)
from monitor.parsers import DocumentMention, ParseResult
from monitor.store import current_of, document_row, moves_on_absence, recent_hashes
from monitor.vocab import TRACK_NAMES, severity_for, state_label

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
        with sessions() as s:
            self.established = {
                t.id for t in s.scalars(select(TargetRow).where(TargetRow.id.in_(self.targets)))
                if t.last_success_at is not None
            }

    def handle(self, capture: Capture) -> Outcome:
        """Process one capture; never raises: a bad document is a failed check, and so is a bug
        (logged with its traceback) so that the crawl goes on and the failure is visible."""
        try:
            try:
                return self._handle(capture)
            except IntegrityError:
                # Another crawl wrote the same first row (a track state, a snapshot) between our
                # read and our write; our transaction rolled back whole, so read again and redo it.
                log.info("check %s %s raced another crawl; retrying once", capture.target_id, capture.url)
                return self._handle(capture)
        except Exception as exc:
            log.exception("processing %s %s failed", capture.target_id, capture.url)
            return self._failed(capture, f"internal error while processing: {exc.__class__.__name__}: {exc}"[:500])

    def _handle(self, capture: Capture) -> Outcome:
        target = self.targets[capture.target_id]
        matchers, key = self._reading_inputs(target.id)
        reverted = False
        if self._same_bytes(capture, key):
            # Byte-identical to the body behind the current, already assessed snapshot.
            return self._store(capture, None, None, key, same_bytes=True)
        try:
            got = reading.read(capture, self.plan.max_body_bytes)
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
                        result = reading.parse(target, got.document, matchers, metrics, accept_drop=confirmed)
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
            matchers = reading.matchers_for(target, self.substances)
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
        return row is not None and row[1] == key and row[0] == hashlib.sha256(capture.body).hexdigest()

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
                events = self._assess(s, capture, snap, result, change, now, established)
                if established:
                    events += self._mentions(s, capture, old_mentions, list(result.mentions), change, now)
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

    def _assess(self, s: Session, capture: Capture, snap: SnapshotRow, result: ParseResult,
                change: ChangeRow | None, now: datetime, established: bool) -> list[str]:
        rows: dict[tuple[str, str], ObservationRow] = {}
        for obs in result.observations:
            row = ObservationRow(
                snapshot_id=snap.id, target_id=capture.target_id, substance_id=obs.substance, track=obs.track,
                state=obs.state, detail=dict(obs.detail), evidence=obs.evidence, url=capture.final_url,
                observed_at=capture.started_at,
            )
            s.add(row)
            rows.setdefault((obs.substance, obs.track), row)
        s.flush()
        states = {(r.substance_id, r.track): r for r in s.scalars(select(TrackStateRow).where(
            TrackStateRow.substance_id.in_({k[0] for k in rows})))}
        current = current_of(s, states)
        said: list[str] = []
        for tr in transitions(current, result.observations, baseline=not established):
            if not established and tr.kind == "status":
                # A target's first reading (new, or re-pointed by an edit: monitor/target_ops.py)
                # is history, not news: a state differing from another source's is a baseline.
                tr = Transition("baseline", tr.observation, tr.old_state)
            obs, row = tr.observation, rows[tr.key]
            state_row = states.get(tr.key)
            if state_row is None:
                s.add(TrackStateRow(substance_id=obs.substance, track=obs.track, state=obs.state,
                                    since=capture.started_at, observation_id=row.id, updated_at=now))
            else:
                state_row.state, state_row.since, state_row.observation_id, state_row.updated_at = (
                    obs.state, capture.started_at, row.id, now)
            sub = s.get(SubstanceRow, obs.substance)
            name = sub.name if sub else obs.substance
            new_words = state_label(obs.track, obs.state)
            if tr.kind == "baseline":
                summary = f"{name}: first reading of {TRACK_NAMES[obs.track]}: {new_words}"
                if tr.old_state:
                    summary += f" (was {state_label(obs.track, tr.old_state)})"
                severity = "info"
            else:
                summary = f"{name}: {state_label(obs.track, tr.old_state)} → {new_words}" if tr.old_state \
                    else f"{name}: {new_words}"
                severity = severity_for(obs.track, obs.state)
            add_event(
                s, self.plan.channels, now, kind=tr.kind, severity=severity, summary=summary,
                observed_at=capture.started_at, substance_id=obs.substance, track=obs.track,
                from_state=tr.old_state, to_state=obs.state, evidence=obs.evidence, url=capture.final_url,
                target_id=capture.target_id, change_id=change.id if change else None, observation_id=row.id,
            )
            said.append(f"{tr.kind} {obs.substance} {obs.track} {tr.old_state or '-'} → {obs.state}")
        return said

    def _mentions(self, s: Session, capture: Capture, old: list[DocumentMention], new: list[DocumentMention],
                  change: ChangeRow | None, now: datetime) -> list[str]:
        said: list[str] = []
        for mc in mention_changes(old, new):
            m = mc.mention
            sub = s.get(SubstanceRow, m.substance)
            name = sub.name if sub else m.substance
            where = m.title or capture.final_url
            verb = {"appeared": "named in", "changed": "wording changed in", "removed": "no longer named in"}[mc.change]
            add_event(
                s, self.plan.channels, now, kind="document", severity="medium" if mc.change != "removed" else "info",
                summary=f"{name}: {verb} {where}", observed_at=capture.started_at, substance_id=m.substance,
                evidence=m.quote, url=capture.final_url, target_id=capture.target_id,
                change_id=change.id if change else None,
            )
            said.append(f"document {m.substance} {mc.change} {m.ref}")
        return said
