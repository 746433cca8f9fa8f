"""SQLAlchemy 2.0 models: the tables of DESIGN.md ('Storage').

Times are stored as naive UTC datetimes; every writer passes `now` in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of every regwatch table."""

    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON}  # noqa: RUF012  (SQLAlchemy API)


class SubstanceRow(Base):
    """A watched substance (seeded from config/substances.yaml)."""

    __tablename__ = "substances"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    synonyms: Mapped[list[str]] = mapped_column(default=list)
    exclude: Mapped[list[str]] = mapped_column(default=list)
    updated_at: Mapped[datetime]


class TargetRow(Base):
    """A watch target and its scheduling and health state."""

    __tablename__ = "targets"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(Text)
    parser: Mapped[str] = mapped_column(String(64))
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    every: Mapped[str] = mapped_column(String(16))
    every_seconds: Mapped[int]
    follow: Mapped[list[str]] = mapped_column(default=list)
    substances: Mapped[list[str]] = mapped_column(default=list)
    enabled: Mapped[bool] = mapped_column(default=True)
    next_check_at: Mapped[datetime | None] = mapped_column(index=True)
    last_checked_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_change_at: Mapped[datetime | None]
    last_outcome: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(Text)
    # Where the last check ran: "local" (the crawl child) or the Scrapyd node's base URL.
    last_node: Mapped[str | None] = mapped_column(String(255))
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    failing_since: Mapped[datetime | None]
    failure_alerted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class DocumentRow(Base):
    """One URL seen under a target: the page itself or a document it links."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("target_id", "url"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_id: Mapped[str] = mapped_column(ForeignKey("targets.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    current_snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id", use_alter=True))
    # Hash of content refused for a suspicious drop in a parser metric; the same content
    # on the next check confirms the drop is real and it is accepted.
    suspect_hash: Mapped[str | None] = mapped_column(String(64))
    # SHA-256 of the last body read into the current snapshot: identical bytes skip extraction.
    last_raw_sha256: Mapped[str | None] = mapped_column(String(64))
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class SnapshotRow(Base):
    """One distinct version of a document, addressed by the hash of its normalized text."""

    __tablename__ = "snapshots"
    __table_args__ = (UniqueConstraint("document_id", "content_hash"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str] = mapped_column(Text)
    raw_sha256: Mapped[str] = mapped_column(String(64))
    raw_size: Mapped[int]
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    mentions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    assessed_key: Mapped[str | None] = mapped_column(String(64))
    captured_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class ChangeRow(Base):
    """The diff between two consecutive snapshots of a document."""

    __tablename__ = "changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    old_snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id"))
    new_snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"))
    diff: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class CheckRow(Base):
    """Every fetch attempt and its outcome."""

    __tablename__ = "checks"
    __table_args__ = (Index("ix_checks_target_started", "target_id", "started_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_id: Mapped[str] = mapped_column(ForeignKey("targets.id", ondelete="CASCADE"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    url: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime]
    duration_ms: Mapped[int] = mapped_column(default=0)
    http_status: Mapped[int | None]
    outcome: Mapped[str] = mapped_column(String(16))  # changed|unchanged|not_modified|failed
    error: Mapped[str | None] = mapped_column(Text)
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id", ondelete="SET NULL"))
    change_id: Mapped[int | None] = mapped_column(ForeignKey("changes.id", ondelete="SET NULL"))


class ObservationRow(Base):
    """What a parser read in a snapshot about one substance on one track."""

    __tablename__ = "observations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[str] = mapped_column(ForeignKey("targets.id", ondelete="CASCADE"))
    substance_id: Mapped[str] = mapped_column(String(64))
    track: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    evidence: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    observed_at: Mapped[datetime]


class TrackStateRow(Base):
    """The current state of one substance on one track."""

    __tablename__ = "track_states"
    substance_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    track: Mapped[str] = mapped_column(String(32), primary_key=True)
    state: Mapped[str] = mapped_column(String(32))
    since: Mapped[datetime]
    observation_id: Mapped[int] = mapped_column(ForeignKey("observations.id"))
    updated_at: Mapped[datetime]


class EventRow(Base):
    """A status change, a relevant document, a source-health change or a baseline."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    substance_id: Mapped[str | None] = mapped_column(String(64), index=True)
    track: Mapped[str | None] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(Text)
    target_id: Mapped[str | None] = mapped_column(String(64))
    change_id: Mapped[int | None] = mapped_column(ForeignKey("changes.id", ondelete="SET NULL"))
    observation_id: Mapped[int | None] = mapped_column(ForeignKey("observations.id", ondelete="SET NULL"))
    observed_at: Mapped[datetime] = mapped_column(index=True)


class DeliveryRow(Base):
    """The alert outbox: one row per event and channel."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("event_id", "channel"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending|sent|dead
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    # Apprise's per-target result of the last attempt (secrets masked), shown by `alerts list`.
    last_result: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class UserRow(Base):
    """A viewer, operator or admin account (monitor/accounts.py)."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(Text)
    # SHA-256 of the API token: tokens are random, so a fast hash is safe and can be looked up.
    token_hash: Mapped[str | None] = mapped_column(String(128), index=True)
    token_created_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class AuditRow(Base):
    """Who changed what, when: before and after."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class HeartbeatRow(Base):
    """The last sign of life of a long-running component (the scheduler), for /healthz."""

    __tablename__ = "heartbeats"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    beat_at: Mapped[datetime]
    # How often the component promises to beat, so a reader in another process can judge its age.
    interval_seconds: Mapped[int]
    pid: Mapped[int]
    host: Mapped[str] = mapped_column(String(255))


class WebSessionRow(Base):
    """A dashboard login: the cookie holds a random id, the table its SHA-256 (server-side sessions)."""

    __tablename__ = "web_sessions"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class AppSettingRow(Base):
    """A setting an admin changes at run time (e.g. the domain allowlist), as JSON."""

    __tablename__ = "app_settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(64))
