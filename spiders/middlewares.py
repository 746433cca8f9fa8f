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
