"""Text as the classifier compares it: folded (accents stripped, case folded, "ø" = "o"),
split into words, with a way back to the original for quotes; an event's three texts.

Pure: no I/O, no clock, no logging. The rules are documented once, in `calsync.core.classify`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_PUNCT = str.maketrans(
    {
        "×": "x",
        "’": "'",
        "‘": "'",
        "′": "'",
        "´": "'",
        "″": "''",
        "“": '"',
        "”": '"',
        "–": "-",
        "—": "-",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
        # letters NFKD keeps whole: "løb" = "lob", "træning" = "traening", "długie" = "dlugie"
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
    }
)

TOKEN = re.compile(r"\w+")

DIGIT = re.compile(r"\d")


@lru_cache(maxsize=4096)
def fold(char: str) -> str:
    """One character without accents, lower-cased ("é" -> "e", "ß" -> "ss", "×" -> "x")."""
    decomposed = unicodedata.normalize("NFKD", char)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return kept.casefold().translate(_PUNCT)


@dataclass(frozen=True, slots=True)
class Text:
    """A text as written (`raw`) and normalised (`norm`), with its words."""

    raw: str
    norm: str
    index: tuple[int, ...] | None  # norm position -> raw position; None: the same positions
    tokens: tuple[tuple[str, int, int], ...]  # (word, start, end) in norm
    words: frozenset[str]

    def quote(self, start: int, end: int) -> str:
        """The original text behind `norm[start:end]`."""
        if self.index is None:
            return self.raw[start:end]
        if start >= end:
            return ""
        return self.raw[self.index[start] : self.index[end - 1] + 1]


@lru_cache(maxsize=256)  # one classification asks for the same text several times
def as_text(raw: str) -> Text:
    """`raw` normalised for matching, with its words (cached: asked several times)."""
    if raw.isascii():
        norm, index = raw.lower(), None
    else:
        parts: list[str] = []
        positions: list[int] = []
        for i, char in enumerate(raw):
            folded = fold(char)
            parts.append(folded)
            positions.extend([i] * len(folded))
        norm, index = "".join(parts), tuple(positions)
    tokens = tuple((m.group(), m.start(), m.end()) for m in TOKEN.finditer(norm))
    return Text(raw, norm, index, tokens, frozenset(t[0] for t in tokens))


def fold_all(text: str) -> str:
    """A whole text folded (for the vocabularies, not for quoting: no way back)."""
    return "".join(fold(c) for c in text)


def word_set(words: str) -> frozenset[str]:
    """The folded words of a space-separated list."""
    return frozenset(fold_all(words).split())


@dataclass(frozen=True, slots=True)
class Fields:
    """The three texts of an event the classifier reads, in the order it trusts them."""

    summary: Text
    categories: Text
    description: Text


# Where a hit was found, as the reason says it ("" for the title).
WHERE = {"summary": "", "categories": " in the categories", "description": " in the description"}
