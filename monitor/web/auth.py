"""Who is asking: dashboard logins, API tokens, CSRF, the login rate limit, the private-dashboard switch.

- A browser logs in at /login and gets a server-side session: the cookie holds a random id
  (HttpOnly, SameSite=Lax, Secure when served over https), the database its SHA-256
  (monitor/accounts.py); logging out deletes it.
- Scripts send `Authorization: Bearer <token>` (`regwatch users token NAME`).
- Every form a logged-in browser posts carries the session's CSRF token; a post without it
  is refused with 403 before anything is read or written. The login form, posted before
  there is a session, carries a double-submit token (a cookie and a field that must match).
- Failed logins are limited per user name and per client address.
- `REGWATCH_PUBLIC_DASHBOARD=false` puts every page, API and feed behind a login.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qs, quote

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from monitor.accounts import Account, session_for, token_account
from monitor.web.context import web

SESSION_COOKIE = "regwatch_session"
LOGIN_CSRF_COOKIE = "regwatch_login_csrf"
MAX_FORM_BYTES = 256 * 1024
# Paths a private dashboard still serves without a login.
_OPEN = ("/login", "/static/", "/healthz", "/favicon")
_MACHINE = ("/api/", "/feed")


@dataclass(frozen=True)
class Principal:
    """A logged-in browser (`via == "session"`, with its CSRF token) or an API token."""

    account: Account
    via: str
    csrf: str | None = None
    sid: str | None = None


class LoginRequired(Exception):
    """Raised by a route that needs an account when there is none: a redirect to /login (401 for the API)."""


def _bearer(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def resolve(request: Request) -> Principal | None:
    """The principal of a request (database reads; call it off the event loop)."""
    ctx = web(request)
    token = _bearer(request)
    if token is not None:
        with ctx.sessions() as s:
            account = token_account(s, token)
        return Principal(account, "token") if account else None
    sid = request.cookies.get(SESSION_COOKIE)
    if not sid:
        return None
    with ctx.sessions() as s:
        found = session_for(s, sid, ctx.clock())
    return Principal(found.account, "session", found.csrf, sid) if found else None


def current(request: Request) -> Principal | None:
    """The principal the middleware found for this request."""
    return getattr(request.state, "principal", None)


def need(role: str) -> Callable[[Request], Principal]:
    """A dependency: the principal, if it holds `role`; else a login redirect (401) or 403."""
    def dependency(request: Request) -> Principal:
        p = current(request)
        if p is None:
            raise LoginRequired()
        if not p.account.can(role):
            raise HTTPException(403, f"{p.account.name} is a {p.account.role}; this needs the {role} role.")
        return p
    return dependency


Viewer = Annotated[Principal, Depends(need("viewer"))]
Operator = Annotated[Principal, Depends(need("operator"))]
Admin = Annotated[Principal, Depends(need("admin"))]

FormData = dict[str, list[str]]


async def read_form(request: Request) -> FormData:
    """An application/x-www-form-urlencoded body (our forms upload no files). Any other body reads as
    an empty form, which then fails its CSRF check (403) like any other forged post."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        return {}
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise HTTPException(413, "The form is too large.")
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=500)
    except (UnicodeDecodeError, ValueError):
        raise HTTPException(400, "The form could not be read.") from None


def field(form: FormData, name: str, default: str = "") -> str:
    """A form field's first value."""
    values = form.get(name)
    return values[0] if values else default


def same_token(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two secrets, both present."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


async def operator_form(request: Request, p: Operator) -> FormData:
    """A dependency for every operator form post: the account first (else to /login), then CSRF (else 403)."""
    form = await read_form(request)
    if p.via == "session" and not same_token(field(form, "csrf"), p.csrf):
        raise HTTPException(403, "This form has no valid CSRF token. Reload the page and try again.")
    return form


OperatorForm = Annotated[FormData, Depends(operator_form)]


async def admin_form(request: Request, p: Admin) -> FormData:
    """Like `operator_form`, for the admin's forms."""
    form = await read_form(request)
    if p.via == "session" and not same_token(field(form, "csrf"), p.csrf):
        raise HTTPException(403, "This form has no valid CSRF token. Reload the page and try again.")
    return form


AdminForm = Annotated[FormData, Depends(admin_form)]


def secure_cookies(request: Request) -> bool:
    """Mark cookies Secure when the dashboard is served over https."""
    return request.url.scheme == "https" or web(request).settings.base_url.startswith("https://")


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None = None) -> None:
    """An HttpOnly, SameSite=Lax cookie for the whole site (Secure over https)."""
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="lax",
                        secure=secure_cookies(request))


def login_csrf(request: Request) -> str:
    """The double-submit token of the login form (the cookie's, or a new one)."""
    return request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)


def check_login_csrf(request: Request, form: FormData) -> None:
    """403 unless the login form's token matches its cookie."""
    if not same_token(request.cookies.get(LOGIN_CSRF_COOKIE), field(form, "csrf")):
        raise HTTPException(403, "This form has no valid CSRF token. Reload the page and try again.")


class LoginLimiter:
    """Failed logins per user name and per client address in a sliding window (one process)."""

    def __init__(self, per_user: int = 5, per_client: int = 20, window: float = 900.0,
                 clock: Callable[[], float] = time.monotonic):
        self.limits = {"user": per_user, "client": per_client}
        self.window = window
        self.clock = clock
        self.failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self.lock = threading.Lock()

    def _keys(self, user: str, client: str) -> list[tuple[str, str]]:
        return [("user", user.strip().lower()), ("client", client)]

    def retry_after(self, user: str, client: str) -> int:
        """Seconds until another attempt is allowed (0: allowed now)."""
        now = self.clock()
        wait = 0.0
        with self.lock:
            for key in self._keys(user, client):
                times = self.failures[key]
                while times and times[0] <= now - self.window:
                    times.popleft()
                if len(times) >= self.limits[key[0]]:
                    wait = max(wait, times[0] + self.window - now)
        return int(wait) + 1 if wait else 0

    def failed(self, user: str, client: str) -> None:
        """Count a failed attempt."""
        with self.lock:
            for key in self._keys(user, client):
                self.failures[key].append(self.clock())

    def succeeded(self, user: str) -> None:
        """A good login clears the user's count (not the client's)."""
        with self.lock:
            self.failures.pop(("user", user.strip().lower()), None)


def limiter(request: Request) -> LoginLimiter:
    """The app's login limiter."""
    found: LoginLimiter = request.app.state.login_limiter
    return found


def _login_redirect(request: Request) -> Response:
    if request.url.path.startswith(_MACHINE):
        return JSONResponse({"detail": "authentication required: log in or send Authorization: Bearer <token>"},
                            status_code=401, headers={"WWW-Authenticate": "Bearer"})
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


class PrincipalMiddleware:
    """Resolves the principal of every request (`request.state.principal`) and keeps a private
    dashboard private. Pure ASGI: no task or body copy per request."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        asks = _bearer(request) is not None or SESSION_COOKIE in request.cookies
        principal = await run_in_threadpool(resolve, request) if asks else None
        scope.setdefault("state", {})["principal"] = principal
        if principal is None and not web(request).settings.public_dashboard \
                and not request.url.path.startswith(_OPEN):
            await _login_redirect(request)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def install(app: FastAPI) -> None:
    """Add the principal middleware, the login limiter and the login-required handler to `app`."""
    app.state.login_limiter = LoginLimiter()
    app.add_middleware(PrincipalMiddleware)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        return _login_redirect(request)
