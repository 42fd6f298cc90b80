"""One expanded occurrence as a calsync `Event`: its start and end in the runner's zone (all-day
from local midnight to midnight, floating times in the calendar's zone), its text, categories,
TRANSP and calsync's own X-CALSYNC-* properties."""

from __future__ import annotations

import datetime as dt
from typing import Any

from calsync.ical.checks import SkipError
from calsync.ical.instants import DAY
from calsync.ical.instants import UTC
from calsync.ical.instants import beyond_calendar
from calsync.ical.instants import in_zone
from calsync.ical.instants import midnight
from calsync.ical.instants import plus
from calsync.model import Event


def _times(
    component: Any, tz: dt.tzinfo, floating_tz: dt.tzinfo
) -> tuple[dt.datetime, dt.datetime, bool]:
    """Aware start and end in `tz`, and whether the event is all-day."""
    begins = component["DTSTART"].dt
    finish: dt.date | None = None
    if "DTEND" in component:
        finish = component["DTEND"].dt
    elif "DURATION" in component:
        duration = component["DURATION"].dt
        if isinstance(duration, dt.timedelta):
            why = beyond_calendar(begins, duration)
            if why is not None:
                raise SkipError(f"skipped: {why}")
            finish = plus(begins, duration)
    if not isinstance(begins, dt.datetime):  # a DATE: all day
        return (*_all_day(begins, finish, tz), True)
    first = in_zone(begins, floating_tz, tz)
    if isinstance(finish, dt.datetime):
        until = in_zone(finish, floating_tz, tz)
    elif isinstance(finish, dt.date):
        until = in_zone(midnight(finish, tz), floating_tz, tz)
    else:
        until = first
    return first, max(first, until), False


def _all_day(
    begins: dt.date, finish: dt.date | None, tz: dt.tzinfo
) -> tuple[dt.datetime, dt.datetime]:
    """Midnight of the first day and midnight after the last, for an all-day event."""
    first = midnight(begins, tz)
    last = finish.date() if isinstance(finish, dt.datetime) else finish
    if isinstance(finish, dt.datetime) and finish.time() != dt.time():
        last = midnight(finish.date(), tz).date() + DAY
    if last is None or last <= begins:
        last = first.date() + DAY
    return first, midnight(last, tz)


def _text_of(component: Any, name: str) -> str:
    value = component.get(name)
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value)


def _categories(component: Any) -> tuple[str, ...]:
    value = component.get("CATEGORIES")
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    found: list[str] = []
    for item in items:
        cats = getattr(item, "cats", None)
        if cats is None:
            found += [c.strip() for c in str(item).split(",")]
        else:
            found += [str(c).strip() for c in cats]
    return tuple(c for c in found if c)


def _calsync_props(component: Any) -> dict[str, str]:
    props: dict[str, str] = {}
    for name in component:
        upper = str(name).upper()
        if upper.startswith("X-CALSYNC-"):
            props[upper[len("X-CALSYNC-") :]] = _text_of(component, name)
    return props


def _recurrence_id(component: Any, floating_tz: dt.tzinfo) -> str | None:
    value = component.get("RECURRENCE-ID")
    if value is None:
        return None
    when = value.dt
    if isinstance(when, dt.datetime):
        return in_zone(when, floating_tz, UTC).isoformat()
    if isinstance(when, dt.date):
        return when.isoformat()
    return None


def event_of(
    occurrence: Any,
    uid: str,
    tz: dt.tzinfo,
    floating_tz: dt.tzinfo,
    source: str,
    runs_source: bool,
    series: bool,
) -> Event:
    first, last, all_day = _times(occurrence, tz, floating_tz)
    props = _calsync_props(occurrence)
    return Event(
        uid=uid,
        start=first,
        end=last,
        summary=_text_of(occurrence, "SUMMARY"),
        description=_text_of(occurrence, "DESCRIPTION"),
        categories=_categories(occurrence),
        all_day=all_day,
        busy=_text_of(occurrence, "TRANSP").upper() != "TRANSPARENT",
        recurrence_id=_recurrence_id(occurrence, floating_tz) if series else None,
        source=source,
        runs_source=runs_source,
        managed="MANAGED" in props,
        calsync=props,
    )
