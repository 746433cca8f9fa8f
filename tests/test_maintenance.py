"""Retention and backups: `regwatch prune` keeps everything a status or the dashboard rests on;
`regwatch db backup` copies SQLite online and prints working pg_dump/pg_restore commands."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from monitor.capture import Capture, CrawlPlan, PlanChannel, PlanSubstance, PlanTarget
from monitor.config import Target, load_substances
from monitor.db import open_store
from monitor.maintenance import ChangeInfo, CheckInfo, prunable_changes, thin_checks
from monitor.models import (
    ChangeRow,
    CheckRow,
    DocumentRow,
    EventRow,
    ObservationRow,
    SnapshotRow,
    TargetRow,
    TrackStateRow,
)
from monitor.process import Processor
from monitor.runtime import utcnow
from monitor.targets import import_targets, sync_substances
from tests.conftest import CONFIG, FIXTURES
from tests.support.cli import make_workspace
from tests.support.databases import fresh_postgres_database, postgres_admin_url
from tests.support.fixturegen import text_to_pdf

CATS = "https://www.fda.gov/media/94155/download"
PAGE = "https://www.fda.gov/drugs/human-drug-compounding/some-page"
D = datetime(2026, 1, 10)

# ---- the pure selection, table-driven --------------------------------------------------------

CHECK_CASES = {
    "recent checks all stay": ([(1, "a", D, "unchanged"), (2, "a", D, "unchanged")], D - timedelta(days=1), []),
    "old: latest per target, day and outcome stays": (
        [(1, "a", D, "unchanged"), (2, "a", D + timedelta(hours=1), "unchanged"),
         (3, "a", D + timedelta(hours=2), "failed"), (4, "a", D + timedelta(hours=3), "failed")],
        D + timedelta(days=5), [1, 3]),
    "every changed check stays": (
        [(1, "a", D, "changed"), (2, "a", D + timedelta(hours=1), "changed")], D + timedelta(days=5), []),
    "days and targets are separate groups": (
        [(1, "a", D, "unchanged"), (2, "a", D + timedelta(days=1), "unchanged"), (3, "b", D, "unchanged")],
        D + timedelta(days=5), []),
    "the cutoff splits a day: only rows before it are thinned": (
        [(1, "a", D, "unchanged"), (2, "a", D + timedelta(hours=1), "unchanged"),
         (3, "a", D + timedelta(hours=5), "unchanged")], D + timedelta(hours=2), [1]),
}


@pytest.mark.parametrize("case", CHECK_CASES)
def test_thin_checks(case: str) -> None:
    rows, cutoff, expected = CHECK_CASES[case]
    assert thin_checks([CheckInfo(*r) for r in rows], cutoff) == expected


CHANGE_CASES = {
    "old, unlinked, not latest: deleted": ([(1, 7, D), (2, 7, D + timedelta(days=1))], set(), [1]),
    "linked by an event: kept": ([(1, 7, D), (2, 7, D + timedelta(days=1))], {1}, []),
    "a document's latest change is kept even when old": ([(1, 7, D), (2, 8, D)], set(), []),
    "recent changes are kept": ([(1, 7, D + timedelta(days=30)), (2, 7, D + timedelta(days=31))], set(), []),
}


@pytest.mark.parametrize("case", CHANGE_CASES)
def test_prunable_changes(case: str) -> None:
    rows, linked, expected = CHANGE_CASES[case]
    assert prunable_changes([ChangeInfo(*r) for r in rows], D + timedelta(days=20), linked) == expected


# ---- prune over a store filled by the real processor ----------------------------------------


def _page(version: str) -> bytes:
    return (f"<html><head><title>Compounding news</title></head><body><main id='main-content'>"
            f"<h1>Compounding news</h1><p>Version {version}: an update about compounding policy.</p>"
            f"</main></body></html>").encode()


def _seed(db_url: str, now: datetime) -> tuple[sessionmaker[Session], dict[str, int]]:
    """Old (60 days) and recent (1 day) history on two targets, written by the real processor."""
    sessions = open_store(db_url)
    subs = load_substances(CONFIG / "substances.yaml")
    targets = [Target(id="cats", name="Categories", url=CATS, parser="fda_categories", every="6h",
                      substances=("thymosin-alpha-1",)),
               Target(id="page", name="A page", url=PAGE, parser="fda_page", every="6h",
                      substances=("thymosin-alpha-1",))]
    with sessions.begin() as s:
        sync_substances(s, subs, now)
        import_targets(s, targets, now)
    plan = CrawlPlan(
        database_url="", tick_started_at=now.isoformat(),
        targets=[PlanTarget("cats", CATS, "fda_categories", {}, [], ["thymosin-alpha-1"]),
                 PlanTarget("page", PAGE, "fda_page", {}, [], ["thymosin-alpha-1"])],
        substances=[PlanSubstance(x.id, x.name, list(x.synonyms), list(x.exclude)) for x in subs],
        channels=[PlanChannel("hook", ["status", "source"], [])], failure_threshold=3,
    )
    clock = [now]
    cat2 = text_to_pdf((FIXTURES / "categories" / "2023-09-29-ta1-cat2.txt").read_text(encoding="utf-8"))
    # A presence-based change (Category 2 → 1): absence-based ones wait for a confirming fetch.
    cat1 = text_to_pdf((FIXTURES / "categories" / "ta1-cat1.txt").read_text(encoding="utf-8"))
    old = now - timedelta(days=60)
    html = {"content-type": "text/html; charset=utf-8"}
    history: list[tuple[datetime, str, bytes, str | None]] = [
        (old + timedelta(hours=8), "cats", cat2, None),            # changed (baseline)
        (old + timedelta(hours=9), "cats", cat2, None),            # unchanged: thinned
        (old + timedelta(hours=10), "cats", cat2, None),           # unchanged: thinned
        (old + timedelta(hours=11), "cats", cat2, None),           # unchanged: the day's summary
        (old + timedelta(hours=12), "page", _page("1"), None),     # changed: snapshot P1
        (old + timedelta(days=1, hours=8), "cats", b"", "DownloadTimeoutError: took too long"),  # thinned
        (old + timedelta(days=1, hours=9), "cats", b"", "DownloadTimeoutError: took too long"),  # summary
        (old + timedelta(days=1, hours=10), "cats", cat2, None),   # unchanged: the day's summary
        (old + timedelta(days=1, hours=12), "page", _page("2"), None),  # P2, change P1→P2 (no event)
        (old + timedelta(days=2, hours=8), "cats", cat1, None),    # changed: status event CAT2 → CAT1
        (old + timedelta(days=2, hours=12), "page", _page("3"), None),  # P3, change P2→P3 (latest)
        (now - timedelta(days=1, hours=2), "cats", cat1, None),    # recent: kept
        (now - timedelta(days=1, hours=1), "cats", cat1, None),    # recent: kept
    ]
    for at, target, body, error in history:
        # Each capture in a tick of its own, as the scheduler would run them.
        clock[0] = at
        processor = Processor(replace(plan, tick_started_at=at.isoformat()), sessions, lambda: clock[0])
        url = CATS if target == "cats" else PAGE
        processor.handle(Capture(target, url, url, None if error else 200, html if target == "page" else {},
                                 body, at, 5, error))
    with sessions() as s:
        page_doc = s.scalar(select(DocumentRow).where(DocumentRow.url == PAGE))
        assert page_doc is not None
        page_snaps = list(s.scalars(select(SnapshotRow.id).where(SnapshotRow.document_id == page_doc.id)
                                    .order_by(SnapshotRow.id)))
        page_changes = list(s.scalars(select(ChangeRow.id).where(ChangeRow.document_id == page_doc.id)
                                      .order_by(ChangeRow.id)))
    assert len(page_snaps) == 3 and len(page_changes) == 2
    return sessions, {"P1": page_snaps[0], "P2": page_snaps[1], "P3": page_snaps[2],
                      "C1": page_changes[0], "C2": page_changes[1]}


def _referenced(s: Session) -> set[int]:
    """Every snapshot an observation, track state, event, change or document points at."""
    refs: set[int] = set(s.scalars(select(ObservationRow.snapshot_id)))
    refs |= set(s.scalars(select(ObservationRow.snapshot_id).join(
        TrackStateRow, TrackStateRow.observation_id == ObservationRow.id)))
    refs |= set(s.scalars(select(ObservationRow.snapshot_id).join(EventRow, EventRow.observation_id == ObservationRow.id)))
    for col in (ChangeRow.old_snapshot_id, ChangeRow.new_snapshot_id):
        refs |= {i for i in s.scalars(select(col)) if i is not None}
    refs |= {i for i in s.scalars(select(DocumentRow.current_snapshot_id)) if i is not None}
    return refs


def test_prune_keeps_what_statuses_and_the_dashboard_rest_on(db_url: str, tmp_path: Path) -> None:
    now = utcnow()
    sessions, ids = _seed(db_url, now)
    with sessions() as s:
        referenced = _referenced(s)
        linked_changes = {i for i in s.scalars(select(EventRow.change_id)) if i is not None}
        event_ids = set(s.scalars(select(EventRow.id)))
        checks_before = s.scalar(select(func.count()).select_from(CheckRow))
    assert linked_changes, "the seed must hold a status event linked to a change"

    ws = make_workspace(tmp_path / "ws", REGWATCH_DATABASE_URL=db_url)
    out = ws.run("prune", "--keep-days", "30").stdout
    assert "checks:    3 deleted, 8 kept as daily summary" in out
    assert "changes:   1 deleted" in out
    assert "snapshots: 1 deleted, 3 old ones kept (referenced)" in out

    with sessions() as s:
        snaps = set(s.scalars(select(SnapshotRow.id)))
        changes = set(s.scalars(select(ChangeRow.id)))
        assert snaps >= referenced - {ids["P1"]}, "a referenced snapshot was pruned"
        assert ids["P1"] not in snaps and {ids["P2"], ids["P3"]} <= snaps
        assert ids["C1"] not in changes and ids["C2"] in changes and linked_changes <= changes
        assert set(s.scalars(select(EventRow.id))) == event_ids
        assert s.scalar(select(func.count()).select_from(CheckRow)) == (checks_before or 0) - 3
        outcomes = [c.outcome for c in s.scalars(select(CheckRow).where(CheckRow.target_id == "cats")
                                                  .order_by(CheckRow.started_at))]
        assert outcomes == ["changed", "unchanged", "failed", "unchanged", "changed", "unchanged", "unchanged"]
        assert s.get(TargetRow, "cats") is not None

    again = ws.run("prune", "--keep-days", "30").stdout
    assert "checks:    0 deleted" in again and "changes:   0 deleted" in again and "snapshots: 0 deleted" in again


def test_prune_needs_keep_days(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    proc = ws.run("prune", check=False)
    assert proc.returncode != 0 and "--keep-days" in proc.stderr


# ---- migrations and backups ---------------------------------------------------------------------


def test_db_upgrade_reports_the_head_revision(db_url: str, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, REGWATCH_DATABASE_URL=db_url)
    out = ws.run("db", "upgrade").stdout
    heads = re.findall(r'^revision = "([^"]+)"', "\n".join(
        p.read_text(encoding="utf-8") for p in (Path(__file__).parents[1] / "monitor/migrations/versions").glob("*.py")),
        re.MULTILINE)
    assert re.search(r"database is at the latest migration \((\S+)\)", out)
    assert out.strip().rstrip(")").rsplit("(", 1)[1] in heads


def test_sqlite_backup_is_a_consistent_copy(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    ws.run("db", "upgrade")
    out = ws.run("db", "backup").stdout
    (made,) = (tmp_path / "var" / "backups").glob("regwatch-*.db")
    assert re.fullmatch(r"regwatch-\d{8}T\d{6}Z\.db", made.name) and str(made.relative_to(tmp_path)) in out
    with sqlite3.connect(made) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        version = copy.execute("SELECT version_num FROM alembic_version").fetchone()
    with sqlite3.connect(ws.db) as live:
        assert version == live.execute("SELECT version_num FROM alembic_version").fetchone()
    named = tmp_path / "named.db"
    ws.run("db", "backup", str(named))
    assert named.is_file()
    refused = ws.run("db", "backup", str(named), check=False)
    assert refused.returncode == 3 and "already exists" in refused.stderr


def test_postgres_backup_prints_masked_pg_dump(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, REGWATCH_DATABASE_URL="postgresql+psycopg://rw:s3cret@db:5432/regwatch")
    out = ws.run("db", "backup", "/backups/rw.dump").stdout
    assert "s3cret" not in out
    assert out.splitlines()[0] == ("pg_dump --format=custom --no-owner --file=/backups/rw.dump "
                                   "'--dbname=postgresql://rw:***@db:5432/regwatch'")
    assert "pg_restore --clean --if-exists --no-owner '--dbname=postgresql://rw:***@db:5432/regwatch' /backups/rw.dump" in out


def test_printed_pg_dump_and_pg_restore_commands_work(tmp_path: Path) -> None:
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump/pg_restore are not installed")
    admin = postgres_admin_url()
    with fresh_postgres_database(admin) as source, fresh_postgres_database(admin) as target:
        ws = make_workspace(tmp_path, REGWATCH_DATABASE_URL=source)
        ws.run("targets", "list")  # bootstrap: migrate and seed substances
        dump = tmp_path / "rw.dump"
        dump_cmd, restore_line = ws.run("db", "backup", str(dump)).stdout.splitlines()[:3:2]
        subprocess.run(dump_cmd, shell=True, check=True, capture_output=True)
        restore_cmd = restore_line.removeprefix("# ").replace(source.split("/")[-1], target.split("/")[-1])
        subprocess.run(restore_cmd, shell=True, check=True, capture_output=True)
        engine = create_engine(target)
        try:
            with engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM substances")).scalar_one() > 0
        finally:
            engine.dispose()
