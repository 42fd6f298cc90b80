"""Classification: what each occurrence is (easy, interval, long, strength, other) and why.

Pure: no I/O, no clock, no logging (the built-in vocabulary is package data,
calsync/data/keywords.toml, read once at import). `classify(event, rules)` gives a `Classified`
whose `reason` a person can read ("interval: "6 x 800m" matches a repeat pattern"). The rules,
in order:

1. An event calsync wrote itself (`event.managed`) is a strength block, and so is the user's
   copy of one (`calsync.core.copies`: their own session, whatever its calendar). An event
   of a busy-only calendar (`event.runs_source` False) is `other`: it is never a run. Every
   other event comes from a runs calendar (an account's `runs`, or a SOURCE given to `plan`).
   X-CALSYNC-* properties other than those are never read.
2. User keywords (`rules.keywords`, per kind) win over everything built in: the first one found
   decides the kind outright, looking in the title, then the categories (kinds tried in the
   order other, strength, interval, long, easy), then the description, but the description
   only when the title says nothing itself (no run, sport, strength, meeting or training word:
   "Morning Run" with "walk breaks" in its notes stays a run for a user's other = ["walk"]).
3. Is it a run? Text is folded (accents stripped, case folded, "ø" = "o", "ł" = "l") and
   compared on whole words, or on parts of words for compounds ("Dauerlauf", "Tempoløb",
   "Bakkeintervaller"), in thirteen languages: English, German, French, Spanish, Dutch,
   Italian, Portuguese, Swedish, Danish, Norwegian, Finnish, Polish and Czech.
   - Context first: helping at a race, its expo or bib pick-up ("Marshal at parkrun",
     "Volunteer: Berlin Marathon water station", "Marathon expo - bib pickup") is `other`,
     unless the runner is pacing someone ("Pacing Anna at the Brighton Half").
   - An explicit run word in the title (run, jog, Lauf and its compounds, footing, rodaje,
     hardlopen, löpning, løb, juoksu, bieg, běh, ...) or the runner emoji makes it a run, even
     next to another sport ("Brick: bike + run"); not in "school run", "dry run", "run
     through", nor in "aqua jogging" or "pool running" (another sport). A social event after
     the run word, with no figure and no marker, is not a run ("Run club breakfast",
     "Lauftreff Weihnachtsfeier", "Run club AGM"; "Breakfast run" and "Club 10k + breakfast"
     are runs).
   - Otherwise a strength word (gym, Krafttraining, musculation, styrketräning, siłownia, ...)
     makes it `strength`; another sport (cycling, swimming, yoga, rowing, walking, ...) or a
     meeting, appointment or work word (meeting, review, planning, retro, project, ...) makes
     it `other`, even with speed words in it ("Bike intervals", "Sprint planning"). The same
     is then asked of the categories ("Running", "Cycling", "Strength"). A rest day ("Rest",
     "Day off", "Ruhetag", "vilodag") is `other`.
   - A training marker or a race distance in the title makes it a run with no run word ("Z2
     45'", "Threshold 3x10'", "6 x 800m @ 5k pace", "Sortie longue", "Berlin Marathon",
     Garmin Coach's "Base", "Anaerobic", "Sprint").
   - A distance in the title makes it a run ("Base 8 km", "Saturday 20 km"): this is a runs
     calendar. So does a planned duration in a title of words with no meaning of their own
     (weekdays, times of day: "Sunday 2h"), not "Focus time 2h". Not with a social word.
   - A description that names another sport or strength makes it `other` / `strength`.
   - A generic word (training, workout, sortie, course, carrera, treino, pass, trening, ...)
     or a run word in the description counts only with support: a training marker, a
     distance or a duration ("Morning session" with "10 km" in the description). Anything
     else is `other`; when such an `other` still looks like training (a distance, duration or
     training words in the description, a sports category, a training calendar's name)
     `Classified.suspicious` says what, and `unread_warnings` turns those into one warning
     line a title.
4. Which run? First that applies:
   - a named long run in the title (long run, LSD, LR, LSR, Sortie longue, Tirada larga,
     Langer Lauf, lange duurloop, lungo, longão, långpass, langtur, langkjøring, pitkä lenkki,
     długie wybieganie, dlouhý běh; "long" alone only at the end or before a figure or "run":
     not "long intervals") -> `long` (a long run with a fast finish is still long);
   - a speed marker in the title: a repeat pattern ("6 x 800m", "5x1000", "3x10'", "8×400";
     short reps of at most 150 m or 30 s, or reps followed by "strides", are strides and do not
     count), a pace ("@ 5k pace", "marathon pace", "@ T", "@ I", "@ R", "@ MP", "@ HMP",
     "T pace", "allure 10 km"), Z4/Z5, a speed word (intervals, reps, track, tempo, threshold,
     fartlek, hills, time trial, progression, VO2max, MP, relay, Intervalle, Schwelle,
     Fractionné, seuil, series, umbral, drempel, ripetute, soglia, limiar, tiros, intervaller,
     tröskel, terskel, vedot, interwały, podbiegi, úseky, ...; "tempo" after "lugnt" or
     "ruhiges" is a pace, not a tempo run) or a race word (race, parkrun, Wettkampf,
     wedstrijd, gara, tävling, -loppet, zawody, závod, ...) -> `interval`; a race word in a
     title that says easy ("parkrun, easy with a friend") does not count;
   - the same markers in the categories;
   - the same markers in the description, unless the title says the run is easy ("Easy run"
     with "intervals on Thursday" in its notes stays easy);
   - a race distance in the title ("Berlin Marathon", "Semi-marathon de Paris", "Meia
     maratona"; not "marathon pace", "marathon training" or an easy title) -> `interval`: a
     race is the hardest session, and the day before it is the day before intervals;
   - a distance of at least `rules.long_km` (miles are compared with that threshold rounded to
     whole miles, so 18 km means 11 mi) or a duration of at least `rules.long_minutes` ->
     `long`;
   - everything else -> `easy` (recovery, shakeouts, Z2, strides included).
5. Distances and durations. The title's figures win over the description's; within one text
   the largest figure counts (the total of "25 km with 10 km @ MP"). Distances: km, k, mi,
   metres (100 m or more; "45m" is read as 45 minutes), "half marathon"/"marathon" in every
   language (not "marathon pace"), decimal commas. Durations: "2h", "1h30", "1.5 h", "90'",
   "90 min", "1:45:00", hours and minutes in every language; "18h30", "7h" or "07:00:00" (more
   than 5 hours) are times of day. Repeats and paces are neither. The duration is the one
   planned in the title, else the event's DTSTART/DTEND (elapsed time, so DST-safe) for a timed
   event, else (all-day events) the one in the description: a calendar block is the planned
   session, while a description's figures are often its parts ("WU 15', ..."); a title's
   figure wins over the block, which may include travel and a shower. `Classified.distance_km`
   and `duration_minutes` carry what was used.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import unicodedata
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from functools import lru_cache
from importlib import resources
from typing import Any

from calsync.core.copies import COPY_REASON
from calsync.core.copies import copied
from calsync.model import Classified
from calsync.model import ClassifyRules
from calsync.model import Event
from calsync.model import Kind

__all__ = ["classify", "classify_all", "unread_warnings"]

MILE_KM = 1.609344
HALF_MARATHON_KM = 21.0975
MARATHON_KM = 42.195
_MAX_CLOCK_HOURS = 5  # "7h", "18h30", "07:00:00": a time of day, not a duration

# --- text: normalised for matching, with a way back to the original for quotes -------------

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
_TOKEN = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")


@lru_cache(maxsize=4096)
def _fold(char: str) -> str:
    """One character without accents, lower-cased ("é" -> "e", "ß" -> "ss", "×" -> "x")."""
    decomposed = unicodedata.normalize("NFKD", char)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return kept.casefold().translate(_PUNCT)


@dataclass(frozen=True, slots=True)
class _Text:
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
def _text(raw: str) -> _Text:
    if raw.isascii():
        norm, index = raw.lower(), None
    else:
        parts: list[str] = []
        positions: list[int] = []
        for i, char in enumerate(raw):
            folded = _fold(char)
            parts.append(folded)
            positions.extend([i] * len(folded))
        norm, index = "".join(parts), tuple(positions)
    tokens = tuple((m.group(), m.start(), m.end()) for m in _TOKEN.finditer(norm))
    return _Text(raw, norm, index, tokens, frozenset(t[0] for t in tokens))


@dataclass(frozen=True, slots=True)
class _Hit:
    """A marker found in a text: what it is (`label`) and the words as written (`quote`)."""

    label: str
    quote: str
    start: int = 0


# --- vocabularies: data, read once from calsync/data/keywords.toml ----------------------------


def _fold_all(text: str) -> str:
    return "".join(_fold(c) for c in text)


def _split(words: str) -> frozenset[str]:
    return frozenset(_fold_all(words).split())


@dataclass(frozen=True, slots=True)
class _Vocab:
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

    def find(self, text: _Text, reject: Callable[[_Text, int], bool] | None = None) -> _Hit | None:
        """The first word, phrase or word part of this vocabulary in `text` (that `reject`
        lets through)."""
        best = self._word(text, reject)
        if self.affix is not None and (best is None or best.start > 0):
            for m in self.affix.finditer(text.norm):
                if self.exclude is not None and self.exclude.search(m.group()):
                    continue
                if best is None or m.start() < best.start:
                    best = _Hit(self.label, text.quote(*m.span()), m.start())
                break
        if best is not None:
            return best
        for char in self.emoji:
            at = text.raw.find(char)
            if at >= 0:
                return _Hit(self.label, char, at)
        return None

    def _word(self, text: _Text, reject: Callable[[_Text, int], bool] | None) -> _Hit | None:
        if self.starts.isdisjoint(text.words):
            return None
        tokens = text.tokens
        for i, (word, start, end) in enumerate(tokens):
            hit_end = end if word in self.words else self._phrase_end(tokens, i)
            if hit_end is not None and (reject is None or not reject(text, i)):
                return _Hit(self.label, text.quote(start, hit_end), start)
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


def _first(text: _Text, vocabs: Iterable[_Vocab]) -> _Hit | None:
    """The earliest hit of any of `vocabs` in `text`."""
    hits = [hit for vocab in vocabs if (hit := vocab.find(text)) is not None]
    return min(hits, key=lambda h: h.start) if hits else None


def _values(table: Mapping[str, Any], key: str) -> list[str]:
    """Every language's entries of `table[key]`: a string of words or a list of them."""
    found = table.get(key, {})
    items = found.values() if isinstance(found, Mapping) else [found]
    out: list[str] = []
    for item in items:
        out += item.split() if isinstance(item, str) else [str(i) for i in item]
    return [_fold_all(v) for v in out]


