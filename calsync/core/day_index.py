"""The day index: what the planner knows about each local day (runs, own strength
sessions, blackouts, all-day busy events, busy spans with their buffers), built in one pass.

Pure: no I/O, no clock. The rules are documented once, in `calsync.core.plan`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field

from calsync.core.weeks import ONE_DAY
from calsync.model import RUN_KINDS
from calsync.model import Classified
from calsync.model import Kind
from calsync.model import PlanRules

UTC = dt.UTC

TINY = dt.timedelta(microseconds=1)

MIDNIGHT = dt.time(0)

HARD = frozenset({Kind.INTERVAL, Kind.LONG})

Interval = tuple[dt.datetime, dt.datetime]


@dataclass(slots=True)
class Day:
    """What the planner needs to know about one local day."""

    kinds: set[Kind] = field(default_factory=set)
    runs: list[Classified] = field(default_factory=list)
    own_strength: bool = False
    blackouts: list[str] = field(default_factory=list)
    all_day_busy: list[str] = field(default_factory=list)
    busy: list[Interval] = field(default_factory=list)  # UTC, buffer included


def covered_days(start: dt.datetime, end: dt.datetime, tz: dt.tzinfo) -> tuple[dt.date, dt.date]:
    """The first and last local day that `[start, end)` touches (an instant: its own day)."""
    first = start.astimezone(tz).date()
    last = (end - TINY).astimezone(tz).date() if end > start else first
    return first, max(first, last)


def _day_range(first: dt.date, last: dt.date, lo: dt.date, hi: dt.date) -> Iterator[dt.date]:
    if first == last and lo <= first <= hi:
        yield first
        return
    day, stop = max(first, lo), min(last, hi)
    while day <= stop:
        yield day
        day += ONE_DAY


def _blackout_pattern(words: Sequence[str]) -> re.Pattern[str] | None:
    cleaned = sorted({w.strip() for w in words if w.strip()}, key=lambda w: (-len(w), w))
    if not cleaned:
        return None
    alternatives = "|".join(re.escape(w) for w in cleaned)
    # A public holiday ("Summer bank holiday" in Google's UK holidays calendar) is a day off
    # work, not a trip: it keeps no day free of strength.
    public = "".join(rf"(?<!{w} )" for w in ("bank", "public", "national", "federal"))
    return re.compile(rf"(?<!\w){public}(?:{alternatives})(?!\w)", re.IGNORECASE)


def _local_days(start: dt.datetime, end: dt.datetime) -> tuple[dt.date, dt.date]:
    """First and last local day of `[start, end)`, both already in the home zone."""
    first, last = start.date(), end.date()
    if last > first and end.time() == MIDNIGHT:
        last -= ONE_DAY  # the end is exclusive: an event ending at midnight ends the day before
    return first, max(first, last)


def _near_midnight(start: dt.datetime, end: dt.datetime, margin: int) -> bool:
    """True when a span buffered by less than `margin` minutes may reach another day."""
    minutes = (start.hour * 60 + start.minute, end.hour * 60 + end.minute)
    return min(minutes) < margin or max(minutes) > 24 * 60 - margin


def index_days(
    items: Sequence[Classified], rules: PlanRules, lo: dt.date, hi: dt.date
) -> dict[dt.date, Day]:
    """Every non-managed item, filed under each local day in [lo, hi] it touches: one pass."""
    index = _Index(rules, lo, hi)
    for item in items:
        if not item.event.managed:
            index.add(item)
    return index.days


class _Index:
    """The days being filled, and what filing one item needs."""

    __slots__ = ("blackout", "buffer", "days", "hi", "lo", "margin", "tz")

    def __init__(self, rules: PlanRules, lo: dt.date, hi: dt.date) -> None:
        self.tz = rules.timezone
        self.buffer = dt.timedelta(minutes=rules.buffer_minutes)
        self.margin = rules.buffer_minutes + 180  # DST shifts are at most 2 hours
        self.blackout = _blackout_pattern(rules.blackout_words)
        self.lo, self.hi = lo, hi
        self.days: dict[dt.date, Day] = {}

    def add(self, item: Classified) -> None:
        event, tz, lo, hi = item.event, self.tz, self.lo, self.hi
        # Through UTC, so that a time in a DST gap reads as the real local time.
        local_start = event.start.astimezone(UTC).astimezone(tz)
        local_end = event.end.astimezone(UTC).astimezone(tz)
        first, last = _local_days(local_start, local_end)
        if last < lo or first > hi:
            return
        # Clipped to the days looked at: an event may run to year 9999 (no room for a buffer).
        local_start = max(local_start, dt.datetime.combine(lo - ONE_DAY, MIDNIGHT, tzinfo=tz))
        local_end = min(local_end, dt.datetime.combine(hi + 2 * ONE_DAY, MIDNIGHT, tzinfo=tz))
        first, last = max(first, lo), min(last, hi)
        self._mark(item, first, last)
        if event.busy and not event.all_day:
            self._busy(local_start, local_end, first, last)

    def _day(self, day: dt.date) -> Day:
        return self.days.get(day) or self.days.setdefault(day, Day())

    def _mark(self, item: Classified, first: dt.date, last: dt.date) -> None:
        """The item's kind, run, own session, blackout and all-day busy on each of its days."""
        event = item.event
        is_run = item.kind in RUN_KINDS
        black = self.blackout is not None and self.blackout.search(event.summary) is not None
        all_day_busy = event.all_day and event.busy and not is_run
        for day in _day_range(first, last, self.lo, self.hi):
            info = self._day(day)
            info.kinds.add(item.kind)
            if is_run:
                info.runs.append(item)
            elif item.kind is Kind.STRENGTH:
                info.own_strength = True
            if black:
                info.blackouts.append(event.summary)
            if all_day_busy:
                info.all_day_busy.append(event.summary)

    def _busy(
        self, local_start: dt.datetime, local_end: dt.datetime, first: dt.date, last: dt.date
    ) -> None:
        """A timed busy event, with its buffers, on every day the buffered span touches."""
        span = (local_start.astimezone(UTC) - self.buffer, local_end.astimezone(UTC) + self.buffer)
        if _near_midnight(local_start, local_end, self.margin):
            first, last = covered_days(span[0], span[1], self.tz)
        for day in _day_range(first, last, self.lo, self.hi):
            self._day(day).busy.append(span)


def allowed_kind(info: Day, allowed_on: frozenset[str]) -> bool:
    """No hard run, and a run of an allowed kind (or no run, with "rest" allowed)."""
    if info.kinds & HARD:
        return False
    has_run = any(k in RUN_KINDS for k in info.kinds)
    if not has_run:
        return "rest" in allowed_on
    return any(r.kind.value in allowed_on for r in info.runs)
