"""/login and /logout: the login form (CSRF double-submit, rate-limited) and the session cookie."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from monitor.accounts import SESSION_LIFETIME, authenticate, close_session, open_session
from monitor.errors import AccessDenied
from monitor.web.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    check_login_csrf,
    current,
    field,
    limiter,
    login_csrf,
    read_form,
    same_token,
    set_cookie,
)
from monitor.web.context import web
from monitor.web.pages import render

router = APIRouter(include_in_schema=False)
HOME = "/manage/targets"


def _next(value: str) -> str:
    """Only a path on this site: never an open redirect to another host."""
    if value.startswith("/") and not value.startswith(("//", "/\\")) and "\n" not in value and "\r" not in value:
        return value
    return HOME


def _form(request: Request, next_path: str, name: str = "", error: str | None = None,
          status_code: int = 200) -> HTMLResponse:
    token = login_csrf(request)
    response = render(request, "login.html", status_code, csrf=token, next_path=_next(next_path), name=name,
                      error=error)
    set_cookie(request, response, LOGIN_CSRF_COOKIE, token)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = HOME) -> HTMLResponse:
    """The login form."""
    return _form(request, next)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    """Check the password; on success start a session and go where the user was headed."""
    form = await read_form(request)
    check_login_csrf(request, form)
    name, password, next_path = field(form, "name").strip(), field(form, "password"), field(form, "next", HOME)
    client = request.client.host if request.client else "unknown"
    limits = limiter(request)
    wait = limits.retry_after(name, client)
    if wait:
        minutes = max(1, round(wait / 60))
        refused = _form(request, next_path, name, f"Too many failed logins. Try again in about {minutes} minute(s).",
                        429)
        refused.headers["Retry-After"] = str(wait)
        return refused
    ctx = web(request)

    def attempt() -> str:
        with ctx.sessions.begin() as s:
            account = authenticate(s, name, password)
            sid, _ = open_session(s, account, ctx.clock())
        return sid

    try:
        sid = await run_in_threadpool(attempt)
    except AccessDenied as exc:
        limits.failed(name, client)
        return _form(request, next_path, name, str(exc).capitalize() + ".", 401)
    limits.succeeded(name)
    response = RedirectResponse(_next(next_path), status_code=303)
    set_cookie(request, response, SESSION_COOKIE, sid, int(SESSION_LIFETIME.total_seconds()))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the session (the cookie stops working at once)."""
    p = current(request)
    form = await read_form(request)
    if p is not None and p.via == "session" and p.sid:
        if not same_token(field(form, "csrf"), p.csrf):
            raise HTTPException(403, "This form has no valid CSRF token. Reload the page and try again.")
        ctx = web(request)
        sid = p.sid

        def end() -> None:
            with ctx.sessions.begin() as s:
                close_session(s, sid)

        await run_in_threadpool(end)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