def _alternatives(parts: Iterable[str]) -> str:
    return "|".join(re.escape(p) for p in sorted(set(parts), key=len, reverse=True))


def _affix(table: Mapping[str, Any]) -> re.Pattern[str] | None:
    stems, prefixes = _values(table, "stems"), _values(table, "prefixes")
    suffixes = _values(table, "suffixes")
    forms = []
    if stems:
        forms.append(rf"\w*(?:{_alternatives(stems)})\w*")
    if prefixes:
        forms.append(rf"(?:{_alternatives(prefixes)})\w*")
    if suffixes:  # only longer words: "Duurloop", not "loop"
        forms.append(rf"\w+(?:{_alternatives(suffixes)})")
    return re.compile(rf"(?<!\w)(?:{'|'.join(forms)})(?!\w)") if forms else None


def _vocab(table: Mapping[str, Any], label: str) -> _Vocab:
    exclude = _values(table, "exclude")
    phrases = frozenset(tuple(_TOKEN.findall(p)) for p in _values(table, "phrases"))
    return _Vocab(
        str(table.get("label", label)),
        frozenset(_values(table, "words")),
        frozenset(p for p in phrases if p),
        emoji=str(table.get("emoji", "")),
        affix=_affix(table),
        exclude=re.compile(_alternatives(exclude)) if exclude else None,
    )


