"""Operator edits of substances.yaml and notifications.yaml (the web's substance and channel forms).

Those files stay the source of truth (the daemon reloads them when they change, and every
process syncs substances into the database at start), so an edit rewrites the file: the
entry is validated with the models config loading uses, the whole file is validated again
as a folder would be loaded, then written atomically. The change is audit-logged in the
database (channel URLs never: only that one was set). Comments in a rewritten file are lost.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy.orm import Session

from monitor.audit import record
from monitor.config import Channel, Substance, load_channels, load_substances
from monitor.errors import ConfigError, Invalid, NotFound
from monitor.target_ops import field_message
from monitor.targets import sync_substances

SUBSTANCES = "substances.yaml"
CHANNELS = "notifications.yaml"


def mask_url(url: str) -> str:
    """A saved channel URL as shown once saved: its scheme and last four characters only."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "•••"
    return f"{scheme}://•••{rest[-4:] if len(rest) > 8 else ''}"


def _entries(path: Path, key: str) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return list(data.get(key) or [])


def _write(path: Path, key: str, entries: list[dict[str, Any]]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("# Edited by regwatch's dashboard; see docs/configuration.md for the keys.\n")
            yaml.safe_dump({key: entries}, fh, sort_keys=False, allow_unicode=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _validate(model: type[Substance] | type[Channel], entry: Mapping[str, Any], subject: str) -> Any:
    try:
        return model.model_validate(dict(entry))
    except ValidationError as exc:
        fields: dict[str, str] = {}
        for err in exc.errors():
            fields.setdefault(str(err["loc"][0]) if err["loc"] else "(entry)", field_message(err))
        raise Invalid(subject, fields) from None


def _clean(entry: Mapping[str, Any]) -> dict[str, Any]:
    """An entry without empty optional keys, as a person would write it."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in entry.items() if v not in (None, (), [], "")}


def substances(config_dir: Path) -> list[dict[str, Any]]:
    """The entries of substances.yaml."""
    return _entries(config_dir / SUBSTANCES, "substances")


def save_substance(session: Session, config_dir: Path, entry: Mapping[str, Any], actor: str, now: datetime,
                   creating: bool) -> Substance:
    """Add or replace one substance (by id) in substances.yaml and sync the database."""
    sub: Substance = _validate(Substance, entry, f"substance {entry.get('id')!r}")
    path = config_dir / SUBSTANCES
    entries = substances(config_dir)
    before = next((e for e in entries if e.get("id") == sub.id), None)
    if creating and before is not None:
        raise Invalid(f"substance {sub.id!r}", {"id": f"a substance with id {sub.id!r} already exists"})
    if not creating and before is None:
        raise NotFound(f"no substance {sub.id!r} in {path}")
    after = _clean(sub.model_dump())
    new = [after if e.get("id") == sub.id else e for e in entries] if before else [*entries, after]
    _write(path, "substances", new)
    try:
        sync_substances(session, load_substances(path), now)
    except ConfigError:
        _write(path, "substances", entries)  # never leave a file the next start would refuse
        raise
    if before != after:
        record(session, actor, "create" if before is None else "update", "substance", sub.id, before, after, now)
    return sub


def channels(config_dir: Path) -> list[dict[str, Any]]:
    """The entries of notifications.yaml."""
    return _entries(config_dir / CHANNELS, "channels")


def _audit_view(entry: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    out = dict(entry)
    if out.get("url"):
        out["url"] = mask_url(str(out["url"]))
    return out


def save_channel(session: Session, config_dir: Path, entry: Mapping[str, Any], substance_ids: set[str],
                 env: Mapping[str, str], actor: str, now: datetime, creating: bool) -> Channel:
    """Add or replace one channel (by name). An empty `url` on an edit keeps the saved one."""
    path = config_dir / CHANNELS
    entries = channels(config_dir)
    name = str(entry.get("name", ""))
    before = next((e for e in entries if e.get("name") == name), None)
    values = dict(entry)
    if before is not None and not values.get("url") and not values.get("url_env") and before.get("url"):
        values["url"] = before["url"]  # the saved secret is never sent to the browser, so keep it
    subject = f"channel {name!r}"
    channel: Channel = _validate(Channel, {k: v for k, v in values.items() if v not in (None, "")}, subject)
    errors: dict[str, str] = {}
    if (channel.url is None) == (channel.url_env is None):
        errors["url"] = "give exactly one of an Apprise URL or the environment variable that holds it"
    unknown = [s for s in channel.substances if s not in substance_ids]
    if unknown:
        errors["substances"] = f"{unknown[0]!r} is not a known substance"
    if creating and before is not None:
        errors["name"] = f"a channel named {name!r} already exists"
    if errors:
        raise Invalid(subject, errors)
    if not creating and before is None:
        raise NotFound(f"no channel {name!r} in {path}")
    after = _clean(channel.model_dump())
    new = [after if e.get("name") == name else e for e in entries] if before else [*entries, after]
    _write(path, "channels", new)
    try:
        load_channels(path, substance_ids, env)
    except ConfigError:
        if entries:
            _write(path, "channels", entries)
        else:
            path.unlink()
        raise
    if before != after:
        record(session, actor, "create" if before is None else "update", "channel", name,
               _audit_view(before), _audit_view(after), now)
    return channel


def delete_substance(session: Session, config_dir: Path, substance_id: str, used_by: list[str], actor: str,
                     now: datetime) -> None:
    """Remove a substance from substances.yaml (its database row and history stay); refused while a
    target watches it."""
    if used_by:
        raise Invalid(f"substance {substance_id!r}", {"id": f"still watched by target(s) {', '.join(used_by)}; "
                                                            "remove it from them first"})
    entries = substances(config_dir)
    before = next((e for e in entries if e.get("id") == substance_id), None)
    if before is None:
        raise NotFound(f"no substance {substance_id!r} in {config_dir / SUBSTANCES}")
    _write(config_dir / SUBSTANCES, "substances", [e for e in entries if e is not before])
    record(session, actor, "delete", "substance", substance_id, before, None, now)


def delete_channel(session: Session, config_dir: Path, name: str, actor: str, now: datetime) -> None:
    """Remove a channel from notifications.yaml (its past deliveries stay)."""
    entries = channels(config_dir)
    before = next((e for e in entries if e.get("name") == name), None)
    if before is None:
        raise NotFound(f"no channel {name!r} in {config_dir / CHANNELS}")
    _write(config_dir / CHANNELS, "channels", [e for e in entries if e is not before])
    record(session, actor, "delete", "channel", name, _audit_view(before), None, now)
