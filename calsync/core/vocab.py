"""Vocabularies: words, phrases, parts of words and emoji with one label, found in a `Text`,
built from the tables of calsync/data/keywords.toml.

Pure: no I/O, no clock, no logging. The rules are documented once, in `calsync.core.classify`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from calsync.core.text import TOKEN
from calsync.core.text import Text
from calsync.core.text import fold_all


@dataclass(frozen=True, slots=True)
class Hit:
    """A marker found in a text: what it is (`label`) and the words as written (`quote`)."""

    label: str
    quote: str
    start: int = 0


@dataclass(frozen=True, slots=True)
class Vocab:
    """Single words, multi-word phrases (as token tuples), parts of words and emoji, all with
    one label."""

    label: str
    words: frozenset[str]
    phrases: frozenset[tuple[str, ...]] = frozenset()
    emoji: str = ""
    affix: re.Pattern[str] | None = None  # whole words with a stem, prefix or suffix
    exclude: re.Pattern[str] | None = None  # words with these parts never match `affix`
    firsts: frozenset[str] = field(init=False, default=frozenset())  # first words of phrases
    starts: frozenset[str] = field(init=False, default=frozenset())  # words | firsts

    def __post_init__(self) -> None:
        object.__setattr__(self, "firsts", frozenset(p[0] for p in self.phrases))
        object.__setattr__(self, "starts", self.words | self.firsts)

    def find(self, text: Text, reject: Callable[[Text, int], bool] | None = None) -> Hit | None:
        """The first word, phrase or word part of this vocabulary in `text` (that `reject`
        lets through)."""
        best = self._word(text, reject)
        if self.affix is not None and (best is None or best.start > 0):
            for m in self.affix.finditer(text.norm):
                if self.exclude is not None and self.exclude.search(m.group()):
                    continue
                if best is None or m.start() < best.start:
                    best = Hit(self.label, text.quote(*m.span()), m.start())
                break
        if best is not None:
            return best
        for char in self.emoji:
            at = text.raw.find(char)
            if at >= 0:
                return Hit(self.label, char, at)
        return None

    def _word(self, text: Text, reject: Callable[[Text, int], bool] | None) -> Hit | None:
        if self.starts.isdisjoint(text.words):
            return None
        tokens = text.tokens
        for i, (word, start, end) in enumerate(tokens):
            hit_end = end if word in self.words else self._phrase_end(tokens, i)
            if hit_end is not None and (reject is None or not reject(text, i)):
                return Hit(self.label, text.quote(start, hit_end), start)
        return None

    def _phrase_end(self, tokens: tuple[tuple[str, int, int], ...], i: int) -> int | None:
        if tokens[i][0] not in self.firsts:
            return None
        for size in (2, 3, 4):
            if i + size > len(tokens):
                break
            if tuple(t[0] for t in tokens[i : i + size]) in self.phrases:
                return tokens[i + size - 1][2]
        return None


def first_hit(text: Text, vocabs: Iterable[Vocab]) -> Hit | None:
    """The earliest hit of any of `vocabs` in `text`."""
    hits = [hit for vocab in vocabs if (hit := vocab.find(text)) is not None]
    return min(hits, key=lambda h: h.start) if hits else None


def values(table: Mapping[str, Any], key: str) -> list[str]:
    """Every language's entries of `table[key]`: a string of words or a list of them."""
    found = table.get(key, {})
    items = found.values() if isinstance(found, Mapping) else [found]
    out: list[str] = []
    for item in items:
        out += item.split() if isinstance(item, str) else [str(i) for i in item]
    return [fold_all(v) for v in out]


def _alternatives(parts: Iterable[str]) -> str:
    return "|".join(re.escape(p) for p in sorted(set(parts), key=len, reverse=True))


def _affix(table: Mapping[str, Any]) -> re.Pattern[str] | None:
    stems, prefixes = values(table, "stems"), values(table, "prefixes")
    suffixes = values(table, "suffixes")
    forms = []
    if stems:
        forms.append(rf"\w*(?:{_alternatives(stems)})\w*")
    if prefixes:
        forms.append(rf"(?:{_alternatives(prefixes)})\w*")
    if suffixes:  # only longer words: "Duurloop", not "loop"
        forms.append(rf"\w+(?:{_alternatives(suffixes)})")
    return re.compile(rf"(?<!\w)(?:{'|'.join(forms)})(?!\w)") if forms else None


def build_vocab(table: Mapping[str, Any], label: str) -> Vocab:
    """A `Vocab` from one table of calsync/data/keywords.toml."""
    exclude = values(table, "exclude")
    phrases = frozenset(tuple(TOKEN.findall(p)) for p in values(table, "phrases"))
    return Vocab(
        str(table.get("label", label)),
        frozenset(values(table, "words")),
        frozenset(p for p in phrases if p),
        emoji=str(table.get("emoji", "")),
        affix=_affix(table),
        exclude=re.compile(_alternatives(exclude)) if exclude else None,
    )