def _load_vocabulary() -> dict[str, Any]:
    # Package data shipped with calsync, read once at import (not user input).
    data = resources.files("calsync").joinpath("data", "keywords.toml").read_text("utf-8")
    return tomllib.loads(data)


_DATA = _load_vocabulary()
_RUN = _vocab(_DATA["run"], "run")
_GENERIC = _vocab(_DATA["generic"], "generic")
_STRENGTH = _vocab(_DATA["strength"], "strength")
_SPORTS = tuple(_vocab(table, name) for name, table in _DATA["sports"].items())
_ADMIN = _vocab(_DATA["admin"], "meeting or appointment")
_REST = _vocab(_DATA["rest"], "a rest day")
_CONTEXTS = (
    _vocab(_DATA["context_race_help"], "helping at a race"),
    _vocab(_DATA["context_expo"], "a race expo or bib pick-up"),
)
_SOCIAL = _vocab(_DATA["context_social"], "a social event")
_PACING = _vocab(_DATA["pacing"], "pacing")
_LONG = _vocab(_DATA["long"], "long")
# "long" alone is a long run only at the end or before these ("Long 25k", "Sunday long"),
# never in "long intervals" or "long weekend".
_LONG_NEXT = frozenset(_values(_DATA["long_next"], "words"))
_INTERVAL = _vocab(_DATA["interval"], "speed")
_RACE = _vocab(_DATA["race"], "race")
_EASY = _vocab(_DATA["easy"], "easy")
_STRIDES = frozenset(_values(_DATA["strides"], "words"))
_EASY_TEMPO = frozenset(_values(_DATA["easy_tempo"], "words"))
_TRAINING_CALENDAR = _vocab(_DATA["training_calendar"], "training calendar")
_SPORT_CATEGORY = _vocab(_DATA["sport_category"], "sport category")
_NEUTRAL = frozenset(_values(_DATA["neutral"], "words"))


# --- patterns on normalised text --------------------------------------------------------------

