"""What every route needs (store, settings, clock, templates) and the FastAPI dependencies that hand it out."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated

import jinja2
from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker

from monitor.settings import Settings
from monitor.views import iso
from monitor.web.cache import RenderCache


@dataclass(frozen=True)
class WebContext:
    """The app's state, set once by `create_app`."""

    sessions: sessionmaker[Session]
    settings: Settings
    clock: Callable[[], datetime]
    templates: Jinja2Templates
    cache: RenderCache = field(default_factory=RenderCache)


def _utc_text(t: datetime | None) -> str:
    return t.strftime("%Y-%m-%d %H:%M UTC") if t else ""


def _age(t: datetime | None, now: datetime) -> str:
    """'3 hours ago' style words for the distance from `t` to `now`."""
    if t is None:
        return "never"
    seconds = int((now - t).total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            words = f"{n} {unit}{'s' if n != 1 else ''}"
            return f"in {words}" if future else f"{words} ago"
    return "in under a minute" if future else "just now"


def _href(url: str | None) -> str | None:
    """`url` if it is http(s), else None: a scraped `javascript:` URL must never become a link."""
    if url and url.lower().startswith(("http://", "https://")):
        return url
    return None


def make_templates(folder: Path) -> Jinja2Templates:
    """Jinja2 with autoescaping on for every template (scraped text is never trusted) and strict undefineds."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(folder), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["iso"] = iso
    env.filters["utc"] = _utc_text
    env.filters["href"] = _href
    env.globals["age"] = _age
    return Jinja2Templates(env=env)


def web(request: Request) -> WebContext:
    """The app's WebContext."""
    ctx: WebContext = request.app.state.web
    return ctx


def session(ctx: Annotated[WebContext, Depends(web)]) -> Iterator[Session]:
    """A read session for one request, closed afterwards."""
    with ctx.sessions() as s:
        yield s


Ctx = Annotated[WebContext, Depends(web)]
Db = Annotated[Session, Depends(session)]
