"""Operator config: substances.yaml, targets.yaml, notifications.yaml → frozen, validated objects.

Every error names the file, the entry id, the key, the bad value and what is allowed,
e.g. ``config/targets.yaml: target 'fda-503a': parser: 'fda_cat' is not a known parser; allowed: …``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from monitor.errors import ConfigError
from monitor.parsers import PARSERS
from monitor.vocab import EVENT_KINDS

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MIN_EVERY_SECONDS = 60
_M = TypeVar("_M", bound=BaseModel)


def parse_duration(text: str) -> int:
    """'90s', '30m', '6h', '1d' → seconds; raises ValueError with the allowed forms."""
    m = _DURATION.match(str(text))
    if not m:
        raise ValueError(f"{text!r} is not a duration; use a number and a unit: 90s, 30m, 6h, 1d")
    seconds = int(m.group(1)) * _UNIT_SECONDS[m.group(2)]
    if seconds < MIN_EVERY_SECONDS:
        raise ValueError(f"{text!r} is shorter than the minimum interval of {MIN_EVERY_SECONDS}s")
    return seconds


def _slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError(f"{value!r} is not a valid id; use lower-case letters, digits, '-' and '_' (max 64)")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Substance(_Model):
    """A watched substance: its display name, synonyms and never-match names."""

    id: str
    name: str = Field(min_length=1)
    synonyms: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @field_validator("id")
    @classmethod
    def _check_id(cls, v: str) -> str:
        return _slug(v)


class Target(_Model):
    """A watched URL: what to fetch, how often, which parser reads it and for which substances."""

    id: str
    name: str = Field(min_length=1)
    url: str
    parser: str
    every: str = "6h"
    substances: tuple[str, ...] = ()
    follow: tuple[str, ...] = ()
    enabled: bool = True
    options: Mapping[str, Any] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _check_id(cls, v: str) -> str:
        return _slug(v)

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not re.match(r"^https?://[^/\s]+", v):
            raise ValueError(f"{v!r} is not an http(s) URL")
        return v

    @field_validator("parser")
    @classmethod
    def _parser(cls, v: str) -> str:
        if v not in PARSERS:
            raise ValueError(f"{v!r} is not a known parser; allowed: {', '.join(sorted(PARSERS))}")
        return v


    @field_validator("every")
    @classmethod
    def _every(cls, v: str) -> str:
        parse_duration(v)
        return v

    @field_validator("follow")
    @classmethod
    def _follow(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in v:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regular expression ({exc})") from None
        return v

    @property
    def every_seconds(self) -> int:
        """The check interval in seconds."""
        return parse_duration(self.every)


class Channel(_Model):
    """A notification channel: an Apprise URL (or the env var holding it) and what it receives."""

    name: str
    url: str | None = None
    url_env: str | None = None
    events: tuple[str, ...] = ("status", "source")
    substances: tuple[str, ...] = ()

    @field_validator("name")
    @classmethod
    def _check_name(cls, v: str) -> str:
        return _slug(v)

    @field_validator("events")
    @classmethod
    def _events(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for kind in v:
            if kind not in EVENT_KINDS:
                raise ValueError(f"{kind!r} is not an event kind; allowed: {', '.join(EVENT_KINDS)}")
        return v

    def wants(self, kind: str, substance: str | None) -> bool:
        """Whether an event of this kind about this substance goes to the channel."""
        if kind not in self.events:
            return False
        return not self.substances or substance is None or substance in self.substances


@dataclass(frozen=True)
class Config:
    """The validated operator config."""

    substances: tuple[Substance, ...]
    targets: tuple[Target, ...]
    channels: tuple[Channel, ...]


def _read_yaml(path: Path, root_key: str) -> list[Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}:{where}: not valid YAML: {problem}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from None
    if data is None:
        return []
    if not isinstance(data, dict) or root_key not in data:
        raise ConfigError(f"{path}: expected a mapping with the key {root_key!r} at the top")
    extra = sorted(set(data) - {root_key})
    if extra:
        raise ConfigError(f"{path}: unknown top-level key {extra[0]!r}; allowed: {root_key}")
    entries = data[root_key] or []
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: {root_key!r} must be a list, got {type(entries).__name__}")
    return entries


def _entry_error(path: Path, kind: str, index: int, entry: Any, exc: ValidationError) -> ConfigError:
    ident = entry.get("id") or entry.get("name") if isinstance(entry, dict) else None
    who = f"{kind} {ident!r}" if ident else f"{kind} #{index + 1}"
    err = exc.errors()[0]
    key = ".".join(str(p) for p in err["loc"]) or "(entry)"
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        return ConfigError(f"{path}: {who}: {key}: required key is missing")
    if err["type"] == "extra_forbidden":
        return ConfigError(f"{path}: {who}: {key}: unknown key (value {err['input']!r})")
    if msg.startswith(repr(err.get("input"))) or err["type"] == "value_error":
        return ConfigError(f"{path}: {who}: {key}: {msg}")
    return ConfigError(f"{path}: {who}: {key}: {err.get('input')!r}: {msg}")


def _build(path: Path, kind: str, entries: Sequence[Any], model: type[_M]) -> tuple[_M, ...]:
    built: list[_M] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ConfigError(f"{path}: {kind} #{i + 1}: expected a mapping, got {entry!r}")
        try:
            obj = model.model_validate(entry)
        except ValidationError as exc:
            raise _entry_error(path, kind, i, entry, exc) from None
        key = str(getattr(obj, "id", None) or getattr(obj, "name", ""))
        if key in seen:
            raise ConfigError(f"{path}: {kind} {key!r}: duplicate id")
        seen.add(key)
        built.append(obj)
    return tuple(built)


def validate_options(target: Target) -> Any:
    """The target's `options:` validated by its parser's options model."""
    spec = PARSERS[target.parser]
    try:
        return spec.options.model_validate(dict(target.options))
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        raise ValueError(f"options.{key}: {err.get('input')!r}: {err['msg']}") from None


def load_targets(path: Path, substance_ids: set[str]) -> tuple[Target, ...]:
    """Read and validate a targets file against the known substance ids."""
    targets = _build(path, "target", _read_yaml(path, "targets"), Target)
    for t in targets:
        for sid in t.substances:
            if sid not in substance_ids:
                allowed = ", ".join(sorted(substance_ids)) or "(none defined)"
                raise ConfigError(f"{path}: target {t.id!r}: substances: {sid!r} is not a known substance; allowed: {allowed}")
        try:
            validate_options(t)
        except ValueError as exc:
            raise ConfigError(f"{path}: target {t.id!r}: {exc}") from None
    return targets


def load_substances(path: Path) -> tuple[Substance, ...]:
    """Read and validate a substances file."""
    return _build(path, "substance", _read_yaml(path, "substances"), Substance)


def load_channels(path: Path, substance_ids: set[str], env: Mapping[str, str]) -> tuple[Channel, ...]:
    """Read notifications.yaml (optional) and check every channel resolves to a URL."""
    if not path.exists():
        return ()
    channels = _build(path, "channel", _read_yaml(path, "channels"), Channel)
    for c in channels:
        if (c.url is None) == (c.url_env is None):
            raise ConfigError(f"{path}: channel {c.name!r}: give exactly one of url or url_env")
        for sid in c.substances:
            if sid not in substance_ids:
                raise ConfigError(f"{path}: channel {c.name!r}: substances: {sid!r} is not a known substance")
    return channels


def load_config(config_dir: Path, env: Mapping[str, str] | None = None) -> Config:
    """Load and cross-check the three config files of `config_dir`."""
    env = env or {}
    if not config_dir.is_dir():
        raise ConfigError(f"{config_dir}: config folder not found (set REGWATCH_CONFIG_DIR)")
    substances = load_substances(config_dir / "substances.yaml")
    ids = {s.id for s in substances}
    targets_path = config_dir / "targets.yaml"
    targets = load_targets(targets_path, ids) if targets_path.exists() else ()
    channels = load_channels(config_dir / "notifications.yaml", ids, env)
    return Config(substances, targets, channels)


def channel_url(channel: Channel, env: Mapping[str, str]) -> str:
    """The channel's Apprise URL, read from the environment when it names a variable."""
    if channel.url is not None:
        return channel.url
    assert channel.url_env is not None
    value = env.get(channel.url_env, "").strip()
    if not value:
        raise ConfigError(f"channel {channel.name!r}: environment variable {channel.url_env} is not set")
    return value
