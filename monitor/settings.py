"""Program settings: every REGWATCH_* environment variable, read here and nowhere else.

Each setting is declared once (name, default, cast, help); the declaration drives
validation, `regwatch settings` and docs/settings.md, which a test keeps in sync.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.errors import SettingError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _bool(name: str, raw: str) -> bool:
    low = raw.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise SettingError(f"{name}={raw!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off")


def _int(name: str, raw: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise SettingError(f"{name}={raw!r} is not a whole number") from None
    if value < 0:
        raise SettingError(f"{name}={raw!r} must not be negative")
    return value


def _workers(name: str, raw: str) -> int:
    """`auto` (-1: decided per crawl, monitor/readahead.py) or a whole number (0: none)."""
    return -1 if raw.strip().lower() == "auto" else _int(name, raw)


def _float(name: str, raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise SettingError(f"{name}={raw!r} is not a number") from None
    if value < 0:
        raise SettingError(f"{name}={raw!r} must not be negative")
    return value


def _str(name: str, raw: str) -> str:
    return raw.strip()


def _urls(name: str, raw: str) -> tuple[str, ...]:
    parts = [p.strip() for p in raw.replace(",", " ").split()]
    return tuple(p for p in parts if p)


@dataclass(frozen=True)
class Setting:
    """One declared environment variable."""

    name: str
    default: str
    cast: Callable[[str, str], Any]
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("REGWATCH_DATABASE_URL", "", _str,
            "SQLAlchemy database URL. Empty: SQLite file var/regwatch.db under the working directory."),
    Setting("REGWATCH_CONFIG_DIR", "config", _str,
            "Folder holding substances.yaml, targets.yaml and notifications.yaml."),
    Setting("REGWATCH_NOTIFY_URLS", "", _urls,
            "Apprise URLs, space- or comma-separated. Used when notifications.yaml has no channels; "
            "each receives status and source events."),
    Setting("REGWATCH_ALLOW_PRIVATE_HOSTS", "false", _bool,
            "Allow targets on loopback, private and link-local addresses (tests and the demo)."),
    Setting("REGWATCH_BASE_URL", "http://127.0.0.1:8000", _str,
            "Public address of the dashboard, used for links in alerts."),
    Setting("REGWATCH_TICK_SECONDS", "30", _int,
            "Seconds between scheduler ticks of `regwatch run`."),
    Setting("REGWATCH_CRAWL_TIMEOUT", "900", _int,
            "Seconds a crawl child may run before it is killed and its unfinished targets fail."),
    Setting("REGWATCH_FETCH_TIMEOUT", "60", _int,
            "Seconds one HTTP request may take."),
    Setting("REGWATCH_CONCURRENCY_PER_DOMAIN", "2", _int,
            "Concurrent requests per domain. Keep 1-2 for fda.gov; benchmarks on one loopback host raise it."),
    Setting("REGWATCH_READ_WORKERS", "auto", _workers,
            "Processes that read (extract, normalize, parse) changed captures beside the crawl: auto = one "
            "per core but one (at most 4) for crawls of 64 targets or more; 0 = none (read in the crawl)."),
    Setting("REGWATCH_DOWNLOAD_DELAY", "1.0", _float,
            "Minimum seconds between requests to one domain (AutoThrottle starts here)."),
    Setting("REGWATCH_FAILURE_THRESHOLD", "3", _int,
            "Consecutive failed checks of a target before one `source` event is raised."),
    Setting("REGWATCH_MAX_BODY_BYTES", str(20 * 1024 * 1024), _int,
            "Largest response body accepted; a larger one is a failed check."),
    Setting("REGWATCH_DELIVERY_MAX_ATTEMPTS", "10", _int,
            "Attempts per alert and channel before the delivery is marked dead."),
    Setting("REGWATCH_CONTACT_URL", "https://github.com/regwatch/regwatch", _str,
            "Contact URL put in the crawler's User-Agent so site owners can reach the operator."),
    Setting("REGWATCH_LOG_LEVEL", "INFO", _str,
            "Log level: DEBUG, INFO, WARNING or ERROR."),
    Setting("REGWATCH_PUBLIC_DASHBOARD", "true", _bool,
            "Whether the dashboard, API and feeds are readable without logging in; false puts them behind "
            "a login (any role). Editing always needs an operator login or token."),
    Setting("REGWATCH_CRAWL_BACKEND", "local", _str,
            "Where crawls run: `local` (a child process of the scheduler) or `scrapyd` (Scrapyd nodes)."),
    Setting("REGWATCH_SCRAPYD_URLS", "", _urls,
            "Base URLs of the Scrapyd nodes (space- or comma-separated), for REGWATCH_CRAWL_BACKEND=scrapyd."),
    Setting("REGWATCH_SCRAPYD_BATCH_SIZE", "100", _int,
            "Most targets per Scrapyd job; a tick splits its targets into at least one batch per node."),
    Setting("REGWATCH_SCRAPYD_POLL_SECONDS", "2.0", _float,
            "Seconds between polls of the Scrapyd nodes while a tick follows its jobs."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    """The validated settings of one process."""

    database_url: str
    config_dir: Path
    notify_urls: tuple[str, ...]
    allow_private_hosts: bool
    base_url: str
    tick_seconds: int
    crawl_timeout: int
    fetch_timeout: int
    concurrency_per_domain: int
    read_workers: int
    download_delay: float
    failure_threshold: int
    max_body_bytes: int
    delivery_max_attempts: int
    contact_url: str
    log_level: str
    crawl_backend: str = "local"
    scrapyd_urls: tuple[str, ...] = ()
    scrapyd_batch_size: int = 100
    scrapyd_poll_seconds: float = 2.0
    public_dashboard: bool = True


def _value(env: Mapping[str, str], name: str) -> Any:
    setting = _BY_NAME[name]
    raw = env.get(name)
    return setting.cast(name, setting.default if raw is None else raw)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate every REGWATCH_* variable from `env` (default: the process environment)."""
    env = os.environ if env is None else env
    unknown = sorted(k for k in env if k.startswith("REGWATCH_") and k not in _BY_NAME)
    if unknown:
        raise SettingError(
            f"unknown setting {unknown[0]}; known settings: {', '.join(sorted(_BY_NAME))}"
        )
    db_url = _value(env, "REGWATCH_DATABASE_URL") or f"sqlite:///{Path('var/regwatch.db').absolute()}"
    level = _value(env, "REGWATCH_LOG_LEVEL").upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise SettingError(f"REGWATCH_LOG_LEVEL={level!r} is not one of DEBUG, INFO, WARNING, ERROR")
    if _value(env, "REGWATCH_CONCURRENCY_PER_DOMAIN") < 1:
        raise SettingError("REGWATCH_CONCURRENCY_PER_DOMAIN must be at least 1")
    backend = _value(env, "REGWATCH_CRAWL_BACKEND").lower()
    if backend not in {"local", "scrapyd"}:
        raise SettingError(f"REGWATCH_CRAWL_BACKEND={backend!r} is not one of local, scrapyd")
    scrapyd_urls = tuple(u.rstrip("/") for u in _value(env, "REGWATCH_SCRAPYD_URLS"))
    if backend == "scrapyd" and not scrapyd_urls:
        raise SettingError("REGWATCH_CRAWL_BACKEND=scrapyd needs REGWATCH_SCRAPYD_URLS (the Scrapyd nodes' base URLs)")
    for url in scrapyd_urls:
        if not url.startswith(("http://", "https://")):
            raise SettingError(f"REGWATCH_SCRAPYD_URLS entry {url!r} is not an http(s) URL")
    return Settings(
        database_url=db_url,
        config_dir=Path(_value(env, "REGWATCH_CONFIG_DIR")),
        notify_urls=_value(env, "REGWATCH_NOTIFY_URLS"),
        allow_private_hosts=_value(env, "REGWATCH_ALLOW_PRIVATE_HOSTS"),
        base_url=_value(env, "REGWATCH_BASE_URL").rstrip("/"),
        tick_seconds=max(1, _value(env, "REGWATCH_TICK_SECONDS")),
        crawl_timeout=max(1, _value(env, "REGWATCH_CRAWL_TIMEOUT")),
        fetch_timeout=max(1, _value(env, "REGWATCH_FETCH_TIMEOUT")),
        concurrency_per_domain=_value(env, "REGWATCH_CONCURRENCY_PER_DOMAIN"),
        read_workers=_value(env, "REGWATCH_READ_WORKERS"),
        download_delay=_value(env, "REGWATCH_DOWNLOAD_DELAY"),
        failure_threshold=max(1, _value(env, "REGWATCH_FAILURE_THRESHOLD")),
        max_body_bytes=_value(env, "REGWATCH_MAX_BODY_BYTES"),
        delivery_max_attempts=max(1, _value(env, "REGWATCH_DELIVERY_MAX_ATTEMPTS")),
        contact_url=_value(env, "REGWATCH_CONTACT_URL"),
        log_level=level,
        public_dashboard=_value(env, "REGWATCH_PUBLIC_DASHBOARD"),
        crawl_backend=backend,
        scrapyd_urls=scrapyd_urls,
        scrapyd_batch_size=max(1, _value(env, "REGWATCH_SCRAPYD_BATCH_SIZE")),
        scrapyd_poll_seconds=max(0.05, _value(env, "REGWATCH_SCRAPYD_POLL_SECONDS")),
    )
