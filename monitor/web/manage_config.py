"""Operator pages for substances and notification channels (list, create, edit, delete) and the
admins' domain allowlist.

They edit substances.yaml and notifications.yaml through monitor/config_ops.py (validated
like config loading, audit-logged). A saved channel URL is never sent back to the browser:
the list and the form show it masked, and an empty URL field on an edit keeps it.
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from monitor import config_ops
from monitor.allowlist import allowed_domains, parse_domains, set_allowed_domains
from monitor.errors import ConfigError, Invalid, NotFound
from monitor.models import SubstanceRow, TargetRow
from monitor.vocab import EVENT_KINDS
from monitor.web.auth import Admin, AdminForm, FormData, Operator, OperatorForm, Principal, field
from monitor.web.context import Ctx, Db, WebContext
from monitor.web.manage import actor
from monitor.web.pages import render

router = APIRouter(include_in_schema=False)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _substance_ids(db: Db) -> list[tuple[str, str]]:
    return [(r.id, r.name) for r in db.scalars(select(SubstanceRow).order_by(SubstanceRow.name))]


# Substances ---------------------------------------------------------------------------------------

@router.get("/manage/substances", response_class=HTMLResponse)
def substance_list(request: Request, ctx: Ctx, p: Operator, saved: str = "") -> HTMLResponse:
    """The watched substances (substances.yaml)."""
    return render(request, "manage_substances.html", substances=config_ops.substances(ctx.settings.config_dir),
                  saved=saved, csrf=p.csrf or "")


def _substance_page(request: Request, p: Principal, values: dict[str, Any], editing: bool,
                    errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    return render(request, "substance_form.html", status_code, values=values, editing=editing, errors=errors or {},
                  csrf=p.csrf or "")


@router.get("/manage/substances/new", response_class=HTMLResponse)
def new_substance(request: Request, p: Operator) -> HTMLResponse:
    """An empty substance form."""
    return _substance_page(request, p, {"id": "", "name": "", "synonyms": "", "exclude": ""}, False)


@router.get("/manage/substances/{substance_id}", response_class=HTMLResponse)
def edit_substance(request: Request, substance_id: str, ctx: Ctx, p: Operator) -> HTMLResponse:
    """A substance's form."""
    entry = next((e for e in config_ops.substances(ctx.settings.config_dir) if e.get("id") == substance_id), None)
    if entry is None:
        raise HTTPException(404, f"No substance {substance_id!r} in substances.yaml.")
    values = {"id": substance_id, "name": entry.get("name", ""), "synonyms": "\n".join(entry.get("synonyms") or []),
              "exclude": "\n".join(entry.get("exclude") or [])}
    return _substance_page(request, p, values, True)


def _save_substance(request: Request, ctx: WebContext, p: Principal, form: FormData, substance_id: str | None) -> Response:
    values = {"id": substance_id or field(form, "id").strip(), "name": field(form, "name"),
              "synonyms": field(form, "synonyms"), "exclude": field(form, "exclude")}
    entry = {"id": values["id"], "name": values["name"], "synonyms": _lines(values["synonyms"]),
             "exclude": _lines(values["exclude"])}
    try:
        with ctx.sessions.begin() as s:
            config_ops.save_substance(s, ctx.settings.config_dir, entry, actor(p), ctx.clock(), substance_id is None)
    except Invalid as exc:
        return _substance_page(request, p, values, substance_id is not None, exc.fields, 400)
    except (ConfigError, OSError) as exc:
        return _substance_page(request, p, values, substance_id is not None, {"(file)": str(exc)}, 400)
    return RedirectResponse(f"/manage/substances?saved={values['id']}", status_code=303)


@router.post("/manage/substances/new", response_class=HTMLResponse)
def create_substance(request: Request, ctx: Ctx, p: Operator, form: OperatorForm) -> Response:
    """Add a substance."""
    return _save_substance(request, ctx, p, form, None)


@router.post("/manage/substances/{substance_id}", response_class=HTMLResponse)
def save_substance(request: Request, substance_id: str, ctx: Ctx, p: Operator, form: OperatorForm) -> Response:
    """Save an edited substance."""
    return _save_substance(request, ctx, p, form, substance_id)


@router.post("/manage/substances/{substance_id}/delete")
def delete_substance(substance_id: str, ctx: Ctx, db: Db, p: Operator, form: OperatorForm) -> Response:
    """Remove a substance no target watches (its history stays)."""
    used = [t.id for t in db.scalars(select(TargetRow)) if substance_id in t.substances]
    try:
        with ctx.sessions.begin() as s:
            config_ops.delete_substance(s, ctx.settings.config_dir, substance_id, used, actor(p), ctx.clock())
    except Invalid as exc:
        raise HTTPException(409, str(exc)) from None
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return RedirectResponse(f"/manage/substances?saved={substance_id}", status_code=303)


# Channels -----------------------------------------------------------------------------------------

@router.get("/manage/channels", response_class=HTMLResponse)
def channel_list(request: Request, ctx: Ctx, p: Operator, saved: str = "") -> HTMLResponse:
    """The notification channels (notifications.yaml), URLs masked."""
    shown = [{**c, "url": config_ops.mask_url(str(c["url"])) if c.get("url") else None}
             for c in config_ops.channels(ctx.settings.config_dir)]
    return render(request, "manage_channels.html", channels=shown, saved=saved, csrf=p.csrf or "",
                  env_only=bool(ctx.settings.notify_urls) and not shown)


