"""The editing API for automation: `Authorization: Bearer <token>` (from `regwatch users token NAME`).

Writes need an operator (or admin) token; a viewer token gets 403. Browsers' session cookies
are not accepted here (a token carries no ambient authority, so these routes need no CSRF
token). Bodies are targets.yaml entries as JSON; errors name each bad field.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, HTTPException, Request
from fastapi.responses import JSONResponse

from monitor import target_ops, views
from monitor.allowlist import allowed_domains
from monitor.audit import entries
from monitor.errors import Conflict, Invalid, NotFound
from monitor.models import TargetRow
from monitor.targets import get_target
from monitor.web.auth import Operator, Principal, Viewer
from monitor.web.context import Ctx, Db
from monitor.web.manage import actor

# Kept out of /openapi.json, which documents the public read API; docs/operators.md documents these.
router = APIRouter(prefix="/api", include_in_schema=False)
Entry = Body(description="A targets.yaml entry (all keys for POST; the keys to change for PATCH).")


def _token(p: Principal) -> None:
    if p.via != "token":
        raise HTTPException(403, "the editing API takes an API token (Authorization: Bearer …), not a browser session")


def _target(row: TargetRow) -> dict[str, Any]:
    return {**views.target_dict(row), "version": target_ops.row_version(row)}


def _problem(exc: Exception) -> JSONResponse:
    if isinstance(exc, Invalid):
        return JSONResponse({"detail": str(exc), "fields": exc.fields}, status_code=422)
    if isinstance(exc, NotFound):
        return JSONResponse({"detail": str(exc)}, status_code=404)
    return JSONResponse({"detail": str(exc)}, status_code=409)


@router.post("/targets", status_code=201, summary="Add a target")
def create(ctx: Ctx, p: Operator, entry: dict[str, Any] = Entry) -> Any:
    """Validated like `targets import`; audit-logged with the token's user."""
    _token(p)
    try:
        with ctx.sessions.begin() as s:
            row = target_ops.add_target(s, entry, actor(p), ctx.clock(), allowed_domains(s),
                                        ctx.settings.allow_private_hosts)
            return _target(row)
    except Invalid as exc:
        return _problem(exc)


@router.patch("/targets/{target_id}", summary="Change some keys of a target")
def update(target_id: str, request: Request, ctx: Ctx, p: Operator, entry: dict[str, Any] = Entry) -> Any:
    """Send `If-Match: <version>` (from GET or a previous write) to refuse a change made by someone else since."""
    _token(p)
    expect = request.headers.get("if-match", "").strip('"') or None
    try:
        with ctx.sessions.begin() as s:
            row = target_ops.edit_target(s, target_id, entry, actor(p), ctx.clock(), allowed_domains(s),
                                         ctx.settings.allow_private_hosts, expect)
            return _target(row)
    except (Invalid, NotFound, Conflict) as exc:
        return _problem(exc)


@router.post("/targets/{target_id}/enable", summary="Enable a target")
def enable(target_id: str, ctx: Ctx, p: Operator) -> Any:
    """Enable a target (it is due at once)."""
    return _switch(target_id, True, ctx, p)


@router.post("/targets/{target_id}/disable", summary="Disable a target")
def disable(target_id: str, ctx: Ctx, p: Operator) -> Any:
    """Disable a target (it keeps its history)."""
    return _switch(target_id, False, ctx, p)


def _switch(target_id: str, enabled: bool, ctx: Ctx, p: Principal) -> Any:
    _token(p)
    try:
        with ctx.sessions.begin() as s:
            return _target(target_ops.set_enabled(s, target_id, enabled, actor(p), ctx.clock()))
    except NotFound as exc:
        return _problem(exc)


@router.delete("/targets/{target_id}", summary="Delete a target")
def remove(target_id: str, ctx: Ctx, p: Operator, force: bool = False) -> Any:
    """Delete a target with its documents (events stay); `force` also drops statuses it is the evidence of."""
    _token(p)
    try:
        with ctx.sessions.begin() as s:
            before = target_ops.remove_target(s, target_id, actor(p), ctx.clock(), force)
    except (NotFound, Conflict) as exc:
        return _problem(exc)
    return {"removed": target_id, "before": before}


@router.get("/targets/{target_id}", summary="One target with its health and version")
def show(target_id: str, db: Db) -> Any:
    """The `targets show --json` shape plus `version`."""
    try:
        return _target(get_target(db, target_id))
    except NotFound as exc:
        return _problem(exc)


@router.get("/audit", summary="The audit log, newest first")
def audit(db: Db, p: Viewer, limit: int = 500) -> list[dict[str, Any]]:
    """The same list as `regwatch audit --json`."""
    return entries(db, limit=min(max(limit, 1), 5000))
