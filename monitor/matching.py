"""Substance matching: case, hyphen/space, Greek letters, word boundaries and never-match names.

Text and names are *folded* the same way (lower case, Greek letters spelled out, every
run of non-alphanumerics a single space, a space between letters and digits), so
"Thymosin Alpha-1", "thymosin α1" and "THYMOSIN-ALPHA 1" all fold to "thymosin alpha 1".
A fold keeps a map back to the original offsets so evidence is quoted as written.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate, chain, islice

_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "κ": "kappa", "μ": "mu",
    "ω": "omega", "Α": "alpha", "Β": "beta",
}


# Greek letters become sentinel characters (not word characters) so that each stands alone as
# a token, then is spelled out; every other character maps to exactly one character.
# (Private-use characters: every non-ASCII character of the text goes through the map, so a
# private-use character in the text becomes a space and never poses as a sentinel.)
_SENTINELS = {g: chr(0xE000 + i) for i, g in enumerate(_GREEK)}
_SPELLED = {chr(0xE000 + i): _GREEK[g] for i, g in enumerate(_GREEK)}
_SPELL = {ord(k): v for k, v in _SPELLED.items()}
_TOKEN = re.compile("\\d+|[^\\W\\d_]+|[\ue000-\ue0ff]")
_CHAR_CACHE: dict[str, str] = {}
# Offsets looked up by counting before a text's tokens are indexed (an index costs ~50 lookups).
_FEW_LOOKUPS = 16


class Folded:
    """Folded text, and the way back from a folded offset to the original text's."""

    def __init__(self, text: str, mapped: str):
        self.text = text
        # The original text mapped one character for one, in which the tokens are found again.
        self._mapped = mapped
        self._lookups = 0
        self._starts: list[int] = []
        self._words: list[int] = []
        self._greek: set[int] = set()

    def source(self, at: int) -> int:
        """The original offset of folded character `at` (a letter or a digit, not a separating space)."""
        self._lookups += 1
        if self._lookups <= _FEW_LOOKUPS:
            # A mention or two (the usual case): find the token by counting, all in C.
            token = self.text.count(" ", 0, at)
            found = next(islice(_TOKEN.finditer(self._mapped), token, None))
            if found.group() in _SPELLED:
                return found.start()  # a spelled-out Greek letter: all of it comes from one character
            return found.start() + at - (self.text.rfind(" ", 0, at) + 1)
        if not self._starts:
            self._index()
        token = bisect_right(self._words, at) - 1
        if token in self._greek:
            return self._starts[token]
        return self._starts[token] + at - self._words[token]

    def _index(self) -> None:
        """Every token's start in the map and in the folded text, for texts with many mentions.
        Token k starts after the gaps and tokens before it (gap 0, token 0, gap 1, token 1, ...)."""
        gaps, tokens = _TOKEN.split(self._mapped), _TOKEN.findall(self._mapped)
        ends = list(accumulate(chain.from_iterable(zip(map(len, gaps), map(len, tokens), strict=False))))
        self._starts = ends[0::2]
        # Tokens are joined by one space; a spelled-out Greek letter is longer than its sentinel.
        self._words = [0, *accumulate(len(_SPELLED.get(t, t)) + 1 for t in tokens)][:-1]
        self._greek = {k for k, t in enumerate(tokens) if t in _SPELLED} if not self._mapped.isascii() else set()


def _fold_char(raw: str) -> str:
    """One character's folded form: itself lower-cased and without accents, or a space."""
    if raw in _SENTINELS:
        return _SENTINELS[raw]
    if not raw.isalnum():
        return " "
    ch = unicodedata.normalize("NFKD", raw)[:1].lower()
    if ch.isascii() and ch.isalnum():
        return ch
    # One character for one, already lower-case, so that offsets stay aligned.
    return raw.lower()[:1] if ch.isalnum() else " "


@functools.lru_cache(maxsize=8)
def fold(text: str) -> Folded:
    """Fold `text` for matching; see the module docstring.

    Runs of letters and runs of digits, not characters, are the unit of work, and all of it
    happens in C: a character map (built once per distinct character) turns the text into
    lower-case letters, digits, spaces and Greek sentinels, one character for one; a regular
    expression cuts that into tokens, joined by single spaces. Folding character by character
    in Python was 37 % of the CPU of reading 1,000 changed pages. Cached: a target's matchers
    (one per substance) fold the same text."""
    if text.isascii():
        mapped = text.lower()
    else:
        table = {}
        for ch in set(text):
            if not ch.isascii():
                got = _CHAR_CACHE.get(ch)
                if got is None:
                    got = _CHAR_CACHE[ch] = _fold_char(ch)
                table[ord(ch)] = got
        # ASCII letters are lower-cased after the map; what the map put in place of the others stays.
        mapped = text.translate(table).lower()
    folded = " ".join(_TOKEN.findall(mapped))
    if not folded.isascii():
        folded = folded.translate(_SPELL)
    return Folded(folded, mapped)


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
            start, end = folded.source(s), folded.source(e - 1) + 1
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
