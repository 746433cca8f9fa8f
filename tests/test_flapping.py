"""Flapping: content that returns to a recent version raises no status event at once; if it stays,
the next check reports what is true."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from monitor.models import EventRow
from monitor.process import Processor
from tests.support.fixturegen import text_to_pdf
from tests.test_process import T0, _capture, _setup, _text


def test_a_return_to_a_recent_version_is_not_news_until_it_stays(db_url: str) -> None:
    sessions, first = _setup(db_url)
    a = text_to_pdf(_text("2023-09-29-ta1-cat2.txt"))
    b = text_to_pdf(_text("ta1-cat1.txt"))

    def tick(body: bytes, n: int) -> None:
        # A new Processor per tick, as a new crawl child would be.
        plan = first.plan
        processor = Processor(type(plan)(**{**vars(plan), "tick_started_at": (T0 + timedelta(hours=n)).isoformat()}),
                              sessions, lambda: T0 + timedelta(hours=n))
        processor.handle(_capture(body))

    def status_events() -> list[tuple[str | None, str | None]]:
        with sessions() as s:
            return [(e.from_state, e.to_state) for e in s.scalars(
                select(EventRow).where(EventRow.kind == "status").order_by(EventRow.id))]

    tick(a, 1)  # baseline CAT2
    tick(b, 2)  # CAT2 → CAT1: news
    assert status_events() == [("CAT2", "CAT1")]
    tick(a, 3)  # back to the version of an hour ago: flapping, nothing yet
    assert status_events() == [("CAT2", "CAT1")]
    tick(a, 4)  # it stayed: now it is news
    assert status_events() == [("CAT2", "CAT1"), ("CAT1", "CAT2")]
    tick(a, 5)
    assert len(status_events()) == 2
