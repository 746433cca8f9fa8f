"""The databases tests run on: a SQLite file, and a fresh PostgreSQL database per test.

`scripts/ci/postgres.sh` starts a throwaway PostgreSQL server and exports
RW_TEST_POSTGRES_URL (a database on it we use as the admin connection). Each PostgreSQL
test gets its own database, created here and dropped afterwards, so tests stay independent.
Without the variable the PostgreSQL variants skip locally and fail under CI.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import Pool

BACKENDS = ("sqlite", "postgresql")
POSTGRES_ENV = "RW_TEST_POSTGRES_URL"


def postgres_admin_url() -> str:
    """The admin URL from the environment, or skip (locally) / fail (under CI) the test."""
    url = os.environ.get(POSTGRES_ENV, "")
    if url:
        return url
    reason = f"{POSTGRES_ENV} is not set: run the suite through scripts/test.sh (it starts PostgreSQL)"
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL tests must run under CI: {reason}")
    pytest.skip(reason)


class _OpenConnections:
    """Every DB-API connection pooled to one database, so teardown can close them before DROP."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.conns: list[object] = []

    def on_connect(self, dbapi_conn: object, _record: object) -> None:
        info = getattr(dbapi_conn, "info", None)
        if getattr(info, "dbname", None) == self.database:
            self.conns.append(dbapi_conn)

    def close_all(self) -> None:
        for conn in self.conns:
            close = getattr(conn, "close", None)
            if close is not None:
                close()


@contextmanager
def fresh_postgres_database(admin_url: str) -> Iterator[str]:
    """CREATE a new, empty database next to the admin one; yield its URL; close and DROP it after."""
    name = f"rw_{uuid.uuid4().hex[:16]}"
    admin: Engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    tracker = _OpenConnections(name)
    event.listen(Pool, "connect", tracker.on_connect)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        event.remove(Pool, "connect", tracker.on_connect)
        tracker.close_all()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database on `backend` ('sqlite' or 'postgresql')."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'regwatch.db'}"
        return
    with fresh_postgres_database(postgres_admin_url()) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL, once on SQLite and once on PostgreSQL (a fresh database per test)."""
    with database_url(request.param, tmp_path) as url:
        yield url
