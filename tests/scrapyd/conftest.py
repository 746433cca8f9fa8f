"""Fixtures of the Scrapyd tests: the egg (built once), two real Scrapyd nodes per test, and a
fresh PostgreSQL database per use (Scrapyd nodes share it, so SQLite is not an option here)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.support.databases import fresh_postgres_database, postgres_admin_url
from tests.support.scrapyd import ScrapydProcess, build_egg, start_nodes


@pytest.fixture(scope="session")
def egg(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The project's egg, built with scrapyd-deploy --build-egg."""
    return build_egg(tmp_path_factory.mktemp("egg"))


@pytest.fixture
def nodes(tmp_path: Path, egg: bytes) -> Iterator[list[ScrapydProcess]]:
    """Two Scrapyd nodes on 127.0.0.1 with the egg deployed (one crawl process each at a time)."""
    started = start_nodes(tmp_path / "scrapyd", 2, egg, max_proc=1)
    yield started
    for node in started:
        node.kill()


@pytest.fixture
def pg() -> Iterator[Callable[[], str]]:
    """A factory of fresh PostgreSQL databases (dropped after the test)."""
    admin = postgres_admin_url()
    with ExitStack() as stack:
        yield lambda: stack.enter_context(fresh_postgres_database(admin))
