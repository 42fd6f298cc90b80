"""Immutable value types shared by every layer: events, kinds, rules, blocks, plans.

No behaviour beyond trivial properties, and no imports from the rest of calsync.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from enum import StrEnum
from typing import Literal


class Kind(StrEnum):
    """What an occurrence is, for planning."""

    EASY = "easy"  # every run that is not intervals or a long run: recovery, shakeouts too
    INTERVAL = "interval"  # any speed or quality session: reps, track, tempo, hills, races
    LONG = "long"  # a named long run, or one over the duration/distance thresholds
    STRENGTH = "strength"  # the user's own gym / strength session
    OTHER = "other"  # not a run: meetings, cycling, swimming, yoga, ...


RUN_KINDS = frozenset({Kind.EASY, Kind.INTERVAL, Kind.LONG})

DayBeforeInterval = Literal["allow", "avoid", "forbid"]


@dataclass(frozen=True, slots=True)
class Event:
    """One occurrence read from a calendar: expanded, tz-aware, `[start, end)`.

    For an all-day event `start` is midnight of its first day in the home zone and `end`
    midnight after its last day; `all_day` is set.
    """

    uid: str
    start: dt.datetime
    end: dt.datetime
    summary: str = ""
    description: str = ""
    categories: tuple[str, ...] = ()
    all_day: bool = False
    busy: bool = True  # False for TRANSP:TRANSPARENT
    recurrence_id: str | None = None  # set for occurrences of a recurring series
    source: str = ""  # file path, feed URL or calendar name: for messages
    runs_source: bool = True  # False for events of a busy-only calendar (never a run)
    managed: bool = False  # X-CALSYNC-MANAGED: calsync wrote it
    calsync: Mapping[str, str] = field(default_factory=dict)  # X-CALSYNC-* values, if any


@dataclass(frozen=True, slots=True)
class Problem:
    """A broken event or file that was skipped, or a note on how something was read.

    Reported, never fatal. `skipped` is False for a note that lost nothing (an unknown TZID read
    in the home zone, a mistyped END line recovered from): it is shown but not counted as a skip.
    """

    source: str
    uid: str | None
    message: str
    skipped: bool = True

    def __str__(self) -> str:
        where = f"{self.source}" + (f" (UID {self.uid})" if self.uid else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class Classified:
    """An occurrence with its kind and the reason a person can read."""

    event: Event
    kind: Kind
    reason: str
    distance_km: float | None = None
    duration_minutes: float | None = None
    # Set for an "other" that looks like training (a distance, a sports category, a training
    # calendar): what looks so, e.g. "a distance in the title". Shown as one warning a title.
    suspicious: str = ""


@dataclass(frozen=True, slots=True)
class ClassifyRules:
    """How occurrences are classified; every field has the documented default."""

    long_minutes: int = 90
    long_km: float = 18.0
    # Extra user keywords per kind (lower-case). They win over the built-in ones.
    keywords: Mapping[Kind, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Template:
    """One strength session: its title and the ready-to-do description."""

    name: str
    title: str
    body: str
    lighter: bool = False  # for the day before an interval day
    knee_friendly: bool = False


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """Time of day, `[start, end)`, in which a block may be placed."""

    start: dt.time
    end: dt.time


@dataclass(frozen=True, slots=True)
class PlanRules:
    """Where strength blocks may go; every field has the documented default."""

    timezone: dt.tzinfo
    sessions_per_week: int = 2
    duration_minutes: int = 45
    allowed_on: frozenset[str] = frozenset({"easy"})  # kinds, plus "rest" for run-free days
    day_before_interval: DayBeforeInterval = "avoid"
    min_rest_days: int = 1  # days without strength between two sessions
    week_start: int = 0  # 0 = Monday ... 6 = Sunday
    weekday_windows: tuple[TimeWindow, ...] = (TimeWindow(dt.time(6), dt.time(21)),)
    weekend_windows: tuple[TimeWindow, ...] = (TimeWindow(dt.time(7), dt.time(20)),)
    buffer_minutes: int = 15
    placement: Literal["after_run", "earliest", "latest"] = "after_run"
    blackout_words: tuple[str, ...] = ("race", "travel", "sick", "holiday", "vacation")
    title: str = "Strength"
    knee_friendly: bool = False
    templates: tuple[Template, ...] = ()  # empty: the built-in sessions
    taper_days: int = 7  # no heavy session this many days before a goal race (0: off)
    recovery_days_after_race: int = 2  # no strength this many days after a half or longer
    preferred_time: dt.time | None = None  # for days without a timed run (all-day runs)


@dataclass(frozen=True, slots=True)
class Block:
    """A planned strength block."""

    slot: str  # stable identity inside the plan: "2026-W48/1"
    start: dt.datetime
    end: dt.datetime
    week: str  # "2026-W48": the ISO week of the plan week's first day
    summary: str
    description: str
    reason: str
    template: str
    lighter: bool = False

    @property
    def day(self) -> dt.date:
        return self.start.date()


@dataclass(frozen=True, slots=True)
class DayVerdict:
    """What the planner decided about one day, and why (`code`: docs/plan-json.md)."""

    date: dt.date
    code: str  # a fixed vocabulary: calsync.core.plan.VERDICTS
    reason: str  # in words, without the day's name: "no run (rest day; allowed_on = easy)"


@dataclass(frozen=True, slots=True)
class WeekReport:
    """How one plan week went: placed vs wanted, and why not."""

    week: str
    first_day: dt.date
    placed: int
    wanted: int
    warnings: tuple[str, ...] = ()
    days: tuple[DayVerdict, ...] = ()  # one per day of the week, in date order


@dataclass(frozen=True, slots=True)
class Plan:
    """The planner's answer for a window of weeks."""

    blocks: tuple[Block, ...]
    weeks: tuple[WeekReport, ...]
