"""Times inside calsync's calendar: the bounds (year 2 to 9998) that keep date arithmetic from
overflowing, loose comparisons of floating, zoned and all-day values, and RFC 5545's duration
arithmetic."""

from __future__ import annotations

import datetime as dt
from typing import Any

UTC = dt.UTC
DAY = dt.timedelta(days=1)
SLACK = dt.timedelta(days=2)  # any zone is within ±14 h of UTC; dates are compared loosely


# Python's calendar ends at years 1 and 9999: a time there cannot move by a zone offset or a
# day without OverflowError. Times read are kept inside these bounds (a DTEND in 9999 means
# "for ever" and still does), so no later date arithmetic on them can overflow.
EARLIEST = dt.datetime(2, 1, 1, tzinfo=UTC)
LATEST = dt.datetime(9998, 12, 31, tzinfo=UTC)


def _aware(value: dt.datetime, floating_tz: dt.tzinfo) -> dt.datetime:
    return value.replace(tzinfo=floating_tz) if value.tzinfo is None else value


def loose_utc(value: object) -> dt.datetime | None:
    """A DTSTART or DTEND as an aware instant, loosely (floating times and dates read as UTC),
    or None when it is not a date."""
    if isinstance(value, dt.datetime):
        try:
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        except OverflowError:  # within a zone offset of year 1 or 9999
            return value.replace(tzinfo=UTC)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), tzinfo=UTC)
    return None


def same_instant(a: object, b: object) -> bool:
    if not (isinstance(a, dt.datetime) and isinstance(b, dt.datetime)):
        return a == b
    if (a.tzinfo is None) != (b.tzinfo is None):  # floating against zoned: the wall clock
        return a.replace(tzinfo=None) == b.replace(tzinfo=None)
    return a == b


def span_of(component: Any) -> dt.timedelta | None:
    """How long one occurrence lasts (DTEND or DURATION after DTSTART), loosely; None if
    neither is there or readable."""
    begins = loose_utc(getattr(component.get("DTSTART"), "dt", None))
    if begins is None:
        return None
    if "DTEND" in component:
        finish = loose_utc(getattr(component.get("DTEND"), "dt", None))
        return None if finish is None else finish - begins
    duration = getattr(component.get("DURATION"), "dt", None)
    return duration if isinstance(duration, dt.timedelta) else None


def plus(begins: dt.date, duration: dt.timedelta) -> dt.date:
    """RFC 5545 §3.3.6: days are nominal (wall clock), hours and less are exact."""
    nominal = begins + dt.timedelta(days=duration.days)
    if not isinstance(nominal, dt.datetime) or nominal.tzinfo is None or not duration.seconds:
        return nominal + dt.timedelta(seconds=duration.seconds)
    exact = nominal.astimezone(UTC) + dt.timedelta(seconds=duration.seconds)
    return exact.astimezone(nominal.tzinfo)


def beyond_calendar(begins: dt.date, duration: dt.timedelta) -> str | None:
    """Why a DURATION cannot be planned (its end lies past the calendar's end), or None."""
    try:
        plus(begins, duration)
    except OverflowError:
        return f"its duration ({duration.days} days) is beyond what calsync can plan"
    return None


def midnight(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """Local midnight of `day`, the day kept inside calsync's calendar (see EARLIEST)."""
    day = min(max(day, EARLIEST.date()), LATEST.date())
    return dt.datetime.combine(day, dt.time(), tzinfo=tz)


def in_zone(value: dt.datetime, floating_tz: dt.tzinfo, tz: dt.tzinfo) -> dt.datetime:
    """The instant `value` in `tz`, kept inside `[EARLIEST, LATEST]`.

    Through UTC: a wall time the clock skips (RFC 5545: read with the offset before the gap)
    comes out as the real local time, not as a time that never shows on the clock.
    """
    try:
        moment = _aware(value, floating_tz).astimezone(UTC)
    except OverflowError:  # within a zone offset of year 1 or 9999
        moment = EARLIEST if value.year < EARLIEST.year else LATEST
    return min(max(moment, EARLIEST), LATEST).astimezone(tz)
