"""Thymosin alpha-1's real history (DOMAIN.md §1) as dated versions of each source.

Each step says what every source serves from then on, and which status transitions the
real pipeline must report for it. The documents are the project's fixtures (real FDA
excerpts in fda.gov chrome, and synthetic documents faithful to the published ones).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.demo.pdf import text_pdf

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures"

CATEGORIES = "/media/94155/download"
CATEGORY2 = ("/drugs/human-drug-compounding/"
             "certain-bulk-drug-substances-use-compounding-may-present-significant-safety-risks")
FR_QUERY = ("/api/v1/documents.json?conditions[term]=%22Pharmacy+Compounding+Advisory+Committee%22"
            "&conditions[type][]=NOTICE&order=newest&per_page=20")
ECFR_VERSIONS = "/api/versioner/v1/versions/title-21.json?part=216&section=216.23"
MEETING = ("/advisory-committees/advisory-committee-calendar/"
           "updated-meeting-time-and-public-participation-information-december-4-2024-meeting-pharmacy")
MINUTES = "/media/185642/download"
HTML = "text/html; charset=utf-8"
PDF = "application/pdf"
JSON = "application/json"

Body = tuple[bytes, str]


def _read(rel: str) -> str:
    return (FIXTURES / rel).read_text(encoding="utf-8")


def pdf_from_text(rel: str) -> Body:
    """A text fixture as a PDF (comment and layout-marker lines dropped, as fixturegen does)."""
    lines = [ln for ln in _read(rel).splitlines() if not ln.startswith(("#", "=== "))]
    title = next((ln.strip() for ln in lines if ln.strip()), "")
    return text_pdf("\n".join(lines), title), PDF


def html(rel: str, *swaps: tuple[str, str]) -> Body:
    """An HTML fixture, with optional literal substitutions (a later edit of the same page)."""
    text = _read(rel)
    for old, new in swaps:
        if old not in text:
            raise ValueError(f"demo history: {old!r} not found in {rel}")
        text = text.replace(old, new)
    return text.encode(), HTML


def fr_notices(as_of: str) -> Body:
    """The PCAC-notice query as the Federal Register would have answered it on `as_of`."""
    data: dict[str, Any] = json.loads(_read("federal_register/pcac-notices.json"))
    results = [r for r in data["results"] if r["publication_date"] <= as_of]
    if not results:
        # A zero-hit answer has no `results` key at all (DOMAIN.md §2.5).
        return json.dumps({"description": data["description"], "count": 0}).encode(), JSON
    answer = {**data, "count": len(results), "results": results, "total_pages": 1}
    return json.dumps(answer).encode(), JSON


@dataclass(frozen=True)
class Expect:
    """A status transition the step must produce."""

    track: str
    old: str | None
    new: str


@dataclass(frozen=True)
class Step:
    """One dated moment: what changes on the sources, and what regwatch must say."""

    date: str
    title: str
    routes: dict[str, Callable[[], Body]] = field(default_factory=dict)
    walled: frozenset[str] = frozenset()
    add_targets: tuple[str, ...] = ()
    expect: tuple[Expect, ...] = ()
    expect_baselines: tuple[Expect, ...] = ()


def meeting_with_materials(extra_rows: str = "") -> Body:
    """The Dec 4 2024 meeting page with the real materials table (plus `extra_rows`) posted on it."""
    materials = _read("fda/pcac-2024-12-04-materials.html")
    table = materials[materials.index('<table class="table table-striped">'):materials.index("</table>") + 8]
    table = table.replace("</tbody>", extra_rows + "</tbody>")
    page = _read("fda/pcac-2024-12-04-agenda.html")
    marker = "<h2>Meeting Materials</h2>"
    start = page.index(marker) + len(marker)
    end = page.index("<h2>", start)
    return (page[:start] + "\n" + table + "\n" + page[end:]).encode(), HTML


# SYNTHETIC: the Oct 29, 2024 PCAC notice (FR 2024-21241) in the FR plain-text layout; the agenda
# follows DOMAIN.md §1 (thymosin alpha-1 was not on it).
OCT_2024_NOTICE = """[Federal Register Volume 89, Number 181 (Wednesday, September 18, 2024)]
[Notices]
[FR Doc No: 2024-21241]
DEPARTMENT OF HEALTH AND HUMAN SERVICES
Food and Drug Administration
AGENCY: Food and Drug Administration, HHS.
ACTION: Notice.
SUMMARY: The Food and Drug Administration announces a forthcoming public advisory committee meeting of the
Pharmacy Compounding Advisory Committee.
DATES: The meeting will be held on October 29, 2024, from 8:30 a.m. to 4:30 p.m. Eastern Time.
Agenda: The Committee will discuss the following bulk drug substances nominated for inclusion on the 503A
Bulks List: ibutamoren mesylate, L-theanine, ipamorelin acetate and ipamorelin free base, and kisspeptin-10.
"""

_MINUTES_ROW = ('<tr><td><a href="/media/185642/download">December 4, 2024 Meeting of the Pharmacy Compounding '
                'Advisory Committee- Final Summary Minutes</a></td></tr>\n')

STEPS: tuple[Step, ...] = (
    Step("2023-09-29", "FDA places thymosin alpha-1 in 503A Category 2",
         routes={CATEGORIES: lambda: pdf_from_text("categories/2023-09-29-ta1-cat2.txt"),
                 CATEGORY2: lambda: html("fda/category2-legacy-2024-06-ta1.html"),
                 FR_QUERY: lambda: fr_notices("2023-09-29"),
                 "/documents/full_text/": lambda: (OCT_2024_NOTICE.encode(), "text/plain"),
                 ECFR_VERSIONS: lambda: ((FIXTURES / "ecfr/versions-216.23.json").read_bytes(), JSON),
                 "/api/versioner/v1/full/": lambda: ((FIXTURES / "ecfr/216.23-2025-01.xml").read_bytes(),
                                                     "application/xml")},
         expect_baselines=(Expect("503a_category", None, "CAT2"), Expect("503a_list", None, "ABSENT"))),
    Step("2024-09-27", "Nominations withdrawn: thymosin alpha-1 leaves Category 2",
         routes={CATEGORIES: lambda: pdf_from_text("categories/2024-09-27-ta1-withdrawn.txt"),
                 CATEGORY2: lambda: html("fda/category2-2024-11-ta1-other-risks.html")},
         expect=(Expect("503a_category", "CAT2", "NONE"),)),
    Step("2024-10-25", "Federal Register notice 2024-24828 schedules the Dec 4, 2024 PCAC",
         routes={FR_QUERY: lambda: fr_notices("2024-10-25"),
                 "/documents/full_text/text/2024/10/25/2024-24828.txt":
                     lambda: html("federal_register/2024-24828.htm")},
         expect=(Expect("pcac", None, "SCHEDULED"),)),
    Step("2024-11-08", "FDA posts the meeting page; the operator adds it as a target",
         routes={MEETING: lambda: html("fda/pcac-2024-12-04-agenda.html")},
         add_targets=("pcac-2024-12-04",)),
    Step("2024-12-02", "FDA posts its briefing documents: it recommends against inclusion",
         routes={MEETING: lambda: meeting_with_materials(),
                 "/media/183820/download": lambda: pdf_from_text("fda/pcac-2024-12-04-briefing-ta1.txt"),
                 "/media/183819/download": lambda: pdf_from_text("fda/pcac-2024-12-04-briefing-cjc1295.txt"),
                 "/media/": lambda: (text_pdf("FDA Briefing Document - Introduction\nDecember 4, 2024"), PDF)},
         expect=(Expect("pcac", "SCHEDULED", "FDA_RECOMMENDS_NOT_INCLUDE"),)),
    Step("2025-01-21", "Final summary minutes: PCAC voted against inclusion",
         routes={MEETING: lambda: meeting_with_materials(_MINUTES_ROW),
                 MINUTES: lambda: pdf_from_text("fda/pcac-2024-12-04-minutes.txt")},
         expect=(Expect("pcac", "FDA_RECOMMENDS_NOT_INCLUDE", "VOTED_AGAINST"),)),
    Step("2025-05-14", "Noise only: new 'Updated' and 'Content current as of' dates",
         routes={CATEGORIES: lambda: pdf_from_text("categories/2024-11-15-date-only.txt"),
                 CATEGORY2: lambda: html("fda/category2-2024-11-ta1-other-risks.html",
                                         ('datetime="2024-11-15T14:03:11Z">11/15/2024',
                                          'datetime="2025-05-14T09:12:40Z">05/14/2025'))}),
    Step("2025-07-01", "FDA's CDN answers with a bot wall (HTTP 200)",
         walled=frozenset({CATEGORIES, CATEGORY2})),
    Step("2026-04-16", "FR notice 2026-07361: the July 2026 PCAC reviews seven other peptides",
         routes={FR_QUERY: lambda: fr_notices("2026-04-16"),
                 "/documents/full_text/text/2026/04/16/2026-07361.txt":
                     lambda: html("federal_register/2026-07361.txt")}),
)


def demo_targets(base: str) -> list[dict[str, Any]]:
    """The watch list the demo starts with, plus the meeting page it adds later."""
    return [
        {"id": "fda-503a-categories", "name": "FDA 503A categories file", "url": base + CATEGORIES,
         "parser": "fda_categories", "every": "6h", "substances": ["thymosin-alpha-1"]},
        {"id": "fda-category2-page", "name": "FDA Category 2 safety-risk page", "url": base + CATEGORY2,
         "parser": "fda_category2_page", "every": "6h", "substances": ["thymosin-alpha-1"]},
        {"id": "federal-register-pcac-notices", "name": "Federal Register PCAC notices", "url": base + FR_QUERY,
         "parser": "federal_register", "every": "6h", "substances": ["thymosin-alpha-1"],
         "options": {"term_query": False, "max_pages": 1}},
        {"id": "ecfr-216-23", "name": "eCFR 21 CFR 216.23", "url": base + ECFR_VERSIONS, "parser": "ecfr_section",
         "every": "1d", "substances": ["thymosin-alpha-1"]},
        {"id": "pcac-2024-12-04", "name": "PCAC meeting of December 4, 2024", "url": base + MEETING,
         "parser": "pcac_meeting", "every": "1d", "substances": ["thymosin-alpha-1"],
         "follow": [r"/media/\d+/download"], "enabled": False},
    ]
