"""Fixtures of the dashboard tests: a seeded SQLite store and the app over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from monitor.db import open_store
from monitor.settings import load_settings
from monitor.web import create_app
from tests.web.seed import NOW, Seeded, seed

BASE_URL = "http://regwatch.test"


def make_app(sessions: sessionmaker[Session], url: str) -> FastAPI:
    """The app over `sessions`, at the fixed time NOW."""
    settings = load_settings({"REGWATCH_DATABASE_URL": url, "REGWATCH_BASE_URL": BASE_URL})
    return create_app(sessions, settings, clock=lambda: NOW)


@pytest.fixture
def store(tmp_path: Path) -> tuple[sessionmaker[Session], str]:
    """An empty, migrated SQLite store and its URL."""
    url = f"sqlite:///{tmp_path / 'regwatch.db'}"
    return open_store(url), url


@pytest.fixture
def seeded(store: tuple[sessionmaker[Session], str]) -> Seeded:
    return seed(store[0])


@pytest.fixture
def app(store: tuple[sessionmaker[Session], str], seeded: Seeded) -> FastAPI:
    return make_app(*store)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c
