"""The planner's working values: the context of one `plan` call, a candidate day with its
slot, and a skipped day with its verdict.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from dataclasses import field

from calsync.core.day_index import Day
from calsync.core.races import Race
from calsync.core.sessions import ACTIVATION_MINUTES
from calsync.model import PlanRules


@dataclass(frozen=True, slots=True)
class Candidate:
    """A compliant day with its free slot, and what ranks it among the week's days."""

    day: dt.date
    start: dt.datetime  # UTC
    end: dt.datetime
    avoided: bool  # day before intervals under "avoid": only if needed, then lighter
    before_interval: bool
    rest_day: bool  # no run that day ("rest" in allowed_on): easy-run days come first
    activation: bool = False  # in the taper before a goal race: the short activation session


@dataclass(frozen=True, slots=True)
class Skip:
    """Why a day gets no block: a verdict code, the words, and the week's warning line."""

    code: str
    text: str
    warning: str | None = None  # shown when the week is short of its sessions


@dataclass(slots=True)
class Context:
    """One `plan` call: the rules, the day index, now, and what was found or placed so far."""

    rules: PlanRules
    days: dict[dt.date, Day]
    now: dt.datetime  # UTC
    today: dt.date
    strength: set[dt.date]  # the user's own strength days + blocks placed so far
    races: dict[dt.date, Race] = field(default_factory=dict)
    taper: dict[dt.date, Race] = field(default_factory=dict)  # day -> the race it tapers for
    recovery: dict[dt.date, Race] = field(default_factory=dict)  # day -> the race before it
    usual: dt.time | None = None  # start of a block on a day with no timed run to follow


def day_info(ctx: Context, day: dt.date) -> Day:
    """What the index knows about `day` (an empty `Day` when nothing)."""
    return ctx.days.get(day) or Day()


def session_minutes(rules: PlanRules, activation: bool) -> int:
    """The block's length: the activation session is shorter."""
    if activation:
        return min(ACTIVATION_MINUTES, rules.duration_minutes)
    return rules.duration_minutes
