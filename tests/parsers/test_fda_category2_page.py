"""fda_category2_page: one row per fixture → the expected readings and mentions, or the expected error."""

from __future__ import annotations

from typing import Any

import pytest

from monitor.assess import mention_changes
from monitor.errors import DocumentInvalid
from monitor.matching import SubstanceMatcher
from monitor.parsers import PARSERS
from monitor.parsers.base import ParseResult
from tests.support.fda_docs import Subs, fda_document

TA1 = "thymosin-alpha-1"
URL = "https://www.fda.gov/drugs/human-drug-compounding/certain-bulk-drug-substances-use-compounding-may-present-significant-safety-risks"
LEGACY = "fda/category2-legacy-2024-06-ta1.html"
TA1_ROW = "<td>Thymosin Alpha-1 (Ta1)</td><td>503A</td>"
CURRENT_HEADER = ('<th scope="col">Bulk drug substance</th><th scope="col">503A category 2, 503B category 2, or both</th>'
                  '<th scope="col">Date added to category 2</th><th scope="col">Potential significant safety risks</th>')
LEGACY_HEADER = ("<th>Category 2 substance</th><th>Nominated with sufficient information under 503A or 503B or both</th>"
                 "<th>Date added to Category 2</th><th>Safety risks</th>")


def _parse(fixture: str, matchers: list[SubstanceMatcher], subs: Subs = (), **options: Any) -> ParseResult:
    spec = PARSERS["fda_category2_page"]
    return spec.func(fda_document(fixture, URL, subs), matchers, spec.options.model_validate(options))


# (fixture, substitutions, {(track, program, date_added)}, {mention refs}, text the quotes must contain)
ROWS: list[tuple[str, Subs, set[tuple[str, str, str]], set[str], str]] = [
    # Legacy title and header ("Category 2 substance | Nominated with sufficient information…"), no caption.
    (LEGACY, (), {("503a_category", "503A", "2023-09-29")}, {"category2-table"}, "Thymosin Alpha-1 (Ta1) | 503A"),
    # Current caption and header; a (hypothetical) "Both" row reads on 503A and 503B.
    ("fda/category2-hypothetical-ta1-both.html", (),
     {("503a_category", "both", "2023-09-29"), ("503b", "both", "2023-09-29")}, {"category2-table"},
     "Thymosin alpha-1 acetate | Both"),
    # Ta1 left the table (Sept 2024): no reading at all, only the other-risks mention.
    ("fda/category2-2024-11-ta1-other-risks.html", (), set(), {"other-risks"}, "thymosin alpha-1 (Ta1) and Selank"),
    # The same section without its heading: found by its lead paragraph ("… not in category 2 …").
    ("fda/category2-2024-11-ta1-other-risks.html",
     (("<h2>Other bulk drug substances that may present significant safety risks</h2>", ""),), set(), {"other-risks"},
     "thymosin alpha-1 (Ta1) and Selank"),
    # A Ta1 sentence in the page's prose (outside table and section): a per-sentence mention, no reading.
    ("fda/category2-lookalikes-only.html",
     (("as it receives new information.</p>", "as it receives new information. Thymosin alpha-1 (Ta1) left "
       "category 2 on September 27, 2024.</p>"),), set(), {"page-"}, "Thymosin alpha-1 (Ta1) left category 2"),
    # Look-alikes only: TB-500 / thymosin beta-4 rows, thymalin and thymol iodide in prose.
    ("fda/category2-lookalikes-only.html", (), set(), set(), ""),
    # Captioned table with unrecognizable header words: columns fall back to their positions.
    ("fda/category2-hypothetical-ta1-both.html", ((CURRENT_HEADER, "<th>A</th><th>B</th><th>C</th><th>D</th>"),),
     {("503a_category", "both", "2023-09-29"), ("503b", "both", "2023-09-29")}, {"category2-table"},
     "Thymosin alpha-1 acetate"),
    # A date written out in words is still read as ISO.
    (LEGACY, ((TA1_ROW + "<td>9/29/2023</td>", TA1_ROW + "<td>September 29, 2023</td>"),),
     {("503a_category", "503A", "2023-09-29")}, {"category2-table"}, "September 29, 2023"),
]
BROKEN: list[tuple[str, Subs, str]] = [
    ("fda/category2-empty-table.html", (), "only 0 row"),
    ("fda/category2-no-table.html", (), "no table captioned"),
    ("fda/bot-access-denied.html", (), "no FDA main-content markers"),
    ("fda/site-error.html", (), "FDA error page"),
    ("fda/hub-503a.html", (), "not the Category 2 safety-risk page"),
    ("fda/pcac-2024-12-04-agenda.html", (), "not the Category 2 safety-risk page"),
    (LEGACY, ((TA1_ROW, "<td>Thymosin Alpha-1 (Ta1)</td><td>see note</td>"),), "no readable program"),
    # Neither a caption nor a header naming Category 2: the table cannot be told from any other.
    (LEGACY, ((LEGACY_HEADER, "<th>A</th><th>B</th><th>C</th><th>D</th>"),), "no table captioned"),
]


@pytest.mark.parametrize(("fixture", "subs", "readings", "refs", "quoted"), ROWS)
def test_reads_category2_table(fixture: str, subs: Subs, readings: set[tuple[str, str, str]], refs: set[str],
                               quoted: str, matchers: list[SubstanceMatcher]) -> None:
    result = _parse(fixture, matchers, subs)
    obs = [o for o in result.observations if o.substance == TA1]
    assert {(o.track, o.detail["program"], o.detail["date_added"]) for o in obs} == readings
    assert all(o.state == "CAT2" and not o.from_absence and quoted in o.evidence for o in obs)
    mentions = [m for m in result.mentions if m.substance == TA1]
    assert {m.ref[:5] if m.ref.startswith("page-") else m.ref for m in mentions} == refs
    assert all(quoted in m.quote for m in mentions)


@pytest.mark.parametrize(("fixture", "subs", "message"), BROKEN)
def test_refuses_pages_it_cannot_trust(fixture: str, subs: Subs, message: str, matchers: list[SubstanceMatcher]) -> None:
    with pytest.raises(DocumentInvalid, match=message):
        _parse(fixture, matchers, subs)


def test_min_rows_option_guards_a_shrunken_table(matchers: list[SubstanceMatcher]) -> None:
    _parse(LEGACY, matchers, min_rows=19)
    with pytest.raises(DocumentInvalid, match=r"only 19 row\(s\) \(at least 20 expected\)"):
        _parse(LEGACY, matchers, min_rows=20)


def test_row_leaving_the_table_is_a_document_event(matchers: list[SubstanceMatcher]) -> None:
    before = _parse(LEGACY, matchers).mentions
    after = _parse("fda/category2-2024-11-ta1-other-risks.html", matchers).mentions
    changes = {(c.change, c.mention.ref) for c in mention_changes(before, after)}
    assert changes == {("removed", "category2-table"), ("appeared", "other-risks")}
