"""The events a stored reading raises: status transitions (with their observations and track
states) and document mentions that appeared, changed or went."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.assess import Transition, mention_changes, transitions
from monitor.capture import Capture, PlanChannel
from monitor.events import add_event
from monitor.models import ChangeRow, ObservationRow, SnapshotRow, SubstanceRow, TrackStateRow
from monitor.parsers import DocumentMention, ParseResult
from monitor.store import current_of
from monitor.vocab import TRACK_NAMES, severity_for, state_label


def announce_transitions(s: Session, channels: Sequence[PlanChannel], capture: Capture, snap: SnapshotRow,
                         result: ParseResult, change: ChangeRow | None, now: datetime,
                         established: bool) -> list[str]:
    """Observe a new reading: observation rows, track states moved, one event per transition."""
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
    # Locked (PostgreSQL; SQLite has one writer at a time anyway), in one order: a second crawl
    # seeing the same change at the same moment waits here, then reads the state this one set,
    # instead of announcing the change a second time (tests/test_concurrent_status.py).
    states = {(r.substance_id, r.track): r for r in s.scalars(select(TrackStateRow).where(
        TrackStateRow.substance_id.in_({k[0] for k in rows}))
        .order_by(TrackStateRow.substance_id, TrackStateRow.track).with_for_update())}
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
            s, channels, now, kind=tr.kind, severity=severity, summary=summary,
            observed_at=capture.started_at, substance_id=obs.substance, track=obs.track,
            from_state=tr.old_state, to_state=obs.state, evidence=obs.evidence, url=capture.final_url,
            target_id=capture.target_id, change_id=change.id if change else None, observation_id=row.id,
        )
        said.append(f"{tr.kind} {obs.substance} {obs.track} {tr.old_state or '-'} → {obs.state}")
    return said

def announce_mentions(s: Session, channels: Sequence[PlanChannel], capture: Capture, old: list[DocumentMention],
                      new: list[DocumentMention], change: ChangeRow | None, now: datetime) -> list[str]:
    """One `document` event per substance mention that appeared, changed wording or went."""
    said: list[str] = []
    for mc in mention_changes(old, new):
        m = mc.mention
        sub = s.get(SubstanceRow, m.substance)
        name = sub.name if sub else m.substance
        where = m.title or capture.final_url
        verb = {"appeared": "named in", "changed": "wording changed in", "removed": "no longer named in"}[mc.change]
        add_event(
            s, channels, now, kind="document", severity="medium" if mc.change != "removed" else "info",
            summary=f"{name}: {verb} {where}", observed_at=capture.started_at, substance_id=m.substance,
            evidence=m.quote, url=capture.final_url, target_id=capture.target_id,
            change_id=change.id if change else None,
        )
        said.append(f"document {m.substance} {mc.change} {m.ref}")
    return said
