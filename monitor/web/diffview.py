"""A stored unified diff as rows for the change page: inline and side by side, mentions marked.

Pure functions over the text of `changes.diff` (see monitor.diff.unified). The output holds
plain strings only; the template escapes them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.matching import SubstanceMatcher

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class Segment:
    """A run of a line's text; `mark` when it names a watched substance."""

    text: str
    mark: bool = False


@dataclass(frozen=True)
class Line:
    """One diff row: `kind` is context, add, del, hunk (a @@ header) or note (a cut marker)."""

    kind: str
    old_no: int | None
    new_no: int | None
    segments: tuple[Segment, ...]

    @property
    def text(self) -> str:
        """The row's text without marks."""
        return "".join(s.text for s in self.segments)


@dataclass(frozen=True)
class Pair:
    """A side-by-side row: the old line on the left, the new one on the right (either may be absent)."""

    left: Line | None
    right: Line | None
    full: Line | None = None  # a hunk header or note spanning both sides


@dataclass(frozen=True)
class DiffView:
    """The rows of both layouts and a count of what changed."""

    inline: list[Line]
    split: list[Pair]
    added: int
    removed: int
    mentions: int


def segments(text: str, matchers: Sequence[SubstanceMatcher]) -> tuple[Segment, ...]:
    """Split `text` into plain and marked runs at every substance mention."""
    spans = sorted((m.start, m.end) for matcher in matchers for m in matcher.mentions(text))
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    out: list[Segment] = []
    at = 0
    for s, e in merged:
        if s > at:
            out.append(Segment(text[at:s]))
        out.append(Segment(text[s:e], True))
        at = e
    if at < len(text) or not out:
        out.append(Segment(text[at:]))
    return tuple(out)


def parse(diff: str, matchers: Sequence[SubstanceMatcher] = ()) -> list[Line]:
    """The inline rows of a unified diff; the ---/+++ file header is dropped."""
    rows: list[Line] = []
    old_no = new_no = 0
    in_hunk = False
    for raw in diff.splitlines():
        m = _HUNK.match(raw)
        if m:
            in_hunk = True
            old_no, new_no = int(m.group(1)), int(m.group(3))
            rows.append(Line("hunk", None, None, (Segment(raw),)))
        elif not in_hunk:
            continue  # "--- snapshot 1" / "+++ snapshot 2"
        elif raw.startswith("+"):
            rows.append(Line("add", None, new_no, segments(raw[1:], matchers)))
            new_no += 1
        elif raw.startswith("-"):
            rows.append(Line("del", old_no, None, segments(raw[1:], matchers)))
            old_no += 1
        elif raw.startswith(" ") or raw == "":
            rows.append(Line("context", old_no, new_no, segments(raw[1:], matchers)))
            old_no += 1
            new_no += 1
        else:  # "… N more diff lines not stored", "\ No newline at end of file"
            rows.append(Line("note", None, None, (Segment(raw),)))
    return rows


def side_by_side(rows: Sequence[Line]) -> list[Pair]:
    """Pair each run of removals with the additions that follow it; context sits on both sides."""
    out: list[Pair] = []
    dels: list[Line] = []
    adds: list[Line] = []

    def flush() -> None:
        for i in range(max(len(dels), len(adds))):
            out.append(Pair(dels[i] if i < len(dels) else None, adds[i] if i < len(adds) else None))
        dels.clear()
        adds.clear()

    for row in rows:
        if row.kind == "del":
            if adds:
                flush()
            dels.append(row)
        elif row.kind == "add":
            adds.append(row)
        else:
            flush()
            out.append(Pair(row, row) if row.kind == "context" else Pair(None, None, row))
    flush()
    return out


def view(diff: str, matchers: Sequence[SubstanceMatcher] = ()) -> DiffView:
    """Both layouts of `diff` with counts."""
    rows = parse(diff, matchers)
    return DiffView(
        inline=rows, split=side_by_side(rows),
        added=sum(r.kind == "add" for r in rows), removed=sum(r.kind == "del" for r in rows),
        mentions=sum(s.mark for r in rows if r.kind in ("add", "del") for s in r.segments),
    )
