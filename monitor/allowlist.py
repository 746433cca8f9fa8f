"""The domain allowlist targets must stay within: stored in the database so an admin can change it.

Until an admin sets it, the allowlist is `urlguard.DEFAULT_ALLOWED_DOMAINS`. An empty list
turns it off (any public host may be watched; the address checks still apply).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from monitor.audit import record
from monitor.errors import Invalid
from monitor.models import AppSettingRow
from monitor.urlguard import DEFAULT_ALLOWED_DOMAINS, normalize_domain

KEY = "allowed_domains"


def allowed_domains(session: Session) -> tuple[str, ...]:
    """The allowlist in force (empty: no allowlist)."""
    row = session.get(AppSettingRow, KEY)
    if row is None:
        return DEFAULT_ALLOWED_DOMAINS
    return tuple(str(d) for d in row.value)


def parse_domains(values: Sequence[str]) -> tuple[str, ...]:
    """Domains given by an admin (comma- or space-separated allowed), normalized and de-duplicated."""
    out: list[str] = []
    errors: list[str] = []
    for value in values:
        for part in value.replace(",", " ").split():
            try:
                domain = normalize_domain(part)
            except ValueError as exc:
                errors.append(str(exc))
                continue
            if domain not in out:
                out.append(domain)
    if errors:
        raise Invalid("allowlist", {"domains": "; ".join(errors)})
    return tuple(out)


def set_allowed_domains(session: Session, domains: Sequence[str], actor: str, now: datetime) -> tuple[str, ...]:
    """Replace the allowlist (audit-logged); returns the new list. Targets already stored are not
    touched: a crawl request outside the new list fails its check, which shows in the target's health."""
    before = allowed_domains(session)
    after = tuple(domains)
    row = session.get(AppSettingRow, KEY)
    if row is None:
        session.add(AppSettingRow(key=KEY, value=list(after), updated_at=now, updated_by=actor))
    else:
        row.value, row.updated_at, row.updated_by = list(after), now, actor
    if before != after:
        record(session, actor, "update", "setting", KEY, {"domains": list(before)}, {"domains": list(after)}, now)
    return after
