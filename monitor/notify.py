"""Alert delivery: the outbox is sent through Apprise, retried with backoff, never lost.

A `Notifier` sends one message to one Apprise URL; `deliver_pending` walks the outbox.
Each message carries its idempotency key (event × channel) in the body and, for
webhook schemas, in an ``X-Regwatch-Idempotency-Key`` header.
"""

from __future__ import annotations

import logging
import random
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.errors import NotFound, RegwatchError
from monitor.events import idempotency_key
from monitor.models import DeliveryRow, EventRow, SubstanceRow
from monitor.render import Alert, EventView, render

log = logging.getLogger("regwatch.notify")

_DELIVERING = threading.Lock()
BACKOFF_BASE_SECONDS = 90  # 10 attempts span about a day: 90 s · (2^10 − 1) ≈ 25 h
_WEBHOOK_SCHEMAS = ("json://", "jsons://", "form://", "forms://", "xml://", "xmls://")
_SECRET = re.compile(r"(://)([^/@\s]+)@|([?&](?:pass|password|token|apikey|key|secret)=)[^&\s]+", re.I)


class Notifier(Protocol):
    """Sends one alert to one Apprise URL; returns (accepted, detail)."""

    def send(self, url: str, alert: Alert, key: str) -> tuple[bool, str]: ...


def mask(text: str) -> str:
    """Hide credentials in an Apprise URL or an error message that quotes one."""
    return _SECRET.sub(lambda m: f"{m.group(1)}***@" if m.group(1) else f"{m.group(3)}***", text)


class AppriseNotifier:
    """The real notifier: Apprise, with its log captured as the per-target result."""

    def send(self, url: str, alert: Alert, key: str) -> tuple[bool, str]:
        import apprise

        if url.startswith(_WEBHOOK_SCHEMAS):
            url += ("&" if "?" in url else "?") + f"+X-Regwatch-Idempotency-Key={key}"
        ap = apprise.Apprise()
        if not ap.add(url):
            return False, f"not a valid Apprise URL: {mask(url)}"
        with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as logs:  # type: ignore[no-untyped-call]
            ok = bool(ap.notify(body=alert.body, title=alert.title))
            detail = " ".join(logs.getvalue().split())
        return ok, mask(detail) if detail else ("sent" if ok else "refused")


@dataclass(frozen=True)
class DeliveryResult:
    """One delivery attempt."""

    delivery_id: int
    event_id: int
    channel: str
    ok: bool
    detail: str
    status: str


def backoff(attempts: int, rng: Callable[[], float] = random.random) -> timedelta:
    """Delay before the next attempt: exponential with ±50 % jitter."""
    return timedelta(seconds=BACKOFF_BASE_SECONDS * (2 ** max(0, attempts - 1)) * (0.5 + rng()))


def event_view(session: Session, event: EventRow) -> EventView:
    """What rendering needs of a stored event."""
    sub = session.get(SubstanceRow, event.substance_id) if event.substance_id else None
    return EventView(
        id=event.id, kind=event.kind, severity=event.severity, substance_name=sub.name if sub else event.substance_id,
        track=event.track, from_state=event.from_state, to_state=event.to_state, summary=event.summary,
        evidence=event.evidence, url=event.url, observed_at=event.observed_at, change_id=event.change_id,
        substance_id=event.substance_id,
    )


def _announce_dead(s: Session, dead: DeliveryRow, event: EventRow, urls: Mapping[str, str], now: datetime) -> None:
    """A dead delivery is itself news: tell every other channel, once, as a `source` alert."""
    others = [name for name in urls if name != dead.channel]
    if not others or (event.kind == "source" and event.summary.startswith("Alert delivery to")):
        return  # never cascade: a dead-delivery notice that dies is not announced again
    notice = EventRow(
        kind="source", severity="high", observed_at=now, evidence=dead.last_error or "",
        summary=f"Alert delivery to channel {dead.channel} failed {dead.attempts} times and was given up: "
                f"event {event.id} ({event.summary})",
        url=event.url, target_id=event.target_id, substance_id=event.substance_id,
    )
    s.add(notice)
    s.flush()
    for name in others:
        s.add(DeliveryRow(event_id=notice.id, channel=name, idempotency_key=idempotency_key(notice.id, name),
                          status="pending", attempts=0, next_attempt_at=now, created_at=now))


