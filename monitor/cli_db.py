"""`regwatch db upgrade|backup` and `regwatch prune`: database maintenance from the command line.

These need only the database setting, not the config folder, so they work on a server
whose config is elsewhere (and before the first start).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
from alembic.runtime.migration import MigrationContext
from sqlalchemy.orm import sessionmaker

from monitor import maintenance
from monitor.db import make_engine, migrate
from monitor.errors import StoreError
from monitor.runtime import utcnow
from monitor.settings import load_settings


@click.group()
def db() -> None:
    """Database maintenance: migrations and backups."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations (also done at every start)."""
    engine = make_engine(load_settings().database_url)
    try:
        migrate(engine)
        with engine.connect() as conn:
            revision = MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
    click.echo(f"database is at the latest migration ({revision})")


@db.command("backup")
@click.argument("file", required=False, type=click.Path(path_type=Path, dir_okay=False))
def db_backup(file: Path | None) -> None:
    """Back up the database to FILE (default: var/backups/regwatch-<UTC time>.db).

    SQLite: an online copy with sqlite3's backup API, safe while regwatch runs.
    PostgreSQL: prints the pg_dump command for the configured database (password masked)
    and the matching pg_restore command; run it where pg_dump is installed.
    """
    url = load_settings().database_url
    dest = file or maintenance.default_backup_path(url, utcnow())
    kind = maintenance.backend(url)
    if kind == "sqlite":
        maintenance.backup_sqlite(url, dest)
        click.echo(f"backed up {url} to {dest} ({dest.stat().st_size} bytes)")
    elif kind == "postgresql":
        click.echo(maintenance.pg_dump_command(url, dest))
        click.echo(f"# replace *** with the password (or leave it out and set PGPASSWORD); restore with:\n"
                   f"# {maintenance.pg_restore_command(url, dest)}")
    else:
        raise StoreError(f"cannot back up a {kind} database; regwatch supports SQLite and PostgreSQL")


@click.command()
@click.option("--keep-days", type=click.IntRange(min=1), required=True,
              help="Keep everything from the last N days; thin or delete older rows.")
def prune(keep_days: int) -> None:
    """Delete old checks (keeping a daily summary per target), unlinked old changes and unreferenced old snapshots.

    Never deletes a snapshot that set or evidenced a status, nor anything an event,
    a track state or a document's current version points at.
    """
    engine = make_engine(load_settings().database_url)
    try:
        migrate(engine)
        report = maintenance.prune(sessionmaker(engine, expire_on_commit=False), utcnow() - timedelta(days=keep_days))
    finally:
        engine.dispose()
    click.echo(f"pruned rows older than {report.cutoff:%Y-%m-%d %H:%M} UTC:")
    click.echo(f"  checks:    {report.checks_deleted} deleted, {report.checks_kept} kept as daily summary")
    click.echo(f"  changes:   {report.changes_deleted} deleted")
    click.echo(f"  snapshots: {report.snapshots_deleted} deleted, {report.snapshots_kept} old ones kept (referenced)")
