"""Which further URLs a fetched document leads to (pure; the spider asks, monitor decides).

From the target's own page: links (HTML hrefs, or URL strings in JSON) matching the
target's `follow` patterns, one level deep. From any document: the URLs its parser
derives (pagination, API URLs built from the target's host), up to MAX_DEPTH levels.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

from bs4 import BeautifulSoup
from pydantic import ValidationError

from monitor.capture import PlanTarget
from monitor.extract import sniff
from monitor.parsers import PARSERS

MAX_DEPTH = 6  # pagination chains (Federal Register next_page_url) need a few levels
MAX_LINKS = 200


def _json_urls(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if value.startswith(("http://", "https://")):
            yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _json_urls(v)
    elif isinstance(value, list):
        for v in value:
            yield from _json_urls(v)


def _candidates(url: str, body: bytes) -> list[str]:
    kind = sniff(body)
    if kind == "html":
        soup = BeautifulSoup(body, "lxml")
        return [urljoin(url, str(a["href"]).strip()) for a in soup.find_all("a", href=True)]
    if kind == "json":
        try:
            return list(_json_urls(json.loads(body)))
        except ValueError:
            return []
    return []


def discover(target: PlanTarget, url: str, body: bytes, depth: int) -> list[str]:
    """URLs to fetch next for `target` after fetching `url` at `depth` (0 = the target URL)."""
    found: list[str] = []
    if depth == 0 and target.follow:
        patterns = [re.compile(p) for p in target.follow]
        found += [u for u in _candidates(url, body) if any(p.search(u) for p in patterns)]
    spec = PARSERS.get(target.parser)
    if spec is not None and spec.derive is not None and depth < MAX_DEPTH:
        try:
            options = spec.options.model_validate(dict(target.options))
        except ValidationError:
            options = None
        if options is not None:
            found += spec.derive(url, body, options)
    out: list[str] = []
    for u in found:
        u = u.split("#", 1)[0]
        if u and u != url and u not in out:
            out.append(u)
    return out[:MAX_LINKS]
