"""`regwatch alerts list|retry`: the outbox as operators see it, secrets masked."""

from __future__ import annotations

import json
from typing import Any

import click
from sqlalchemy import select

from monitor.models import DeliveryRow, EventRow
from monitor.notify import mask, retry_delivery
from monitor.runtime import Runtime, bootstrap, utcnow
from monitor.views import iso


def _row(d: DeliveryRow, e: EventRow | None) -> dict[str, Any]:
    return {
        "id": d.id, "event_id": d.event_id, "event": e.summary if e else None, "kind": e.kind if e else None,
        "channel": d.channel, "status": d.status, "attempts": d.attempts,
        "next_attempt_at": iso(d.next_attempt_at) if d.status == "pending" else None,
        "sent_at": iso(d.sent_at), "last_error": mask(d.last_error) if d.last_error else None,
        "last_result": mask(d.last_result) if d.last_result else None, "idempotency_key": d.idempotency_key,
    }


def list_deliveries(rt: Runtime, status: str | None, limit: int) -> list[dict[str, Any]]:
    """Deliveries, newest first."""
    with rt.sessions() as s:
        q = select(DeliveryRow, EventRow).join(EventRow, EventRow.id == DeliveryRow.event_id)
        if status:
            q = q.where(DeliveryRow.status == status)
        q = q.order_by(DeliveryRow.id.desc()).limit(limit)
        return [_row(d, e) for d, e in s.execute(q).tuples()]


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--status", type=click.Choice(["pending", "sent", "dead"]), help="Only deliveries in this state.")
@click.option("--limit", default=100, show_default=True, help="At most this many, newest first.")
def alerts_list(as_json: bool, status: str | None, limit: int) -> None:
    """Deliveries of alerts to channels: status, attempts, Apprise's last result."""
    rows = list_deliveries(bootstrap(), status, limit)
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for r in rows:
        when = r["sent_at"] or r["next_attempt_at"] or ""
        click.echo(f"{r['id']:>6} {r['status']:<8} {r['channel']:<24} attempts {r['attempts']:<3} {when:<21} "
                   f"event {r['event_id']}: {r['event']}")
        if r["last_error"]:
            click.echo(f"       last error: {r['last_error']}")


@click.command("retry")
@click.argument("delivery_id", type=int)
def alerts_retry(delivery_id: int) -> None:
    """Queue a dead or waiting delivery again and send it now."""
    from monitor.notify import AppriseNotifier
    from monitor.tick import deliver

    rt = bootstrap()
    retry_delivery(rt.sessions, delivery_id, utcnow())
    for result in deliver(rt, AppriseNotifier()):
        if result.delivery_id == delivery_id:
            click.echo(f"delivery {delivery_id} → {result.channel}: {'sent' if result.ok else 'FAILED ' + result.detail}")
            if not result.ok:
                raise click.exceptions.Exit(1)
