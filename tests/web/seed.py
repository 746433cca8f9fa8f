"""A store seeded through the real models with what the dashboard shows: two substances, five targets
in every state of health, two versions of a categories file and their change, observations, track
states and events (baseline, status, document, source).

Scraped strings carry markup on purpose (`HOSTILE`, an `onerror` image, a `javascript:` URL): the
pages must show them as text. Times are fixed relative to `NOW`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from monitor.diff import unified
from monitor.models import (
    ChangeRow,
    CheckRow,
    DocumentRow,
    EventRow,
    ObservationRow,
    SnapshotRow,
    SubstanceRow,
    TargetRow,
    TrackStateRow,
)

NOW = datetime(2026, 11, 20, 12, 0, 0)
HOSTILE = "<script>alert(1)</script>"
HOSTILE_ERROR = '<img src=x onerror="alert(2)">HTTP 503'
TA1 = "thymosin-alpha-1"
EXAMPLE = "examplorelin"

CATEGORIES_V1 = """Bulk Drug Substances Nominated for Use in Compounding Under Section 503A
Category 1 - Bulk Drug Substances Under Evaluation
Examplorelin acetate
Thymosin Alpha-1 (Ta1)
Category 2 - Bulk Drug Substances that Raise Significant Safety Risks
Thymosin beta-4 fragment (LKKTETQ)
Category 3 - Bulk Drug Substances Nominated Without Adequate Support
Thymol iodide"""

CATEGORIES_V2 = f"""Bulk Drug Substances Nominated for Use in Compounding Under Section 503A
Category 1 - Bulk Drug Substances Under Evaluation
Examplorelin acetate
Category 2 - Bulk Drug Substances that Raise Significant Safety Risks
Thymosin Alpha-1 (Ta1) {HOSTILE}
Thymosin beta-4 fragment (LKKTETQ)
Category 3 - Bulk Drug Substances Nominated Without Adequate Support
Thymol iodide"""

CATS_URL = "https://www.fda.gov/media/94155/download"
CAT2_URL = "https://www.fda.gov/drugs/human-drug-compounding/certain-bulk-drug-substances-use-compounding-may-present-significant-safety-risks"
PCAC_URL = "https://www.fda.gov/advisory-committees/human-drug-advisory-committees/pharmacy-compounding-advisory-committee"


@dataclass(frozen=True)
class Seeded:
    """Ids of what was seeded, for tests to visit."""

    change_id: int
    old_snapshot_id: int
    new_snapshot_id: int
    status_event_id: int
    document_event_id: int


def _target(tid: str, name: str, url: str, every: str, seconds: int, subs: list[str], **health: object) -> TargetRow:
    row = TargetRow(id=tid, name=name, url=url, parser="fda_page", options={}, every=every, every_seconds=seconds,
                    follow=[], substances=subs, enabled=True, consecutive_failures=0, failure_alerted=False,
                    created_at=NOW - timedelta(days=60), updated_at=NOW - timedelta(days=60))
    for k, v in health.items():
        setattr(row, k, v)
    return row


def _snapshot(doc: DocumentRow, text: str, title: str, at: datetime) -> SnapshotRow:
    return SnapshotRow(document_id=doc.id, content_hash=hashlib.sha256(text.encode()).hexdigest(), kind="pdf", title=title,
                       text=text, final_url=doc.url, raw_sha256="0" * 64, raw_size=len(text), metrics={},
                       mentions=[], captured_at=at, last_seen_at=NOW - timedelta(hours=1))


def _obs(snap: SnapshotRow, target: str, sub: str, track: str, state: str, evidence: str, at: datetime,
         url: str) -> ObservationRow:
    return ObservationRow(snapshot_id=snap.id, target_id=target, substance_id=sub, track=track, state=state,
                          detail={}, evidence=evidence, url=url, observed_at=at)


def _event(kind: str, severity: str, summary: str, at: datetime, **kw: object) -> EventRow:
    return EventRow(kind=kind, severity=severity, summary=summary, observed_at=at, evidence=kw.pop("evidence", ""),
                    **kw)


def seed(sessions: sessionmaker[Session]) -> Seeded:
    """Fill an empty, migrated store."""
    d, h = timedelta(days=1), timedelta(hours=1)
    with sessions.begin() as s:
        s.add_all([
            SubstanceRow(id=TA1, name="Thymosin alpha-1", synonyms=["thymalfasin", "Ta1", "thymosin α1"],
                         exclude=["thymosin beta-4", "thymol iodide"], updated_at=NOW - 60 * d),
            SubstanceRow(id=EXAMPLE, name="Examplorelin (fictional example)", synonyms=["examplorelin acetate"],
                         exclude=[], updated_at=NOW - 60 * d),
        ])
        s.add_all([
            _target("fda-503a-categories", "FDA 503A categories file", CATS_URL, "6h", 21600, [TA1, EXAMPLE],
                    last_checked_at=NOW - h, last_success_at=NOW - h, last_change_at=NOW - 10 * d,
                    last_outcome="unchanged", next_check_at=NOW + 5 * h),
            # Failing for 30 h at a 6 h interval: more than three intervals, so stale.
            _target("fda-category2-page", "FDA Category 2 safety-risk table", CAT2_URL, "6h", 21600, [TA1],
                    last_checked_at=NOW - h, last_success_at=NOW - 31 * h, last_outcome="failed",
                    last_error=HOSTILE_ERROR, consecutive_failures=5, failing_since=NOW - 30 * h,
                    failure_alerted=True, next_check_at=NOW + 5 * h),
            # Failing for 2 h at a 12 h interval: failing, not stale.
            _target("pcac-committee", "Pharmacy Compounding Advisory Committee", PCAC_URL, "12h", 43200,
                    [TA1, EXAMPLE], last_checked_at=NOW - 2 * h, last_success_at=NOW - 14 * h,
                    last_change_at=NOW - 3 * d, last_outcome="failed", last_error="timed out after 60 s",
                    consecutive_failures=1, failing_since=NOW - 2 * h, next_check_at=NOW + 10 * h),
            _target("federal-register", "Federal Register documents", "https://www.federalregister.gov/api/v1/documents.json",
                    "1d", 86400, [EXAMPLE], next_check_at=NOW + 20 * h),
            _target("retired-page", "A retired FDA page", "https://www.fda.gov/retired", "1d", 86400, [],
                    enabled=False),
        ])
        s.flush()
        cats = DocumentRow(target_id="fda-503a-categories", url=CATS_URL, first_seen_at=NOW - 40 * d, last_seen_at=NOW - h)
        pcac = DocumentRow(target_id="pcac-committee", url=PCAC_URL, first_seen_at=NOW - 20 * d, last_seen_at=NOW - 14 * h)
        s.add_all([cats, pcac])
        s.flush()
        v1 = _snapshot(cats, CATEGORIES_V1, "503A categories", NOW - 40 * d)
        v2 = _snapshot(cats, CATEGORIES_V2, "503A categories", NOW - 10 * d)
        meeting = _snapshot(pcac, "Pharmacy Compounding Advisory Committee\nUpcoming meeting: examplorelin acetate "
                                  "will be discussed.", "PCAC", NOW - 3 * d)
        s.add_all([v1, v2, meeting])
        s.flush()
        cats.current_snapshot_id, pcac.current_snapshot_id = v2.id, meeting.id
        change = ChangeRow(document_id=cats.id, old_snapshot_id=v1.id, new_snapshot_id=v2.id, created_at=NOW - 10 * d,
                           diff=unified(CATEGORIES_V1, CATEGORIES_V2, f"snapshot {v1.id}", f"snapshot {v2.id}"))
        s.add(change)
        s.flush()
        s.add(CheckRow(target_id="fda-503a-categories", document_id=cats.id, url=CATS_URL, started_at=NOW - 10 * d,
                       http_status=200, outcome="changed", snapshot_id=v2.id, change_id=change.id))
        o_cat1 = _obs(v1, "fda-503a-categories", TA1, "503a_category", "CAT1", "Thymosin Alpha-1 (Ta1)", NOW - 40 * d, CATS_URL)
        o_cat2 = _obs(v2, "fda-503a-categories", TA1, "503a_category", "CAT2", f"Thymosin Alpha-1 (Ta1) {HOSTILE}",
                      NOW - 10 * d, CATS_URL)
        o_pcac = _obs(meeting, "pcac-committee", TA1, "pcac", "NONE", "", NOW - 20 * d, PCAC_URL)
        o_ex_cat = _obs(v1, "fda-503a-categories", EXAMPLE, "503a_category", "CAT3", "Examplorelin acetate",
                        NOW - 30 * d, CATS_URL)
        o_ex_pcac = _obs(meeting, "pcac-committee", EXAMPLE, "pcac", "SCHEDULED",
                         "Upcoming meeting: examplorelin acetate will be discussed.", NOW - 3 * d, PCAC_URL)
        s.add_all([o_cat1, o_cat2, o_pcac, o_ex_cat, o_ex_pcac])
        s.flush()
        for o in (o_cat2, o_pcac, o_ex_cat, o_ex_pcac):
            s.add(TrackStateRow(substance_id=o.substance_id, track=o.track, state=o.state, since=o.observed_at,
                                observation_id=o.id, updated_at=o.observed_at))
        s.add_all([
            _event("baseline", "info", "Thymosin alpha-1: first reading of 503A category: In 503A Category 1 "
                   "(under evaluation)", NOW - 40 * d, substance_id=TA1, track="503a_category", to_state="CAT1",
                   evidence=o_cat1.evidence, url=CATS_URL, target_id="fda-503a-categories", observation_id=o_cat1.id),
            _event("baseline", "info", "Thymosin alpha-1: first reading of Advisory committee (PCAC): No advisory "
                   "committee review found", NOW - 20 * d, substance_id=TA1, track="pcac", to_state="NONE",
                   url=PCAC_URL, target_id="pcac-committee", observation_id=o_pcac.id),
            _event("baseline", "info", "Examplorelin (fictional example): first reading of 503A category: In 503A "
                   "Category 3", NOW - 30 * d, substance_id=EXAMPLE, track="503a_category", to_state="CAT3",
                   evidence=o_ex_cat.evidence, url=CATS_URL, target_id="fda-503a-categories", observation_id=o_ex_cat.id),
            _event("status", "high", "Examplorelin (fictional example): No advisory committee review found → Scheduled "
                   "for an advisory committee (PCAC) meeting", NOW - 3 * d, substance_id=EXAMPLE, track="pcac",
                   from_state="NONE", to_state="SCHEDULED", evidence=o_ex_pcac.evidence, url=PCAC_URL,
                   target_id="pcac-committee", observation_id=o_ex_pcac.id),
            _event("source", "high", f"Source FDA Category 2 safety-risk table failing since 2026-11-19 06:00 UTC "
                   f"(3 checks in a row), last reason: {HOSTILE_ERROR}", NOW - 18 * h, url=CAT2_URL,
                   target_id="fda-category2-page", evidence=HOSTILE_ERROR),
        ])
        status = _event("status", "critical", "Thymosin alpha-1: In 503A Category 1 (under evaluation) → In 503A "
                        "Category 2 (significant safety risks)", NOW - 10 * d, substance_id=TA1, track="503a_category",
                        from_state="CAT1", to_state="CAT2", evidence=o_cat2.evidence, url=CATS_URL,
                        target_id="fda-503a-categories", change_id=change.id, observation_id=o_cat2.id)
        document = _event("document", "medium", f"Thymosin alpha-1: named in {HOSTILE}", NOW - 5 * d, substance_id=TA1,
                          evidence="Thymosin alpha-1 will be discussed", url="javascript:alert(3)",
                          target_id="pcac-committee")
        s.add_all([status, document])
        s.flush()
        return Seeded(change.id, v1.id, v2.id, status.id, document.id)
