"""Operator pages: the target list with health, the target form (create, edit, Test), enable,
disable, delete, and the audit log. Every change goes through monitor/target_ops.py, so the
web validates, re-baselines and audits exactly as the CLI does."""

from __future__ import annotations

from typing import Any

import yaml
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from monitor import target_ops
from monitor.allowlist import allowed_domains
from monitor.audit import entries
from monitor.errors import Conflict, Invalid, NotFound
from monitor.models import SubstanceRow, TargetRow
from monitor.parsers import PARSERS
from monitor.preview import PreviewReport, dry_run
from monitor.targets import get_target
from monitor.web import readmodel
from monitor.web.auth import FormData, Operator, OperatorForm, Principal, Viewer, field
from monitor.web.context import Ctx, Db, WebContext
from monitor.web.pages import render

router = APIRouter(include_in_schema=False)
BLANK = {"id": "", "name": "", "url": "", "parser": "fda_page", "every": "6h", "substances": [], "follow": "",
         "options": "", "enabled": True, "version": ""}


def actor(p: Principal) -> str:
    """How a web change is recorded in the audit log."""
    return f"{p.account.name} ({'token' if p.via == 'token' else 'web'})"


def _values(row: TargetRow) -> dict[str, Any]:
    config = target_ops.target_config(row)
    return {**config, "follow": "\n".join(config["follow"]),
            "options": yaml.safe_dump(config["options"], sort_keys=True).strip() if config["options"] else "",
            "version": target_ops.row_version(row)}


def _from_form(form: FormData, target_id: str | None) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """(raw values to show again, the targets.yaml entry, errors found while reading the form)."""
    values: dict[str, Any] = {
        "id": target_id if target_id is not None else field(form, "id").strip(),
        "name": field(form, "name"), "url": field(form, "url").strip(), "parser": field(form, "parser"),
        "every": field(form, "every").strip(), "substances": form.get("substances", []),
        "follow": field(form, "follow"), "options": field(form, "options"), "enabled": field(form, "enabled") == "on",
        "version": field(form, "version"),
    }
    errors: dict[str, str] = {}
    options: Any = {}
    try:
        options = yaml.safe_load(values["options"]) if values["options"].strip() else {}
    except yaml.YAMLError as exc:
        errors["options"] = f"not valid YAML: {getattr(exc, 'problem', None) or exc}"
    if not isinstance(options, dict):
        errors.setdefault("options", "must be a mapping of option names to values, e.g. min_entries: 10")
        options = {}
    entry = {k: values[k] for k in ("id", "name", "url", "parser", "every", "substances", "enabled")}
    entry["follow"] = [line.strip() for line in values["follow"].splitlines() if line.strip()]
    entry["options"] = options
    return values, entry, errors


def _form_page(request: Request, db: Db, principal: Principal, values: dict[str, Any], *, editing: bool,
               errors: dict[str, str] | None = None, message: str | None = None,
               preview: PreviewReport | None = None, status_code: int = 200) -> HTMLResponse:
    substances = list(db.scalars(select(SubstanceRow).order_by(SubstanceRow.name)))
    return render(request, "target_form.html", status_code, values=values, editing=editing, errors=errors or {},
                  message=message, preview=preview, parsers=sorted(PARSERS), substances=substances,
                  csrf=principal.csrf or "")


@router.get("/manage", response_class=HTMLResponse)
def manage(p: Viewer) -> Response:
    """The operator area starts at the target list."""
    return RedirectResponse("/manage/targets", status_code=303)


@router.get("/manage/targets", response_class=HTMLResponse)
def target_list(request: Request, ctx: Ctx, db: Db, p: Viewer, saved: str = "") -> HTMLResponse:
    """Every target with its health and the actions an operator may take."""
    rows = {r.id: r for r in db.scalars(select(TargetRow))}
    health = [(h, target_ops.row_version(rows[h.id])) for h in readmodel.sources(db, ctx.clock())]
    return render(request, "manage_targets.html", targets=health, saved=saved, csrf=p.csrf or "",
                  can_edit=p.account.can("operator"), labels=readmodel.HEALTH_LABELS)


@router.get("/manage/targets/new", response_class=HTMLResponse)
def new_target(request: Request, db: Db, p: Operator) -> HTMLResponse:
    """An empty target form."""
    return _form_page(request, db, p, dict(BLANK), editing=False)