_REPEAT = re.compile(
    r"(?<![\w.,])(\d{1,2})\s*x\s*\(?\s*(\d{1,5}(?:[.,]\d{1,2})?)\s*"
    r"(minutes?|minuten|minutos|minuti|minuter|minutter|minuuttia|minuty|minut|mins?|miles?|mi|km|k|m"
    r"|seconds?|secs?|sekunder|sekunnit|sekuntia|sekundy|sekund|sek|s|h|''|'|\")?"
    r"(?!\w)"
)
_PACE = re.compile(
    r"@\s*(?:half\s*)?(?:\d+(?:[.,]\d+)?\s*(?:km|k|mi|miles?)|hmp|mp|marathon|threshold|tempo"
    r"|race|goal|mile|t|i|r|m|lt|cv)(?!\w)"
    r"|(?<!\w)(?:t|i|r|m|lt|cv)[\s-]*pace(?!\w)"
    r"|(?<!\w)(?:\d+(?:[.,]\d+)?\s*(?:km|k|mi)|mile|(?:half\s*)?marathon|race|goal|threshold"
    r"|tempo|hm|mp)\s*(?:pace|effort)(?!\w)"
    r"|(?<!\w)(?:allure|ritmo|passo)\s*(?:de\s*|di\s*)?(?:\d+\s*(?:km|k)|semi|marathon|maraton"
    r"|maratona|mezza|gara|prova|competicion|carrera|seuil|umbral|soglia|limiar|vma)(?!\w)"
)
_DISTANCE = re.compile(
    r"(?<![\w.,:])(\d{1,5}(?:[.,]\d{1,3})?)\s*"
    r"(kilometers?|kilometres?|kilometros?|quilometros?|chilometri|chilometro|kms?|k"
    r"|miles?|mi|meilen|meters?|metres?|metros?|metri|m)(?!\w)"
)
_RACE_DISTANCE = re.compile(
    r"(?<!\w)(half|halve|halb|semi|media|mezza|meia|demi|halv|puoli|pol|pul)?[\s-]*"
    r"(marathon|maraton|maratona|maratonu|maratonie)"
    r"(?!\w)(?!\s*(?:pace|tempo|ritmo|effort|allure|training|plan|block|week|distance))"
)
_HMS = re.compile(r"(?<![\d:.,])(\d{1,2}):([0-5]\d):([0-5]\d)(?![\d:])")
_HOURS = re.compile(
    r"(?<![\w.,:])(\d{1,2}(?:[.,]\d{1,2})?)\s*"
    r"(hours?|hrs?|h|std|stunden?|heures?|horas?|hora|uur|ore|ora|timer|timmar|timme|tim|tuntia"
    r"|tunti|godz|godziny|godzina|godzin|hodiny|hodina|hodin|hod)"
    r"(?:\s*(\d{1,2})\s*(?:minutes?|minuten|minutos|minuti|mins?|m|')?)?(?!\w)"
)
_HOURS_COLON = re.compile(r"(?<![\d:.,])(\d{1,2}):([0-5]\d)\s*h(?!\w)")
_MINUTES = re.compile(
    r"(?<![\w.,'])(\d{1,3})\s*"
    r"(minutes?|minuten|minutos|minuti|minuut|minuto|minuter|minutter|minuuttia|minuty|minut|mins?"
    r"|m|'(?!'))(?!\w)"
)


class _Mask:
    """Positions of a text already taken by a pattern (repeats, paces, durations read)."""

    __slots__ = ("_taken",)

    def __init__(self, size: int, spans: Iterable[tuple[int, int]] = ()) -> None:
        self._taken = bytearray(size + 1)
        for span in spans:
            self.add(span)

    def add(self, span: tuple[int, int]) -> None:
        self._taken[span[0] : span[1]] = b"\x01" * (span[1] - span[0])

    def covers(self, span: tuple[int, int]) -> bool:
        return bool(self._taken[span[0]] or self._taken[max(span[0], span[1] - 1)])


def _may_pace(norm: str) -> bool:
    """A cheap test before the pace pattern (long descriptions are common)."""
    return any(w in norm for w in ("@", "pace", "effort", "allure", "ritmo", "passo"))


@lru_cache(maxsize=256)
def _masked(norm: str, *, paces: bool) -> tuple[tuple[int, int], ...]:
    """Spans of repeat patterns (and, with `paces`, of paces) in a normalised text."""
    spans = [m.span() for m in _REPEAT.finditer(norm)] if "x" in norm else []
    if paces and _may_pace(norm):
        spans += [m.span() for m in _PACE.finditer(norm)]
    return tuple(spans)


def _number(value: str) -> float:
    return float(value.replace(",", "."))


@dataclass(frozen=True, slots=True)
class _Repeat:
    quote: str
    strides: bool


def _repeats(text: _Text) -> list[_Repeat]:
    """Every repeat pattern ("6 x 800m", "3x10'"), and whether it is only strides."""
    if "x" not in text.norm:
        return []
    found = []
    for m in _REPEAT.finditer(text.norm):
        count, size, unit = int(m.group(1)), _number(m.group(2)), m.group(3) or ""
        if count < 2 or size <= 0:
            continue
        short = (unit in ("s", "sec", "secs", "second", "seconds", "''", '"') and size <= 30) or (
            unit in ("m", "") and 30 < size <= 150
        )
        after = text.norm[m.end() : m.end() + 24]
        strides = short or any(w in _STRIDES for w in _TOKEN.findall(after)[:2])
        found.append(_Repeat(text.quote(*m.span()), strides))
    return found


# --- distances and durations ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Distance:
    km: float
    miles: float | None  # set when written in miles
    quote: str


