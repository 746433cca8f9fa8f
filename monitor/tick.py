"""One scheduler tick: claim due targets, crawl them in one child, close the books, deliver."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import false, or_, select, update
from sqlalchemy.orm import Session

from monitor.allowlist import allowed_domains
from monitor.capture import CrawlPlan, PlanSubstance, PlanTarget
from monitor.crawl import LOCAL_NODE, BatchResult, run_crawl
from monitor.crawl_scrapyd import run_scrapyd
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


def _due_targets(s: Session, now: datetime) -> list[TargetRow]:
    """The due targets no other worker is claiming; locked until the caller's transaction ends.

    PostgreSQL: FOR UPDATE SKIP LOCKED, so a concurrent worker passes over rows we hold and,
    once we commit, sees their pushed-forward next_check_at. SQLite has no row locks (and
    ignores FOR UPDATE): a no-op UPDATE first takes the database write lock, so a second
    worker's claim waits for ours to commit before it reads, instead of reading the same
    due rows from a snapshot taken before our commit.
    """
    if s.get_bind().dialect.name == "sqlite":
        s.execute(update(TargetRow).where(false()).values(next_check_at=TargetRow.next_check_at)
                  .execution_options(synchronize_session=False))
    return list(s.scalars(select(TargetRow).where(
        TargetRow.enabled.is_(True),
        or_(TargetRow.next_check_at.is_(None), TargetRow.next_check_at <= now),
    ).order_by(TargetRow.next_check_at, TargetRow.id).with_for_update(skip_locked=True)))


def _named_targets(s: Session, target_ids: Sequence[str]) -> list[TargetRow]:
    """The named targets in the order named (one query; an unknown id is NotFound, naming it)."""
    found = {r.id: r for r in s.scalars(select(TargetRow).where(TargetRow.id.in_(set(target_ids))))}
    return [found[t] if t in found else get_target(s, t) for t in dict.fromkeys(target_ids)]


def claim(rt: Runtime, now: datetime, target_ids: Sequence[str] | None) -> CrawlPlan | None:
    """Pick the due (or named) targets, push their next check forward, and write the crawl plan.

    Two workers never claim the same due target in one tick (see `_due_targets`); named
    targets are checked on request, whoever else is checking them.
    """
    with rt.sessions.begin() as s:
        rows = _named_targets(s, target_ids) if target_ids else _due_targets(s, now)
        if not rows:
            return None
        docs: dict[str, list[DocumentRow]] = {row.id: [] for row in rows}
        for doc in s.scalars(select(DocumentRow).where(DocumentRow.target_id.in_(docs)).order_by(DocumentRow.id)):
            docs[doc.target_id].append(doc)
        planned = []
        for row in rows:
            row.next_check_at = next_check(row.id, row.every_seconds, now)
            planned.append(_plan_target(row, docs[row.id]))
        substances = [PlanSubstance(r.id, r.name, list(r.synonyms), list(r.exclude))
                      for r in s.scalars(select(SubstanceRow))]
        domains = list(allowed_domains(s))
    st = rt.settings
    return CrawlPlan(
        database_url=st.database_url, tick_started_at=now.isoformat(), targets=planned, substances=substances,
        channels=list(rt.channels.routing), failure_threshold=st.failure_threshold,
        max_body_bytes=st.max_body_bytes, fetch_timeout=st.fetch_timeout,
        concurrency_per_domain=st.concurrency_per_domain, read_workers=st.read_workers,
        download_delay=st.download_delay,
        user_agent=f"regwatch/0.1 (+{st.contact_url})", allow_private_hosts=st.allow_private_hosts,
        allowed_domains=domains, log_level="INFO",
    )


def _close_books(rt: Runtime, plan: CrawlPlan, started: datetime, batches: Sequence[BatchResult]) -> list[TargetResult]:
    """Fail targets the crawl never reached, or return them to the queue when their batch was lost
    (a node down, a job cancelled: not the source's fault, so no failure count); record the node
    of each target; summarize each target's checks of this tick."""
    results: list[TargetResult] = []
    by_target = {tid: b for b in batches for tid in b.target_ids}
    ids = [pt.id for pt in plan.targets]
    with rt.sessions.begin() as s:
        # Three queries for the whole tick, not three per target (1,000 targets: 0.6 s → 0.1 s).
        targets = {r.id: r for r in s.scalars(select(TargetRow).where(TargetRow.id.in_(ids)))}
        checks: dict[str, list[CheckRow]] = {tid: [] for tid in ids}
        for c in s.scalars(select(CheckRow).where(CheckRow.target_id.in_(ids), CheckRow.started_at >= started)
                           .order_by(CheckRow.id)):
            checks[c.target_id].append(c)
        events: dict[str, list[str]] = {tid: [] for tid in ids}
        for e in s.scalars(select(EventRow).where(EventRow.target_id.in_(ids), EventRow.observed_at >= started)
                           .order_by(EventRow.id)):
            events[str(e.target_id)].append(e.summary)
        for pt in plan.targets:
            batch = by_target.get(pt.id, BatchResult((pt.id,), "", "no crawl was started for it", requeue=True))
            target = targets.get(pt.id)
            if batch.node and target is not None:
                target.last_node = batch.node
            primary = next((c for c in checks[pt.id] if c.url == pt.url), None)
            if primary is None and batch.requeue:
                reason = f"not checked: {batch.why}; returned to the queue for the next tick"
                s.add(CheckRow(target_id=pt.id, url=pt.url, started_at=started, outcome="failed", error=reason))
                if target is not None:
                    target.next_check_at = started
                results.append(TargetResult(pt.id, "failed", reason, 0, ()))
                continue
            if primary is None:
                reason = f"crawl ended before this target was checked ({batch.why or 'no capture returned'})"
                s.add(CheckRow(target_id=pt.id, url=pt.url, started_at=started, outcome="failed", error=reason))
                if target is not None:
                    mark_failure(s, target, reason, utcnow(), plan.failure_threshold, plan.channels)
                results.append(TargetResult(pt.id, "failed", reason, 0, ()))
                continue
            results.append(TargetResult(pt.id, primary.outcome, primary.error, len(checks[pt.id]),
                                        tuple(events[pt.id])))
    return results


def _crawl(rt: Runtime, plan: CrawlPlan, while_running: Callable[[], None]) -> list[BatchResult]:
    """Run the plan on the crawl backend of the settings (REGWATCH_CRAWL_BACKEND)."""
    st = rt.settings
    if st.crawl_backend == "scrapyd":
        return run_scrapyd(plan, st.scrapyd_urls, st.scrapyd_batch_size, st.scrapyd_poll_seconds, st.crawl_timeout)
    run = run_crawl(plan, st.crawl_timeout, while_running)
    why = None
    if run.timed_out:
        why = f"crawl timed out after {st.crawl_timeout}s"
    elif run.returncode != 0:
        why = f"crawl child exited with code {run.returncode}"
    return [BatchResult(tuple(t.id for t in plan.targets), LOCAL_NODE, why)]


def run_tick(rt: Runtime, notifier: Notifier, target_ids: Sequence[str] | None = None,
             log_level: str = "INFO") -> TickReport:
    """Check the due (or named) targets now, then deliver the outbox."""
    started = utcnow()
    report = TickReport(started)
    plan = claim(rt, started, target_ids)
    if plan is not None:
        plan = CrawlPlan(**{**vars(plan), "log_level": log_level})

        def deliver_meanwhile() -> None:
            # An alert is sent as soon as its capture is stored, not when the whole batch ends.
            try:
                report.deliveries.extend(deliver(rt, notifier))
            except Exception:
                log.exception("delivering alerts during the crawl failed; retried after it")

        batches = _crawl(rt, plan, deliver_meanwhile)
        report.crawl_failed = "; ".join(dict.fromkeys(b.why for b in batches if b.why)) or None
        report.results = _close_books(rt, plan, started, batches)
    report.deliveries.extend(deliver(rt, notifier))
    return report


def deliver(rt: Runtime, notifier: Notifier) -> list[DeliveryResult]:
    """Send the due outbox rows."""
    return deliver_pending(rt.sessions, rt.channels.urls, notifier, utcnow(), rt.settings.base_url,
                           rt.settings.delivery_max_attempts)
