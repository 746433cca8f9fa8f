"""Atom feeds of status changes: all substances at /feed.atom, one substance at /substances/{id}/feed.atom.

Built with ElementTree, which escapes text and attributes; characters XML 1.0 forbids (a PDF's
form feed, say) are dropped first, so the feed stays well-formed whatever a source contains.
Links are absolute, from REGWATCH_BASE_URL.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.models import EventRow, SubstanceRow
from monitor.views import iso
from monitor.vocab import TRACK_NAMES, state_label
from monitor.web.context import Ctx, Db

router = APIRouter(include_in_schema=False)

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
FEED_KINDS = ("status",)
LIMIT = 100
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str | None) -> str:
    return _NOT_XML.sub("", text or "")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: _clean(v) for k, v in attrs.items()})
    if text is not None:
        el.text = _clean(text)
    return el


def _content(e: EventRow) -> str:
    track = e.track or ""
    lines = [e.summary, ""]
    if e.from_state or e.to_state:
        lines.append(f"{TRACK_NAMES.get(track, track)}: {state_label(track, e.from_state)} → "
                     f"{state_label(track, e.to_state)}")
    if e.evidence:
        lines.append(f"Evidence: “{e.evidence}”")
    if e.url:
        lines.append(f"Source: {e.url}")
    lines.append(f"Observed: {e.observed_at:%Y-%m-%d %H:%M} UTC")
    return "\n".join(lines)


def render_feed(events: Sequence[EventRow], base_url: str, self_path: str, title: str, now: datetime) -> bytes:
    """An Atom 1.0 document of `events` (newest first)."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _sub(feed, "id", base_url + self_path)
    _sub(feed, "title", title)
    _sub(feed, "subtitle", "US compounding status changes, with the official evidence, as read by regwatch.")
    _sub(feed, "updated", iso(events[0].observed_at if events else now))
    _sub(feed, "link", rel="self", type="application/atom+xml", href=base_url + self_path)
    _sub(feed, "link", rel="alternate", type="text/html", href=base_url + "/")
    _sub(_sub(feed, "author"), "name", "regwatch")
    _sub(feed, "generator", "regwatch")
    for e in events:
        page = f"{base_url}/substances/{e.substance_id}" if e.substance_id else f"{base_url}/"
        entry = _sub(feed, "entry")
        _sub(entry, "id", f"{page}#event-{e.id}")
        _sub(entry, "title", e.summary)
        _sub(entry, "updated", iso(e.observed_at))
        _sub(entry, "published", iso(e.observed_at))
        _sub(entry, "link", rel="alternate", type="text/html", href=f"{page}#event-{e.id}")
        if e.url:
            _sub(entry, "link", rel="via", href=e.url, title="Official source")
        if e.change_id is not None:
            _sub(entry, "link", rel="related", type="text/html", href=f"{base_url}/changes/{e.change_id}",
                 title="What changed in the document")
        if e.track:
            _sub(entry, "category", term=e.track, label=TRACK_NAMES.get(e.track, e.track))
        _sub(entry, "summary", e.summary, type="text")
        _sub(entry, "content", _content(e), type="text")
    out: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return out


def _events(db: Session, substance_id: str | None) -> list[EventRow]:
    q = (select(EventRow).where(EventRow.kind.in_(FEED_KINDS))
         .order_by(EventRow.observed_at.desc(), EventRow.id.desc()).limit(LIMIT))
    if substance_id is not None:
        q = q.where(EventRow.substance_id == substance_id)
    return list(db.scalars(q))


@router.get("/feed.atom")
def feed_all(ctx: Ctx, db: Db) -> Response:
    """Status changes of every substance."""
    body = render_feed(_events(db, None), ctx.settings.base_url, "/feed.atom", "regwatch: status changes", ctx.clock())
    return Response(body, media_type=MEDIA_TYPE)


@router.get("/substances/{substance_id}/feed.atom")
def feed_substance(substance_id: str, ctx: Ctx, db: Db) -> Response:
    """Status changes of one substance."""
    sub = db.get(SubstanceRow, substance_id)
    if sub is None:
        raise HTTPException(404, f"No substance with id {substance_id!r} is watched.")
    body = render_feed(_events(db, substance_id), ctx.settings.base_url, f"/substances/{substance_id}/feed.atom",
                       f"regwatch: {sub.name} status changes", ctx.clock())
    return Response(body, media_type=MEDIA_TYPE)