def _distances(text: _Text) -> list[_Distance]:
    if _DIGIT.search(text.norm) is None and "mara" not in text.norm:
        return []
    masked = _Mask(len(text.norm), _masked(text.norm, paces=True))
    found = []
    for m in _DISTANCE.finditer(text.norm):
        if masked.covers(m.span()):
            continue
        value, unit = _number(m.group(1)), m.group(2)
        miles = None
        if unit.startswith(("mi", "meilen")):
            miles, km = value, value * MILE_KM
        elif unit.startswith("m"):
            if value < 100:  # "45m" is minutes
                continue
            km = value / 1000
        else:
            km = value
        if 0 < km <= 500:
            found.append(_Distance(km, miles, text.quote(*m.span())))
    # "Recovery run after the marathon": with an easy word, a race's name is context, not the
    # distance of this run.
    races = "mara" in text.norm and _EASY.find(text) is None
    for m in _RACE_DISTANCE.finditer(text.norm) if races else ():
        if not masked.covers(m.span()):
            km = HALF_MARATHON_KM if m.group(1) else MARATHON_KM
            found.append(_Distance(km, None, text.quote(*m.span()).strip()))
    return found


def _durations(text: _Text) -> list[float]:
    """Minutes of every duration written in the text (not those of repeats).

    "18h30", "7h" and "07:00:00" past `_MAX_CLOCK_HOURS` are times of day, not durations.
    """
    norm = text.norm
    if _DIGIT.search(norm) is None:
        return []
    found: list[tuple[tuple[int, int], float | None]] = []
    colon = ":" in norm
    for m in _HMS.finditer(norm) if colon else ():
        h, mins, secs = int(m.group(1)), int(m.group(2)), int(m.group(3))
        found.append((m.span(), None if h > _MAX_CLOCK_HOURS else h * 60 + mins + secs / 60))
    for m in _HOURS_COLON.finditer(norm) if colon else ():
        found.append((m.span(), int(m.group(1)) * 60 + int(m.group(2))))
    for m in _HOURS.finditer(norm):
        hours = _number(m.group(1))
        clock = m.group(2) == "h" and hours > _MAX_CLOCK_HOURS
        found.append((m.span(), None if clock else hours * 60 + int(m.group(3) or 0)))
    for m in _MINUTES.finditer(norm):
        count = int(m.group(1))
        if m.group(2) != "m" or count < 100:  # "800m" is metres
            found.append((m.span(), float(count)))
    taken = _Mask(len(norm), _masked(norm, paces=False))
    minutes = []
    for span, minute in found:  # longer forms first: "1h30" is not also "30" minutes
        if taken.covers(span):
            continue
        taken.add(span)
        if minute is not None and 0 < minute <= 24 * 60:
            minutes.append(minute)
    return minutes


@dataclass(frozen=True, slots=True)
class _Measures:
    distances: tuple[_Distance, ...]
    distance_where: str  # "in the title" / "in the description"
    minutes: float | None
    minutes_where: str  # "planned" / "planned in the description" / "in the calendar"

    @property
    def km(self) -> float | None:
        return round(max(d.km for d in self.distances), 2) if self.distances else None


def _measure(summary: _Text, description: _Text, calendar: float | None) -> _Measures:
    distances, distance_where = _distances(summary), "in the title"
    if not distances:
        distances, distance_where = _distances(description), "in the description"
    minutes, where = calendar, "in the calendar"
    planned = _durations(summary)
    if planned:
        minutes, where = max(planned), "planned"
    elif calendar is None:
        described = _durations(description)
        if described:
            minutes, where = max(described), "planned in the description"
    return _Measures(tuple(distances), distance_where, minutes, where if minutes else "")


def _hm(minutes: float) -> str:
    whole = round(minutes)
    return f"{whole} min" if whole < 60 else f"{whole // 60}h {whole % 60:02d}m"


def _km(value: float) -> str:
    return f"{round(value, 1):g} km"


_PLAIN_KM = re.compile(r"[\d.,]+\s*(?:km|kms|k)", re.IGNORECASE)


def _long_by_numbers(m: _Measures, rules: ClassifyRules) -> str | None:
    """Why the run is long by its distance or duration, or None."""
    limit_mi = max(1, round(rules.long_km / MILE_KM))
    for d in sorted(m.distances, key=lambda d: -d.km):
        if d.miles is not None and d.miles >= limit_mi:
            return f'"{d.quote}" {m.distance_where} (>= {limit_mi} mi, {_km(rules.long_km)})'
        if d.km >= rules.long_km:
            written = "" if _PLAIN_KM.fullmatch(d.quote) else f' ("{d.quote}")'
            return f"{_km(d.km)}{written} {m.distance_where} (>= {_km(rules.long_km)})"
    if m.minutes is not None and m.minutes >= rules.long_minutes:
        return f"{_hm(m.minutes)} {m.minutes_where} (>= {rules.long_minutes} min)"
    return None


def _figures(m: _Measures) -> str:
    parts = [_km(m.km)] if m.km is not None else []
    if m.minutes is not None:
        parts.append(_hm(m.minutes))
    return f" ({', '.join(parts)})" if parts else ""


# --- the built-in rules -----------------------------------------------------------------------

