"""Shared fixtures: the shipped substances, fixture builders, loopback servers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.config import load_substances
from monitor.matching import SubstanceMatcher
from tests.support.databases import db_url  # noqa: F401  (fixture: SQLite and PostgreSQL)
from tests.support.fixturegen import build
from tests.support.server import FixtureServer, WebhookReceiver
from tests.support.smtp import SmtpServer

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
CONFIG = ROOT / "config"

# No test may reach a real host through a proxy inherited from the environment.
for _var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_var, None)
os.environ["NO_PROXY"] = "*"


@pytest.fixture(scope="session")
def matchers() -> list[SubstanceMatcher]:
    """Matchers for the shipped config/substances.yaml."""
    return [SubstanceMatcher(s.id, s.name, s.synonyms, s.exclude) for s in load_substances(CONFIG / "substances.yaml")]


_BUILT: dict[tuple[str, str], bytes] = {}


def fixture_bytes(relpath: str, kind: str = "raw") -> bytes:
    """A fixture file's bytes; `kind` 'pdf'/'xlsx' renders a text fixture into that format."""
    path = FIXTURES / relpath
    if kind == "raw":
        return path.read_bytes()
    key = (relpath, kind)
    if key not in _BUILT:
        _BUILT[key] = build(path, kind)
    return _BUILT[key]


@pytest.fixture
def fixture_server() -> Iterator[FixtureServer]:
    server = FixtureServer().start()
    yield server
    server.stop()


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()
