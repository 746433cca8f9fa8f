"""Per-substance summary for clinics, from a rule table (DESIGN.md, 'Status model').

Rules are tried in order; the first whose track states all hold wins. Policy
statements and votes never read as legal permission: only a 216.23(a) listing, a final
rule, or Category 1 under FDA's interim policy gives PATHWAY_AVAILABLE.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from monitor.vocab import SUMMARY_LABELS


@dataclass(frozen=True)
class Rule:
    """When `track` is in one of `states`, the summary is `state` because of `reason`."""

    track: str
    states: frozenset[str]
    state: str
    reason: str


def _r(track: str, states: str, state: str, reason: str) -> Rule:
    return Rule(track, frozenset(states.split()), state, reason)


RULES: tuple[Rule, ...] = (
    _r("503a_list", "INCLUDED", "PATHWAY_AVAILABLE", "Listed in 21 CFR 216.23(a): may be compounded under section 503A."),
    _r("rulemaking", "FINAL_INCLUDE", "PATHWAY_AVAILABLE", "A final rule adds it to the 503A bulks list."),
    _r("503a_list", "NOT_INCLUDED", "NO_PATHWAY", "Listed in 21 CFR 216.23(b): FDA decided not to include it."),
    _r("rulemaking", "FINAL_NOT_INCLUDE", "NO_PATHWAY", "A final rule excludes it from the 503A bulks list."),
    _r("503a_category", "CAT2", "NO_PATHWAY", "In 503A Category 2: FDA found significant safety risks."),
    _r("503a_category", "CAT1", "PATHWAY_AVAILABLE",
       "In 503A Category 1: under evaluation, and FDA's interim policy does not act against compounding it."),
    _r("rulemaking", "PROPOSED_INCLUDE PROPOSED_NOT_INCLUDE", "UNDER_REVIEW",
       "A proposed rule on its 503A listing is pending."),
    _r("pcac", "SCHEDULED FDA_RECOMMENDS_INCLUDE FDA_RECOMMENDS_NOT_INCLUDE", "UNDER_REVIEW",
       "Scheduled for review by FDA's Pharmacy Compounding Advisory Committee; no decision yet."),
    _r("pcac", "VOTED_FOR", "NO_PATHWAY",
       "The advisory committee voted for inclusion, but it is not on the 503A bulks list until a final rule."),
    _r("pcac", "VOTED_AGAINST", "NO_PATHWAY",
       "The advisory committee voted against inclusion, and it is not on the 503A bulks list."),
    _r("503a_category", "CAT3 NONE", "NO_PATHWAY",
       "Not on the 503A bulks list and not in 503A Category 1."),
    _r("503a_list", "ABSENT", "NO_PATHWAY", "Not on the 503A bulks list (21 CFR 216.23)."),
)


@dataclass(frozen=True)
class Summary:
    """One plain answer per substance."""

    state: str
    label: str
    reason: str


def summarize(states: Mapping[str, str]) -> Summary:
    """The summary for a substance whose tracks are in `states` (track → state)."""
    for rule in RULES:
        if states.get(rule.track) in rule.states:
            return Summary(rule.state, SUMMARY_LABELS[rule.state], rule.reason)
    return Summary("UNKNOWN", SUMMARY_LABELS["UNKNOWN"], "No trustworthy reading of any source yet.")
