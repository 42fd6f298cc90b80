"""Figures in text: distances (km, miles, metres, race names), durations (hours, minutes,
clock forms), repeat patterns and paces, and what they say about a run's length.

Pure: no I/O, no clock, no logging. The rules are documented once, in `calsync.core.classify`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from calsync.core.keywords import EASY
from calsync.core.keywords import STRIDES
from calsync.core.text import DIGIT
from calsync.core.text import TOKEN
from calsync.core.text import Text
from calsync.model import ClassifyRules

MILE_KM = 1.609344

HALF_MARATHON_KM = 21.0975

MARATHON_KM = 42.195

_MAX_CLOCK_HOURS = 5  # "7h", "18h30", "07:00:00": a time of day, not a duration

_REPEAT = re.compile(
    r"(?<![\w.,])(\d{1,2})\s*x\s*\(?\s*(\d{1,5}(?:[.,]\d{1,2})?)\s*"
    r"(minutes?|minuten|minutos|minuti|minuter|minutter|minuuttia|minuty|minut|mins?|miles?|mi|km|k|m"
    r"|seconds?|secs?|sekunder|sekunnit|sekuntia|sekundy|sekund|sek|s|h|''|'|\")?"
    r"(?!\w)"
)

PACE = re.compile(
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

RACE_DISTANCE = re.compile(
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


def may_pace(norm: str) -> bool:
    """A cheap test before the pace pattern (long descriptions are common)."""
    return any(w in norm for w in ("@", "pace", "effort", "allure", "ritmo", "passo"))


@lru_cache(maxsize=256)
def _masked(norm: str, *, paces: bool) -> tuple[tuple[int, int], ...]:
    """Spans of repeat patterns (and, with `paces`, of paces) in a normalised text."""
    spans = [m.span() for m in _REPEAT.finditer(norm)] if "x" in norm else []
    if paces and may_pace(norm):
        spans += [m.span() for m in PACE.finditer(norm)]
    return tuple(spans)


def _number(value: str) -> float:
    return float(value.replace(",", "."))


@dataclass(frozen=True, slots=True)
class _Repeat:
    quote: str
    strides: bool


def repeats(text: Text) -> list[_Repeat]:
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
        strides = short or any(w in STRIDES for w in TOKEN.findall(after)[:2])
        found.append(_Repeat(text.quote(*m.span()), strides))
    return found


@dataclass(frozen=True, slots=True)
class _Distance:
    km: float
    miles: float | None  # set when written in miles
    quote: str


def _distances(text: Text) -> list[_Distance]:
    """Every distance written in the text (not inside repeats or paces), race names too."""
    if DIGIT.search(text.norm) is None and "mara" not in text.norm:
        return []
    masked = _Mask(len(text.norm), _masked(text.norm, paces=True))
    found = []
    for m in _DISTANCE.finditer(text.norm):
        distance = None if masked.covers(m.span()) else _written_distance(text, m)
        if distance is not None:
            found.append(distance)
    # "Recovery run after the marathon": with an easy word, a race's name is context, not the
    # distance of this run.
    races = "mara" in text.norm and EASY.find(text) is None
    for m in RACE_DISTANCE.finditer(text.norm) if races else ():
        if not masked.covers(m.span()):
            km = HALF_MARATHON_KM if m.group(1) else MARATHON_KM
            found.append(_Distance(km, None, text.quote(*m.span()).strip()))
    return found


def _written_distance(text: Text, m: re.Match[str]) -> _Distance | None:
    """A figure with its unit ("10 km", "6 mi", "800 m"), or None when it is no distance."""
    value, unit = _number(m.group(1)), m.group(2)
    miles = None
    if unit.startswith(("mi", "meilen")):
        miles, km = value, value * MILE_KM
    elif unit.startswith("m"):
        if value < 100:  # "45m" is minutes
            return None
        km = value / 1000
    else:
        km = value
    return _Distance(km, miles, text.quote(*m.span())) if 0 < km <= 500 else None


def _durations(text: Text) -> list[float]:
    """Minutes of every duration written in the text (not those of repeats).

    "18h30", "7h" and "07:00:00" past `_MAX_CLOCK_HOURS` are times of day, not durations.
    """
    norm = text.norm
    if DIGIT.search(norm) is None:
        return []
    taken = _Mask(len(norm), _masked(norm, paces=False))
    minutes = []
    for span, minute in _duration_forms(norm):  # longer forms first: "1h30" is not also "30"
        if taken.covers(span):
            continue
        taken.add(span)
        if minute is not None and 0 < minute <= 24 * 60:
            minutes.append(minute)
    return minutes


def _duration_forms(norm: str) -> list[tuple[tuple[int, int], float | None]]:
    """Each duration form's spans and minutes (None: a time of day), longer forms first."""
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
    return found


@dataclass(frozen=True, slots=True)
class Measures:
    """The distances and the duration read from an event, and where they were written."""

    distances: tuple[_Distance, ...]
    distance_where: str  # "in the title" / "in the description"
    minutes: float | None
    minutes_where: str  # "planned" / "planned in the description" / "in the calendar"

    @property
    def km(self) -> float | None:
        return round(max(d.km for d in self.distances), 2) if self.distances else None


def measure(summary: Text, description: Text, calendar: float | None) -> Measures:
    """The title's figures win over the description's; the calendar's duration over a
    description's (see rule 5 in `calsync.core.classify`)."""
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
    return Measures(tuple(distances), distance_where, minutes, where if minutes else "")


def _hm(minutes: float) -> str:
    whole = round(minutes)
    return f"{whole} min" if whole < 60 else f"{whole // 60}h {whole % 60:02d}m"


def _km(value: float) -> str:
    return f"{round(value, 1):g} km"


_PLAIN_KM = re.compile(r"[\d.,]+\s*(?:km|kms|k)", re.IGNORECASE)


def long_by_numbers(m: Measures, rules: ClassifyRules) -> str | None:
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


def figures_text(m: Measures) -> str:
    """ " (8 km, 45 min)": the figures used, for the reason."""
    parts = [_km(m.km)] if m.km is not None else []
    if m.minutes is not None:
        parts.append(_hm(m.minutes))
    return f" ({', '.join(parts)})" if parts else ""
