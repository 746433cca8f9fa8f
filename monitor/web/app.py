"""The dashboard's app factory: `create_app(sessions, settings)` over a store, so tests can seed it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from monitor.runtime import utcnow
from monitor.settings import Settings
from monitor.web import pages
from monitor.web.api import router as api_router
from monitor.web.api_manage import router as api_manage_router
from monitor.web.auth import install as install_auth
from monitor.web.context import WebContext, make_templates
from monitor.web.feed import router as feed_router
from monitor.web.health import router as health_router
from monitor.web.login import router as login_router
from monitor.web.manage import router as manage_router
from monitor.web.manage_config import router as manage_config_router

HERE = Path(__file__).resolve().parent

# Our pages load nothing from elsewhere and run only our one script; /docs (Swagger UI) is exempt
# because it loads its assets from a CDN.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
_NO_CSP = ("/docs", "/openapi.json")

class SecurityHeaders:
    """Pure ASGI middleware (BaseHTTPMiddleware costs a task and a copy per request)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with_csp = not str(scope.get("path", "")).startswith(_NO_CSP)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                if with_csp:
                    headers.setdefault("Content-Security-Policy", CSP)
            await send(message)

        await self.app(scope, receive, send_with_headers)


DESCRIPTION = """Whether each watched substance may be compounded in the US today, with the official
evidence, as read by regwatch from FDA, the Federal Register and the eCFR.
Times are UTC, in ISO 8601 with a Z."""


def create_app(sessions: sessionmaker[Session], settings: Settings, *,
               clock: Callable[[], datetime] = utcnow) -> FastAPI:
    """The dashboard, JSON API, Atom feeds and health check over the store behind `sessions`.

    `clock` returns naive UTC now (tests pass a fixed one).
    """
    app = FastAPI(title="regwatch", version="0.1.0", description=DESCRIPTION, docs_url="/docs", redoc_url=None)
    app.state.web = WebContext(sessions, settings, clock, make_templates(HERE / "templates"))
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for router in (pages.router, api_router, feed_router, health_router, login_router, manage_router,
                   manage_config_router, api_manage_router):
        app.include_router(router)

    install_auth(app)

    app.add_middleware(SecurityHeaders)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if _wants_json(request):
            return await http_exception_handler(request, exc)
        return pages.error_page(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if _wants_json(request):
            return await request_validation_exception_handler(request, exc)
        return pages.error_page(request, 400, "That address has a value this page cannot read.")

    return app


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path == "/healthz"
