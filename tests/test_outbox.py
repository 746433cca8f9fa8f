"""Durable delivery as operators meet it: a dead delivery is announced elsewhere; list and retry by CLI."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from monitor.capture import PlanChannel
from monitor.events import add_event
from monitor.models import DeliveryRow, EventRow
from monitor.notify import AppriseNotifier, deliver_pending
from monitor.runtime import bootstrap, utcnow
from tests.support.cli import make_workspace
from tests.support.server import WebhookReceiver

CLOSED = "json://127.0.0.1:9/closed?token=s3cret"


def test_dead_delivery_is_announced_to_the_other_channels_once(tmp_path: Path, webhook: WebhookReceiver) -> None:
    ws = make_workspace(tmp_path)
    ws.write_targets([])
    rt = bootstrap(ws.env)
    urls = {"down": CLOSED, "up": webhook.apprise_url}
    now = utcnow()
    with rt.sessions.begin() as s:
        add_event(s, [PlanChannel("down", ["status"], [])], now, kind="status", severity="critical",
                  summary="Thymosin alpha-1: CAT2 → NONE", observed_at=now, substance_id="thymosin-alpha-1")
    at = now
    for _ in range(3):
        deliver_pending(rt.sessions, urls, AppriseNotifier(), at, "http://rw", 3)
        at += timedelta(days=2)
    with rt.sessions() as s:
        statuses = {(d.channel, d.status) for d in s.scalars(select(DeliveryRow))}
        notices = [e.summary for e in s.scalars(select(EventRow).where(EventRow.kind == "source"))]
    assert statuses == {("down", "dead"), ("up", "sent")}
    assert len(notices) == 1 and "channel down failed 3 times and was given up" in notices[0]
    (msg,) = webhook.wait_for(1)
    assert "was given up" in msg["json"]["title"]
    assert "s3cret" not in msg["json"]["message"]


def test_alerts_list_and_retry(tmp_path: Path, webhook: WebhookReceiver) -> None:
    ws = make_workspace(tmp_path, [CLOSED], REGWATCH_DELIVERY_MAX_ATTEMPTS="1")
    ws.write_targets([])
    rt = bootstrap(ws.env)
    now = utcnow()
    with rt.sessions.begin() as s:
        add_event(s, list(rt.channels.routing), now, kind="status", severity="critical",
                  summary="Thymosin alpha-1: CAT2 → NONE", observed_at=now, substance_id="thymosin-alpha-1")
    deliver_pending(rt.sessions, rt.channels.urls, AppriseNotifier(), now, "http://rw", 1)
    rows = json.loads(ws.run("alerts", "list", "--json").stdout)
    assert [(r["status"], r["attempts"]) for r in rows] == [("dead", 1)]
    assert "s3cret" not in json.dumps(rows)
    assert ws.run("alerts", "list", "--status", "sent", "--json").stdout.strip() == "[]"

    # The operator fixes the channel (the URL now points at a live webhook) and replays.
    ws.env["REGWATCH_NOTIFY_URLS"] = webhook.apprise_url
    with rt.sessions.begin() as s:
        d = s.scalar(select(DeliveryRow))
        assert d is not None
        d.channel = next(iter(bootstrap(ws.env).channels.urls))
    out = ws.run("alerts", "retry", str(rows[0]["id"])).stdout
    assert "sent" in out
    assert len(webhook.wait_for(1)) == 1
    again = ws.run("alerts", "retry", str(rows[0]["id"]), check=False)
    assert again.returncode == 1 and "already sent" in again.stderr
    missing = ws.run("alerts", "retry", "999", check=False)
    assert missing.returncode == 4 and "no delivery 999" in missing.stderr


def test_a_receiver_down_for_a_while_gets_every_pending_alert_in_order(tmp_path: Path,
                                                                       webhook: WebhookReceiver) -> None:
    ws = make_workspace(tmp_path)
    ws.write_targets([])
    rt = bootstrap(ws.env)
    urls = {"hook": webhook.apprise_url}
    now = utcnow()
    ids = []
    with rt.sessions.begin() as s:
        for n in range(5):
            e = add_event(s, [PlanChannel("hook", ["status"], [])], now, kind="status", severity="critical",
                          summary=f"change {n}", observed_at=now + timedelta(seconds=n))
            ids.append(e.id)
    webhook.status = 503
    at = now
    for _ in range(3):  # down across several retries
        assert not any(r.ok for r in deliver_pending(rt.sessions, urls, AppriseNotifier(), at, "http://rw", 10))
        at += timedelta(hours=3)
    assert webhook.received == []
    webhook.status = 200
    deliver_pending(rt.sessions, urls, AppriseNotifier(), at + timedelta(days=2), "http://rw", 10)
    keys = [m["headers"]["x-regwatch-idempotency-key"] for m in webhook.wait_for(5)]
    assert keys == [f"regwatch-{i}-hook" for i in ids]
