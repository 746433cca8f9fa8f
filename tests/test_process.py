"""Processing without the network: captures built from fixtures go through the real processor and database."""

from __future__ import annotations

from datetime import datetime, timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.capture import Capture, CrawlPlan, PlanChannel, PlanSubstance, PlanTarget
from monitor.config import Target, load_substances
from monitor.db import open_store
from monitor.models import Base, CheckRow, EventRow, SnapshotRow, TargetRow
from monitor.process import Processor
from monitor.targets import import_targets, sync_substances
from tests.conftest import CONFIG, FIXTURES
from tests.support.fixturegen import text_to_pdf

URL = "https://www.fda.gov/media/94155/download"
T0 = datetime(2026, 11, 1, 12, 0)


def _setup(db_url: str) -> tuple[sessionmaker[Session], Processor]:
    sessions = open_store(db_url)
    subs = load_substances(CONFIG / "substances.yaml")
    target = Target(id="cats", name="Categories", url=URL, parser="fda_categories", every="6h",
                    substances=("thymosin-alpha-1",))
    with sessions.begin() as s:
        sync_substances(s, subs, T0)
        import_targets(s, [target], T0)
    plan = CrawlPlan(
        database_url="", tick_started_at=T0.isoformat(),
        targets=[PlanTarget("cats", URL, "fda_categories", {}, [], ["thymosin-alpha-1"])],
        substances=[PlanSubstance(x.id, x.name, list(x.synonyms), list(x.exclude)) for x in subs],
        channels=[PlanChannel("hook", ["status", "source"], [])], failure_threshold=3,
    )
    clock = iter(T0 + timedelta(minutes=i) for i in range(1000))
    return sessions, Processor(plan, sessions, lambda: next(clock))


def _capture(body: bytes, status: int = 200, error: str | None = None) -> Capture:
    return Capture("cats", URL, URL, status if error is None else None, {}, body, T0, 5, error)


def _text(name: str) -> str:
    return (FIXTURES / "categories" / name).read_text(encoding="utf-8")


def _shrunk() -> bytes:
    lines = _text("2023-09-29-ta1-cat2.txt").splitlines()
    c1 = lines.index(next(ln for ln in lines if ln.startswith("Category 1:")))
    c2 = lines.index(next(ln for ln in lines if ln.startswith("Category 2:")))
    c3 = lines.index(next(ln for ln in lines if ln.startswith("Category 3:")))
    kept = lines[: c1 + 1] + lines[c2:c3 + 1] + [ln for ln in lines[c3 + 1:] if ln.startswith(("1 ", "Page"))]
    return text_to_pdf("\n".join(kept))


def test_a_sharp_drop_in_entries_is_refused_once_then_confirmed(db_url: str) -> None:
    sessions, processor = _setup(db_url)
    assert processor.handle(_capture(text_to_pdf(_text("2023-09-29-ta1-cat2.txt")))).outcome == "changed"
    first = processor.handle(_capture(_shrunk()))
    assert first.outcome == "failed" and "entry_count fell from 46 to 19" in (first.error or "")
    second = processor.handle(_capture(_shrunk()))
    assert second.outcome == "changed"
    with sessions() as s:
        assert [c.outcome for c in s.scalars(select(CheckRow).order_by(CheckRow.id))] == ["changed", "failed", "changed"]
        assert s.get(TargetRow, "cats").consecutive_failures == 0  # type: ignore[union-attr]


def test_three_failures_raise_one_source_event_and_recovery_one_more(db_url: str) -> None:
    sessions, processor = _setup(db_url)
    good = text_to_pdf(_text("2023-09-29-ta1-cat2.txt"))
    processor.handle(_capture(good))
    for _ in range(5):
        processor.handle(_capture(b"", error="DownloadTimeoutError: timed out"))
    processor.handle(_capture(good))
    with sessions() as s:
        sources = [e.summary for e in s.scalars(select(EventRow).where(EventRow.kind == "source"))]
        assert len(sources) == 2
        assert "failing since" in sources[0] and "last reason: DownloadTimeoutError: timed out" in sources[0]
        assert "recovered after 5 failed checks" in sources[1]
        assert s.scalar(select(SnapshotRow.id).where(SnapshotRow.id > 1)) is None


def test_garbage_pdf_is_a_failed_check_and_nothing_stored_is_lost(db_url: str) -> None:
    sessions, processor = _setup(db_url)
    processor.handle(_capture(text_to_pdf(_text("2023-09-29-ta1-cat2.txt"))))
    out = processor.handle(_capture(b"%PDF-1.4\n1 0 obj garbage\n%%EOF"))
    assert out.outcome == "failed" and "PDF" in (out.error or "")
    with sessions() as s:
        assert len(list(s.scalars(select(SnapshotRow)))) == 1
        assert [e.kind for e in s.scalars(select(EventRow))] == ["baseline"]


def test_models_and_migrations_agree(db_url: str) -> None:
    sessions = open_store(db_url)
    with sessions.kw["bind"].connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models differ from migrations; write a migration: {diff}"
