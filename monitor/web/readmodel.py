"""What the status board shows, read in a few batched queries (never one query per row).

Cards for `/` and `/substances/{id}` (summary, freshness, per-track evidence) and source
health for `/sources`. The summary comes from monitor.summary, as in `status --json`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.models import ObservationRow, SubstanceRow, TargetRow, TrackStateRow
from monitor.summary import Summary, summarize
from monitor.vocab import TRACK_NAMES, TRACKS, state_label

# A source is stale when it has been failing for more than this many of its check intervals.
STALE_INTERVALS = 3


@dataclass(frozen=True)
class SourceHealth:
    """One target and how its checks are going."""

    id: str
    name: str
    url: str
    every: str
    enabled: bool
    substances: tuple[str, ...]
    last_checked_at: datetime | None
    last_success_at: datetime | None
    last_change_at: datetime | None
    next_check_at: datetime | None
    last_outcome: str | None
    last_error: str | None
    consecutive_failures: int
    failing_since: datetime | None
    health: str  # ok | failing | stale | unchecked | disabled
    # The crawl node of the last check: "local" or a Scrapyd node's URL (REGWATCH_CRAWL_BACKEND).
    last_node: str | None = None

    @property
    def health_label(self) -> str:
        """The health in words (the page never relies on colour alone)."""
        return HEALTH_LABELS[self.health]


HEALTH_LABELS = {
    "ok": "OK", "failing": "Failing", "stale": "Stale: failing for over three intervals",
    "unchecked": "Not checked yet", "disabled": "Disabled",
}


def source_health(t: TargetRow, now: datetime) -> SourceHealth:
    """Classify one target: disabled, never checked, stale (failing > 3 intervals), failing or OK."""
    if not t.enabled:
        health = "disabled"
    elif t.consecutive_failures and t.failing_since is not None:
        too_long = timedelta(seconds=STALE_INTERVALS * max(1, t.every_seconds))
        health = "stale" if now - t.failing_since > too_long else "failing"
    elif t.last_checked_at is None:
        health = "unchecked"
    else:
        health = "ok"
    return SourceHealth(
        id=t.id, name=t.name, url=t.url, every=t.every, enabled=t.enabled, substances=tuple(t.substances),
        last_checked_at=t.last_checked_at, last_success_at=t.last_success_at, last_change_at=t.last_change_at,
        next_check_at=t.next_check_at, last_outcome=t.last_outcome, last_error=t.last_error,
        consecutive_failures=t.consecutive_failures, failing_since=t.failing_since, health=health,
        last_node=t.last_node,
    )


def sources(session: Session, now: datetime) -> list[SourceHealth]:
    """Every target with its health, by name."""
    return [source_health(t, now) for t in session.scalars(select(TargetRow).order_by(TargetRow.name, TargetRow.id))]


@dataclass(frozen=True)
class TrackView:
    """A substance's current state on one track and the observation that set it."""

    track: str
    track_name: str
    state: str
    label: str
    since: datetime
    quote: str
    url: str | None
    target_id: str | None
    observed_at: datetime | None
    snapshot_id: int | None


@dataclass(frozen=True)
class Card:
    """One substance as the status board shows it."""

    id: str
    name: str
    summary: Summary
    tracks: list[TrackView]
    sources: list[SourceHealth] = field(default_factory=list)

    @property
    def last_verified(self) -> datetime | None:
        """The latest successful check among the sources that watch this substance."""
        return max((s.last_success_at for s in self.sources if s.last_success_at), default=None)

    @property
    def stale(self) -> list[SourceHealth]:
        """Contributing sources failing for more than three of their intervals."""
        return [s for s in self.sources if s.health == "stale"]


def _tracks(session: Session, substance_ids: Iterable[str]) -> dict[str, list[TrackView]]:
    ids = list(substance_ids)
    rows = session.execute(
        select(TrackStateRow, ObservationRow)
        .outerjoin(ObservationRow, ObservationRow.id == TrackStateRow.observation_id)
        .where(TrackStateRow.substance_id.in_(ids))
    ).all()
    by_sub: dict[str, dict[str, TrackView]] = {i: {} for i in ids}
    for ts, obs in rows:
        by_sub[ts.substance_id][ts.track] = TrackView(
            track=ts.track, track_name=TRACK_NAMES.get(ts.track, ts.track), state=ts.state,
            label=state_label(ts.track, ts.state), since=ts.since,
            quote=obs.evidence if obs else "", url=obs.url if obs else None,
            target_id=obs.target_id if obs else None, observed_at=obs.observed_at if obs else None,
            snapshot_id=obs.snapshot_id if obs else None,
        )
    # The vocabulary's order, and only its tracks, as `status --json` lists them.
    return {sid: [tv[t] for t in TRACKS if t in tv] for sid, tv in by_sub.items()}


def cards(session: Session, now: datetime, substance_id: str | None = None) -> list[Card]:
    """Cards for every substance (or just one), by name: three queries whatever the history size."""
    q = select(SubstanceRow).order_by(SubstanceRow.name)
    if substance_id is not None:
        q = q.where(SubstanceRow.id == substance_id)
    subs = list(session.scalars(q))
    tracks = _tracks(session, (s.id for s in subs))
    all_sources = sources(session, now)
    out = []
    for sub in subs:
        views = tracks.get(sub.id, [])
        setters = {t.target_id for t in views}
        contributing = [s for s in all_sources
                        if (s.enabled and sub.id in s.substances) or s.id in setters]
        out.append(Card(sub.id, sub.name, summarize({t.track: t.state for t in views}), views, contributing))
    return out
