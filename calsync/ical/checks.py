"""Whether a parsed VEVENT can be used at all, and why not in plain words: no DTSTART, a garbled
or doubled time property, a DURATION past the calendar's end, an RSCALE calsync cannot expand.
`SkipError` carries that reason for one UID."""

from __future__ import annotations

import datetime as dt
from typing import Any

from calsync.ical.instants import beyond_calendar
from calsync.ical.rules import is_plain_gregorian
from calsync.ical.rules import rule_word
from calsync.ical.rules import rules_of
from calsync.ical.text import one_line

_TIME_PROPS = frozenset({"DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE"})
TIME_PROPS_ALL = _TIME_PROPS | {"RECURRENCE-ID"}


class SkipError(Exception):
    """One UID cannot be read; `why` says it in words."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def why_unusable(component: Any) -> str | None:
    """Why this VEVENT cannot be used, or None."""
    if "DTSTART" not in component:
        return "no DTSTART"
    for name, why in getattr(component, "errors", ()):
        if str(name).upper() in TIME_PROPS_ALL:
            return f"bad {str(name).upper()}: {one_line(str(why))}"
    for name in _SINGLE:
        value = component.get(name)
        if isinstance(value, list):
            return f"it has {len(value)} {name} lines (only one is allowed)"
        if name != "DURATION" and value is not None and not _is_date(getattr(value, "dt", None)):
            return f"its {name} is not a date or a date-time"
    begins = component["DTSTART"].dt
    duration = getattr(component.get("DURATION"), "dt", None)
    too_long = beyond_calendar(begins, duration) if isinstance(duration, dt.timedelta) else None
    return too_long or unsupported_rule(component)


# Properties a VEVENT has at most once (RFC 5545 §3.6.1); icalendar gives a list for two.
_SINGLE = ("DTSTART", "DTEND", "DURATION", "RECURRENCE-ID")


def _is_date(value: object) -> bool:
    return isinstance(value, dt.date)  # a datetime is a date too; not a time or a period


def unsupported_rule(component: Any) -> str | None:
    """Why a rule cannot be expanded by dateutil, or None. RFC 7529's RSCALE (Chinese, Hebrew,
    ... calendars) is not supported; RSCALE=GREGORIAN without SKIP is the plain rule, which
    `workarounds.plain_gregorian` expands without RSCALE."""
    for rule in rules_of(component):
        scale = rule.get("RSCALE")
        if scale is None or is_plain_gregorian(rule):
            continue
        name, skip_name = rule_word(scale), rule_word(rule.get("SKIP") or "OMIT")
        what = "a non-Gregorian calendar" if name != "GREGORIAN" else f"SKIP={skip_name[:20]}"
        return f"its recurrence rule uses RSCALE ({what}), which calsync cannot expand"
    return None


def broken_overrides(group: list[Any]) -> list[str]:
    """Why each broken override of a readable series was left out."""
    if len(group) == 1:
        return []
    found = []
    for component in group:
        why = why_unusable(component)
        if why is not None and "RECURRENCE-ID" in component:
            found.append(f"override skipped: {why}")
    return found
