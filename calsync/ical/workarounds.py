"""Where recurring-ical-events (and dateutil under it) would read a series wrongly, or never
finish: each workaround below says why, and tests/adapters/test_ical_workarounds.py shows the
library's own behaviour beside calsync's.

- `zero_interval`: INTERVAL=0 makes dateutil give DTSTART again and again; the expansion never
  returns. Such a series is skipped, reported.
- `plain_gregorian`: RSCALE=GREGORIAN (RFC 7529) is the plain rule, but the library rejects any
  RSCALE. It is read without RSCALE; other calendars stay unsupported (`checks`).
- `drop_rule_ending_before_start`: a rule whose UNTIL lies before DTSTART gives no occurrence at
  all; RFC 5545 counts DTSTART as the first.
- `newer_overrides_win`: an EXDATE of the master hides an override that a newer edit (higher
  SEQUENCE) moved elsewhere.
- `clamp_ends`: an end before the start makes the library return occurrences from the ends on,
  outside the window asked for (and walk the rule for minutes when the end is years back).

Two more gaps are guarded where the data is at hand, and tested in the same file: a series
whose occurrences last over a year (`expand`: the library overflows) and a TZID too long for
a file name (`zones`: icalendar raises OSError). Imports: the lower `calsync.ical` modules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from calsync.ical.checks import why_unusable
from calsync.ical.instants import SLACK
from calsync.ical.instants import same_instant
from calsync.ical.instants import span_of
from calsync.ical.rules import is_plain_gregorian
from calsync.ical.rules import rule_number
from calsync.ical.rules import rule_text
from calsync.ical.rules import rules_of


def zero_interval(component: Any) -> str | None:
    """Why a rule cannot be expanded because its INTERVAL is below 1, or None.

    dateutil steps by INTERVAL periods: with 0 it yields DTSTART for ever, and
    recurring-ical-events waits for an occurrence past the window that never comes.
    """
    for rule in rules_of(component):
        interval = rule_number(rule, "INTERVAL")
        if interval is not None and interval < 1:
            return f"bad recurrence rule: INTERVAL must be 1 or more: {rule_text(rule)}"
    return None


def plain_gregorian(component: Any) -> None:
    """Read RSCALE=GREGORIAN without SKIP (or SKIP=OMIT) as the plain rule it is.

    RFC 7529: the Gregorian scale with SKIP=OMIT is what RFC 5545 rules mean anyway; dateutil
    does not know the RSCALE part and recurring-ical-events raises on the whole rule.
    """
    for rule in rules_of(component):
        if is_plain_gregorian(rule) and isinstance(rule, dict):
            rule.pop("RSCALE", None)
            rule.pop("SKIP", None)


def _ends_before(until: object, begins: object) -> bool:
    """True when a rule's UNTIL lies before DTSTART (floating values read in the other's zone)."""
    if isinstance(begins, dt.datetime):
        if isinstance(until, dt.datetime):
            if until.tzinfo is None and begins.tzinfo is not None:
                until = until.replace(tzinfo=begins.tzinfo)
            elif until.tzinfo is not None and begins.tzinfo is None:
                begins = begins.replace(tzinfo=until.tzinfo)
            return until < begins
        return isinstance(until, dt.date) and until <= begins.date()  # a date UNTIL: its day
    if isinstance(begins, dt.date):
        if isinstance(until, dt.datetime):
            return until.date() < begins
        return isinstance(until, dt.date) and until < begins
    return False


def drop_rule_ending_before_start(component: Any) -> None:
    """RFC 5545: DTSTART always counts as the first occurrence. A rule whose UNTIL lies
    before DTSTART (a client's bad edit) still leaves that one; dateutil would give none."""
    value = component.get("RRULE")
    if value is None or "RECURRENCE-ID" in component:
        return
    begins = component["DTSTART"].dt
    for rule in value if isinstance(value, list) else [value]:
        until = rule.get("UNTIL") if isinstance(rule, Mapping) else None
        if not _ends_before(until[0] if isinstance(until, list) and until else until, begins):
            return
    del component["RRULE"]


def _sequence(component: Any) -> int:
    try:
        return int(component.get("SEQUENCE", 0))
    except (TypeError, ValueError):
        return 0


def newer_overrides_win(group: list[Any]) -> None:
    """An override newer (higher SEQUENCE) than its master beats the master's EXDATE for it.

    Some clients exclude a moved occurrence and add the override for it; without this the
    moved occurrence would vanish.
    """
    masters = [c for c in group if "RECURRENCE-ID" not in c and "EXDATE" in c]
    overrides = [c for c in group if "RECURRENCE-ID" in c]
    for master in masters:
        newer = [o["RECURRENCE-ID"].dt for o in overrides if _sequence(o) > _sequence(master)]
        if not newer:
            continue
        exdates = master["EXDATE"] if isinstance(master["EXDATE"], list) else [master["EXDATE"]]
        for exdate in exdates:
            exdate.dts[:] = [d for d in exdate.dts if not any(same_instant(d.dt, r) for r in newer)]


def clamp_ends(group: list[Any]) -> list[str]:
    """Drop an end that lies before the start, and say so.

    RFC 5545 §3.6.1: DTEND must be later than DTSTART. Such an end (a typo, or a DTEND in
    year 1) is read as no end at all, so the event lasts no time (one day when all-day), as
    RFC 5545 reads an event without DTEND, and as `occurrences` reads a single such event.
    Kept rather than skipped: a run with a mistyped end is still a run that counts toward its
    week, and the warning says what was wrong. A negative span must not reach
    recurring-ical-events: it returns occurrences from the ends on, outside the window asked
    for, and with an end years back it widens its query by the span and walks for minutes.
    """
    notes = []
    for component in group:
        if why_unusable(component) is not None:
            continue  # expand_group says what is wrong with it
        span = span_of(component)
        # Mixed kinds (floating against zoned, date against time) compare loosely: only an
        # end surely before the start is dropped.
        if span is None or span >= (dt.timedelta() if _same_kind(component) else -SLACK):
            continue
        name = "DTEND" if "DTEND" in component else "DURATION"
        del component[name]
        what = "its end (DTEND)" if name == "DTEND" else "its DURATION is negative, so its end"
        notes.append(f"{what} lies before its start: read as having none (no length)")
    return notes


def _same_kind(component: Any) -> bool:
    """True when DTSTART and DTEND are both dates, both floating or both zoned times."""
    kinds = []
    for name in ("DTSTART", "DTEND"):
        value = getattr(component.get(name), "dt", None)
        kinds.append((isinstance(value, dt.datetime), getattr(value, "tzinfo", None) is None))
    return "DTEND" not in component or kinds[0] == kinds[1]