# "School run", "dry run", "run through the slides", "running late": not runs.
_RUN_NOT_AFTER = _split(
    "school dry test trial supply coffee beer food shopping errand errands milk grocery "
    "airport print production pilot bank aqua pool water"
)
_RUN_NOT_BEFORE = _split("through errands late behind")


def _not_really_run(text: _Text, i: int) -> bool:
    word = text.tokens[i][0]
    if word not in ("run", "runs", "running", "jog", "jogging"):
        return False
    before = text.tokens[i - 1][0] if i > 0 else ""
    after = text.tokens[i + 1][0] if i + 1 < len(text.tokens) else ""
    return before in _RUN_NOT_AFTER or after in _RUN_NOT_BEFORE


def _run_word(text: _Text) -> _Hit | None:
    return _RUN.find(text, _not_really_run)


def _long_alone(text: _Text) -> _Hit | None:
    if "long" not in text.words:
        return None
    tokens = text.tokens
    for i, (word, start, end) in enumerate(tokens):
        if word != "long":
            continue
        nxt = tokens[i + 1][0] if i + 1 < len(tokens) else None
        if nxt is None or nxt[0].isdigit() or nxt in _LONG_NEXT:
            return _Hit("long", text.quote(start, end), start)
    return None


def _named_long(text: _Text) -> str | None:
    hit = _LONG.find(text) or _long_alone(text)
    return None if hit is None else f'"{hit.quote}" names a long run'


def _speed(text: _Text, *, races: bool = True) -> str | None:
    """Why `text` describes a speed session (with `races`: or a race), or None."""
    return _speed_of(text.raw, races)


def _not_speed(text: _Text, i: int) -> bool:
    """ "tempo" that means a pace ("lugnt tempo", "ruhiges Tempo", "tempo libero"), and a
    numbered work sprint ("Sprint 24")."""
    word = text.tokens[i][0]
    if word not in ("tempo", "sprint"):
        return False
    before = text.tokens[i - 1][0] if i > 0 else ""
    after = text.tokens[i + 1][0] if i + 1 < len(text.tokens) else ""
    if word == "sprint":
        return after.isdigit()
    return before in _EASY_TEMPO or after in _EASY_TEMPO


@lru_cache(maxsize=1024)
def _speed_of(raw: str, races: bool) -> str | None:
    text = _text(raw)
    for rep in _repeats(text):
        if not rep.strides:
            return f'"{rep.quote}" matches a repeat pattern'
    pace = _PACE.search(text.norm) if _may_pace(text.norm) else None
    if pace is not None:
        return f'"{text.quote(*pace.span())}" is a race or threshold pace'
    hit = _INTERVAL.find(text, _not_speed)
    if hit is not None:
        return f'"{hit.quote}" is a speed-session word'
    hit = _RACE.find(text) if races else None
    return None if hit is None else f'"{hit.quote}" is a race'


def _marker(text: _Text) -> bool:
    """A training marker: a named long run, a speed marker, an easy-run word, strides, pacing
    or a race distance ("Berlin Marathon")."""
    found = _named_long(text) or _speed(text) or _EASY.find(text) or _PACING.find(text)
    if found or not text.words.isdisjoint(_STRIDES):  # "Strides": an easy day's session
        return True
    return "mara" in text.norm and _RACE_DISTANCE.search(text.norm) is not None


def _race(text: _Text) -> str | None:
    """A title that is a race ("Berlin Marathon", "Semi-marathon de Paris"): the hardest
    session of all, so the day before it is treated as the day before intervals. Not when
    the title says easy ("Recovery run after the marathon")."""
    if "mara" not in text.norm or _EASY.find(text) is not None:
        return None
    match = _RACE_DISTANCE.search(text.norm)
    if match is None:
        return None
    return f'"{text.quote(*match.span()).strip(" -")}" is a race'


def _not_a_run(text: _Text, where: str = "", *, meetings: bool = True) -> tuple[Kind, str] | None:
    """Strength, another sport or (with `meetings`) a meeting named in `text`."""
    hit = _STRENGTH.find(text)
    if hit is not None:
        return Kind.STRENGTH, f'"{hit.quote}"{where} is a strength session'
    hit = _first(text, _SPORTS)
    if hit is not None:
        label = f'"{hit.quote}"' if hit.label == "another sport" else hit.label
        return Kind.OTHER, f"not a run ({label}{where})"
    hit = _ADMIN.find(text) if meetings else None
    if hit is not None:
        return Kind.OTHER, f'not a run ("{hit.quote}"{where}: {hit.label})'
    return None


def _context(summary: _Text) -> tuple[Kind, str] | None:
    """Helping at a race, its expo or bib pick-up: not a run, unless pacing someone."""
    hit = _first(summary, _CONTEXTS)
    if hit is None or _PACING.find(summary) is not None:
        return None
    return Kind.OTHER, f'not a run ("{hit.quote}": {hit.label})'


