"""The value the crawl hands to processing, and the plan the parent hands to the crawl."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Capture:
    """One fetch: the request, what came back (or the network error), and when."""

    target_id: str
    url: str
    final_url: str
    status: int | None
    headers: Mapping[str, str]
    body: bytes
    started_at: datetime
    duration_ms: int
    error: str | None = None
    primary: bool = True
    # The immediate second fetch that confirms a reading resting on absence.
    confirming: bool = False

    @cached_property
    def body_sha256(self) -> str:
        """SHA-256 of the raw body (hex): computed once, though the crawl thread, the processing
        thread and the reading asks for it (frozen dataclasses still have an instance dict)."""
        return hashlib.sha256(self.body).hexdigest()


@dataclass(frozen=True)
class PlanTarget:
    """What the crawl needs to know of one target."""

    id: str
    url: str
    parser: str
    options: Mapping[str, Any]
    follow: Sequence[str]
    substances: Sequence[str]
    # url → {"etag": …, "last_modified": …} from the last good fetch, for conditional requests.
    validators: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # Documents seen under the target before: re-checked when the target page answers 304.
    documents: Sequence[str] = ()


@dataclass(frozen=True)
class PlanChannel:
    """Routing of one notification channel (no secrets: URLs stay with the parent)."""

    name: str
    events: Sequence[str]
    substances: Sequence[str]


@dataclass(frozen=True)
class PlanSubstance:
    """A substance as the matcher needs it."""

    id: str
    name: str
    synonyms: Sequence[str]
    exclude: Sequence[str]


@dataclass(frozen=True)
class CrawlPlan:
    """Everything the crawl child needs, written by the parent as JSON."""

    database_url: str
    tick_started_at: str
    targets: Sequence[PlanTarget]
    substances: Sequence[PlanSubstance]
    channels: Sequence[PlanChannel]
    failure_threshold: int = 3
    max_body_bytes: int = 20 * 1024 * 1024
    fetch_timeout: int = 60
    concurrency_per_domain: int = 2
    # REGWATCH_READ_WORKERS (monitor/readahead.py; -1: auto); a plan built by hand reads inline.
    read_workers: int = 0
    download_delay: float = 1.0
    user_agent: str = "regwatch"
    allow_private_hosts: bool = False
    # The domain allowlist every request is checked against (empty: none); see monitor/urlguard.py.
    allowed_domains: Sequence[str] = ()
    log_level: str = "INFO"
    # A dry run (`targets test`): write one JSON line per capture here and store nothing.
    preview_path: str | None = None

    def dump(self, path: Path) -> None:
        """Write the plan as JSON."""
        path.write_text(json.dumps(asdict(self)), encoding="utf-8")

    def dumps(self) -> str:
        """The plan as JSON text (Scrapyd passes it inline as a spider argument)."""
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def load(cls, path: Path) -> CrawlPlan:
        """Read a plan written by `dump`."""
        return cls.loads(path.read_text(encoding="utf-8"))

    @classmethod
    def loads(cls, text: str) -> CrawlPlan:
        """Read a plan from JSON text (`dump`'s or `dumps`'s)."""
        data = json.loads(text)
        data["targets"] = [PlanTarget(**t) for t in data["targets"]]
        data["substances"] = [PlanSubstance(**s) for s in data["substances"]]
        data["channels"] = [PlanChannel(**c) for c in data["channels"]]
        return cls(**data)
