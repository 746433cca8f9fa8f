"""The status vocabulary: tracks, their states and the words shown to people (DESIGN.md, DOMAIN.md §3)."""

from __future__ import annotations

from typing import Final

TRACKS: Final[dict[str, dict[str, str]]] = {
    "503a_category": {
        "CAT1": "In 503A Category 1 (under evaluation)",
        "CAT2": "In 503A Category 2 (significant safety risks)",
        "CAT3": "In 503A Category 3 (nominated without adequate support)",
        "NONE": "Not in any 503A category",
    },
    "503a_list": {
        "INCLUDED": "On the 503A bulks list, 21 CFR 216.23(a)",
        "NOT_INCLUDED": "Excluded from the 503A bulks list, 21 CFR 216.23(b)",
        "ABSENT": "Not named in 21 CFR 216.23",
    },
    "pcac": {
        "NONE": "No advisory committee review found",
        "SCHEDULED": "Scheduled for an advisory committee (PCAC) meeting",
        "FDA_RECOMMENDS_INCLUDE": "FDA briefing recommends inclusion",
        "FDA_RECOMMENDS_NOT_INCLUDE": "FDA briefing recommends against inclusion",
        "VOTED_FOR": "PCAC voted for inclusion",
        "VOTED_AGAINST": "PCAC voted against inclusion",
    },
    "rulemaking": {
        "NONE": "No rulemaking naming it",
        "PROPOSED_INCLUDE": "Proposed rule would add it to the 503A list",
        "PROPOSED_NOT_INCLUDE": "Proposed rule would exclude it from the 503A list",
        "FINAL_INCLUDE": "Final rule adds it to the 503A list",
        "FINAL_NOT_INCLUDE": "Final rule excludes it from the 503A list",
    },
    "503b": {
        "CAT1": "In 503B Category 1 (under evaluation)",
        "CAT2": "In 503B Category 2 (significant safety risks)",
        "CAT3": "In 503B Category 3 (nominated without adequate support)",
        "LISTED": "On the 503B bulks list",
        "NONE": "Not in any 503B category or list",
    },
}

TRACK_NAMES: Final[dict[str, str]] = {
    "503a_category": "503A category",
    "503a_list": "503A bulks list (21 CFR 216.23)",
    "pcac": "Advisory committee (PCAC)",
    "rulemaking": "Rulemaking",
    "503b": "503B",
}

EVENT_KINDS: Final[tuple[str, ...]] = ("status", "document", "source", "baseline")
SEVERITIES: Final[tuple[str, ...]] = ("critical", "high", "medium", "info")

SUMMARY_LABELS: Final[dict[str, str]] = {
    "PATHWAY_AVAILABLE": "503A compounding pathway available",
    "NO_PATHWAY": "No active 503A compounding pathway",
    "UNDER_REVIEW": "Under FDA review",
    "UNKNOWN": "Status unknown",
}


def state_label(track: str, state: str | None) -> str:
    """Plain words for a track state; unknown combinations fall back to the raw code."""
    if state is None:
        return "No reading yet"
    return TRACKS.get(track, {}).get(state, state)


def severity_for(track: str, new_state: str) -> str:
    """How urgent a transition is (DOMAIN.md §3, 'Transitions to alert on')."""
    if track in {"503a_category", "503a_list", "rulemaking"}:
        return "critical"
    if track == "pcac":
        if new_state.startswith("VOTED_"):
            return "critical"
        if new_state == "SCHEDULED":
            return "high"
        return "medium"
    if track == "503b":
        return "high"
    return "info"
