"""Goal races and the days around them: the taper before a race and the recovery after it.

Pure: no I/O, no clock. The rules are documented once, in `calsync.core.plan`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field

from calsync.core.day_index import Day
from calsync.model import Classified
from calsync.model import Kind
from calsync.model import PlanRules

MARATHON = re.compile(
    r"(?<!\w)(?:half\s*|halb|semi[\s-]*|media\s*|mezza\s*|meia\s*)?marat(?:h?on|ona)"
)

RACE_WORD = re.compile(r"(?<!\w)(?:race|wettkampf|wedstrijd|gara|carrera|corrida)(?!\w)")

# Not a race: a pace or a training block named after one ("@ marathon pace", "MP long run").
NOT_A_RACE = re.compile(
    r"@\s*\S+|(?:marat\w*|race|10\s*k)\s*(?:pace|effort|training|block|plan|build|week)"
    r"|parkrun"
)

LONG_RACE_KM = 21.0


@dataclass(frozen=True, slots=True)
class Race:
    day: dt.date
    name: str
    long: bool  # a half marathon or longer: recovery days after it


@dataclass(slots=True)
class RaceDays:
    """The goal races and the days they keep from strength, each day with its race."""

    races: dict[dt.date, Race] = field(default_factory=dict)
    taper: dict[dt.date, Race] = field(default_factory=dict)  # day -> the race it tapers for
    recovery: dict[dt.date, Race] = field(default_factory=dict)  # day -> the race before it


def find_races(days: Mapping[dt.date, Day], rules: PlanRules) -> RaceDays:
    """The goal races in the index, and the taper and recovery days around them."""
    found = RaceDays()
    for day in sorted(days):
        race = _goal_race(day, days[day].runs)
        if race is None:
            continue
        found.races[day] = race
        for back in range(1, rules.taper_days + 1):
            found.taper.setdefault(day - dt.timedelta(days=back), race)
        for ahead in range(1, rules.recovery_days_after_race + 1 if race.long else 1):
            found.recovery[day + dt.timedelta(days=ahead)] = race
    for day in found.races:  # a race day is a race day, not a taper day for the next one
        found.taper.pop(day, None)
    return found


def _goal_race(day: dt.date, runs: Sequence[Classified]) -> Race | None:
    for item in sorted(runs, key=lambda r: (r.event.summary, r.event.uid)):
        if item.kind is not Kind.INTERVAL:
            continue
        title = " ".join(item.event.summary.lower().split())
        cleaned = NOT_A_RACE.sub(" ", title)
        km = item.distance_km or 0.0
        if MARATHON.search(cleaned) or (RACE_WORD.search(cleaned) and km >= 10):
            return Race(day, item.event.summary.strip(), km >= LONG_RACE_KM)
    return None
