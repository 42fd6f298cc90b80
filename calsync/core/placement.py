"""The slot inside a day: windows, busy spans and buffers, the 15- and 5-minute grids,
after-run placement, and window edges across DST gaps and folds.

Pure: no I/O, no clock. The rules are documented once, in `calsync.core.plan`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass

from calsync.core.day_index import TINY
from calsync.core.day_index import UTC
from calsync.core.day_index import Day
from calsync.core.day_index import Interval
from calsync.core.plan_state import Context
from calsync.model import PlanRules
from calsync.model import TimeWindow

EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)

GRID = dt.timedelta(minutes=15)

AFTER_RUN_GRID = dt.timedelta(minutes=5)


def windows_of(rules: PlanRules, day: dt.date) -> tuple[TimeWindow, ...]:
    return rules.weekday_windows if day.weekday() < 5 else rules.weekend_windows


def _edge(day: dt.date, time: dt.time, tz: dt.tzinfo, fold: int) -> dt.datetime:
    """A window edge as a UTC instant. A time the clock skips (DST gap) becomes the jump
    itself; a time the clock shows twice takes `fold` (0 for starts, 1 for ends: the widest)."""
    naive = dt.datetime.combine(day, time)
    instant = naive.replace(tzinfo=tz, fold=fold).astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == naive:
        return instant
    return _jump(naive, tz)


def _jump(naive: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """The instant the clock jumps over the non-existent local time `naive`."""
    low = int(naive.replace(tzinfo=tz, fold=1).astimezone(UTC).timestamp())  # before it
    high = int(naive.replace(tzinfo=tz, fold=0).astimezone(UTC).timestamp())  # after it
    after = dt.datetime.fromtimestamp(high, tz).utcoffset()
    while high - low > 1:  # bounded: the gap is at most a few hours of seconds, halved
        middle = (low + high) // 2
        if dt.datetime.fromtimestamp(middle, tz).utcoffset() == after:
            high = middle
        else:
            low = middle
    return dt.datetime.fromtimestamp(high, UTC)


def _ceil(instant: dt.datetime, step: dt.timedelta) -> dt.datetime:
    rest = (instant - EPOCH) % step
    return instant if not rest else instant + (step - rest)


def _floor(instant: dt.datetime, step: dt.timedelta) -> dt.datetime:
    return instant - (instant - EPOCH) % step


def _clash(start: dt.datetime, end: dt.datetime, busy: Sequence[Interval]) -> Interval | None:
    for span in busy:
        if span[0] < end and start < span[1]:
            return span
    return None


@dataclass(frozen=True, slots=True)
class _Frame:
    """One window of one day: UTC edges, and the wall-clock times to check against."""

    day: dt.date
    window: TimeWindow
    start: dt.datetime
    end: dt.datetime


def _frames(ctx: Context, day: dt.date) -> list[_Frame]:
    tz = ctx.rules.timezone
    return [
        _Frame(day, w, _edge(day, w.start, tz, 0), _edge(day, w.end, tz, 1))
        for w in windows_of(ctx.rules, day)
    ]


def _fits(ctx: Context, frame: _Frame, start: dt.datetime, end: dt.datetime) -> bool:
    """Inside the window (every minute of the block reads a time inside it on the local
    clock), and not before now."""
    if start < ctx.now or start < frame.start or end > frame.end:
        return False
    tz = ctx.rules.timezone
    local_start, local_last = start.astimezone(tz), (end - TINY).astimezone(tz)
    offset_start, offset_last = local_start.utcoffset(), local_last.utcoffset()
    if offset_start is None or offset_last is None or offset_last < offset_start:
        return False  # spans the clocks going back: its minutes would not read in order
    return (
        local_start.date() == frame.day == local_last.date()
        and frame.window.start <= local_start.time()
        and local_last.time() < frame.window.end
    )


def find_slot(ctx: Context, day: dt.date, info: Day, minutes: int) -> Interval | None:
    """A free slot of `minutes` on `day`, by `rules.placement` (see `calsync.core.plan`)."""
    duration = dt.timedelta(minutes=minutes)
    busy = sorted(info.busy)
    frames = _frames(ctx, day)
    if ctx.rules.placement == "after_run":
        slot = _after_run(ctx, day, info, frames, duration, busy)
        if slot is not None:
            return slot
    if ctx.rules.placement == "latest":
        return _first_found(_latest(ctx, f, duration, busy) for f in reversed(frames))
    return _first_found(_earliest(ctx, f, duration, busy) for f in frames)


def _after_run(
    ctx: Context,
    day: dt.date,
    info: Day,
    frames: Sequence[_Frame],
    duration: dt.timedelta,
    busy: Sequence[Interval],
) -> Interval | None:
    """Right after an allowed run ends, else later that day; with no timed run, the usual
    time."""
    rules = ctx.rules
    buffer = dt.timedelta(minutes=rules.buffer_minutes)
    runs = [r for r in info.runs if r.kind.value in rules.allowed_on and not r.event.all_day]
    ends = sorted({r.event.end.astimezone(UTC) for r in runs})
    if not ends and ctx.usual is not None:
        # No run time to follow (an all-day run, a rest day): the preferred or usual time,
        # not the window's first minute (06:00 is when many runners run, not lift).
        slot = _at_usual(ctx, day, frames, duration, busy, ctx.usual)
        if slot is not None:
            return slot
    for end in ends:
        start = _ceil(end + buffer, AFTER_RUN_GRID)
        if _free(ctx, frames, start, start + duration, busy):
            return start, start + duration
    # Right after is taken: the first free slot later that day.
    return _first_found(
        _earliest(ctx, frame, duration, busy, end + buffer) for end in ends for frame in frames
    )


def _first_found(slots: Iterable[Interval | None]) -> Interval | None:
    """The first slot that is not None (`slots` is lazy: the search stops there)."""
    return next((slot for slot in slots if slot is not None), None)


def _free(
    ctx: Context,
    frames: Sequence[_Frame],
    start: dt.datetime,
    end: dt.datetime,
    busy: Sequence[Interval],
) -> bool:
    return _clash(start, end, busy) is None and any(_fits(ctx, f, start, end) for f in frames)


def _at_usual(
    ctx: Context,
    day: dt.date,
    frames: Sequence[_Frame],
    duration: dt.timedelta,
    busy: Sequence[Interval],
    usual: dt.time,
) -> Interval | None:
    """At `usual` on `day` when free, else the first free grid slot later that day."""
    start = _edge(day, usual, ctx.rules.timezone, 0)
    if _free(ctx, frames, start, start + duration, busy):
        return start, start + duration
    return _first_found(_earliest(ctx, frame, duration, busy, start) for frame in frames)


def _earliest(
    ctx: Context,
    frame: _Frame,
    duration: dt.timedelta,
    busy: Sequence[Interval],
    not_before: dt.datetime = EPOCH,
) -> Interval | None:
    start = _ceil(max(frame.start, ctx.now, not_before), GRID)
    while start + duration <= frame.end:  # bounded: every step moves forward by >= GRID
        end = start + duration
        clash = _clash(start, end, busy)
        if clash is None and _fits(ctx, frame, start, end):
            return start, end
        start = _ceil(clash[1], GRID) if clash is not None else start + GRID
    return None


def _latest(
    ctx: Context, frame: _Frame, duration: dt.timedelta, busy: Sequence[Interval]
) -> Interval | None:
    start = _floor(frame.end - duration, GRID)
    lowest = max(frame.start, ctx.now)
    while start >= lowest:  # bounded: every step moves back by >= GRID
        end = start + duration
        clash = _clash(start, end, busy)
        if clash is None and _fits(ctx, frame, start, end):
            return start, end
        start = _floor(clash[0] - duration, GRID) if clash is not None else start - GRID
    return None
