"""Substance matching for thymosin alpha-1: spellings that must and must not match, and a property test.

The property: a never-match name, in any spelling the normalizer treats as the same name
(random case, hyphen / space / no separator between its words, α for alpha, β for beta),
with any text around it, never yields a thymosin alpha-1 mention overlapping that name.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from monitor.matching import SubstanceMatcher, context, fold

TA1 = "thymosin-alpha-1"

MUST_MATCH = [
    ("Thymosin Alpha-1 (Ta1)", "Thymosin Alpha-1"),
    ("thymosin α1", "thymosin α1"),
    ("THYMOSIN-ALPHA 1", "THYMOSIN-ALPHA 1"),
    ("thymosin alpha-1-related bulk drug substances", "thymosin alpha-1-related bulk drug substances"),
    ("thymalfasin", "thymalfasin"),
    ("Zadaxin", "Zadaxin"),
    ("Tα1", "Tα1"),
    ("thymosin alpha-1 acetate and thymosin alpha-1 (free base)", "thymosin alpha-1 acetate"),
    ("Thymosin alpha 1 (CAS 62304-98-7)", "Thymosin alpha 1"),
    ("discussed thymosin alpha-1, not thymosin beta-4", "thymosin alpha-1"),
]
MUST_NOT_MATCH = [
    "thymosin beta-4",
    "Thymosin beta-4, fragment (LKKTETQ)",
    "TB-500",
    "thymalin",
    "thymosin fraction 5",
    "prothymosin alpha",
    "thymulin",
    "thymopentin",
    "thymol iodide",
    "thymosin alpha-11",
    "Thymol iodide (for topical use only).",
    "thymosin β4 and TB-500 (thymosin beta-4, fragment (LKKTETQ))",
]


@pytest.fixture(scope="module")
def ta1(matchers: list[SubstanceMatcher]) -> SubstanceMatcher:
    (matcher,) = [m for m in matchers if m.id == TA1]
    return matcher


@pytest.mark.parametrize(("text", "first"), MUST_MATCH)
def test_spellings_that_must_match(text: str, first: str, ta1: SubstanceMatcher) -> None:
    found = ta1.mentions(text)
    assert found, text
    assert found[0].text.startswith(first)
    assert text[found[0].start:found[0].end] == found[0].text
    assert first in context(text, found[0])


@pytest.mark.parametrize("text", MUST_NOT_MATCH)
def test_spellings_that_must_not_match(text: str, ta1: SubstanceMatcher) -> None:
    assert ta1.mentions(text) == []


# Names that are never thymosin alpha-1: the shipped exclude list plus a longer numeral.
NEVER = (
    "thymosin beta-4", "Thymosin beta-4, fragment (LKKTETQ)", "TB-500", "thymalin", "thymosin fraction 5",
    "prothymosin alpha", "thymulin", "thymopentin", "thymol iodide", "thymosin alpha-11",
)
# Separators the normalizer folds to one space, and none at all.
SEPARATORS = ("", " ", "-", "  ", "\u2010", "\u2011", "\u2013", "\u00a0", "_", "/", ".")
GREEK = {"alpha": ("alpha", "α", "Α"), "beta": ("beta", "β", "Β")}
# Text around the name: characters and fragments that could glue onto it (letters, digits, Greek, words).
SURROUNDING = st.lists(st.sampled_from([*"abtTα1β4 -,.;()\n", "Tα1", " and ", "thymosin ", "alpha ", "pro"]),
                       max_size=6).map("".join)


@st.composite
def never_match_spellings(draw: st.DrawFn) -> tuple[str, int, int]:
    """(text, start, end): a never-match name respelled, with surrounding text, and its span."""
    name = draw(st.sampled_from(NEVER))
    words = re.split(r"[ -]", name)
    out = ""
    for i, word in enumerate(words):
        if i:
            out += draw(st.sampled_from(SEPARATORS))
        if word.lower() in GREEK:
            word = draw(st.sampled_from(GREEK[word.lower()]))
        out += "".join(c.upper() if draw(st.booleans()) else c.lower() for c in word)
    prefix, suffix = draw(SURROUNDING), draw(SURROUNDING)
    return prefix + out + suffix, len(prefix), len(prefix) + len(out)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=never_match_spellings())
@example(case=("Thymosinβ-4 ", 0, 11))
@example(case=("PROTHYMOSIN Α1", 0, 13))
@example(case=("thymosin ALPHA-11", 0, 17))
def test_never_match_names_never_yield_thymosin_alpha_1(case: tuple[str, int, int], ta1: SubstanceMatcher) -> None:
    text, start, end = case
    overlapping = [m for m in ta1.mentions(text) if m.start < end and start < m.end]
    assert overlapping == [], f"{text!r}: never-match name at [{start}:{end}] read as {overlapping}"


def _fold_by_character(text: str) -> tuple[str, list[int]]:
    """The first implementation of `fold`, one character at a time: the specification the
    token-based one must keep (kept here as the oracle, not in monitor/)."""
    greek = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "κ": "kappa", "μ": "mu", "ω": "omega",
             "Α": "alpha", "Β": "beta"}
    out: list[str] = []
    origin: list[int] = []

    def put(ch: str, at: int) -> None:
        if ch == " ":
            if not out or out[-1] == " ":
                return
        elif out and out[-1] != " " and (out[-1].isdigit() != ch.isdigit()):
            out.append(" ")
            origin.append(at)
        out.append(ch)
        origin.append(at)

    for i, raw in enumerate(text):
        if raw in greek:
            put(" ", i)
            for ch in greek[raw]:
                put(ch, i)
            put(" ", i)
            continue
        ch = unicodedata.normalize("NFKD", raw)[:1].lower() if raw.isalnum() else " "
        put(ch if ch.isascii() and ch.isalnum() else (raw.lower() if ch.isalnum() else " "), i)
    while out and out[-1] == " ":
        out.pop()
        origin.pop()
    return "".join(out), origin


_TEXTISH = st.text(alphabet=st.sampled_from(
    [*"Thymosin alpha-1 αβΑΒμ TA1 Zadaxin® thymalfasin (503A) 1-2, é É ñ ü ² ½ ٣ ß İ \n\t_.;", "\ue000", "ﬁ"]),
    max_size=80)


@settings(max_examples=400, deadline=None)
@given(_TEXTISH)
@example("Thymosin α1 (TA1), THYMOSIN-ALPHA 1; thymosin\u00a0alpha\u20111 ² ½")
def test_fold_is_the_character_by_character_fold(text: str) -> None:
    folded = fold(text)
    want_text, want_origin = _fold_by_character(text)
    assert folded.text == want_text
    # Offsets of letters and digits (what evidence quotes) agree; a separating space has none.
    assert [folded.source(i) for i, c in enumerate(folded.text) if c != " "] == \
        [o for o, c in zip(want_origin, want_text, strict=True) if c != " "]
