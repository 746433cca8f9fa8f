"""The JSON API: the shapes of `status --json`, `events --json` and `targets list --json`."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BeforeValidator
from sqlalchemy import select

from monitor import views
from monitor.models import SubstanceRow, TargetRow
from monitor.web.cache import data_version
from monitor.web.context import Ctx, Db
from monitor.web.schemas import Event, Problem, Status, Target

router = APIRouter(prefix="/api", tags=["api"])

_ISO_START = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_only(value: object) -> object:
    """Refuse what pydantic would read as a Unix timestamp ('0.1'): `since` is ISO 8601 only."""
    if isinstance(value, str) and not _ISO_START.match(value.strip()):
        raise ValueError("expected an ISO 8601 date or time, e.g. 2026-11-01 or 2026-11-01T12:00:00Z")
    return value


Since = Annotated[datetime | None, BeforeValidator(_iso_only), Query(
    description="Only events observed at or after this time (ISO 8601; UTC unless it carries a zone).")]
Limit = Annotated[int, Query(ge=1, le=5000, description="At most this many events, newest first.")]


def _naive_utc(t: datetime | None) -> datetime | None:
    """Stored times are naive UTC; a zoned `since` is converted, a naive one is taken as UTC."""
    if t is None or t.tzinfo is None:
        return t
    try:
        return t.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:  # a zone pushing year 1 or 9999 past the calendar: everything, or nothing
        return datetime.min if t.year == 1 else datetime.max


@router.get("/status", response_model=Status, summary="Every substance's summary and per-track state")
def status(ctx: Ctx, db: Db) -> Response:
    """The same document as `regwatch status --json` (rendered once per data version and minute)."""
    now = ctx.clock()
    body = ctx.cache.get_or_render(
        ("api-status", *data_version(db, now)),
        lambda: Status.model_validate(views.status(db, now)).model_dump_json(by_alias=True).encode())
    return Response(body, media_type="application/json")


@router.get("/events", response_model=list[Event], summary="Events, newest first")
def events(db: Db, since: Since = None, limit: Limit = 500) -> list[dict[str, Any]]:
    """The same list as `regwatch events --json [--since ISO]`."""
    return views.events(db, _naive_utc(since), limit=limit)


@router.get("/substances/{substance_id}/events", response_model=list[Event],
            responses={404: {"model": Problem, "description": "No such substance."}},
            summary="One substance's events, newest first")
def substance_events(substance_id: str, db: Db, since: Since = None, limit: Limit = 500) -> list[dict[str, Any]]:
    """Events about one substance."""
    if db.get(SubstanceRow, substance_id) is None:
        raise HTTPException(404, f"no substance with id {substance_id!r}")
    return views.events(db, _naive_utc(since), substance=substance_id, limit=limit)


@router.get("/targets", response_model=list[Target], summary="Every watch target with its health")
def targets(db: Db) -> list[dict[str, Any]]:
    """The same list as `regwatch targets list --json`."""
    return [views.target_dict(t) for t in db.scalars(select(TargetRow).order_by(TargetRow.id))]
