"""Extracted text → the canonical text that is hashed and diffed: noise out, whitespace folded.

Noise is what changes without meaning (DOMAIN.md §2.9): "Content current as of" dates,
"Updated <date>" stamps, the reorganization banner, email-alert prompts, page furniture.
"""

from __future__ import annotations

import hashlib
import re

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DATE = rf"(?:{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}}|\d{{4}}-\d{{2}}-\d{{2}})"

NOISE_LINES: tuple[re.Pattern[str], ...] = tuple(re.compile(p, re.I) for p in (
    rf"^content current as of:?\s*({_DATE})?$",
    rf"^(last\s+)?updated:?\s+{_DATE}\.?$",
    rf"^updated information \(as of {_DATE}\)$",
    r"^.*\bbegan implementing a reorganization\b.*$",
    r"^sign up (for|to receive) (email|e-mail) (alerts|updates).*$",
    r"^an official website of the united states government$",
    r"^here'?s how you know$",
    r"^(share|tweet|linkedin|email|print|pin it|more share options|facebook|x)$",
    r"^page \d+ of \d+$",
    r"^-\s*\d+\s*-$",
    r"^back to top$",
))
# Noise inside a line: a trailing "Updated <date>" after a document title, for instance.
NOISE_INLINE: tuple[re.Pattern[str], ...] = (
    re.compile(rf"\s*[\(\[]?\s*updated:?\s+{_DATE}\s*[\)\]]?\s*$", re.I),
)
# A label whose date FDA's templates put on the next line ("Content current as of:" / "04/22/2026").
_DATE_LABEL = re.compile(r"^(content current as of|last updated|updated):?$", re.I)
_DATE_ONLY = re.compile(rf"^{_DATE}$", re.I)
_SPACES = r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]"
# Runs that need rewriting as one space: two or more spaces, or any other space character (a
# single plain space, most of them, is left alone: ~8,000 fewer replacements per FDA page).
_WS = re.compile(rf"(?: {_SPACES}|[\t\u00a0\u2000-\u200b\u202f\u205f\u3000]){_SPACES}*")
# The same patterns, one pass per line instead of one per pattern (normalizing was the largest
# cost of reading a page after folding): whole-line noise as one alternation, and the inline
# pattern only on lines that can hold it (each starts with "updated").
# A pattern "^.*X.*$" is searched for X instead: matched as written, `.*` backtracks over every
# character of every line.
_ANYWHERE = [p.pattern[3:-3] for p in NOISE_LINES if p.pattern.startswith("^.*") and p.pattern.endswith(".*$")]
_NOISE_LINE = re.compile("|".join(f"(?:{p.pattern})" for p in NOISE_LINES if p.pattern[3:-3] not in _ANYWHERE), re.I)
_NOISE_ANYWHERE = re.compile("|".join(f"(?:{x})" for x in _ANYWHERE), re.I)
_INLINE_WORD = "updated"


def normalize(text: str) -> str:
    """Canonical text: one content line per line, noise lines removed, blanks dropped."""
    out: list[str] = []
    after_label = False
    for raw in _WS.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n")).split("\n"):
        line = raw.strip(" |").strip()
        if not line:
            continue
        if after_label and _DATE_ONLY.match(line):
            after_label = False
            continue
        after_label = bool(_DATE_LABEL.match(line))
        if after_label or _NOISE_LINE.match(line) or _NOISE_ANYWHERE.search(line):
            continue
        if _INLINE_WORD in line.lower():
            for p in NOISE_INLINE:
                line = p.sub("", line)
        if line:
            out.append(line)
    return "\n".join(out)


def content_hash(text: str) -> str:
    """SHA-256 of normalized text: the snapshot's address."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
