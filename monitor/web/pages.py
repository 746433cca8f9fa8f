"""The HTML pages: status board, substance, change (diff), sources, stored snapshots."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from monitor.web import diffview, history, readmodel
from monitor.web.cache import data_version
from monitor.web.context import Ctx, Db, web

router = APIRouter(include_in_schema=False)

SUMMARY_STYLE = {
    # state: (css modifier, icon); the label is always shown beside the icon.
    "PATHWAY_AVAILABLE": ("pathway", "✔"),
    "NO_PATHWAY": ("none", "✖"),
    "UNDER_REVIEW": ("review", "◐"),
    "UNKNOWN": ("unknown", "?"),
}
TIMELINE_LIMIT = 200  # older events stay in /api/substances/{id}/events
HEALTH_ICON = {"ok": "✔", "failing": "⚠", "stale": "✖", "unchecked": "…", "disabled": "–"}


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A template with the common context (now, settings, styles)."""
    ctx = web(request)
    base = {"now": ctx.clock(), "summary_style": SUMMARY_STYLE, "health_icon": HEALTH_ICON,
            "who": getattr(request.state, "principal", None)}  # the logged-in account (monitor/web/auth.py)
    return ctx.templates.TemplateResponse(request, template, {**base, **context}, status_code=status_code)


def error_page(request: Request, status_code: int, message: str) -> HTMLResponse:
    """An error as a page in the site's layout."""
    title = "Not found" if status_code == 404 else "Something went wrong" if status_code >= 500 else "Cannot show that"
    return render(request, "error.html", status_code, title=title, message=message)


@router.get("/", response_class=HTMLResponse)
def index(request: Request, ctx: Ctx, db: Db) -> HTMLResponse:
    """One card per substance: the plain answer, freshness and per-track evidence."""
    now = ctx.clock()
    if getattr(request.state, "principal", None) is not None:
        # A logged-in page carries the account's name and CSRF token: never shared through the cache.
        return render(request, "index.html", cards=readmodel.cards(db, now))
    body = ctx.cache.get_or_render(
        ("index", *data_version(db, now)),
        lambda: bytes(render(request, "index.html", cards=readmodel.cards(db, now)).body))
    return HTMLResponse(body)


@router.get("/substances/{substance_id}", response_class=HTMLResponse)
def substance(request: Request, substance_id: str, ctx: Ctx, db: Db) -> HTMLResponse:
    """A substance's card, timeline of events and each track's history."""
    found = readmodel.cards(db, ctx.clock(), substance_id)
    if not found:
        raise HTTPException(404, f"No substance with id {substance_id!r} is watched.")
    return render(request, "substance.html", card=found[0], timeline=history.timeline(db, substance_id, TIMELINE_LIMIT),
                  timeline_limit=TIMELINE_LIMIT, histories=history.track_histories(db, substance_id))


@router.get("/changes/{change_id:int}", response_class=HTMLResponse)
def change(request: Request, change_id: int, db: Db) -> HTMLResponse:
    """One stored diff, inline and side by side, with substance mentions marked."""
    detail = history.change_detail(db, change_id)
    if detail is None:
        raise HTTPException(404, f"No change {change_id} is stored.")
    return render(request, "change.html", detail=detail,
                  diff=diffview.view(detail.change.diff, history.matchers(db)))


@router.get("/sources", response_class=HTMLResponse)
def sources(request: Request, ctx: Ctx, db: Db) -> HTMLResponse:
    """Every target with its last check, outcome, failures, last change and next check."""
    order = ("stale", "failing", "unchecked", "ok", "disabled")
    rows = sorted(readmodel.sources(db, ctx.clock()), key=lambda r: order.index(r.health))
    counts = {h: sum(r.health == h for r in rows) for h in readmodel.HEALTH_LABELS}
    return render(request, "sources.html", sources=rows, counts=counts, labels=readmodel.HEALTH_LABELS)


@router.get("/snapshots/{snapshot_id:int}.txt", response_class=PlainTextResponse)
def snapshot_text(snapshot_id: int, db: Db) -> Response:
    """A stored snapshot's normalized text as a download."""
    detail = history.snapshot_detail(db, snapshot_id)
    if detail is None:
        raise HTTPException(404, f"No snapshot {snapshot_id} is stored.")
    return PlainTextResponse(detail.snapshot.text, headers={
        "Content-Disposition": f'attachment; filename="snapshot-{snapshot_id}.txt"'})


@router.get("/snapshots/{snapshot_id:int}", response_class=HTMLResponse)
def snapshot(request: Request, snapshot_id: int, db: Db) -> HTMLResponse:
    """A stored snapshot's text with substance mentions marked."""
    detail = history.snapshot_detail(db, snapshot_id)
    if detail is None:
        raise HTTPException(404, f"No snapshot {snapshot_id} is stored.")
    return render(request, "snapshot.html", detail=detail,
                  segments=diffview.segments(detail.snapshot.text, history.matchers(db)))