def _save_or_test(request: Request, ctx: WebContext, db: Db, p: Principal, form: FormData,
                  target_id: str | None) -> Response:
    values, entry, errors = _from_form(form, target_id)
    editing = target_id is not None
    if errors:
        return _form_page(request, db, p, values, editing=editing, errors=errors, status_code=400)
    st = ctx.settings
    try:
        if field(form, "action") == "test":
            target = target_ops.validate_target(entry, target_ops.known_substances(db), allowed_domains(db),
                                                st.allow_private_hosts)
            report = dry_run(ctx.sessions, st, target)
            return _form_page(request, db, p, values, editing=editing, preview=report)
        with ctx.sessions.begin() as s:
            now, domains = ctx.clock(), allowed_domains(s)
            if editing:
                assert target_id is not None
                target_ops.edit_target(s, target_id, entry, actor(p), now, domains, st.allow_private_hosts,
                                       values["version"] or None)
            else:
                target_ops.add_target(s, entry, actor(p), now, domains, st.allow_private_hosts)
    except Invalid as exc:
        return _form_page(request, db, p, values, editing=editing, errors=exc.fields, status_code=400)
    except Conflict as exc:
        return _form_page(request, db, p, values, editing=editing, message=str(exc), status_code=409)
    return RedirectResponse(f"/manage/targets?saved={values['id']}", status_code=303)


@router.post("/manage/targets/new", response_class=HTMLResponse)
def create_target(request: Request, ctx: Ctx, db: Db, p: Operator, form: OperatorForm) -> Response:
    """Save a new target, or Test it without saving."""
    return _save_or_test(request, ctx, db, p, form, None)


def _row(db: Db, target_id: str) -> TargetRow:
    try:
        return get_target(db, target_id)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None


@router.get("/manage/targets/{target_id}", response_class=HTMLResponse)
def edit_form(request: Request, target_id: str, db: Db, p: Operator) -> HTMLResponse:
    """A target's form, with the version it was read at (a later save by someone else is refused)."""
    return _form_page(request, db, p, _values(_row(db, target_id)), editing=True)


@router.post("/manage/targets/{target_id}", response_class=HTMLResponse)
def save_target(request: Request, target_id: str, ctx: Ctx, db: Db, p: Operator, form: OperatorForm) -> Response:
    """Save an edited target, or Test the edit without saving."""
    _row(db, target_id)
    return _save_or_test(request, ctx, db, p, form, target_id)


def _switch(target_id: str, enabled: bool, ctx: WebContext, db: Db, p: Principal, form: FormData) -> Response:
    _row(db, target_id)
    try:
        with ctx.sessions.begin() as s:
            target_ops.set_enabled(s, target_id, enabled, actor(p), ctx.clock(), field(form, "version") or None)
    except Conflict as exc:
        raise HTTPException(409, str(exc)) from None
    return RedirectResponse(f"/manage/targets?saved={target_id}", status_code=303)


@router.post("/manage/targets/{target_id}/enable")
def enable(target_id: str, ctx: Ctx, db: Db, p: Operator, form: OperatorForm) -> Response:
    """Enable a target (it is due at once)."""
    return _switch(target_id, True, ctx, db, p, form)


@router.post("/manage/targets/{target_id}/disable")
def disable(target_id: str, ctx: Ctx, db: Db, p: Operator, form: OperatorForm) -> Response:
    """Disable a target (it keeps its history)."""
    return _switch(target_id, False, ctx, db, p, form)


@router.get("/manage/targets/{target_id}/delete", response_class=HTMLResponse)
def delete_form(request: Request, target_id: str, db: Db, p: Operator) -> HTMLResponse:
    """Ask before deleting."""
    row = _row(db, target_id)
    return render(request, "target_delete.html", target=row, version=target_ops.row_version(row), csrf=p.csrf or "")


@router.post("/manage/targets/{target_id}/delete")
def delete(request: Request, target_id: str, ctx: Ctx, db: Db, p: Operator, form: OperatorForm) -> Response:
    """Delete a target (its events stay)."""
    _row(db, target_id)
    try:
        with ctx.sessions.begin() as s:
            target_ops.remove_target(s, target_id, actor(p), ctx.clock(), field(form, "force") == "on",
                                     field(form, "version") or None)
    except Conflict as exc:
        raise HTTPException(409, str(exc)) from None
    return RedirectResponse(f"/manage/targets?saved={target_id}", status_code=303)


@router.get("/audit", response_class=HTMLResponse)
def audit(request: Request, db: Db, p: Viewer, entity: str | None = None, id: str | None = None) -> HTMLResponse:
    """Who changed what and when, newest first."""
    return render(request, "audit.html", entries=entries(db, entity, id, limit=500))
