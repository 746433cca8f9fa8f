"""Substance matching: case, hyphen/space, Greek letters, word boundaries and never-match names.

Text and names are *folded* the same way (lower case, Greek letters spelled out, every
run of non-alphanumerics a single space, a space between letters and digits), so
"Thymosin Alpha-1", "thymosin α1" and "THYMOSIN-ALPHA 1" all fold to "thymosin alpha 1".
A fold keeps a map back to the original offsets so evidence is quoted as written.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "κ": "kappa", "μ": "mu",
    "ω": "omega", "Α": "alpha", "Β": "beta",
}


@dataclass(frozen=True)
class Folded:
    """Folded text plus, for each folded character, the offset of its source character."""

    text: str
    origin: tuple[int, ...]


def fold(text: str) -> Folded:
    """Fold `text` for matching; see the module docstring."""
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
        if raw in _GREEK:
            put(" ", i)
            for ch in _GREEK[raw]:
                put(ch, i)
            put(" ", i)
            continue
        ch = unicodedata.normalize("NFKD", raw)[:1].lower() if raw.isalnum() else " "
        if ch.isascii() and ch.isalnum():
            put(ch, i)
        elif ch.isalnum():
            put(raw.lower(), i)
        else:
            put(" ", i)
    while out and out[-1] == " ":
        out.pop()
        origin.pop()
    return Folded("".join(out), tuple(origin))


def fold_name(name: str) -> str:
    """The folded form of a substance name or synonym."""
    return fold(name).text


def _pattern(names: list[str]) -> re.Pattern[str] | None:
    folded = sorted({fold_name(n) for n in names if fold_name(n)}, key=len, reverse=True)
    if not folded:
        return None
    alternatives = "|".join(re.escape(f) for f in folded)
    return re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?![a-z0-9])")


@dataclass(frozen=True)
class Mention:
    """One place a substance is named: offsets into the original text and the words as written."""

    start: int
    end: int
    text: str


class SubstanceMatcher:
    """Finds one substance in text, honouring its never-match list."""

    def __init__(self, substance_id: str, name: str, synonyms: tuple[str, ...], exclude: tuple[str, ...]):
        self.id = substance_id
        self.name = name
        self._match = _pattern([name, *synonyms])
        self._exclude = _pattern(list(exclude))

    def mentions(self, text: str) -> list[Mention]:
        """Every mention of the substance in `text`, excluded names removed."""
        if self._match is None:
            return []
        folded = fold(text)
        blocked: list[tuple[int, int]] = []
        if self._exclude is not None:
            blocked = [m.span() for m in self._exclude.finditer(folded.text)]
        found: list[Mention] = []
        for m in self._match.finditer(folded.text):
            s, e = m.span()
            if any(s < be and bs < e for bs, be in blocked):
                continue
            start, end = folded.origin[s], folded.origin[e - 1] + 1
            found.append(Mention(start, end, text[start:end]))
        return found

    def matches(self, text: str) -> bool:
        """True when `text` names the substance."""
        return bool(self.mentions(text))


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"“])|\n")


def context(text: str, mention: Mention, limit: int = 400) -> str:
    """The sentence (or line) around a mention, trimmed to `limit` characters, as evidence."""
    starts = [0] + [m.end() for m in _SENTENCE_END.finditer(text, 0, mention.start)]
    start = starts[-1]
    stop_m = _SENTENCE_END.search(text, mention.end)
    stop = stop_m.start() if stop_m else len(text)
    quote = " ".join(text[start:stop].split())
    if len(quote) > limit:
        at = max(0, mention.start - start - limit // 2)
        quote = ("…" if at else "") + quote[at:at + limit].strip() + "…"
    return quote
