"""The diff rows of the change page: line numbers, pairing for side by side, mention marks."""

from __future__ import annotations

import pytest

from monitor.diff import unified
from monitor.matching import SubstanceMatcher
from monitor.web.diffview import Segment, parse, segments, side_by_side, view

TA1 = SubstanceMatcher("thymosin-alpha-1", "Thymosin alpha-1", ("Ta1", "thymalfasin"), ("thymosin beta-4",))


@pytest.mark.parametrize(("text", "expected"), [
    ("nothing here", [("nothing here", False)]),
    ("Thymosin Alpha-1 (Ta1)", [("Thymosin Alpha-1", True), (" (", False), ("Ta1", True), (")", False)]),
    ("thymosin beta-4 only", [("thymosin beta-4 only", False)]),
    ("thymalfasin", [("thymalfasin", True)]),
    ("", [("", False)]),
    ("<b>thymosin α1</b>", [("<b>", False), ("thymosin α1", True), ("</b>", False)]),
])
def test_segments_mark_mentions(text: str, expected: list[tuple[str, bool]]) -> None:
    m = SubstanceMatcher("thymosin-alpha-1", "Thymosin alpha-1", ("Ta1", "thymalfasin", "thymosin α1"), ("thymosin beta-4",))
    assert segments(text, [m]) == tuple(Segment(t, k) for t, k in expected)


OLD = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk"
NEW = "a\nb\nc\nD1\nD2\ne\nf\ng\nh\ni\nj\nk\nl"


def test_parse_numbers_lines_from_the_hunk_headers() -> None:
    rows = parse(unified(OLD, NEW, "snapshot 1", "snapshot 2"))
    got = [(r.kind, r.old_no, r.new_no, r.text) for r in rows]
    assert got == [
        ("hunk", None, None, "@@ -1,7 +1,8 @@"),
        ("context", 1, 1, "a"), ("context", 2, 2, "b"), ("context", 3, 3, "c"),
        ("del", 4, None, "d"), ("add", None, 4, "D1"), ("add", None, 5, "D2"),
        ("context", 5, 6, "e"), ("context", 6, 7, "f"), ("context", 7, 8, "g"),
        ("hunk", None, None, "@@ -9,3 +10,4 @@"),
        ("context", 9, 10, "i"), ("context", 10, 11, "j"), ("context", 11, 12, "k"),
        ("add", None, 13, "l"),
    ]


def test_side_by_side_pairs_removals_with_the_additions_after_them() -> None:
    pairs = side_by_side(parse(unified(OLD, NEW)))
    changed = [(p.left.text if p.left else None, p.right.text if p.right else None)
               for p in pairs if p.full is None and (p.left is None or p.left.kind != "context")]
    assert changed == [("d", "D1"), (None, "D2"), (None, "l")]
    assert [p.full.text for p in pairs if p.full] == ["@@ -1,7 +1,8 @@", "@@ -9,3 +10,4 @@"]


def test_a_removed_line_that_looks_like_a_header_is_still_a_removal() -> None:
    rows = parse(unified("--- not a header\nkeep", "keep"))
    assert [(r.kind, r.text) for r in rows] == [("hunk", "@@ -1,2 +1 @@"), ("del", "--- not a header"), ("context", "keep")]


def test_view_counts_and_keeps_the_cut_marker() -> None:
    diff = unified("x\nThymosin alpha-1 in Category 1", "x\nThymosin alpha-1 in Category 2") + "\n… 12 more diff lines not stored"
    v = view(diff, [TA1])
    assert (v.added, v.removed, v.mentions) == (1, 1, 2)
    assert v.inline[-1].kind == "note"
    assert view("").inline == []
