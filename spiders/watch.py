"""The one spider: fetch each planned target, follow its `follow` patterns one level, yield captures."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from protego import Protego
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from twisted.python.failure import Failure

from monitor.capture import Capture, PlanTarget
from monitor.classify import describe_failure
from monitor.crawl import load_plan
from monitor.links import MAX_DEPTH, discover

# Statuses the spider hands to processing (which records them as failures or 304s);
# redirects are left to Scrapy's RedirectMiddleware so that moved pages are followed.
HANDLED_STATUSES = [304, *range(400, 600)]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _headers(response: Response) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, values in response.headers.items():
        name = (key.decode("latin-1") if isinstance(key, bytes) else str(key)).lower()
        if values:
            value = values[-1]
            out[name] = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return out


class WatchSpider(scrapy.Spider):
    """Fetches the targets of a crawl plan (spider argument `plan`: the plan's JSON text, as Scrapyd
    passes it, or the path of a plan file, as the local crawl child does)."""

    name = "watch"

    def __init__(self, plan: str = "", **kwargs: Any):
        super().__init__(**kwargs)
        self.plan_arg = plan
        self.seen: dict[str, set[str]] = {}
        self.targets: list[PlanTarget] = []
        self.robots: dict[str, Protego | None] = {}

    async def start(self) -> AsyncIterator[Any]:
        plan = load_plan(self.plan_arg)
        self.targets = list(plan.targets)
        if self.settings.getbool("ROBOTSTXT_OBEY"):
            for origin in sorted({_origin(t.url) for t in plan.targets}):
                self.robots[origin] = await self._robots(origin)
        for target in plan.targets:
            self.seen[target.id] = {target.url}
            yield self._request(target, target.url, primary=True)

    async def _robots(self, origin: str) -> Protego | None:
        """The origin's robots.txt (None: no rules, as Scrapy does for errors and non-2xx answers)."""
        request = scrapy.Request(f"{origin}/robots.txt", meta={"dont_obey_robotstxt": True}, dont_filter=True,
                                 callback=NO_CALLBACK)
        try:
            assert self.crawler.engine is not None
            response = await self.crawler.engine.download_async(request)
        except Exception:  # unreachable or refused: the target's own request reports why
            return None
        if not 200 <= response.status < 300:
            return None
        return Protego.parse(response.body.decode("utf-8", errors="replace"))

    def confirm_request(self, capture: Capture) -> scrapy.Request:
        """An immediate, unconditional second fetch of a capture whose reading must be confirmed."""
        target = next(t for t in self.targets if t.id == capture.target_id)
        return self._request(target, capture.url, primary=capture.primary, depth=MAX_DEPTH, confirming=True)

    def _request(self, target: PlanTarget, url: str, primary: bool, depth: int = 0,
                 confirming: bool = False) -> scrapy.Request:
        headers: dict[str, str] = {}
        known = {} if confirming else target.validators.get(url, {})
        if known.get("etag"):
            headers["If-None-Match"] = known["etag"]
        if known.get("last_modified"):
            headers["If-Modified-Since"] = known["last_modified"]
        return scrapy.Request(
            url, headers=headers, callback=self.parse, errback=self.failed, dont_filter=True,
            meta={"target": target, "primary": primary, "url": url, "depth": depth, "confirming": confirming,
                  "started": time.monotonic(), "at": _now(), "handle_httpstatus_list": HANDLED_STATUSES},
        )

    def parse(self, response: Response) -> Any:
        meta = response.meta
        target: PlanTarget = meta["target"]
        yield Capture(
            target_id=target.id, url=meta["url"],
            final_url=response.url, status=response.status, headers=_headers(response), body=response.body,
            started_at=meta["at"], duration_ms=int((time.monotonic() - meta["started"]) * 1000),
            primary=meta["primary"], confirming=meta["confirming"],
        )
        depth = meta["depth"]
        if response.status == 304 and meta["primary"]:
            # The page is unchanged, so are its links: re-check the documents known from before.
            for url in target.documents:
                if url not in self.seen[target.id]:
                    self.seen[target.id].add(url)
                    yield self._request(target, url, primary=False, depth=1)
        elif response.status < 300:
            for url in discover(target, meta["url"], response.body, depth):
                if url not in self.seen.setdefault(target.id, set()):
                    self.seen[target.id].add(url)
                    yield self._request(target, url, primary=False, depth=depth + 1)

    def failed(self, failure: Failure) -> Any:
        request = failure.request  # type: ignore[attr-defined]
        meta = request.meta
        target: PlanTarget = meta["target"]
        kind = failure.type.__name__ if failure.type else "Error"
        yield Capture(
            target_id=target.id, url=meta["url"], final_url=request.url, status=None, headers={}, body=b"",
            started_at=meta["at"], duration_ms=int((time.monotonic() - meta["started"]) * 1000),
            error=describe_failure(kind, failure.getErrorMessage()), primary=meta["primary"],
            confirming=meta["confirming"],
        )