def _channel_page(request: Request, db: Db, p: Principal, values: dict[str, Any], editing: bool,
                  errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    return render(request, "channel_form.html", status_code, values=values, editing=editing, errors=errors or {},
                  kinds=EVENT_KINDS, substances=_substance_ids(db), csrf=p.csrf or "")


@router.get("/manage/channels/new", response_class=HTMLResponse)
def new_channel(request: Request, db: Db, p: Operator) -> HTMLResponse:
    """An empty channel form."""
    values = {"name": "", "url": "", "saved_url": None, "url_env": "", "events": ["status", "source"], "substances": []}
    return _channel_page(request, db, p, values, False)


@router.get("/manage/channels/{name}", response_class=HTMLResponse)
def edit_channel(request: Request, name: str, ctx: Ctx, db: Db, p: Operator) -> HTMLResponse:
    """A channel's form; its saved URL is shown masked and never sent."""
    entry = next((c for c in config_ops.channels(ctx.settings.config_dir) if c.get("name") == name), None)
    if entry is None:
        raise HTTPException(404, f"No channel {name!r} in notifications.yaml.")
    values = {"name": name, "url": "", "saved_url": config_ops.mask_url(str(entry["url"])) if entry.get("url") else None,
              "url_env": entry.get("url_env") or "", "events": list(entry.get("events") or ["status", "source"]),
              "substances": list(entry.get("substances") or [])}
    return _channel_page(request, db, p, values, True)


def _save_channel(request: Request, ctx: WebContext, db: Db, p: Principal, form: FormData, name: str | None) -> Response:
    values = {"name": name or field(form, "name").strip(), "url": field(form, "url").strip(), "saved_url": None,
              "url_env": field(form, "url_env").strip(), "events": form.get("events", []),
              "substances": form.get("substances", [])}
    entry = {"name": values["name"], "url": values["url"] or None, "url_env": values["url_env"] or None,
             "events": values["events"], "substances": values["substances"]}
    try:
        with ctx.sessions.begin() as s:
            config_ops.save_channel(s, ctx.settings.config_dir, entry, {sid for sid, _ in _substance_ids(db)},
                                    os.environ, actor(p), ctx.clock(), name is None)
    except Invalid as exc:
        values["url"] = ""  # a typed secret is not echoed back either
        return _channel_page(request, db, p, values, name is not None, exc.fields, 400)
    except (ConfigError, OSError) as exc:
        values["url"] = ""
        return _channel_page(request, db, p, values, name is not None, {"(file)": str(exc)}, 400)
    return RedirectResponse(f"/manage/channels?saved={values['name']}", status_code=303)


@router.post("/manage/channels/new", response_class=HTMLResponse)
def create_channel(request: Request, ctx: Ctx, db: Db, p: Operator, form: OperatorForm) -> Response:
    """Add a channel."""
    return _save_channel(request, ctx, db, p, form, None)


@router.post("/manage/channels/{name}", response_class=HTMLResponse)
def save_channel(request: Request, name: str, ctx: Ctx, db: Db, p: Operator, form: OperatorForm) -> Response:
    """Save an edited channel (an empty URL keeps the saved one)."""
    return _save_channel(request, ctx, db, p, form, name)


@router.post("/manage/channels/{name}/delete")
def delete_channel(name: str, ctx: Ctx, p: Operator, form: OperatorForm) -> Response:
    """Remove a channel."""
    try:
        with ctx.sessions.begin() as s:
            config_ops.delete_channel(s, ctx.settings.config_dir, name, actor(p), ctx.clock())
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return RedirectResponse(f"/manage/channels?saved={name}", status_code=303)


# Domain allowlist (admins) ------------------------------------------------------------------------

@router.get("/manage/allowlist", response_class=HTMLResponse)
def allowlist_page(request: Request, db: Db, p: Operator, saved: str = "") -> HTMLResponse:
    """The domains targets may point at; admins may change them."""
    domains = allowed_domains(db)
    return render(request, "allowlist.html", domains="\n".join(domains), off=not domains, saved=saved,
                  errors={}, can_change=p.account.can("admin"), csrf=p.csrf or "")


@router.post("/manage/allowlist", response_class=HTMLResponse)
def allowlist_save(request: Request, ctx: Ctx, p: Admin, form: AdminForm) -> Response:
    """Replace the allowlist (or turn it off); targets already stored are re-checked at each crawl."""
    text, off = field(form, "domains"), field(form, "off") == "on"
    try:
        domains = () if off else parse_domains([text])
        if not domains and not off:
            raise Invalid("allowlist", {"domains": "give at least one domain, or tick 'no allowlist'"})
    except Invalid as exc:
        return render(request, "allowlist.html", 400, domains=text, off=off, saved="", errors=exc.fields,
                      can_change=True, csrf=p.csrf or "")
    with ctx.sessions.begin() as s:
        set_allowed_domains(s, domains, actor(p), ctx.clock())
    return RedirectResponse("/manage/allowlist?saved=1", status_code=303)
