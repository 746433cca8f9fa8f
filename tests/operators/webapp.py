"""A dashboard over a real SQLite store with accounts, for the operator web tests."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from monitor.accounts import add_user, new_token
from monitor.config import load_substances
from monitor.db import open_store
from monitor.runtime import utcnow
from monitor.settings import load_settings
from monitor.targets import sync_substances
from monitor.web import create_app

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a long enough password"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Site:
    """The store, its URL, the app, and an API token per role."""

    sessions: sessionmaker[Session]
    url: str
    app: FastAPI
    tokens: dict[str, str]


def make_site(tmp: Path, **env: str) -> Site:
    """Users olga (operator), vera (viewer) and adam (admin), each with a token; the shipped substances."""
    url = f"sqlite:///{tmp / 'regwatch.db'}"
    sessions = open_store(url)
    now = utcnow()
    tokens = {}
    with sessions.begin() as s:
        sync_substances(s, load_substances(ROOT / "config" / "substances.yaml"), now)
        for name, role in (("olga", "operator"), ("vera", "viewer"), ("adam", "admin")):
            add_user(s, name, role, PASSWORD, "test", now)
            tokens[role] = new_token(s, name, "test", now)
    config = tmp / "config"  # the forms for substances and channels write here, never into the repository
    config.mkdir(exist_ok=True)
    shutil.copy(ROOT / "config" / "substances.yaml", config / "substances.yaml")
    settings = load_settings({"REGWATCH_DATABASE_URL": url, "REGWATCH_BASE_URL": "http://regwatch.test",
                              "REGWATCH_CONFIG_DIR": str(config),
                              "REGWATCH_ALLOW_PRIVATE_HOSTS": "true", "REGWATCH_DOWNLOAD_DELAY": "0",
                              "REGWATCH_FETCH_TIMEOUT": "5", **env})
    return Site(sessions, url, create_app(sessions, settings), tokens)


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _CSRF.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def log_in(client: TestClient, name: str = "olga", password: str = PASSWORD) -> str:
    """Log `client` in; returns the session's CSRF token (from the next page's forms)."""
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"name": name, "password": password, "csrf": token, "next": "/manage/targets"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return csrf_of(client.get("/manage/targets").text)
