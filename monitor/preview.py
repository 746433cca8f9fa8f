"""Dry-run of a target (`targets test`, the web's Test button): fetch now, store nothing.

The fetch goes through the real crawl path (a child process, Scrapy, the same spider and
URL guard). With `CrawlPlan.preview_path` set, the crawl's pipeline hands each capture to
a `Previewer` instead of the Processor; it reads the capture with the pure functions the
Processor uses (`monitor.reading`, `monitor.assess`, `monitor.diff`) and writes one JSON
line per capture: the extracted text, the observations and the events they would cause,
and the unified diff against the stored snapshot of the same document.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor import reading
from monitor.allowlist import allowed_domains
from monitor.assess import Current, TrackKey, transitions
from monitor.capture import Capture, CrawlPlan, PlanSubstance, PlanTarget
from monitor.config import Target
from monitor.crawl import run_crawl
from monitor.diff import unified
from monitor.errors import CheckFailed
from monitor.models import DocumentRow, SnapshotRow, SubstanceRow, TargetRow, TrackStateRow
from monitor.process import Outcome
from monitor.runtime import utcnow
from monitor.settings import Settings
from monitor.store import current_of
from monitor.views import iso
from monitor.vocab import state_label

# How much extracted text a preview carries (the diff covers the whole text).
TEXT_LIMIT = 20_000
# Longest a dry run may take: someone is waiting for it (a web request or a shell).
PREVIEW_TIMEOUT = 180


@dataclass(frozen=True)
class Stored:
    """The stored current snapshot of a document, as a preview compares against it."""

    snapshot_id: int
    text: str
    content_hash: str
    metrics: Mapping[str, int]
    captured_at: datetime


def preview_capture(capture: Capture, target: PlanTarget, substances: Mapping[str, PlanSubstance],
                    max_body_bytes: int, stored: Stored | None, current: Mapping[TrackKey, Current],
                    established: bool) -> dict[str, Any]:
    """What processing `capture` would store and announce (pure)."""
    out: dict[str, Any] = {
        "target": target.id, "url": capture.url, "final_url": capture.final_url, "status": capture.status,
        "primary": capture.primary, "duration_ms": capture.duration_ms, "outcome": "failed", "error": None,
        "kind": None, "title": None, "text": "", "text_length": 0, "text_truncated": False,
        "observations": [], "mentions": [], "metrics": {}, "diff": "",
        "stored_snapshot_id": stored.snapshot_id if stored else None,
        "stored_captured_at": iso(stored.captured_at) if stored else None,
    }
    try:
        got = reading.read(capture, max_body_bytes)
    except CheckFailed as exc:
        out["error"] = str(exc)
        return out
    if got is None:
        out["outcome"] = "not_modified"
        return out
    doc = got.document
    out.update(kind=doc.kind, title=doc.title, text=doc.text[:TEXT_LIMIT], text_length=len(doc.text),
               text_truncated=len(doc.text) > TEXT_LIMIT)
    if stored is not None and stored.content_hash != got.content_hash:
        out["diff"] = unified(stored.text, doc.text, f"stored snapshot {stored.snapshot_id}", "fetched now")
    try:
        result = reading.parse(target, doc, reading.matchers_for(target, substances),
                               stored.metrics if stored else {})
    except CheckFailed as exc:
        out["error"] = str(exc)
        return out
    out["outcome"] = "new" if stored is None else "unchanged" if stored.content_hash == got.content_hash else "changed"
    moves = {tr.key: tr for tr in transitions(current, result.observations, baseline=not established)}
    for obs in result.observations:
        key = (obs.substance, obs.track)
        tr = moves.pop(key, None)
        would = None if tr is None else tr.kind if established else "baseline"
        now = current.get(key)
        out["observations"].append({
            "substance": obs.substance, "track": obs.track, "state": obs.state,
            "label": state_label(obs.track, obs.state), "evidence": obs.evidence, "detail": dict(obs.detail),
            "from_absence": obs.from_absence, "current": now.state if now else None, "would": would,
        })
    out["mentions"] = [vars(m) for m in result.mentions]
    out["metrics"] = dict(result.metrics)
    return out


class Previewer:
    """The pipeline's stand-in for the Processor in a dry run: reads the database, never writes it."""

    def __init__(self, plan: CrawlPlan, sessions: sessionmaker[Session]):
        assert plan.preview_path, "a Previewer needs CrawlPlan.preview_path"
        self.plan = plan
        self.path = Path(plan.preview_path)
        self.sessions = sessions
        self.targets = {t.id: t for t in plan.targets}
        self.substances = {s.id: s for s in plan.substances}
        with sessions() as s:
            self.established = {t.id for t in s.scalars(select(TargetRow).where(TargetRow.id.in_(self.targets)))
                                if t.last_success_at is not None}

    def _stored(self, s: Session, capture: Capture) -> Stored | None:
        doc = s.scalar(select(DocumentRow).where(DocumentRow.target_id == capture.target_id,
                                                 DocumentRow.url == capture.url))
        snap = s.get(SnapshotRow, doc.current_snapshot_id) if doc and doc.current_snapshot_id else None
        if snap is None:
            return None
        return Stored(snap.id, snap.text, snap.content_hash, dict(snap.metrics), snap.captured_at)

    def _current(self, s: Session, target: PlanTarget) -> dict[TrackKey, Current]:
        rows = s.scalars(select(TrackStateRow).where(TrackStateRow.substance_id.in_(list(target.substances))))
        return current_of(s, {(r.substance_id, r.track): r for r in rows})

    def flush(self) -> None:
        """Nothing to write: a preview appends each capture's line as it comes."""

    def close(self) -> None:
        """Nothing to stop: a preview reads inline."""

    def read_ahead(self, capture: Capture) -> None:
        """A preview reads inline (a handful of captures)."""

    def handle(self, capture: Capture, batch: bool = False, ahead: object = None) -> Outcome:
        """Preview one capture and append its JSON line (as it comes: `batch` and `ahead` change nothing)."""
        target = self.targets[capture.target_id]
        try:
            with self.sessions() as s:
                record = preview_capture(capture, target, self.substances, self.plan.max_body_bytes,
                                         self._stored(s, capture), self._current(s, target),
                                         target.id in self.established)
        except Exception as exc:  # a bug must still show up in the preview, not vanish in the crawl log
            record = {"target": target.id, "url": capture.url, "outcome": "failed",
                      "error": f"internal error while previewing: {exc.__class__.__name__}: {exc}"}
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        return Outcome(capture.target_id, capture.url, str(record["outcome"]), record.get("error"))


