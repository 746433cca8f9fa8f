"""Downloader middleware: every request, redirects included, passes the SSRF guard and the allowlist."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from monitor.errors import FetchFailed
from monitor.urlguard import check_url


class UrlGuardMiddleware:
    """Refuses requests to non-public hosts (unless REGWATCH_ALLOW_PRIVATE_HOSTS is on) and to
    hosts outside the plan's domain allowlist. Scrapy hands every redirect back through the
    downloader middlewares, so a redirect to a refused host is refused too."""

    def __init__(self, allow_private: bool, allowed_domains: Sequence[str] = ()):
        self.allow_private = allow_private
        self.allowed_domains = tuple(allowed_domains)
        # Hosts a request of this crawl was let through to: their robots.txt needs no second check.
        self.approved: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> UrlGuardMiddleware:
        # Both set from the crawl plan by monitor.crawl.crawl_settings (local child and Scrapyd alike).
        domains = [d.strip() for d in crawler.settings.getlist("REGWATCH_ALLOWED_DOMAINS") if d.strip()]
        return cls(crawler.settings.getbool("REGWATCH_ALLOW_PRIVATE_HOSTS"), domains)

    def process_request(self, request: Request) -> Any:
        parts = urlsplit(request.url)
        if parts.path == "/robots.txt" and request.meta.get("dont_obey_robotstxt") and parts.netloc in self.approved:
            return None
        try:
            check_url(request.url, self.allow_private, self.allowed_domains)
        except FetchFailed as exc:
            raise IgnoreRequest(str(exc)) from None
        self.approved.add(parts.netloc)
        return None


class PreloadedRobotsMiddleware:
    """Obeys the robots.txt files the spider loaded before its first request (see
    WatchSpider.start) without waiting: Scrapy's RobotsTxtMiddleware makes every request await
    its parser, and with a full downloader that stalls the crawl (200 loopback pages: 6.2 s
    instead of 0.6 s). Origins not preloaded are left to Scrapy's middleware, which runs after."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PreloadedRobotsMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> Any:
        robots = getattr(self.crawler.spider, "robots", None)
        if not robots or request.meta.get("dont_obey_robotstxt"):
            return None
        parts = urlsplit(request.url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in robots:
            return None
        parser = robots[origin]
        # The User-Agent header is set later (UserAgentMiddleware); Scrapy's robots check uses the setting too.
        agent = request.headers.get(b"User-Agent", b"").decode("latin-1") or self.crawler.settings.get("USER_AGENT", "*")
        if parser is not None and not parser.can_fetch(request.url, agent):
            raise IgnoreRequest("Forbidden by robots.txt")
        request.meta["dont_obey_robotstxt"] = True
        return None
