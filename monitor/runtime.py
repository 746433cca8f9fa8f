"""Start-up of the shell: settings, config, database, channels. The CLI, daemon and web share it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from monitor.capture import PlanChannel
from monitor.config import Config, channel_url, load_config
from monitor.db import open_store
from monitor.events import channel_name_for_url
from monitor.models import TargetRow
from monitor.settings import Settings, load_settings
from monitor.targets import import_targets, sync_substances


def utcnow() -> datetime:
    """Now, as the naive UTC datetime every table stores."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Channels:
    """Notification routing (for the crawl) and the URLs (kept in the parent)."""

    routing: tuple[PlanChannel, ...]
    urls: Mapping[str, str]


def resolve_channels(config: Config, settings: Settings, env: Mapping[str, str]) -> Channels:
    """Channels from notifications.yaml, or else one per REGWATCH_NOTIFY_URLS entry."""
    if config.channels:
        routing = tuple(PlanChannel(c.name, list(c.events), list(c.substances)) for c in config.channels)
        urls = {c.name: channel_url(c, env) for c in config.channels}
        return Channels(routing, urls)
    names = {channel_name_for_url(u): u for u in settings.notify_urls}
    return Channels(tuple(PlanChannel(n, ["status", "source"], []) for n in names), names)


@dataclass
class Runtime:
    """Everything a command needs; `config` and `channels` may be replaced on reload."""

    settings: Settings
    config: Config
    channels: Channels
    sessions: sessionmaker[Session]
    env: Mapping[str, str]

    def reload(self) -> None:
        """Re-read the config files; on error raise and keep the last good config."""
        config = load_config(self.settings.config_dir, self.env)
        channels = resolve_channels(config, self.settings, self.env)
        with self.sessions.begin() as s:
            sync_substances(s, config.substances, utcnow())
        self.config, self.channels = config, channels


def config_mtime(config_dir: Path) -> float:
    """Latest modification time of the config files (for reload on change)."""
    times = [p.stat().st_mtime for p in config_dir.glob("*.yaml") if p.is_file()]
    return max(times, default=0.0)


def bootstrap(env: Mapping[str, str] | None = None) -> Runtime:
    """Load settings and config, open and migrate the database, seed it when empty."""
    env = dict(os.environ if env is None else env)
    settings = load_settings(env)
    config = load_config(settings.config_dir, env)
    channels = resolve_channels(config, settings, env)
    sessions = open_store(settings.database_url)
    now = utcnow()
    with sessions.begin() as s:
        sync_substances(s, config.substances, now)
        if not s.scalar(select(func.count()).select_from(TargetRow)):
            import_targets(s, config.targets, now)
    return Runtime(settings, config, channels, sessions, env)
