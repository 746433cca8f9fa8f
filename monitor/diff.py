"""Unified diff of two snapshots' normalized text."""

from __future__ import annotations

import difflib

MAX_DIFF_LINES = 5000


def unified(old: str, new: str, old_label: str = "before", new_label: str = "after") -> str:
    """A unified diff with three lines of context; huge diffs are cut with a marker line."""
    lines = list(difflib.unified_diff(
        old.splitlines(), new.splitlines(), fromfile=old_label, tofile=new_label, lineterm="", n=3,
    ))
    if len(lines) > MAX_DIFF_LINES:
        cut = len(lines) - MAX_DIFF_LINES
        lines = [*lines[:MAX_DIFF_LINES], f"… {cut} more diff lines not stored"]
    return "\n".join(lines)
