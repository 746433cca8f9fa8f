"""pcac_index / pcac_meeting: one row per fixture → the expected pcac readings and mentions, or the error."""

from __future__ import annotations

from typing import Any

import pytest

from monitor.assess import Current, transitions
from monitor.errors import DocumentInvalid
from monitor.matching import SubstanceMatcher
from monitor.parsers import PARSERS
from monitor.parsers.base import ParseResult
from monitor.parsers.pcac_pdf import meeting_date
from tests.support.fda_docs import Subs, fda_document

TA1 = "thymosin-alpha-1"
CAL = "https://www.fda.gov/advisory-committees/advisory-committee-calendar/"
DEC = CAL + "updated-meeting-time-and-public-participation-information-december-4-2024-meeting-pharmacy"
OCT = CAL + "october-29-2024-meeting-pharmacy-compounding-advisory-committee-10292024"
JUL = CAL + "july-23-24-2026-meeting-pharmacy-compounding-advisory-committee-07232026"
COMMITTEE = "https://www.fda.gov/advisory-committees/human-drug-advisory-committees/pharmacy-compounding-advisory-committee"
YEAR_2024 = ("https://www.fda.gov/advisory-committees/pharmacy-compounding-advisory-committee/"
             "2024-meeting-materials-pharmacy-compounding-advisory-committee")
BRIEFING_URL = "https://www.fda.gov/media/183820/download"
MINUTES_URL = "https://www.fda.gov/media/185642/download"
AGENDA = "fda/pcac-2024-12-04-agenda.html"
BRIEFING = "fda/pcac-2024-12-04-briefing-ta1.txt"
MINUTES = "fda/pcac-2024-12-04-minutes.txt"
PROPOSE_NOT = ("Accordingly, we propose not adding thymosin alpha-1 (free base) or thymosin alpha-1 acetate to the "
               "503A Bulks List.")
WEIGH_AGAINST = "weigh against them being added"
TA1_TALLY = "Yes = 4, No = 17, Abstain = 0"
AGENDA_SENTENCE = "The Committee will discuss the following bulk drug substances being considered for inclusion"


def _parse(parser: str, fixture: str, url: str, matchers: list[SubstanceMatcher], subs: Subs = ()) -> ParseResult:
    spec = PARSERS[parser]
    return spec.func(fda_document(fixture, url, subs), matchers, spec.options.model_validate({}))


