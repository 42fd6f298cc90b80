"""Expanding one UID's components into occurrences with recurring-ical-events, within bounds.

The guards run first: a series whose occurrences last over a year, a rule that repeats so often
that dateutil would walk for minutes or fill the window with tens of thousands of occurrences
(both skipped, reported); a daily or weekly rule begun centuries ago is moved forward by whole
periods so that the walk starts near the window. The library's gaps are in `workarounds`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from calsync.ical.checks import SkipError
from calsync.ical.checks import why_unusable
from calsync.ical.instants import DAY
from calsync.ical.instants import EARLIEST
from calsync.ical.instants import SLACK
from calsync.ical.instants import UTC
from calsync.ical.instants import loose_utc
from calsync.ical.instants import span_of
from calsync.ical.occurrences import event_of
from calsync.ical.rules import rule_number
from calsync.ical.rules import rule_text
from calsync.ical.rules import rule_word
from calsync.ical.rules import rules_of
from calsync.ical.rules import until_utc
from calsync.ical.workarounds import drop_rule_ending_before_start
from calsync.ical.workarounds import newer_overrides_win
from calsync.ical.workarounds import plain_gregorian
from calsync.ical.workarounds import zero_interval
from calsync.model import Event


def expand_group(
    group: list[Any],
    uid: str,
    start: dt.datetime,
    end: dt.datetime,
    tz: dt.tzinfo,
    floating_tz: dt.tzinfo,
    xwr: dt.tzinfo | None,
    source: str,
    runs_source: bool,
) -> list[Event]:
    """The occurrences of one UID's components that overlap `[start, end)`, as events.

    Raises `SkipError` when the UID cannot be read, or not expanded in bounded time."""
    good = _prepared(group)
    series = any(
        name in component for component in good for name in ("RRULE", "RDATE", "RECURRENCE-ID")
    )
    occurrences = _occurrences(good, start, end, xwr) if series else good  # a single is its own
    events: list[Event] = []
    for occurrence in occurrences:
        if str(occurrence.get("STATUS", "")).upper() == "CANCELLED":
            continue
        event = event_of(occurrence, uid, tz, floating_tz, source, runs_source, series)
        if event.start < end and (event.end > start or event.start == event.end >= start):
            events.append(event)
    return events


def _prepared(group: list[Any]) -> list[Any]:
    """The usable components, with the workarounds that decide whether there is a series."""
    good = []
    for component in group:
        why = why_unusable(component)
        if why is not None:
            if "RECURRENCE-ID" not in component or len(group) == 1:
                raise SkipError(f"skipped: {why}")
            continue  # a broken override: the series keeps its original occurrence
        good.append(component)
    for component in good:
        drop_rule_ending_before_start(component)
        plain_gregorian(component)
    return good


def _occurrences(
    good: list[Any], start: dt.datetime, end: dt.datetime, xwr: dt.tzinfo | None
) -> list[Any]:
    """recurring-ical-events' occurrences of a series near the window, once guarded."""
    _guard_series(good, start, end)
    newer_overrides_win(good)
    import recurring_ical_events
    from icalendar import Calendar

    cal = Calendar()
    cal.subcomponents.extend(good)
    if xwr is not None:
        import x_wr_timezone

        cal = x_wr_timezone.to_standard(cal, timezone=xwr)
    return list(recurring_ical_events.of(cal).between(start - SLACK, end + SLACK))


# Seconds per FREQ period, for estimating how much work a rule asks of the expansion.
_PERIOD = {
    "SECONDLY": 1,
    "MINUTELY": 60,
    "HOURLY": 3600,
    "DAILY": 86400,
    "WEEKLY": 7 * 86400,
    "MONTHLY": 28 * 86400,
    "YEARLY": 365 * 86400,
}


_MAX_STEPS = 200_000  # about a second of dateutil: more is a broken or hostile rule
_MAX_OCCURRENCES = 10_000  # in the window: an hourly event for a year is 8,760


def _guard_series(good: list[Any], start: dt.datetime, end: dt.datetime) -> None:
    """Bound the work of expanding a series, or raise `SkipError` saying why it is skipped."""
    widen = _widening(good)
    if widen > _LONG_SPAN:
        raise SkipError(f"skipped: {_long_span_note(widen)}")
    for component in good:
        why = zero_interval(component)
        if why is not None:
            raise SkipError(f"skipped: {why}")
    before = start - min(widen + 2 * SLACK, start - EARLIEST)  # never before year 2
    for component in good:
        _rebase(component, before)
    for component in good:
        why = _runaway(component, start, end, widen)
        if why is not None:
            raise SkipError(f"skipped: {why}")


def _widening(group: list[Any]) -> dt.timedelta:
    """How far recurring-ical-events widens its query around the window: by the span of the
    master and of each RANGE=THISANDFUTURE override, and by how far such an override moved."""
    widest = dt.timedelta()
    for component in group:
        rid = component.get("RECURRENCE-ID")
        if rid is not None and str(rid.params.get("RANGE", "")).upper() != "THISANDFUTURE":
            continue
        widest = max(widest, span_of(component) or widest)
        moved, begins = loose_utc(getattr(rid, "dt", None)), loose_utc(component["DTSTART"].dt)
        if moved is not None and begins is not None:
            widest = max(widest, abs(moved - begins))
    return widest


_REBASE_DAYS = {"DAILY": 1, "WEEKLY": 7}
_REBASE_AFTER = dt.timedelta(days=3 * 366)  # a series begun less long ago is left as it is


