"""Accounts on a real database: argon2 passwords, hashed API tokens, roles, dashboard sessions."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.accounts import (
    SESSION_LIFETIME,
    Account,
    add_user,
    authenticate,
    close_session,
    new_token,
    open_session,
    remove_user,
    require,
    session_for,
    set_password,
    token_account,
)
from monitor.audit import entries
from monitor.db import open_store
from monitor.errors import AccessDenied, Invalid
from monitor.models import UserRow

NOW = datetime(2026, 11, 1, 12, 0)
PASSWORD = "correct horse battery"


def _store(url: str) -> sessionmaker[Session]:
    store = open_store(url)
    with store.begin() as s:
        add_user(s, "olga", "operator", PASSWORD, "cli:test", NOW)
        add_user(s, "vera", "viewer", PASSWORD, "cli:test", NOW)
    return store


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> sessionmaker[Session]:
    """One SQLite store for the module: argon2 is slow on purpose."""
    return _store(f"sqlite:///{tmp_path_factory.mktemp('accounts') / 'regwatch.db'}")


def test_passwords_are_stored_as_argon2_hashes_and_checked(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        row = s.scalars(select(UserRow).where(UserRow.name == "olga")).one()
        assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash
        assert authenticate(s, "olga", PASSWORD).role == "operator"
        for name, password in (("olga", "wrong password"), ("nobody", PASSWORD), ("olga", "")):
            with pytest.raises(AccessDenied, match="wrong user name or password"):
                authenticate(s, name, password)


@pytest.mark.parametrize(("name", "role", "password", "field"), [
    ("Olga Smith", "operator", PASSWORD, "name"),
    ("newone", "root", PASSWORD, "role"),
    ("newone", "operator", "short", "password"),
    ("olga", "operator", PASSWORD, "name"),  # exists
])
def test_bad_new_accounts_name_the_field(sessions: sessionmaker[Session], name: str, role: str, password: str,
                                         field: str) -> None:
    with sessions.begin() as s, pytest.raises(Invalid) as exc:
        add_user(s, name, role, password, "cli:test", NOW)
    assert list(exc.value.fields) == [field]


def test_api_tokens_are_shown_once_stored_hashed_and_replaced(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        first = new_token(s, "vera", "cli:test", NOW)
        second = new_token(s, "vera", "cli:test", NOW)
        row = s.scalars(select(UserRow).where(UserRow.name == "vera")).one()
        assert row.token_hash is not None and second not in row.token_hash
        assert token_account(s, first) is None  # replaced
        account = token_account(s, second)
        assert account is not None and account.name == "vera"
        assert token_account(s, second + "x") is None and token_account(s, "not-a-token") is None
        assert all(second not in str(e) for e in entries(s))


@pytest.mark.parametrize(("role", "needed", "allowed"), [
    ("viewer", "viewer", True), ("viewer", "operator", False), ("operator", "operator", True),
    ("operator", "admin", False), ("admin", "operator", True), ("admin", "admin", True),
])
def test_roles_include_the_ones_below(role: str, needed: str, allowed: bool) -> None:
    account = Account(1, "someone", role)
    if allowed:
        assert require(account, needed) == account
    else:
        with pytest.raises(AccessDenied, match=f"needs the {needed} role"):
            require(account, needed)
    with pytest.raises(AccessDenied, match="log in"):
        require(None, needed)


def test_sessions_end_at_logout_and_expiry(db_url: str) -> None:
    sessions = _store(db_url)
    with sessions.begin() as s:
        sid, web = open_session(s, authenticate(s, "olga", PASSWORD), NOW)
    with sessions() as s:
        found = session_for(s, sid, NOW + timedelta(minutes=5))
        assert found is not None and found.account.name == "olga" and found.csrf == web.csrf
        assert session_for(s, sid, NOW + SESSION_LIFETIME) is None
        assert session_for(s, sid + "x", NOW) is None
    with sessions.begin() as s:
        close_session(s, sid)
    with sessions() as s:
        assert session_for(s, sid, NOW) is None


def test_a_new_password_or_a_removed_account_ends_sessions_and_tokens(db_url: str) -> None:
    sessions = _store(db_url)
    with sessions.begin() as s:
        token = new_token(s, "olga", "cli:test", NOW)
        sid, _ = open_session(s, authenticate(s, "olga", PASSWORD), NOW)
        set_password(s, "olga", "another long password", "cli:test", NOW)
    with sessions.begin() as s:
        assert session_for(s, sid, NOW) is None
        with pytest.raises(AccessDenied):
            authenticate(s, "olga", PASSWORD)
        account = authenticate(s, "olga", "another long password")
        sid, _ = open_session(s, account, NOW)
        remove_user(s, "olga", "cli:test", NOW)
    with sessions() as s:
        assert session_for(s, sid, NOW) is None and token_account(s, token) is None
        actions = [(e["action"], e["entity_id"]) for e in entries(s, "user")]
        assert actions[:3] == [("delete", "olga"), ("update", "olga"), ("token", "olga")]
        assert "another long password" not in str(entries(s))
