"""Capture → trusted reading (pure): status, size, type, bot walls, extraction, normalization, parse.

Raises a CheckFailed subclass naming the reason whenever the capture cannot be trusted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.capture import Capture, PlanSubstance, PlanTarget
from monitor.classify import check_page, check_status
from monitor.errors import BadDocument, DocumentInvalid, FetchFailed
from monitor.extract import extract
from monitor.matching import SubstanceMatcher
from monitor.normalize import content_hash, normalize
from monitor.parsers import PARSERS, Document, ParseResult

# Bump when a parser's reading of the same text changes, so stored snapshots are re-read.
PARSER_GENERATION = 1
# A parser metric that falls below this share of its previous value marks a broken document.
MIN_METRIC_RATIO = 0.5


@dataclass(frozen=True)
class Reading:
    """A capture that passed every check: its document and content address."""

    document: Document
    content_hash: str
    raw_sha256: str


def read(capture: Capture, max_body_bytes: int) -> Reading | None:
    """The reading of a capture; None for HTTP 304 (not modified)."""
    if capture.error:
        raise FetchFailed(capture.error)
    assert capture.status is not None
    if capture.status == 304:
        return None
    check_status(capture.status)
    if len(capture.body) > max_body_bytes:
        raise BadDocument(f"body of {len(capture.body)} bytes exceeds the limit of {max_body_bytes}")
    declared = capture.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > len(capture.body) and "content-encoding" not in capture.headers:
        raise BadDocument(f"truncated body: {len(capture.body)} of {declared} declared bytes")
    extracted = extract(capture.body)
    text = normalize(extracted.text)
    check_page(extracted.kind, extracted.title, text)
    doc = Document(capture.final_url, extracted.kind, text, capture.body, extracted.title, extracted.text)
    return Reading(doc, content_hash(text), capture.body_sha256)


def matchers_for(target: PlanTarget, substances: Mapping[str, PlanSubstance]) -> list[SubstanceMatcher]:
    """Matchers for the substances a target watches."""
    return [
        SubstanceMatcher(s.id, s.name, tuple(s.synonyms), tuple(s.exclude))
        for sid in target.substances if (s := substances.get(sid)) is not None
    ]


def assessed_key(target: PlanTarget, substances: Sequence[SubstanceMatcher], plan_subs: Mapping[str, PlanSubstance]) -> str:
    """What a stored reading depends on besides the text: parser, options, substances."""
    material: dict[str, Any] = {
        "gen": PARSER_GENERATION, "parser": target.parser, "options": dict(target.options),
        "substances": [vars(plan_subs[m.id]) for m in substances],
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=list).encode()).hexdigest()


class MetricDrop(DocumentInvalid):
    """A parser metric fell by more than half: refused until the same content is seen again."""


@dataclass(frozen=True)
class Early:
    """A capture read (and, when its text is new, parsed) before its turn to be stored."""

    reading: Reading | None
    parsed: ParseResult | None = None
    # What the parser raised instead (re-raised when the reading turns out to need parsing).
    parse_error: Exception | None = None


def read_early(capture: Capture, max_body_bytes: int, target: PlanTarget, matchers: Sequence[SubstanceMatcher],
               known_hash: str | None) -> Early:
    """`read`, then the target's parser unless the text is the known one (`known_hash`): the
    part of processing that needs no database, run in a worker process (monitor/readahead.py)."""
    got = read(capture, max_body_bytes)
    if got is None or got.content_hash == known_hash:
        return Early(got)
    try:
        return Early(got, run_parser(target, got.document, matchers))
    except Exception as exc:  # raised in the processing thread if the parse is needed there
        return Early(got, None, exc)


def run_parser(target: PlanTarget, doc: Document, matchers: Sequence[SubstanceMatcher]) -> ParseResult:
    """The target's parser on a document, with its options."""
    spec = PARSERS[target.parser]
    return spec.func(doc, matchers, spec.options.model_validate(dict(target.options)))


def parse(target: PlanTarget, doc: Document, matchers: Sequence[SubstanceMatcher],
          previous_metrics: Mapping[str, int], accept_drop: bool = False, early: Early | None = None) -> ParseResult:
    """Run the target's parser (or take `early`'s result for this document) and compare its
    metrics with the previous snapshot's.

    A sharp drop is refused once (a half-served document looks exactly like that); when
    the next check brings the same content, `accept_drop` lets it through.
    """
    if early is not None and early.reading is not None and early.reading.document is doc \
            and (early.parsed is not None or early.parse_error is not None):
        if early.parse_error is not None:
            raise early.parse_error
        assert early.parsed is not None
        result = early.parsed
    else:
        result = run_parser(target, doc, matchers)
    for name, old in previous_metrics.items():
        new = result.metrics.get(name)
        if new is not None and old > 0 and new < old * MIN_METRIC_RATIO and not accept_drop:
            raise MetricDrop(
                f"{name} fell from {old} to {new} (more than half): document looks incomplete; "
                "accepted if the next check brings the same content"
            )
    return result
