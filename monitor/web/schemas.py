"""Response models of the JSON API: the shapes of `status --json`, `events --json` and targets, for OpenAPI.

Times are strings in ISO 8601 UTC with a Z (as `monitor.views.iso` writes them), declared
with format date-time so the schema says so.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

Time = Annotated[str, Field(json_schema_extra={"format": "date-time"}, examples=["2026-11-01T12:00:00Z"])]


class _Out(BaseModel):
    # The shapes belong to monitor.views (the CLI's --json); fields it adds pass through undocumented
    # rather than being dropped, and a field it loses fails validation (a test catches that).
    model_config = ConfigDict(populate_by_name=True, extra="allow")


class Evidence(_Out):
    """The observation that set a track's state."""

    quote: str = Field(description="The words of the source, quoted as written.")
    url: str | None = Field(description="The official document the quote was read from.")
    target: str | None = Field(description="The id of the target that read it.")
    observed_at: Time | None


class TrackStatus(_Out):
    """A substance's state on one track."""

    track: str = Field(description="503a_category, 503a_list, pcac, rulemaking or 503b.")
    state: str
    label: str = Field(description="The state in plain words.")
    since: Time | None
    evidence: Evidence


class SummaryOut(_Out):
    """The one plain answer for clinics."""

    state: str = Field(description="PATHWAY_AVAILABLE, NO_PATHWAY, UNDER_REVIEW or UNKNOWN.")
    label: str
    reason: str


class SubstanceStatus(_Out):
    """One substance: its summary and every track with a reading."""

    id: str
    name: str
    summary: SummaryOut
    tracks: list[TrackStatus]


class Status(_Out):
    """`regwatch status --json`."""

    generated_at: Time
    substances: list[SubstanceStatus]


class Event(_Out):
    """One event in the `regwatch events --json` shape."""

    id: int
    kind: str = Field(description="status, document, source or baseline.")
    severity: str = Field(description="critical, high, medium or info.")
    substance: str | None
    track: str | None
    from_: str | None = Field(alias="from", description="The state before (status events).")
    to: str | None = Field(description="The state after (status and baseline events).")
    summary: str
    evidence: str
    url: str | None
    target: str | None
    observed_at: Time
    change_id: int | None = Field(description="The stored diff at /changes/{change_id}, when there is one.")


class Target(_Out):
    """A watch target and its health (`regwatch targets list --json`)."""

    id: str
    name: str
    url: str
    parser: str
    every: str
    substances: list[str]
    follow: list[str]
    options: dict[str, Any]
    enabled: bool
    next_check_at: Time | None
    last_checked_at: Time | None
    last_success_at: Time | None
    last_change_at: Time | None
    last_outcome: str | None
    last_error: str | None
    consecutive_failures: int


class Problem(_Out):
    """An error response."""

    detail: str


class DatabaseHealth(_Out):
    """Whether the database answered."""

    ok: bool
    error: str | None


class SchedulerHealth(_Out):
    """The scheduler's heartbeat, written by `regwatch run` at every tick interval."""

    ok: bool = Field(description="True while the last beat is younger than three of its intervals.")
    last_beat_at: Time | None
    age_seconds: float | None
    interval_seconds: int | None


class Health(_Out):
    """`/healthz`: 200 unless the database is unreachable (503)."""

    status: str = Field(description="ok, degraded (scheduler silent) or down (database unreachable).")
    database: DatabaseHealth
    scheduler: SchedulerHealth
