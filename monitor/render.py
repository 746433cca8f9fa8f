"""Event → alert title and body (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from monitor.vocab import TRACK_NAMES, state_label


@dataclass(frozen=True)
class EventView:
    """What rendering needs of an event."""

    id: int
    kind: str
    severity: str
    substance_name: str | None
    track: str | None
    from_state: str | None
    to_state: str | None
    summary: str
    evidence: str
    url: str | None
    observed_at: datetime
    change_id: int | None
    substance_id: str | None


@dataclass(frozen=True)
class Alert:
    """A rendered notification."""

    title: str
    body: str


def _when(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M UTC")


def render(event: EventView, base_url: str, idempotency_key: str) -> Alert:
    """Title naming the substance and the new state in words; body with old → new and evidence."""
    if event.kind in ("status", "baseline") and event.track and event.to_state:
        new = state_label(event.track, event.to_state)
        title = f"{event.substance_name}: {new}"
        if event.kind == "baseline":
            title += " (first reading)"
        lines = [
            f"{event.substance_name}: {TRACK_NAMES.get(event.track, event.track)}",
            f"Was: {state_label(event.track, event.from_state)}" + (f" [{event.from_state}]" if event.from_state else ""),
            f"Now: {new} [{event.to_state}]",
        ]
    else:
        title = event.summary
        lines = [event.summary]
    if event.evidence:
        lines.append(f"Evidence: “{event.evidence}”")
    if event.url:
        lines.append(f"Source: {event.url}")
    lines.append(f"Observed: {_when(event.observed_at)}")
    if event.change_id is not None:
        lines.append(f"Diff: {base_url}/changes/{event.change_id}")
    if event.substance_id:
        lines.append(f"Dashboard: {base_url}/substances/{event.substance_id}")
    else:
        lines.append(f"Dashboard: {base_url}/sources")
    lines.append(f"Severity: {event.severity} · event {event.id} · key {idempotency_key}")
    return Alert(title=f"[regwatch] {title}", body="\n".join(lines))
