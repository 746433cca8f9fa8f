"""The status dashboard, JSON API, Atom feeds and health check (FastAPI + Jinja2, server-rendered).

`create_app(sessions, settings)` builds the app over a store; `regwatch serve` and `regwatch run`
serve it with uvicorn.
"""

from __future__ import annotations

from monitor.web.app import create_app

__all__ = ["create_app"]