def _rebase(component: Any, before: dt.datetime) -> None:
    """Move the DTSTART of a daily or weekly rule without COUNT that began long before the
    window (say in year 1) forward by whole periods, to shortly before `before`.

    dateutil walks every occurrence from DTSTART, so a weekly run since year 1 costs 100,000
    steps before the window. Whole days or weeks keep the wall time, the weekday and the
    INTERVAL's phase, so the rule gives the same occurrences from there on; UNTIL, EXDATE,
    RDATE and RECURRENCE-IDs are absolute and stay. DTEND moves with DTSTART. Only the first
    occurrence, DTSTART itself, is lost, and it lies years before the window.
    """
    rules = rules_of(component)
    if len(rules) != 1 or "EXRULE" in component or "RECURRENCE-ID" in component:
        return
    rule = rules[0]
    days = _REBASE_DAYS.get(rule_word(rule.get("FREQ") or ""))
    begins = component["DTSTART"].dt
    first = loose_utc(begins)
    if days is None or rule.get("COUNT") or first is None or before - first < _REBASE_AFTER:
        return
    interval = rule_number(rule, "INTERVAL") or 1
    if interval < 1:
        return  # zero_interval says the rule is bad
    step = days * interval
    shift = dt.timedelta(days=(before - first).days // step * step)
    component["DTSTART"].dt = begins + shift
    if "DTEND" in component and isinstance(component["DTEND"].dt, dt.date):
        component["DTEND"].dt = component["DTEND"].dt + shift


def _runaway(
    component: Any, start: dt.datetime, end: dt.datetime, widen: dt.timedelta
) -> str | None:
    """Why a recurrence rule cannot be expanded in reasonable time, or None.

    dateutil walks every period from DTSTART: a rule every second (or minute) since years ago
    would take hours, and one every minute fills the window with tens of thousands of
    occurrences. Such a series is skipped, reported. (INTERVAL=0: `workarounds.zero_interval`.)
    """
    begins = component["DTSTART"].dt
    if not isinstance(begins, dt.datetime):
        begins = dt.datetime.combine(begins, dt.time())
    if begins.tzinfo is None:
        begins = begins.replace(tzinfo=UTC)
    # recurring-ical-events widens its query back by one occurrence's span: every occurrence
    # that began up to that long before the window overlaps it, and is built and returned.
    span = max(span_of(component) or dt.timedelta(), widen).total_seconds()
    for rule in rules_of(component):
        why = _rule_runaway(rule, begins, start, end, span)
        if why is not None:
            return why
    return None


def _rule_runaway(
    rule: Mapping[str, Any], begins: dt.datetime, start: dt.datetime, end: dt.datetime, span: float
) -> str | None:
    """`_runaway` for one RRULE or EXRULE; `span` in seconds."""
    text = rule_text(rule)
    interval, count = rule_number(rule, "INTERVAL"), rule_number(rule, "COUNT")
    if count is not None and count < 1:
        return f"bad recurrence rule: COUNT must be 1 or more: {text}"
    freq = rule.get("FREQ")
    name = str(freq[0] if isinstance(freq, list) and freq else freq or "").upper()
    period = _PERIOD.get(name)
    if period is None:
        return None  # dateutil reports it
    stop = until_utc(rule.get("UNTIL"))
    last = stop if stop is not None and stop < end - DAY else end  # stops early: less to walk
    walk, within = _reach(begins, start, last, span)
    per_second = _per_period(rule, period) / (period * (interval or 1))
    steps, found = walk * per_second, within * per_second
    if count is not None:
        steps, found = min(steps, count), min(found, count)
    if steps > _MAX_STEPS or found > _MAX_OCCURRENCES:
        return f"recurrence rule repeats too often to expand ({name.lower()}): {text}"
    return None


def _per_period(rule: Mapping[str, Any], period: int) -> float:
    """How many occurrences one FREQ period gives: BYSECOND, BYMINUTE and BYHOUR expand a
    period longer than their unit."""
    found = 1.0
    for key in ("BYSECOND", "BYMINUTE", "BYHOUR"):
        values = rule.get(key)
        if values and period < {"BYSECOND": 60, "BYMINUTE": 3600, "BYHOUR": 86400}[key]:
            continue  # a filter, not an expansion, at this frequency
        found *= max(1, len(values)) if isinstance(values, list) else 1
    return found


def _reach(
    begins: dt.datetime, start: dt.datetime, end: dt.datetime, span: float
) -> tuple[float, float]:
    """Seconds the rule is walked from DTSTART, and seconds of it whose occurrences are built:
    those that start up to `span` before the window (and after it, for a moved override).
    In seconds, not dates: DTSTART in year 2 plus a span of 9,000 years leaves the calendar."""
    walked = (end - begins).total_seconds()
    built = min(walked, (end - start).total_seconds() + span)
    return max(0.0, walked + span) + 86400, max(0.0, built + span) + 86400


# recurring-ical-events builds every occurrence that began up to one occurrence's span before
# the window, walking the rule back that far (2,025 years: 211,000 weekly occurrences, 19 s) and
# past year 1 into OverflowError. An occurrence of a series lasting over a year overlaps the
# next ones: such data is broken, not a plan; a single event may last any time.
_LONG_SPAN = dt.timedelta(days=366)


def _long_span_note(span: dt.timedelta) -> str:
    length = f"{span.days} days" if span.days < 730 else f"{round(span.days / 365.2425)} years"
    return (
        f"each occurrence of this series lasts about {length} (from its start to its end); "
        "calsync reads series whose occurrences last up to a year"
    )