# (parser, fixture, url, substitutions, expected Ta1 readings: (state, {detail subset}), mention refs)
ROWS: list[tuple[str, str, str, Subs, list[tuple[str, dict[str, Any]]], set[str]]] = [
    # Meeting page with the agenda sentence and the "use(s) FDA reviewed" chart.
    ("pcac_meeting", AGENDA, DEC, (), [("SCHEDULED", {"date": "2024-12-04", "source": "agenda"})], {"agenda"}),
    # The same page reached by following a link from an index target: same reading.
    ("pcac_index", AGENDA, DEC, (), [("SCHEDULED", {"date": "2024-12-04", "source": "agenda"})], {"agenda"}),
    # Ta1 dropped from agenda and chart: nothing read, though the "Updated Information" block still names it.
    ("pcac_meeting", AGENDA, DEC, (
        (", and thymosin alpha-1-related bulk drug substances (thymosin alpha-1 acetate and thymosin alpha-1 (free base))", ""),
        ("<tr><td>Thymosin alpha-1 acetate and thymosin alpha-1 (free base)</td><td>Various infections</td></tr>", "")),
     [], set()),
    # An agenda-like sentence inside the "Updated Information (as of …)" logistics block is noise.
    ("pcac_meeting", AGENDA, DEC, (
        (", and thymosin alpha-1-related bulk drug substances (thymosin alpha-1 acetate and thymosin alpha-1 (free base))", ""),
        ("<tr><td>Thymosin alpha-1 acetate and thymosin alpha-1 (free base)</td><td>Various infections</td></tr>", ""),
        ("The discussion of thymosin alpha-1-related bulk drug substances will begin after the lunch break.",
         AGENDA_SENTENCE + " on the 503A Bulks List after lunch: thymosin alpha-1-related bulk drug substances.")),
     [], set()),
    # No agenda sentence at all: still a meeting page (event box), nothing read.
    ("pcac_meeting", AGENDA, DEC, ((AGENDA_SENTENCE, "The Committee will meet"),), [], set()),
    # Real Dec 2024 materials table: the Ta1 briefing link (its own media URL as ref) puts it on that meeting.
    ("pcac_meeting", "fda/pcac-2024-12-04-materials.html", DEC, (),
     [("SCHEDULED", {"date": "2024-12-04", "source": "briefing document", "url": BRIEFING_URL})], {BRIEFING_URL}),
    ("pcac_meeting", "fda/pcac-2024-12-04-materials.html", DEC,
     (('href="/media/183820/download"', 'href="/media/183820/download?attachment"'),),
     [("SCHEDULED", {"date": "2024-12-04", "url": BRIEFING_URL})], {BRIEFING_URL}),
    # Real materials of the other meetings (ipamorelin…; BPC-157, TB-500…): nothing about Ta1.
    ("pcac_meeting", "fda/pcac-2024-10-29-materials.html", OCT, (), [], set()),
    ("pcac_meeting", "fda/pcac-2026-07-23-materials.html", JUL, (), [], set()),
    # Index pages: mentions only, never a reading.
    ("pcac_index", "fda/pcac-2024-materials-index.html", YEAR_2024, (), [], set()),
    ("pcac_index", "fda/pcac-committee-2024-11.html", COMMITTEE, (), [], {"page-"}),
    ("pcac_index", "fda/pcac-committee-2026-08.html", COMMITTEE, (), [], set()),
    # Briefing: FDA's position, dated by the meeting on the cover (not the memo's "DATE: 11/5/2024").
    ("pcac_meeting", BRIEFING, BRIEFING_URL, (),
     [("FDA_RECOMMENDS_NOT_INCLUDE", {"date": "2024-12-04", "subject": "Thymosin Alpha-1"})], {"briefing"}),
    ("pcac_index", BRIEFING, BRIEFING_URL, (), [("FDA_RECOMMENDS_NOT_INCLUDE", {"date": "2024-12-04"})], {"briefing"}),
    ("pcac_meeting", BRIEFING, BRIEFING_URL, ((PROPOSE_NOT, "FDA will present its evaluation to the committee."),),
     [("FDA_RECOMMENDS_NOT_INCLUDE", {"date": "2024-12-04"})], {"briefing"}),
    ("pcac_meeting", BRIEFING, BRIEFING_URL,
     ((WEIGH_AGAINST, "weigh in favor of them being added"),
      (PROPOSE_NOT, "Accordingly, we recommend that thymosin alpha-1 acetate be placed on the 503A Bulks List.")),
     [("FDA_RECOMMENDS_INCLUDE", {"date": "2024-12-04"})], {"briefing"}),
    ("pcac_meeting", BRIEFING, BRIEFING_URL, (("III. CONCLUSION AND RECOMMENDATION", "III. Conclusion and Recommendation"),),
     [("FDA_RECOMMENDS_NOT_INCLUDE", {"date": "2024-12-04"})], {"briefing"}),
    # Another substance's briefing that names Ta1 in passing: a mention, no position for Ta1.
    ("pcac_meeting", "fda/pcac-2024-12-04-briefing-cjc1295.txt", "https://www.fda.gov/media/183819/download", (),
     [], {"document"}),
    # Minutes: the vote on the question that names Ta1 (not the one whose discussion mentions it).
    ("pcac_meeting", MINUTES, MINUTES_URL, (),
     [("VOTED_AGAINST", {"date": "2024-12-04", "yes": 4, "no": 17, "abstain": 0})], {"minutes"}),
    ("pcac_meeting", MINUTES, MINUTES_URL, ((TA1_TALLY, "Yes: 4 No: 17 Abstain: 0"),),
     [("VOTED_AGAINST", {"yes": 4, "no": 17, "abstain": 0})], {"minutes"}),
    ("pcac_meeting", MINUTES, MINUTES_URL, ((TA1_TALLY, "Yes = 17, No = 4, Abstain = 0"),),
     [("VOTED_FOR", {"date": "2024-12-04", "yes": 17, "no": 4})], {"minutes"}),
]
BROKEN: list[tuple[str, str, str, Subs, str]] = [
    ("pcac_meeting", "fda/pcac-committee-2024-11.html", COMMITTEE, (), "expected a PCAC meeting page"),
    ("pcac_meeting", "fda/pcac-meeting-empty.html", DEC, (), "no event box, agenda or meeting materials"),
    ("pcac_index", "fda/pcac-meeting-empty.html", DEC, (), "no event box, agenda or meeting materials"),
    ("pcac_index", "fda/pcac-committee-2026-08.html", COMMITTEE,
     (("advisory-committee-calendar", "calendar"), ("meeting-materials", "materials")), "links to no meeting"),
    ("pcac_meeting", "fda/bot-access-denied.html", DEC, (), "no FDA main-content markers"),
    ("pcac_index", "fda/site-error.html", COMMITTEE, (), "FDA error page"),
    ("pcac_index", "fda/category2-2024-11-ta1-other-risks.html", COMMITTEE, (), "not a Pharmacy Compounding"),
    ("pcac_meeting", AGENDA, DEC, (("December 4, 2024", "(date to be announced)"),), "no meeting date"),
    ("pcac_meeting", BRIEFING, BRIEFING_URL, (("December 4, 2024", "(date to be announced)"),), "no meeting date"),
    ("pcac_meeting", BRIEFING, BRIEFING_URL,
     ((PROPOSE_NOT, "FDA will present its evaluation."), (WEIGH_AGAINST, "are summarized above")), "no position phrase"),
    ("pcac_meeting", BRIEFING, BRIEFING_URL, (("III. CONCLUSION AND RECOMMENDATION", "III. SUMMARY"),),
     "no CONCLUSION AND RECOMMENDATION"),
    ("pcac_meeting", MINUTES, MINUTES_URL, (("Yes = ", "Yes votes "),), "no vote tally"),
]