@dataclass(frozen=True)
class PreviewReport:
    """A dry run's result: one entry per fetched document, primary first."""

    target_id: str
    captures: list[dict[str, Any]]
    error: str | None

    def as_dict(self) -> dict[str, Any]:
        """The `targets test --json` shape."""
        return {"target": self.target_id, "error": self.error, "captures": self.captures}


def _substances(session: Session) -> list[PlanSubstance]:
    return [PlanSubstance(r.id, r.name, list(r.synonyms), list(r.exclude)) for r in session.scalars(select(SubstanceRow))]


def dry_run(sessions: sessionmaker[Session], st: Settings, target: Target) -> PreviewReport:
    """Fetch `target` (stored or not) through the real crawl path now; the database is left as it was."""
    timeout = min(st.crawl_timeout, PREVIEW_TIMEOUT)
    with sessions() as s:
        substances = _substances(s)
        domains = allowed_domains(s)
    planned = PlanTarget(id=target.id, url=target.url, parser=target.parser, options=dict(target.options),
                         follow=list(target.follow), substances=list(target.substances))
    with tempfile.TemporaryDirectory(prefix="regwatch-preview-") as tmp:
        out = Path(tmp) / "preview.jsonl"
        out.touch()
        plan = CrawlPlan(
            database_url=st.database_url, tick_started_at=utcnow().isoformat(), targets=[planned],
            substances=substances, channels=[], max_body_bytes=st.max_body_bytes, fetch_timeout=st.fetch_timeout,
            concurrency_per_domain=st.concurrency_per_domain, download_delay=st.download_delay,
            user_agent=f"regwatch/0.1 (+{st.contact_url})", allow_private_hosts=st.allow_private_hosts,
            allowed_domains=list(domains), log_level="ERROR", preview_path=str(out),
        )
        run = run_crawl(plan, timeout)
        lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
    error = None
    if run.timed_out:
        error = f"the test crawl timed out after {timeout}s"
    elif run.returncode != 0:
        error = f"the test crawl exited with code {run.returncode}"
    elif not lines:
        error = "the test crawl returned nothing"
    lines.sort(key=lambda c: not c.get("primary", False))
    return PreviewReport(target.id, lines, error)