def _social(summary: _Text, run: _Hit, m: _Measures) -> tuple[Kind, str] | None:
    """ "Run club breakfast", "Lauftreff Weihnachtsfeier": a social event after the run word,
    with no figure and no training marker in the title ("Breakfast run" stays a run)."""
    hit = _SOCIAL.find(summary)
    if hit is None or hit.start < run.start or _figures_in_title(m) or _marker(summary):
        return None
    return Kind.OTHER, f'not a run ("{hit.quote}": {hit.label})'


@dataclass(frozen=True, slots=True)
class _Fields:
    summary: _Text
    categories: _Text
    description: _Text


_IN = {"summary": "", "categories": " in the categories", "description": " in the description"}
_FALLBACK = "no run, strength or training marker"


def _verdict_if_not_run(f: _Fields, m: _Measures) -> tuple[Kind, str] | None:
    """None for a run; otherwise its kind (strength or other) and the reason."""
    verdict = _context(f.summary)
    if verdict is not None:
        return verdict
    for name in ("summary", "categories"):
        text: _Text = getattr(f, name)
        run = _run_word(text)
        if run:
            return _social(text, run, m) if name == "summary" else None
        verdict = _not_a_run(text, _IN[name])
        if verdict is not None:
            return verdict
    return _without_run_word(f, m)


def _without_run_word(f: _Fields, m: _Measures) -> tuple[Kind, str] | None:
    """A title with no run word: a marker, a figure (runs calendar) or a vague word."""
    rest = _REST.find(f.summary)
    if rest is not None and not _marker(f.summary):
        return Kind.OTHER, f'not a run ("{rest.quote}": {rest.label})'
    social = _SOCIAL.find(f.summary)
    if _marker(f.summary) or (social is None and _figures_in_title(m, f.summary)):
        return None  # in a runs calendar, "Base 8 km" or "Sunday 2h" is a run
    if social is not None:
        return Kind.OTHER, f'not a run ("{social.quote}": {social.label})'
    described = _run_word(f.description)
    if described is None:
        verdict = _not_a_run(f.description, _IN["description"], meetings=False)
        if verdict is not None:
            return verdict
    generic = _GENERIC.find(f.summary) or _GENERIC.find(f.categories)
    if generic is not None or described is not None:
        planned = m.minutes_where.startswith("planned")
        if m.distances or planned or _marker(f.categories) or _marker(f.description):
            return None
    return Kind.OTHER, _FALLBACK


def _figures_in_title(m: _Measures, summary: _Text | None = None) -> bool:
    """A distance in the title, or a planned duration (with `summary`: in a title of words
    with no meaning of their own, "Sunday 2h", not "Focus time 2h")."""
    if m.distances and m.distance_where == "in the title":
        return True
    if m.minutes_where != "planned":
        return False
    return summary is None or all(w in _NEUTRAL or _DIGIT.search(w) for w in summary.words)


def _run_kind(f: _Fields, m: _Measures, rules: ClassifyRules) -> tuple[Kind, str]:
    easy_title = _EASY.find(f.summary) is not None
    names = ["summary", "categories"] + ([] if easy_title else ["description"])
    for name in names:
        text: _Text = getattr(f, name)
        why = _named_long(text)
        if why is not None:
            return Kind.LONG, why + _IN[name]
        # "parkrun, easy with a friend": a race run easy is an easy run
        why = _speed(text, races=not easy_title)
        if why is not None:
            return Kind.INTERVAL, why + _IN[name]
    why = _race(f.summary)
    if why is not None:
        return Kind.INTERVAL, why
    why = _long_by_numbers(m, rules)
    if why is not None:
        return Kind.LONG, why
    for name in ("summary", "categories", "description"):
        hit = _EASY.find(getattr(f, name))
        if hit is not None:
            return Kind.EASY, f'"{hit.quote}"{_IN[name]} marks an easy run{_figures(m)}'
    return Kind.EASY, f"a run with no speed or long marker{_figures(m)}"


def _suspicious(f: _Fields, m: _Measures, calendar: str) -> str:
    """Why an event read as "no run" still looks like training ("" when it does not)."""
    if m.distances:
        return f"a distance {m.distance_where}"
    if m.minutes_where == "planned in the description":  # not "Focus time 2h" in a title
        return "a duration in the description"
    if _marker(f.description) or _run_word(f.description):
        return "training words in the description"
    hit = _SPORT_CATEGORY.find(f.categories) or _RUN.find(f.categories)
    if hit is not None:
        return f'the category "{hit.quote}"'
    cal = _text(calendar)
    hit = _TRAINING_CALENDAR.find(cal) or _RUN.find(cal)
    return "" if hit is None else f'the calendar "{calendar}"'


# --- user keywords ----------------------------------------------------------------------------

_USER_ORDER = (Kind.OTHER, Kind.STRENGTH, Kind.INTERVAL, Kind.LONG, Kind.EASY)
_Keywords = tuple[tuple[str, tuple[str, ...]], ...]


