"""Read models: the JSON shapes of `status --json` and `events --json` (DESIGN.md interfaces)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.models import EventRow, ObservationRow, SubstanceRow, TargetRow, TrackStateRow
from monitor.summary import summarize
from monitor.vocab import TRACKS, state_label


def iso(t: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, or None."""
    return t.isoformat(timespec="seconds") + "Z" if t else None


def status(session: Session, now: datetime) -> dict[str, Any]:
    """Every substance with its summary and per-track state and evidence (four queries in all)."""
    states: dict[str, dict[str, TrackStateRow]] = {}
    for state in session.scalars(select(TrackStateRow)):
        states.setdefault(state.substance_id, {})[state.track] = state
    ids = [r.observation_id for by_track in states.values() for r in by_track.values()]
    observations = {o.id: o for o in session.scalars(select(ObservationRow).where(ObservationRow.id.in_(ids)))} \
        if ids else {}
    targets = list(session.scalars(select(TargetRow).order_by(TargetRow.id)))
    by_id = {t.id: t for t in targets}
    subs = []
    for sub in session.scalars(select(SubstanceRow).order_by(SubstanceRow.name)):
        mine = states.get(sub.id, {})
        tracks = []
        for track in TRACKS:
            row = mine.get(track)
            if row is None:
                continue
            obs = observations.get(row.observation_id)
            source = by_id.get(obs.target_id) if obs else None
            tracks.append({
                "track": track, "state": row.state, "label": state_label(track, row.state),
                "since": iso(row.since),
                "evidence": {
                    "quote": obs.evidence if obs else "", "url": obs.url if obs else None,
                    "target": obs.target_id if obs else None, "observed_at": iso(obs.observed_at) if obs else None,
                    # The crawl node that last checked the evidence's target (and so last re-read it).
                    "node": source.last_node if source else None,
                },
            })
        summary = summarize({t: r.state for t, r in mine.items()})
        subs.append({
            "id": sub.id, "name": sub.name,
            "summary": {"state": summary.state, "label": summary.label, "reason": summary.reason},
            "tracks": tracks,
        })
    # Which node checked each target last ("local" or a Scrapyd node's URL), for operators.
    listed = [{"id": t.id, "last_checked_at": iso(t.last_checked_at), "last_outcome": t.last_outcome,
               "last_node": t.last_node} for t in targets]
    return {"generated_at": iso(now), "substances": subs, "targets": listed}


def event_dict(e: EventRow) -> dict[str, Any]:
    """One event in the `events --json` shape."""
    return {
        "id": e.id, "kind": e.kind, "severity": e.severity, "substance": e.substance_id, "track": e.track,
        "from": e.from_state, "to": e.to_state, "summary": e.summary, "evidence": e.evidence, "url": e.url,
        "target": e.target_id, "observed_at": iso(e.observed_at), "change_id": e.change_id,
    }


def events(session: Session, since: datetime | None = None, substance: str | None = None,
           limit: int = 500) -> list[dict[str, Any]]:
    """Events, newest first."""
    q = select(EventRow).order_by(EventRow.observed_at.desc(), EventRow.id.desc()).limit(limit)
    if since is not None:
        q = q.where(EventRow.observed_at >= since)
    if substance is not None:
        q = q.where(EventRow.substance_id == substance)
    return [event_dict(e) for e in session.scalars(q)]


def target_dict(t: TargetRow) -> dict[str, Any]:
    """A target with its health, for `targets list/show --json`."""
    return {
        "id": t.id, "name": t.name, "url": t.url, "parser": t.parser, "every": t.every,
        "substances": list(t.substances), "follow": list(t.follow), "options": dict(t.options),
        "enabled": t.enabled, "next_check_at": iso(t.next_check_at), "last_checked_at": iso(t.last_checked_at),
        "last_success_at": iso(t.last_success_at), "last_change_at": iso(t.last_change_at),
        "last_outcome": t.last_outcome, "last_error": t.last_error,
        "consecutive_failures": t.consecutive_failures, "last_node": t.last_node,
    }