def retry_delivery(sessions: sessionmaker[Session], delivery_id: int, now: datetime) -> DeliveryRow:
    """Put a delivery (dead, or pending with a later attempt time) back in the queue, due now."""
    with sessions.begin() as s:
        d = s.get(DeliveryRow, delivery_id)
        if d is None:
            raise NotFound(f"no delivery {delivery_id}; see `regwatch alerts list`")
        if d.status == "sent":
            raise RegwatchError(f"delivery {delivery_id} was already sent at {d.sent_at:%Y-%m-%d %H:%M} UTC")
        d.status, d.next_attempt_at = "pending", now
        return d


def deliver_pending(
    sessions: sessionmaker[Session],
    urls: Mapping[str, str],
    notifier: Notifier,
    now: datetime,
    base_url: str,
    max_attempts: int,
) -> list[DeliveryResult]:
    """Send every due pending delivery once; record each attempt. `urls` maps channel → Apprise URL.

    Notices about deliveries that died in this pass are sent in the same call.
    """
    results: list[DeliveryResult] = []
    tried: set[int] = set()
    # The tick (during and after a crawl) and the retry job may both deliver: one at a time,
    # so no alert is sent twice by this process.
    with _DELIVERING:
        return _deliver_due(sessions, urls, notifier, now, base_url, max_attempts, results, tried)


def _deliver_due(sessions: sessionmaker[Session], urls: Mapping[str, str], notifier: Notifier, now: datetime,
                 base_url: str, max_attempts: int, results: list[DeliveryResult], tried: set[int]) -> list[DeliveryResult]:
    while True:
        with sessions() as s:
            due = [i for i in s.scalars(select(DeliveryRow.id).where(
                DeliveryRow.status == "pending", DeliveryRow.next_attempt_at <= now).order_by(DeliveryRow.id))
                if i not in tried]
        if not due:
            return results
        tried.update(due)
        results += _send_each(sessions, due, urls, notifier, now, base_url, max_attempts)


def _send_each(sessions: sessionmaker[Session], due: list[int], urls: Mapping[str, str], notifier: Notifier,
               now: datetime, base_url: str, max_attempts: int) -> list[DeliveryResult]:
    results: list[DeliveryResult] = []
    for delivery_id in due:
        with sessions.begin() as s:
            d = s.get(DeliveryRow, delivery_id)
            if d is None or d.status != "pending":
                continue
            event = s.get(EventRow, d.event_id)
            assert event is not None
            alert = render(event_view(s, event), base_url, d.idempotency_key)
            url = urls.get(d.channel)
            if url is None:
                ok, detail = False, f"channel {d.channel!r} is not configured any more"
            else:
                try:
                    ok, detail = notifier.send(url, alert, d.idempotency_key)
                except Exception as exc:  # a notifier plug-in bug must not stop the outbox
                    ok, detail = False, f"{exc.__class__.__name__}: {mask(str(exc))}"
            d.attempts += 1
            d.last_result = detail
            if ok:
                d.status, d.sent_at, d.last_error = "sent", now, None
            else:
                d.last_error = detail
                if d.attempts >= max_attempts:
                    d.status = "dead"
                    _announce_dead(s, d, event, urls, now)
                else:
                    d.next_attempt_at = now + backoff(d.attempts)
            results.append(DeliveryResult(d.id, d.event_id, d.channel, ok, detail, d.status))
            log.info("delivery %s event %s → %s: %s", d.id, d.event_id, d.channel, "sent" if ok else detail)
    return results
