"""The pure core, table by table: normalize, classify, sniff, assess, summary, render."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.assess import Current, mention_changes, transitions
from monitor.classify import check_page, check_status
from monitor.errors import BadDocument, FetchFailed
from monitor.extract import extract, sniff
from monitor.normalize import _WS, normalize
from monitor.parsers import DocumentMention, Observation
from monitor.render import EventView, render
from monitor.summary import summarize
from tests.conftest import fixture_bytes
from tests.server_pages import page

NOISE = [
    ("Content current as of:\n04/22/2026", ""),
    ("Content current as of: 04/22/2026", ""),
    ("Updated April 22, 2026", ""),
    ("Updated: May 14, 2026", ""),
    ("Updated Information (as of 11/8/2024)", ""),
    ("On Oct. 1, 2024, the FDA began implementing a reorganization impacting many parts of the agency.", ""),
    ("Sign up for email alerts on compounding", ""),
    ("An official website of the United States government", ""),
    ("Page 3 of 12", ""),
    ("Bulk Drug Substances Nominated Under Section 503A (Updated May 14, 2026)",
     "Bulk Drug Substances Nominated Under Section 503A"),
    ("Thymosin\u00a0Alpha-1   (Ta1)\t", "Thymosin Alpha-1 (Ta1)"),
    ("Category 2: Bulk Drug Substances that Raise Significant Safety Risks",
     "Category 2: Bulk Drug Substances that Raise Significant Safety Risks"),
    ("Updated guidance was published on April 22, 2026 for outsourcing facilities.",
     "Updated guidance was published on April 22, 2026 for outsourcing facilities."),
]


@pytest.mark.parametrize(("raw", "expected"), NOISE)
def test_normalize_strips_noise_and_keeps_content(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


SNIFF = [
    (b"%PDF-1.7\n...", "pdf"),
    (b"  \n<!DOCTYPE html><html><body>x</body></html>", "html"),
    (b'{"count": 0}', "json"),
    (b'<?xml version="1.0"?><DIV5 N="216"></DIV5>', "xml"),
    (b"plain words", "text"),
    (b"PK\x03\x04garbage", "zip"),
]


@pytest.mark.parametrize(("body", "kind"), SNIFF)
def test_sniff_trusts_magic_bytes_only(body: bytes, kind: str) -> None:
    assert sniff(body) == kind


def test_categories_file_is_sniffed_whatever_it_is_called() -> None:
    assert sniff(fixture_bytes("categories/2023-09-29-ta1-cat2.txt", "xlsx")) == "xlsx"
    assert sniff(fixture_bytes("categories/2023-09-29-ta1-cat2.txt", "pdf")) == "pdf"


@pytest.mark.parametrize(("status", "ok"), [(200, True), (304, True), (401, False), (403, False), (404, False), (500, False)])
def test_http_status(status: int, ok: bool) -> None:
    if ok:
        check_status(status)
    else:
        with pytest.raises(FetchFailed, match=f"HTTP {status}"):
            check_status(status)


BAD_PAGES = [
    page("FDA Internet Site Error", "<p>We are sorry. The page you requested could not be served.</p>"),
    page("Access Denied", "<p>You don't have permission to access this page.</p><p>Reference #18.1a</p>"),
    page("Just a moment...", "<p>Checking your browser</p>"),
    page("Pardon Our Interruption", "<p>As you were browsing something about your browser made us think you were a bot.</p>"),
]


@pytest.mark.parametrize("body", BAD_PAGES)
def test_bot_and_error_pages_are_bad_documents(body: bytes) -> None:
    extracted = extract(body)
    with pytest.raises(BadDocument):
        check_page(extracted.kind, extracted.title, normalize(extracted.text))


def test_real_content_page_is_accepted_and_chrome_is_dropped() -> None:
    extracted = extract(page("Compounding", "<p>Thymosin alpha-1 was discussed.</p>"))
    text = normalize(extracted.text)
    check_page(extracted.kind, extracted.title, text)
    assert "Thymosin alpha-1 was discussed." in text
    assert "official website" not in text and "Content current as of" not in text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from([*" \t\u00a0\u2003\u200b\u3000ab|\n"]), max_size=40))
def test_whitespace_runs_fold_as_the_plain_pattern_would(text: str) -> None:
    # _WS skips lone plain spaces for speed; the result must be what folding every run gives.
    assert _WS.sub(" ", text) == re.sub(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+", " ", text)


HTML_TEXT = [
    # (main content markup, extracted text): blocks on their own lines, cells closed by " | ".
    ("<p>a<!-- c -->b<?pi x?>c</p>", "\nabc\n"),
    ("<table><tr><td>1</td><td>2<br>3</td></tr></table>t", "\n\n1 | 2\n\n3 | \n\nt"),
    ("<ul><li>q<ul><li>w</li></ul>e</li></ul>", "\n\nq\n\nw\n\ne\n\n"),
    # Control characters: libxml2 refuses them back into the tree; the Python walk takes over.
    ("<p>a\x0bb</p><td>x\x01</td>", "\na\x0bb\nx\x01 | "),
]


@pytest.mark.parametrize(("markup", "text"), HTML_TEXT)
def test_html_text_keeps_lines_and_cells(markup: str, text: str) -> None:
    body = f"<html><body><main>{markup}</main></body></html>".encode()
    assert extract(body).text == text


def _obs(track: str, state: str, date: str = "") -> Observation:
    return Observation("ta1", track, state, "evidence", {"date": date} if date else {})


TRANSITIONS = [
    # (current state, detail date, observation, expected (kind, old) or None)
    (None, "", _obs("503a_category", "CAT2"), ("baseline", None)),
    ("CAT2", "", _obs("503a_category", "CAT2"), None),
    ("CAT2", "", _obs("503a_category", "NONE"), ("status", "CAT2")),
    ("VOTED_AGAINST", "2024-12-04", _obs("pcac", "SCHEDULED", "2024-12-04"), None),
    ("SCHEDULED", "2024-12-04", _obs("pcac", "VOTED_AGAINST", "2024-12-04"), ("status", "SCHEDULED")),
    ("VOTED_AGAINST", "2024-12-04", _obs("pcac", "SCHEDULED", "2027-02-10"), ("status", "VOTED_AGAINST")),
    ("VOTED_AGAINST", "2024-12-04", _obs("pcac", "NONE"), None),
    ("FINAL_NOT_INCLUDE", "2026-01-01", _obs("rulemaking", "PROPOSED_INCLUDE", "2025-01-01"), None),
]


@pytest.mark.parametrize(("state", "date", "obs", "expected"), TRANSITIONS)
def test_transitions(state: str | None, date: str, obs: Observation, expected: tuple[str, str | None] | None) -> None:
    current = {} if state is None else {("ta1", obs.track): Current(state, {"date": date} if date else {})}
    got = transitions(current, [obs])
    assert [(t.kind, t.old_state) for t in got] == ([expected] if expected else [])


def test_only_the_first_observation_per_track_counts() -> None:
    got = transitions({}, [_obs("503a_category", "CAT2"), _obs("503a_category", "NONE")])
    assert [t.observation.state for t in got] == ["CAT2"]


def test_mention_changes() -> None:
    a = DocumentMention("ta1", "2024-24828", "Thymosin alpha-1-related bulk drug substances", "FR 2024-24828")
    b = DocumentMention("ta1", "2024-24828", "Thymosin alpha-1 acetate; thymosin alpha-1 free base", "FR 2024-24828")
    c = DocumentMention("ta1", "2026-07361", "…", "FR 2026-07361")
    assert [(m.change, m.mention.ref) for m in mention_changes([a], [b, c])] == [
        ("appeared", "2026-07361"), ("changed", "2024-24828")]
    assert [m.change for m in mention_changes([a], [])] == ["removed"]
    assert mention_changes([a], [a]) == []


def _said(sub: str, ref: str, quote: str) -> DocumentMention:
    return DocumentMention(sub, ref, quote, "FDA page")


# (before, after, changes): sentence-keyed refs (prefix-hash) of one substance pair up in order.
REWORDING = [
    ([_said("ta1", "page-aaaaaaaaaaaa", "old")], [_said("ta1", "page-bbbbbbbbbbbb", "new")], [("changed", "new")]),
    ([_said("ta1", "page-aaaaaaaaaaaa", "x"), _said("ta1", "page-cccccccccccc", "y")],
     [_said("ta1", "page-bbbbbbbbbbbb", "x2")], [("changed", "x2"), ("removed", "y")]),
    ([_said("ta1", "page-aaaaaaaaaaaa", "old")], [_said("bpc157", "page-bbbbbbbbbbbb", "new")],
     [("appeared", "new"), ("removed", "old")]),  # another substance: no pairing
    ([_said("ta1", "category2-table", "in the table")], [_said("ta1", "other-risks", "other risks")],
     [("appeared", "other risks"), ("removed", "in the table")]),  # named places, not sentences: no pairing
]


@pytest.mark.parametrize(("before", "after", "changes"), REWORDING)
def test_a_reworded_sentence_is_one_change(before: list[DocumentMention], after: list[DocumentMention],
                                           changes: list[tuple[str, str]]) -> None:
    assert [(c.change, c.mention.quote) for c in mention_changes(before, after)] == changes


SUMMARY = [
    ({}, "UNKNOWN"),
    ({"503a_category": "CAT2"}, "NO_PATHWAY"),
    ({"503a_category": "CAT1"}, "PATHWAY_AVAILABLE"),
    ({"503a_category": "NONE"}, "NO_PATHWAY"),
    ({"503a_category": "NONE", "pcac": "SCHEDULED"}, "UNDER_REVIEW"),
    ({"503a_category": "NONE", "pcac": "VOTED_AGAINST"}, "NO_PATHWAY"),
    ({"503a_category": "NONE", "pcac": "VOTED_FOR"}, "NO_PATHWAY"),
    ({"pcac": "VOTED_FOR", "rulemaking": "PROPOSED_INCLUDE"}, "UNDER_REVIEW"),
    ({"503a_list": "INCLUDED", "503a_category": "CAT2"}, "PATHWAY_AVAILABLE"),
    ({"503a_list": "NOT_INCLUDED", "503a_category": "CAT1"}, "NO_PATHWAY"),
    ({"rulemaking": "FINAL_INCLUDE"}, "PATHWAY_AVAILABLE"),
    ({"503a_list": "ABSENT"}, "NO_PATHWAY"),
    ({"503b": "LISTED"}, "UNKNOWN"),
]


@pytest.mark.parametrize(("states", "expected"), SUMMARY)
def test_summary_rules(states: dict[str, str], expected: str) -> None:
    summary = summarize(states)
    assert summary.state == expected
    assert summary.reason.endswith(".")


def test_a_vote_for_inclusion_is_never_shown_as_permission() -> None:
    summary = summarize({"pcac": "VOTED_FOR", "503a_category": "NONE"})
    assert summary.state != "PATHWAY_AVAILABLE"
    assert "not on the 503A bulks list until a final rule" in summary.reason


def test_alert_names_substance_and_new_state_in_words() -> None:
    view = EventView(7, "status", "critical", "Thymosin alpha-1", "pcac", "SCHEDULED", "VOTED_AGAINST",
                     "…", "The committee voted 4 yes, 17 no.", "https://www.fda.gov/media/185642/download",
                     datetime(2024, 12, 20, 15, 0), 3, "thymosin-alpha-1")
    alert = render(view, "https://rw.example", "regwatch-7-mail")
    assert alert.title == "[regwatch] Thymosin alpha-1: PCAC voted against inclusion"
    for part in ("Was: Scheduled for an advisory committee (PCAC) meeting [SCHEDULED]",
                 "Now: PCAC voted against inclusion [VOTED_AGAINST]", "“The committee voted 4 yes, 17 no.”",
                 "Source: https://www.fda.gov/media/185642/download", "Observed: 2024-12-20 15:00 UTC",
                 "Diff: https://rw.example/changes/3", "Dashboard: https://rw.example/substances/thymosin-alpha-1",
                 "key regwatch-7-mail"):
        assert part in alert.body
