"""Accounts: users with a role, argon2 password hashes, API tokens, dashboard sessions.

Roles, each including the one before: `viewer` reads (when the dashboard is private) ·
`operator` edits targets, substances and channels · `admin` also manages users and the
domain allowlist. Passwords are stored as argon2id hashes. API tokens and session ids are
random (256 bits), shown once, and stored as SHA-256: a fast hash is safe for random
secrets and lets a request be matched with one indexed lookup.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from monitor.audit import record
from monitor.errors import AccessDenied, Invalid, NotFound
from monitor.models import UserRow, WebSessionRow

ROLES = ("viewer", "operator", "admin")
MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "rw_"
SESSION_LIFETIME = timedelta(hours=12)
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.@-]{0,63}$")
_hasher = PasswordHasher()
# A hash to verify against when the user does not exist, so timing does not reveal names.
@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against for unknown users (equal timing); made on first login, not at import."""
    return _hasher.hash("regwatch-no-such-user")


@dataclass(frozen=True)
class Account:
    """Who is acting: what request handlers and commands pass around."""

    id: int
    name: str
    role: str

    def can(self, role: str) -> bool:
        """Whether this account has `role` or a higher one."""
        return ROLES.index(self.role) >= ROLES.index(role)


def _account(row: UserRow) -> Account:
    return Account(row.id, row.name, row.role)


def require(account: Account | None, role: str) -> Account:
    """The account, if it holds `role`; AccessDenied otherwise."""
    if account is None:
        raise AccessDenied("log in first")
    if not account.can(role):
        raise AccessDenied(f"{account.name} is a {account.role}; this needs the {role} role")
    return account


def sha256(secret: str) -> str:
    """Hex SHA-256 of a random secret (token or session id)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def check_new_user(name: str, role: str, password: str) -> dict[str, str]:
    """Per-field problems with a new account (empty when fine)."""
    errors: dict[str, str] = {}
    if not _NAME.match(name):
        errors["name"] = f"{name!r} is not a valid user name; use lower-case letters, digits and . _ @ - (max 64)"
    if role not in ROLES:
        errors["role"] = f"{role!r} is not a role; allowed: {', '.join(ROLES)}"
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = f"must be at least {MIN_PASSWORD_LENGTH} characters"
    return errors


def add_user(session: Session, name: str, role: str, password: str, actor: str, now: datetime) -> Account:
    """Create an account (audit-logged, without the hash)."""
    errors = check_new_user(name, role, password)
    if not errors and session.scalar(select(UserRow).where(UserRow.name == name)) is not None:
        errors["name"] = f"a user named {name!r} already exists"
    if errors:
        raise Invalid(f"user {name!r}", errors)
    row = UserRow(name=name, role=role, password_hash=_hasher.hash(password), created_at=now)
    session.add(row)
    session.flush()
    record(session, actor, "create", "user", name, None, {"name": name, "role": role}, now)
    return _account(row)


def get_user(session: Session, name: str) -> UserRow:
    """The user with this name, or NotFound."""
    row = session.scalar(select(UserRow).where(UserRow.name == name))
    if row is None:
        raise NotFound(f"no user {name!r}")
    return row


def set_password(session: Session, name: str, password: str, actor: str, now: datetime) -> None:
    """Replace a user's password and end their dashboard sessions (audit-logged, without the hash)."""
    row = get_user(session, name)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"user {name!r}", {"password": f"must be at least {MIN_PASSWORD_LENGTH} characters"})
    row.password_hash = _hasher.hash(password)
    session.execute(delete(WebSessionRow).where(WebSessionRow.user_id == row.id))
    record(session, actor, "update", "user", name, None, {"password": "changed"}, now)


def remove_user(session: Session, name: str, actor: str, now: datetime) -> None:
    """Delete an account: its sessions and token stop working at once (its audit entries stay)."""
    row = get_user(session, name)
    before = {"name": row.name, "role": row.role}
    session.delete(row)
    session.flush()
    record(session, actor, "delete", "user", name, before, None, now)


def list_users(session: Session) -> list[UserRow]:
    """Every account, by name."""
    return list(session.scalars(select(UserRow).order_by(UserRow.name)))


def authenticate(session: Session, name: str, password: str) -> Account:
    """The account whose password this is; AccessDenied (naming neither part) otherwise."""
    row = session.scalar(select(UserRow).where(UserRow.name == name))
    try:
        _hasher.verify(row.password_hash if row else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        raise AccessDenied("wrong user name or password") from None
    if row is None:
        raise AccessDenied("wrong user name or password")
    if _hasher.check_needs_rehash(row.password_hash):
        row.password_hash = _hasher.hash(password)
    return _account(row)


def new_token(session: Session, name: str, actor: str, now: datetime) -> str:
    """A new API token for `name`, replacing any earlier one; returned once, stored hashed."""
    row = get_user(session, name)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row.token_hash = sha256(token)
    row.token_created_at = now
    record(session, actor, "token", "user", name, None, {"token_created_at": now.isoformat()}, now)
    return token


def token_account(session: Session, token: str) -> Account | None:
    """The account an API token belongs to, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    digest = sha256(token)
    row = session.scalar(select(UserRow).where(UserRow.token_hash == digest))
    if row is None or row.token_hash is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    return _account(row)


@dataclass(frozen=True)
class WebSession:
    """A logged-in browser: the account and the CSRF token its forms must carry."""

    account: Account
    csrf: str


def open_session(session: Session, account: Account, now: datetime) -> tuple[str, WebSession]:
    """Start a dashboard session; returns the cookie value (shown once) and the session."""
    session.execute(delete(WebSessionRow).where(WebSessionRow.expires_at < now))
    sid = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(WebSessionRow(id_hash=sha256(sid), user_id=account.id, csrf=csrf, created_at=now,
                              expires_at=now + SESSION_LIFETIME))
    return sid, WebSession(account, csrf)


def session_for(session: Session, sid: str, now: datetime) -> WebSession | None:
    """The live session with this cookie value, or None."""
    row = session.get(WebSessionRow, sha256(sid))
    if row is None or row.expires_at <= now:
        return None
    user = session.get(UserRow, row.user_id)
    if user is None:
        return None
    return WebSession(_account(user), row.csrf)


def close_session(session: Session, sid: str) -> None:
    """Log a browser out (the cookie value stops working at once)."""
    session.execute(delete(WebSessionRow).where(WebSessionRow.id_hash == sha256(sid)))