def _keyword_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    parts = []
    for word in words:
        folded = "".join(_fold(c) for c in word.strip())
        if not folded:
            continue
        body = r"[\s\-_]*".join(re.escape(piece) for piece in folded.split())
        before = r"(?<!\w)" if re.match(r"\w", folded) else ""
        after = r"(?!\w)" if re.search(r"\w$", folded) else ""
        parts.append(before + body + after)
    return re.compile("|".join(parts)) if parts else None


@lru_cache(maxsize=64)
def _user_patterns(keywords: _Keywords) -> tuple[tuple[Kind, re.Pattern[str]], ...]:
    by_kind = dict(keywords)
    out = []
    for kind in _USER_ORDER:
        pattern = _keyword_pattern(by_kind.get(kind.value, ()))
        if pattern is not None:
            out.append((kind, pattern))
    return tuple(out)


def _user_kind(keywords: _Keywords, f: _Fields) -> tuple[Kind, str] | None:
    """The kind a user keyword gives: title, then categories, then (vague titles) description."""
    patterns = _user_patterns(keywords)
    for name in ("summary", "categories", "description"):
        text: _Text = getattr(f, name)
        if name == "description" and (
            _run_word(f.summary) or _not_a_run(f.summary) or _marker(f.summary)
        ):
            return None  # the title speaks for itself
        for kind, pattern in patterns:
            m = pattern.search(text.norm)
            if m is not None:
                return kind, f'your keyword "{text.quote(*m.span())}"{_IN[name]}'
    return None


# --- the API ----------------------------------------------------------------------------------


@lru_cache(maxsize=16384)
def _decide(
    texts: tuple[str, str, str],
    calendar: float | None,
    long_minutes: int,
    long_km: float,
    keywords: _Keywords,
    calendar_name: str,
) -> tuple[Kind, str, float | None, float | None, str]:
    """Kind, reason, km, minutes and what looks like training in a "no run" (recurring events
    share them)."""
    f = _Fields(*(_text(t) for t in texts))
    m = _measure(f.summary, f.description, calendar)
    rules = ClassifyRules(long_minutes=long_minutes, long_km=long_km)
    user = _user_kind(keywords, f) if keywords else None
    if user is not None:
        kind, why = user
    else:
        verdict = _verdict_if_not_run(f, m)
        kind, why = _run_kind(f, m, rules) if verdict is None else verdict
    minutes = None if m.minutes is None else round(m.minutes, 1)
    suspicious = _suspicious(f, m, calendar_name) if why == _FALLBACK else ""
    return kind, f"{kind.value}: {why}", m.km, minutes, suspicious


def _calendar_name(source: str) -> str:
    """The calendar's name, or a file's name without its folder ("training.ics")."""
    return source.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1][:200]


def _calendar_minutes(event: Event) -> float | None:
    """Elapsed minutes between DTSTART and DTEND of a timed event (None for all-day ones)."""
    if event.all_day:
        return None
    seconds = (event.end.astimezone(dt.UTC) - event.start.astimezone(dt.UTC)).total_seconds()
    return seconds / 60 if seconds > 0 else None


def classify(event: Event, rules: ClassifyRules) -> Classified:
    """The kind of one occurrence and the reason, with the distance and duration found."""
    if event.managed:
        return Classified(event, Kind.STRENGTH, "strength: a calsync strength block")
    if copied(event):  # the user's copy of a block, wherever it is: their own session
        return Classified(event, Kind.STRENGTH, COPY_REASON)
    if not event.runs_source:
        return Classified(event, Kind.OTHER, "other: busy-only calendar")
    keywords = tuple(sorted((Kind(k).value, tuple(v)) for k, v in rules.keywords.items() if v))
    kind, reason, km, minutes, suspicious = _decide(
        (event.summary, ", ".join(event.categories), event.description),
        _calendar_minutes(event),
        rules.long_minutes,
        rules.long_km,
        keywords,
        _calendar_name(event.source),
    )
    return Classified(
        event, kind, reason, distance_km=km, duration_minutes=minutes, suspicious=suspicious
    )


def classify_all(events: Iterable[Event], rules: ClassifyRules) -> list[Classified]:
    """`classify` for every occurrence, in the given order."""
    return [classify(event, rules) for event in events]


def unread_warnings(classified: Iterable[Classified], limit: int = 20) -> list[str]:
    """One line per title of the "no run" events that look like training, with a count:
    a season of "Base 8 km" is one line. At most `limit` lines (the most frequent first)."""
    counts: dict[str, int] = {}
    why: dict[str, str] = {}
    for item in classified:
        if item.kind is Kind.OTHER and item.suspicious:
            title = " ".join(item.event.summary.split())[:80]
            counts[title] = counts.get(title, 0) + 1
            why.setdefault(title, item.suspicious)
    lines = []
    for title, n in sorted(counts.items(), key=lambda kv: -kv[1])[:limit]:
        times = f"{n} times; " if n > 1 else ""
        lines.append(
            f"{title or '(no title)'!r} read as not a run ({times}{why[title]}): "
            "add a keyword under [classify.keywords] if it is"
        )
    if len(counts) > limit:
        lines.append(f"... and {len(counts) - limit} more titles read as not a run")
    return lines
