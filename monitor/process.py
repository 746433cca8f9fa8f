"""Per-capture processing in the crawl child: read → parse → store → diff → assess → events.

Everything one capture causes (check, snapshot, change, observations, track states,
events, outbox rows, target health) is written in one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor import reading
from monitor.assess import Current, mention_changes, transitions
from monitor.capture import Capture, CrawlPlan
from monitor.diff import unified
from monitor.errors import CheckFailed
from monitor.events import add_event
from monitor.health import mark_failure, mark_success
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


def _document(session: Session, target_id: str, url: str, now: datetime) -> DocumentRow:
    doc = session.scalar(select(DocumentRow).where(DocumentRow.target_id == target_id, DocumentRow.url == url))
    if doc is None:
        doc = DocumentRow(target_id=target_id, url=url, first_seen_at=now, last_seen_at=now)
        session.add(doc)
        session.flush()
    return doc


class Processor:
    """Turns captures into stored state; one per crawl."""

    def __init__(self, plan: CrawlPlan, sessions: sessionmaker[Session], clock: Callable[[], datetime]):
        self.plan = plan
        self.sessions = sessions
        self.clock = clock
        self.targets = {t.id: t for t in plan.targets}
        self.substances = {s.id: s for s in plan.substances}

    def handle(self, capture: Capture) -> Outcome:
        """Process one capture; never raises for a bad document (that is a failed check)."""
        target = self.targets[capture.target_id]
        matchers = reading.matchers_for(target, self.substances)
        key = reading.assessed_key(target, matchers, self.substances)
        try:
            got = reading.read(capture, self.plan.max_body_bytes)
            result: ParseResult | None = None
            if got is not None:
                with self.sessions() as s:
                    doc = s.scalar(select(DocumentRow).where(
                        DocumentRow.target_id == target.id, DocumentRow.url == capture.url))
                    prev = s.get(SnapshotRow, doc.current_snapshot_id) if doc and doc.current_snapshot_id else None
                    if prev is None or prev.content_hash != got.content_hash or prev.assessed_key != key:
                        metrics = prev.metrics if prev is not None else {}
                        confirmed = doc is not None and doc.suspect_hash == got.content_hash
                        result = reading.parse(target, got.document, matchers, metrics, accept_drop=confirmed)
        except reading.MetricDrop as exc:
            return self._failed(capture, str(exc), suspect_hash=got.content_hash if got else None)
        except CheckFailed as exc:
            return self._failed(capture, str(exc))
        return self._store(capture, got, result, key)

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
               key: str) -> Outcome:
        now = self.clock()
        events: list[str] = []
        with self.sessions.begin() as s:
            doc = _document(s, capture.target_id, capture.url, now)
            doc.last_seen_at = now
            snap: SnapshotRow | None = s.get(SnapshotRow, doc.current_snapshot_id) if doc.current_snapshot_id else None
            change: ChangeRow | None = None
            old = snap
            if got is None:
                outcome = "not_modified"
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
                doc.etag = capture.headers.get("etag")
                doc.last_modified = capture.headers.get("last-modified")
            if snap is not None:
                snap.last_seen_at = now
            if result is not None and snap is not None:
                old_mentions = [DocumentMention(**m) for m in (old.mentions if got is not None and old else [])]
                snap.metrics = dict(result.metrics)
                snap.mentions = [vars(m) for m in result.mentions]
                snap.assessed_key = key
                events = self._assess(s, capture, snap, result, change, now)
                target_row = s.get(TargetRow, capture.target_id)
                if target_row is not None and target_row.last_success_at is not None:
                    events += self._mentions(s, capture, old_mentions, list(result.mentions), change, now)
            s.add(CheckRow(
                target_id=capture.target_id, document_id=doc.id, url=capture.url, started_at=capture.started_at,
                duration_ms=capture.duration_ms, http_status=capture.status, outcome=outcome,
                snapshot_id=snap.id if snap else None, change_id=change.id if change else None,
            ))
            target = s.get(TargetRow, capture.target_id)
            if capture.primary and target is not None:
                mark_success(s, target, outcome, now, self.plan.channels)
        log.info("check %s %s %s%s", capture.target_id, capture.url, outcome,
                 "".join(f"; {e}" for e in events))
        return Outcome(capture.target_id, capture.url, outcome, None, tuple(events))

    def _assess(self, s: Session, capture: Capture, snap: SnapshotRow, result: ParseResult,
                change: ChangeRow | None, now: datetime) -> list[str]:
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
        current: dict[tuple[str, str], Current] = {}
        for k, v in states.items():
            setter = s.get(ObservationRow, v.observation_id)
            current[k] = Current(v.state, setter.detail if setter else {})
        said: list[str] = []
        for tr in transitions(current, result.observations):
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
                severity = "info"
            else:
                summary = f"{name}: {state_label(obs.track, tr.old_state)} → {new_words}"
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
