"""One scheduler tick: claim due targets, crawl them in one child, close the books, deliver."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select

from monitor.capture import CrawlPlan, PlanSubstance, PlanTarget
from monitor.crawl import run_crawl
from monitor.health import mark_failure
from monitor.models import CheckRow, DocumentRow, EventRow, SubstanceRow, TargetRow
from monitor.notify import DeliveryResult, Notifier, deliver_pending
from monitor.runtime import Runtime, utcnow
from monitor.targets import get_target, next_check

log = logging.getLogger("regwatch.tick")


@dataclass(frozen=True)
class TargetResult:
    """How one target's check went in a tick."""

    target_id: str
    outcome: str
    error: str | None
    documents: int
    events: tuple[str, ...]


@dataclass
class TickReport:
    """What a tick did."""

    started_at: datetime
    results: list[TargetResult] = field(default_factory=list)
    deliveries: list[DeliveryResult] = field(default_factory=list)
    crawl_failed: str | None = None


def _plan_target(row: TargetRow, docs: list[DocumentRow]) -> PlanTarget:
    validators = {
        d.url: {"etag": d.etag or "", "last_modified": d.last_modified or ""}
        for d in docs if d.current_snapshot_id is not None and (d.etag or d.last_modified)
    }
    return PlanTarget(id=row.id, url=row.url, parser=row.parser, options=dict(row.options),
                      follow=list(row.follow), substances=list(row.substances), validators=validators,
                      documents=[d.url for d in docs if d.url != row.url and d.current_snapshot_id is not None])


def claim(rt: Runtime, now: datetime, target_ids: Sequence[str] | None) -> CrawlPlan | None:
    """Pick the due (or named) targets, push their next check forward, and write the crawl plan."""
    with rt.sessions.begin() as s:
        if target_ids:
            rows = [get_target(s, t) for t in target_ids]
        else:
            rows = list(s.scalars(select(TargetRow).where(
                TargetRow.enabled.is_(True),
                or_(TargetRow.next_check_at.is_(None), TargetRow.next_check_at <= now),
            ).order_by(TargetRow.next_check_at, TargetRow.id)))
        if not rows:
            return None
        planned = []
        for row in rows:
            row.next_check_at = next_check(row.id, row.every_seconds, now)
            docs = list(s.scalars(select(DocumentRow).where(DocumentRow.target_id == row.id)))
            planned.append(_plan_target(row, docs))
        substances = [PlanSubstance(r.id, r.name, list(r.synonyms), list(r.exclude))
                      for r in s.scalars(select(SubstanceRow))]
    st = rt.settings
    return CrawlPlan(
        database_url=st.database_url, tick_started_at=now.isoformat(), targets=planned, substances=substances,
        channels=list(rt.channels.routing), failure_threshold=st.failure_threshold,
        max_body_bytes=st.max_body_bytes, fetch_timeout=st.fetch_timeout,
        concurrency_per_domain=st.concurrency_per_domain, download_delay=st.download_delay,
        user_agent=f"regwatch/0.1 (+{st.contact_url})", allow_private_hosts=st.allow_private_hosts,
        log_level="INFO",
    )


def _close_books(rt: Runtime, plan: CrawlPlan, started: datetime, why: str | None) -> list[TargetResult]:
    """Fail targets the crawl never reached; summarize each target's checks of this tick."""
    results: list[TargetResult] = []
    with rt.sessions.begin() as s:
        for pt in plan.targets:
            checks = list(s.scalars(select(CheckRow).where(
                CheckRow.target_id == pt.id, CheckRow.started_at >= started).order_by(CheckRow.id)))
            primary = next((c for c in checks if c.url == pt.url), None)
            if primary is None:
                reason = f"crawl ended before this target was checked ({why or 'no capture returned'})"
                s.add(CheckRow(target_id=pt.id, url=pt.url, started_at=started, outcome="failed", error=reason))
                row = s.get(TargetRow, pt.id)
                if row is not None:
                    mark_failure(s, row, reason, utcnow(), plan.failure_threshold, plan.channels)
                results.append(TargetResult(pt.id, "failed", reason, 0, ()))
                continue
            events = tuple(e.summary for e in s.scalars(select(EventRow).where(
                EventRow.target_id == pt.id, EventRow.observed_at >= started).order_by(EventRow.id)))
            results.append(TargetResult(pt.id, primary.outcome, primary.error, len(checks), events))
    return results


def run_tick(rt: Runtime, notifier: Notifier, target_ids: Sequence[str] | None = None,
             log_level: str = "INFO") -> TickReport:
    """Check the due (or named) targets now, then deliver the outbox."""
    started = utcnow()
    report = TickReport(started)
    plan = claim(rt, started, target_ids)
    if plan is not None:
        plan = CrawlPlan(**{**vars(plan), "log_level": log_level})
        run = run_crawl(plan, rt.settings.crawl_timeout)
        why = None
        if run.timed_out:
            why = f"crawl timed out after {rt.settings.crawl_timeout}s"
        elif run.returncode != 0:
            why = f"crawl child exited with code {run.returncode}"
        report.crawl_failed = why
        report.results = _close_books(rt, plan, started, why)
    report.deliveries = deliver(rt, notifier)
    return report


def deliver(rt: Runtime, notifier: Notifier) -> list[DeliveryResult]:
    """Send the due outbox rows."""
    return deliver_pending(rt.sessions, rt.channels.urls, notifier, utcnow(), rt.settings.base_url,
                           rt.settings.delivery_max_attempts)