@pytest.mark.parametrize(("parser", "fixture", "url", "subs", "readings", "refs"), ROWS)
def test_reads_pcac_documents(parser: str, fixture: str, url: str, subs: Subs, readings: list[tuple[str, dict[str, Any]]],
                              refs: set[str], matchers: list[SubstanceMatcher]) -> None:
    result = _parse(parser, fixture, url, matchers, subs)
    obs = [o for o in result.observations if o.substance == TA1]
    assert [o.state for o in obs] == [state for state, _ in readings]
    for o, (_, detail) in zip(obs, readings, strict=True):
        assert o.track == "pcac" and not o.from_absence
        assert {k: o.detail.get(k) for k in detail} == detail
        assert "thymosin alpha-1" in o.evidence.lower()
    mentions = [m for m in result.mentions if m.substance == TA1]
    assert {m.ref[:5] if m.ref.startswith("page-") else m.ref for m in mentions} == refs
    assert all("thymosin alpha-1" in m.quote.lower() for m in mentions)


@pytest.mark.parametrize(("parser", "fixture", "url", "subs", "message"), BROKEN)
def test_refuses_documents_it_cannot_trust(parser: str, fixture: str, url: str, subs: Subs, message: str,
                                           matchers: list[SubstanceMatcher]) -> None:
    with pytest.raises(DocumentInvalid, match=message):
        _parse(parser, fixture, url, matchers, subs)


def test_vote_evidence_quotes_the_question_and_tally(matchers: list[SubstanceMatcher]) -> None:
    (obs,) = _parse("pcac_meeting", MINUTES, MINUTES_URL, matchers).observations
    assert obs.evidence.startswith("3. VOTE: FDA is proposing that thymosin alpha-1 acetate")
    assert obs.evidence.endswith("Vote: Yes = 4, No = 17, Abstain = 0")
    assert "AOD-9604" not in obs.detail["question"]


def test_page_still_saying_scheduled_never_undoes_the_vote(matchers: list[SubstanceMatcher]) -> None:
    """The meeting page, briefing and minutes carry the same meeting date, so assess orders them by stage."""
    page, briefing, minutes = (
        _parse("pcac_meeting", f, u, matchers).observations[0]
        for f, u in ((AGENDA, DEC), (BRIEFING, BRIEFING_URL), (MINUTES, MINUTES_URL)))
    assert page.detail["date"] == briefing.detail["date"] == minutes.detail["date"]
    voted = {(TA1, "pcac"): Current("VOTED_AGAINST", minutes.detail)}
    assert transitions(voted, [page]) == []
    assert transitions(voted, [briefing]) == []
    scheduled = {(TA1, "pcac"): Current("SCHEDULED", page.detail)}
    assert [t.observation.state for t in transitions(scheduled, [minutes])] == ["VOTED_AGAINST"]


@pytest.mark.parametrize(("cover", "date"), [
    ("FDA Briefing Document\nPharmacy Compounding Advisory Committee (PCAC)\nMeeting\n\nJuly 23 - 24, 2026", "2026-07-23"),
    ("FDA Briefing Document\nDATE: 11/5/2024\nPCAC Meeting\nDecember 4, 2024", "2024-12-04"),
    ("Summary minutes approved on January 17, 2025, for the\nDec. 4, 2024 meeting of the committee", "2024-12-04"),
    ("Approved January 17, 2025", "2025-01-17"),
    ("Meeting on February 30, 2024 (impossible) and DATE: 11/5/2024", None),
])
def test_meeting_date_on_a_pdf_cover(cover: str, date: str | None) -> None:
    assert meeting_date(cover) == date
