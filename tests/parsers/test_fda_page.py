"""fda_page: one row per fixture → the expected mentions (never a reading), or the expected error."""

from __future__ import annotations

import pytest

from monitor.assess import mention_changes
from monitor.errors import DocumentInvalid
from monitor.matching import SubstanceMatcher
from monitor.parsers import PARSERS, Document
from monitor.parsers.base import ParseResult
from tests.support.fda_docs import Subs, fda_document

TA1 = "thymosin-alpha-1"
URL = "https://www.fda.gov/drugs/human-drug-compounding/bulk-drug-substances-used-compounding-under-section-503a-fdc-act"
COVID = "fda/covid-compounding-2021.html"
LETTER = "fda/warning-letter-ta1.html"


def _parse(fixture: str, matchers: list[SubstanceMatcher], subs: Subs = ()) -> ParseResult:
    spec = PARSERS["fda_page"]
    return spec.func(fda_document(fixture, URL, subs), matchers, spec.options.model_validate({}))


# (fixture, substitutions, the Ta1 context sentences expected, each by a phrase it must contain)
ROWS: list[tuple[str, Subs, list[str]]] = [
    # Real warning-letter article markup: no Ta1 (negative base) …
    ("fda/warning-letter-citra100mg.html", (), []),
    # … and the same markup naming Ta1 beside BPC-157, TB-500, thymalin and thymosin beta-4.
    (LETTER, (), ["you offer thymosin alpha-1 (thymalfasin) injection", "is not a component of an FDA-approved drug product"]),
    (COVID, (), ["compounders are offering thymosin alpha-1 (Ta1)", "does not appear on the 503A bulks list"]),
    # Thymol iodide (216.23(a)), TB-500 and thymosin beta-4 pages never count as Ta1.
    ("fda/hub-503a.html", (), []),
    ("fda/category2-lookalikes-only.html", (), []),
    ("fda/pcac-2026-07-23-materials.html", (), []),
    # A PDF: one mention, its first context, read across the PDF's line breaks.
    ("fda/pcac-2024-12-04-briefing-cjc1295.txt", (), ["discussed at the same meeting as AOD-9604 and thymosin alpha-1"]),
]
BROKEN: list[tuple[str, Subs, str]] = [
    ("fda/bot-access-denied.html", (), "no FDA main-content markers"),
    ("fda/no-main-markers.html", (), "no FDA main-content markers"),
    ("fda/site-error.html", (), "FDA error page"),
    ("fda/pcac-meeting-empty.html", (('<table class="table table-striped">\n<tbody>\n</tbody>\n</table>', ""),
                                     ("<h2>Meeting Materials</h2>", "")), "no content beyond its title"),
]


@pytest.mark.parametrize(("fixture", "subs", "phrases"), ROWS)
def test_mentions_in_context(fixture: str, subs: Subs, phrases: list[str], matchers: list[SubstanceMatcher]) -> None:
    result = _parse(fixture, matchers, subs)
    assert result.observations == ()
    mentions = [m for m in result.mentions if m.substance == TA1]
    assert len(mentions) == len(phrases)
    for mention, phrase in zip(mentions, phrases, strict=True):
        assert phrase in mention.quote
    assert len({m.ref for m in mentions}) == len(mentions)


@pytest.mark.parametrize(("fixture", "subs", "message"), BROKEN)
def test_refuses_pages_without_fda_content(fixture: str, subs: Subs, message: str, matchers: list[SubstanceMatcher]) -> None:
    with pytest.raises(DocumentInvalid, match=message):
        _parse(fixture, matchers, subs)


def test_other_kinds_are_refused(matchers: list[SubstanceMatcher]) -> None:
    doc = Document(URL, "json", '{"a": 1}', b'{"a": 1}')
    with pytest.raises(DocumentInvalid, match="not json"):
        PARSERS["fda_page"].func(doc, matchers, PARSERS["fda_page"].options())


def test_refs_are_stable_and_rewording_shows(matchers: list[SubstanceMatcher]) -> None:
    base = _parse(COVID, matchers).mentions
    # Chrome and boilerplate changes (the "Content current as of" date) keep every ref.
    touched = _parse(COVID, matchers, (("02/26/2021", "03/01/2021"), ("2021-02-26T16:00:00Z", "2021-03-01T16:00:00Z")))
    assert touched.mentions == base
    reworded = _parse(COVID, matchers, (("some compounders are offering", "compounders offer"),)).mentions
    changes = sorted((c.change, c.mention.quote[:40]) for c in mention_changes(base, reworded))
    # One statement reworded: one change with the new wording, not "named in" plus "no longer named in".
    assert changes == [("changed", "FDA is aware that compounders offer thym")]
