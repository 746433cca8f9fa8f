"""Observations + current track states → transitions (pure).

The first reading of a track is a baseline; a different state is a status change; the
same state is nothing. Only the first observation per substance and track counts.

Event-based tracks (`pcac`, `rulemaking`) only move forward: an observation replaces
the current state only if its (date, stage) is not older, so a meeting page that still
says "scheduled" never undoes the vote read from the minutes, and a vote persists after
the page leaves the calendar. Parsers put the ISO date of the meeting or publication in
the observation's `detail["date"]`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from monitor.parsers.base import DocumentMention, Observation

TrackKey = tuple[str, str]  # (substance id, track)

STAGE: dict[str, dict[str, int]] = {
    "pcac": {"NONE": 0, "SCHEDULED": 1, "FDA_RECOMMENDS_INCLUDE": 2, "FDA_RECOMMENDS_NOT_INCLUDE": 2,
             "VOTED_FOR": 3, "VOTED_AGAINST": 3},
    "rulemaking": {"NONE": 0, "PROPOSED_INCLUDE": 1, "PROPOSED_NOT_INCLUDE": 1,
                   "FINAL_INCLUDE": 2, "FINAL_NOT_INCLUDE": 2},
}


@dataclass(frozen=True)
class Current:
    """A track's current state and the detail of the observation that set it."""

    state: str
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Transition:
    """A track moving to a new state (or getting its first reading, `kind == 'baseline'`)."""

    kind: str  # baseline | status
    observation: Observation
    old_state: str | None

    @property
    def key(self) -> TrackKey:
        """(substance, track) this transition belongs to."""
        return (self.observation.substance, self.observation.track)


def first_per_track(observations: Iterable[Observation]) -> list[Observation]:
    """The first observation for each (substance, track), in order."""
    seen: set[TrackKey] = set()
    kept: list[Observation] = []
    for obs in observations:
        key = (obs.substance, obs.track)
        if key not in seen:
            seen.add(key)
            kept.append(obs)
    return kept


def supersedes(current: Current, obs: Observation) -> bool:
    """Whether `obs` may replace the current state of its track."""
    stages = STAGE.get(obs.track)
    if stages is None:
        return True
    old = (str(current.detail.get("date", "")), stages.get(current.state, 0))
    new = (str(obs.detail.get("date", "")), stages.get(obs.state, 0))
    return new >= old


def transitions(current: Mapping[TrackKey, Current], observations: Sequence[Observation],
                baseline: bool = True) -> list[Transition]:
    """Which observations move their track.

    A track's first reading is a baseline when `baseline` (the source is being read for the
    first time, so the reading is history, not news); from an established source it is a
    status change from "no reading" (e.g. a new PCAC notice naming the substance).
    """
    out: list[Transition] = []
    for obs in first_per_track(observations):
        now = current.get((obs.substance, obs.track))
        if now is None:
            out.append(Transition("baseline" if baseline else "status", obs, None))
        elif now.state != obs.state and supersedes(now, obs):
            out.append(Transition("status", obs, now.state))
    return out


@dataclass(frozen=True)
class MentionChange:
    """A mention that appeared, changed its wording, or disappeared."""

    change: str  # appeared | changed | removed
    mention: DocumentMention


# A ref made from the mention's own sentence (parsers.fda_page.context_ref: prefix-hash): a
# reworded sentence gets a new one, so the same statement shows as one gone and one new.
_CONTEXT_REF = re.compile(r"^[a-z0-9_]+-[0-9a-f]{12}$")


def mention_changes(old: Sequence[DocumentMention], new: Sequence[DocumentMention]) -> list[MentionChange]:
    """Compare the mentions of two snapshots of one document, keyed by (substance, ref).

    Where a substance's sentence-keyed mentions went and others came in the same comparison,
    they are paired in document order as one `changed` mention (the new wording): a reworded
    status line is one alert, not "named in" plus "no longer named in"."""
    before = {(m.substance, m.ref): m for m in old}
    after = {(m.substance, m.ref): m for m in new}
    appeared = [m for k, m in after.items() if k not in before]
    removed = [m for k, m in before.items() if k not in after]
    reworded: list[DocumentMention] = []
    for sub in dict.fromkeys(m.substance for m in appeared):
        came = [m for m in appeared if m.substance == sub and _CONTEXT_REF.match(m.ref)]
        went = [m for m in removed if m.substance == sub and _CONTEXT_REF.match(m.ref)]
        for new_m, old_m in zip(came, went, strict=False):
            reworded.append(new_m)
            appeared.remove(new_m)
            removed.remove(old_m)
    out = [MentionChange("appeared", m) for m in appeared]
    out += [MentionChange("changed", m) for k, m in after.items()
            if m in reworded or (k in before and " ".join(before[k].quote.split()) != " ".join(m.quote.split()))]
    out += [MentionChange("removed", m) for m in removed]
    return out
