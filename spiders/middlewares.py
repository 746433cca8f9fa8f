"""Downloader middleware: every request, redirects included, passes the SSRF guard."""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from monitor.errors import FetchFailed
from monitor.urlguard import check_url


class UrlGuardMiddleware:
    """Refuses requests to non-public hosts unless REGWATCH_ALLOW_PRIVATE_HOSTS is on."""

    def __init__(self, allow_private: bool):
        self.allow_private = allow_private

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> UrlGuardMiddleware:
        return cls(crawler.settings.getbool("REGWATCH_ALLOW_PRIVATE_HOSTS"))

    def process_request(self, request: Request) -> Any:
        if request.url.endswith("/robots.txt"):
            return None
        try:
            check_url(request.url, self.allow_private)
        except FetchFailed as exc:
            raise IgnoreRequest(str(exc)) from None
        return None
