"""The outbox: real Apprise to a real webhook; failures retried with backoff, then dead; secrets masked."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from monitor.capture import PlanChannel
from monitor.db import open_store
from monitor.events import add_event
from monitor.models import DeliveryRow
from monitor.notify import AppriseNotifier, backoff, deliver_pending, mask
from tests.support.server import WebhookReceiver

NOW = datetime(2026, 11, 21, 12, 0)


def _store_with_event(db_url: str, channels: list[PlanChannel], kind: str = "status") -> tuple[object, int]:
    sessions = open_store(db_url)
    with sessions.begin() as s:
        event = add_event(s, channels, NOW, kind=kind, severity="critical", summary="Thymosin alpha-1: CAT2 → NONE",
                          observed_at=NOW, substance_id="thymosin-alpha-1", track="503a_category",
                          from_state="CAT2", to_state="NONE", evidence="removed … withdrawn")
        event_id = event.id
    return sessions, event_id


def test_failed_delivery_is_retried_with_backoff_then_sent_once(db_url: str, webhook: WebhookReceiver) -> None:
    sessions, event_id = _store_with_event(db_url, [PlanChannel("hook", ["status"], [])])
    urls = {"hook": webhook.apprise_url}
    webhook.status = 503
    (first,) = deliver_pending(sessions, urls, AppriseNotifier(), NOW, "http://rw", 10)  # type: ignore[arg-type]
    assert not first.ok and first.status == "pending"
    with sessions() as s:  # type: ignore[operator]
        row = s.scalar(select(DeliveryRow))
        assert row.attempts == 1 and row.next_attempt_at > NOW
        assert "503" in (row.last_error or "")
    # Not due yet: nothing is sent.
    assert deliver_pending(sessions, urls, AppriseNotifier(), NOW, "http://rw", 10) == []  # type: ignore[arg-type]
    webhook.status = 200
    later = NOW + timedelta(hours=1)
    (second,) = deliver_pending(sessions, urls, AppriseNotifier(), later, "http://rw", 10)  # type: ignore[arg-type]
    assert second.ok and second.status == "sent"
    assert deliver_pending(sessions, urls, AppriseNotifier(), later + timedelta(days=2), "http://rw", 10) == []  # type: ignore[arg-type]
    (received,) = webhook.received
    assert received["headers"]["x-regwatch-idempotency-key"] == f"regwatch-{event_id}-hook"


def test_delivery_is_dead_after_max_attempts(db_url: str) -> None:
    sessions, _ = _store_with_event(db_url, [PlanChannel("down", ["status"], [])])
    urls = {"down": "json://127.0.0.1:9/nothing-listens-here"}
    at = NOW
    statuses = []
    for _ in range(3):
        results = deliver_pending(sessions, urls, AppriseNotifier(), at, "http://rw", 3)  # type: ignore[arg-type]
        statuses += [r.status for r in results]
        at += timedelta(days=2)
    assert statuses == ["pending", "pending", "dead"]


def test_routing_by_kind_and_substance(db_url: str) -> None:
    channels = [PlanChannel("all", ["status", "baseline"], []), PlanChannel("status-only", ["status"], []),
                PlanChannel("other-substance", ["baseline"], ["bpc-157"])]
    sessions, _ = _store_with_event(db_url, channels, kind="baseline")
    with sessions() as s:  # type: ignore[operator]
        assert [d.channel for d in s.scalars(select(DeliveryRow))] == ["all"]


def test_backoff_grows_and_spans_about_a_day() -> None:
    delays = [backoff(n, rng=lambda: 0.5) for n in range(1, 11)]
    assert delays == sorted(delays)
    assert timedelta(hours=20) < sum(delays, timedelta()) < timedelta(hours=30)


def test_secrets_are_masked() -> None:
    assert mask("mailtos://user:hunter2@example.com?to=a@b") == "mailtos://***@example.com?to=a@b"
    assert mask("json://h/x?token=abc123&x=1") == "json://h/x?token=***&x=1"
