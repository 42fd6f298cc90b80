"""Plan weeks and days in words: week windows, ISO week labels, day names and quotes.

Pure: no I/O, no clock. The rules are documented once, in `calsync.core.plan`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

ONE_DAY = dt.timedelta(days=1)

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def week_window(day: dt.date, weeks: int, week_start: int) -> tuple[dt.date, dt.date]:
    """First and last day (inclusive) of `weeks` plan weeks, the first one containing `day`."""
    first = day - dt.timedelta(days=(day.weekday() - week_start) % 7)
    return first, first + dt.timedelta(days=7 * weeks - 1)


def week_label(first_day: dt.date) -> str:
    """ "2026-W49": the ISO week sharing at least four days with the plan week (the rule is in
    `calsync.core.plan`)."""
    year, week, _ = (first_day + dt.timedelta(days=3)).isocalendar()
    return f"{year}-W{week:02d}"


def day_name(day: dt.date, week: Sequence[dt.date]) -> str:
    """ "Thu" inside the week, "Mon 7 Dec" outside it."""
    return WEEKDAYS[day.weekday()] if week[0] <= day <= week[-1] else date_text(day)


def date_text(day: dt.date) -> str:
    """ "Mon 7 Dec"."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]}"


def quote(text: str, width: int = 40) -> str:
    """`text` in quotes, on one line, cut to `width` characters."""
    text = " ".join(text.split())
    if len(text) > width:
        text = text[: width - 1] + "…"
    return f'"{text}"'
