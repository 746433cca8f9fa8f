"""Values that flow into and out of parsers; no I/O here."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

from monitor.matching import SubstanceMatcher


@dataclass(frozen=True)
class Document:
    """One fetched document after extraction: what every parser reads."""

    url: str
    kind: str  # html | pdf | xlsx | json | xml | text
    text: str  # normalized text, the thing that is hashed and diffed
    body: bytes  # the raw body, for parsers that need structure (tables, JSON)
    title: str = ""
    # Extracted text before noise stripping: for date stamps that are never hashed.
    raw_text: str = ""


@dataclass(frozen=True)
class Observation:
    """What a parser read about one substance on one track."""

    substance: str
    track: str
    state: str
    evidence: str
    detail: Mapping[str, Any] = field(default_factory=dict)
    # True when the state rests on the substance *not* being found (needs confirming).
    from_absence: bool = False


@dataclass(frozen=True)
class DocumentMention:
    """A watched substance named in a document: becomes a `document` event when it appears,
    changes or disappears between snapshots of the same document."""

    substance: str
    ref: str  # stable identity within the document (FR document number, media URL, "page")
    quote: str  # the context sentence, as written
    title: str = ""  # what the mention is in (e.g. the FR document title)


@dataclass(frozen=True)
class ParseResult:
    """A parser's reading of one document."""

    observations: tuple[Observation, ...] = ()
    # Figures the processor compares with the previous snapshot (e.g. entry_count).
    metrics: Mapping[str, int] = field(default_factory=dict)
    mentions: tuple[DocumentMention, ...] = ()


class ParserOptions(BaseModel):
    """Base of every parser's `options:` model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


ParseFunc = Callable[[Document, Sequence[SubstanceMatcher], Any], ParseResult]
# (url, body, options) → further URLs to fetch for this target (pagination, derived API URLs).
DeriveFunc = Callable[[str, bytes, Any], list[str]]


@dataclass(frozen=True)
class ParserSpec:
    """A registered parser: its name, function and options model."""

    name: str
    func: ParseFunc
    options: type[ParserOptions]
    help: str
    derive: DeriveFunc | None = None
