"""`parse_events`: a calendar's occurrences in a window, and what had to be skipped, in words.

Reading works in three steps, so that one broken event never costs the others and a long
history costs little:

1. a cheap scan of the unfolded text (`scan`) splits the data into calendar properties,
   VTIMEZONEs and VEVENTs grouped by UID, and drops single events that cannot touch the window
   (recurring series always stay in); TZIDs are mapped to zones (`zones`);
2. icalendar parses what is left, once (one UID at a time only when that fails);
3. each UID is expanded (`expand`) on its own, inside its own `try`: a missing or garbled
   DTSTART, a bad RRULE, anything that raises, becomes a `Problem` for that UID, never a
   library's exception text.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import warnings
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from typing import Any

from calsync.ical.checks import SkipError
from calsync.ical.checks import broken_overrides
from calsync.ical.expand import expand_group
from calsync.ical.scan import Scan
from calsync.ical.scan import preselect
from calsync.ical.scan import scan_calendar
from calsync.ical.text import checked_text
from calsync.ical.workarounds import clamp_ends
from calsync.ical.zones import name_zones
from calsync.ical.zones import xwr_note
from calsync.ical.zones import xwr_zone
from calsync.ical.zones import zone_notes
from calsync.model import Event
from calsync.model import Problem

log = logging.getLogger(__name__)


def parse_events(
    data: bytes | str,
    *,
    source: str,
    start: dt.datetime,
    end: dt.datetime,
    tz: dt.tzinfo,
    runs_source: bool = True,
) -> tuple[list[Event], list[Problem]]:
    """Occurrences overlapping `[start, end)`, expanded, and the events that had to be skipped.

    All-day occurrences start and end at local midnight in `tz`; floating times are read in the
    calendar's X-WR-TIMEZONE when it has one, else in `tz`. Cancelled events and occurrences are
    left out; TRANSP:TRANSPARENT gives `busy=False`. Raises `CalendarDataError` only when `data`
    is not an iCalendar object at all.
    """
    scan = scan_calendar(checked_text(data, source), source)
    problems = _scan_problems(scan, source)
    kept = preselect(scan, start, end)
    unknown = name_zones(scan, kept)
    xwr, bad_xwr = xwr_zone(scan.props)
    floating_tz = xwr or tz
    notes = [] if bad_xwr is None else [xwr_note(bad_xwr, tz)]
    notes += zone_notes(unknown, floating_tz)
    problems += [Problem(source, None, note, skipped=False) for note in notes]
    expand = functools.partial(
        expand_group, start=start, end=end, tz=tz, floating_tz=floating_tz, xwr=xwr,
        source=source, runs_source=runs_source,
    )  # fmt: skip
    # icalendar warns (Python warnings, with source paths, on stderr) where it guesses: those
    # become calsync's own one-line problems. catch_warnings is process-wide, not per thread;
    # at worst a warning of another thread lands here, where it is still reported once.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        events: list[Event] = []
        for uid, group in _parse_groups(scan, kept, source, problems).items():
            events += _read_uid(uid, group, expand, source, problems)
    problems += [
        Problem(source, None, note, skipped=False) for note in warning_notes(caught, source)
    ]
    events.sort(key=lambda e: (e.start, e.uid, e.recurrence_id or ""))
    return events, problems


def _scan_problems(scan: Scan, source: str) -> list[Problem]:
    """What the scan skipped (unterminated events) and repaired, as problems."""
    problems = [Problem(source, None, f"{scan.truncated} unterminated VEVENT(s) skipped")]
    problems = problems if scan.truncated else []
    return problems + [Problem(source, None, note, skipped=False) for note in scan.notes]


def _read_uid(
    uid: str,
    group: list[Any],
    expand: Callable[[list[Any], str], list[Event]],
    source: str,
    problems: list[Problem],
) -> list[Event]:
    """One UID's events; what is wrong with it goes to `problems`, never an exception."""
    try:
        problems += [Problem(source, uid, why, skipped=False) for why in clamp_ends(group)]
        events = expand(group, uid)
        problems += [Problem(source, uid, why) for why in broken_overrides(group)]
    except SkipError as skip:
        problems.append(Problem(source, uid, skip.why))
        return []
    except Exception as exc:  # a library error in one series must not stop the others
        problems.append(Problem(source, uid, plain_failure(exc, source)))
        return []
    return events


def warning_notes(caught: Sequence[warnings.WarningMessage], source: str) -> list[str]:
    """One plain line per kind of library warning; the warning's own text, which names
    Python files and internals, goes to the debug log only."""
    kinds: dict[str, None] = {}
    for warning in caught:
        # Only the libraries' words about the data: a ResourceWarning of some unrelated object
        # collected meanwhile, or a DeprecationWarning, says nothing about this file.
        if issubclass(warning.category, UserWarning):
            kinds[warning.category.__name__] = None
    notes = []
    for kind in kinds:
        log.debug("%s: the iCalendar library warned: %s", source, kind)
        if kind == "GloballyUniqueTZIDGuessed":
            notes.append("a vendor-prefixed TZID was read as the time zone its name ends with")
        else:
            notes.append("the iCalendar library found something odd in this file (-vv for more)")
    return notes


def plain_failure(exc: Exception, source: str) -> str:
    """What went wrong, in words for a person: never a library's exception text, which quotes
    Python internals ("'list' object has no attribute 'dt'"). The detail goes to the debug log,
    without event data (the exception's class and where it was raised)."""
    frame = exc.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    where = f"{frame.tb_frame.f_code.co_name}:{frame.tb_lineno}" if frame is not None else "?"
    log.debug("%s: an event was skipped after %s in %s", source, type(exc).__name__, where)
    if isinstance(exc, OverflowError):
        return _BEYOND
    if type(exc).__name__ in ("BadRuleStringFormat", "InvalidRRule"):
        return "skipped: its recurrence rule (RRULE) is not valid"
    return "skipped: its dates or its recurrence rule could not be read"


_BEYOND = "skipped: its dates lie beyond what calsync can plan (before year 2 or after 9998)"


def _calendar_text(scan: Scan, uids: Iterable[str]) -> str:
    lines = ["BEGIN:VCALENDAR", *scan.props]
    for tz_lines in scan.timezones:
        lines += tz_lines
    for uid in uids:
        for chunk in scan.groups[uid]:
            lines += chunk.lines
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


def _parse_groups(
    scan: Scan, uids: list[str], source: str, problems: list[Problem]
) -> dict[str, list[Any]]:
    """Parse the kept UIDs with icalendar: all at once, else (if that fails) one by one."""
    from icalendar import Calendar

    if not uids:
        return {}
    try:
        parsed = [Calendar.from_ical(_calendar_text(scan, uids))]
    except Exception:
        parsed = []
        for uid in uids:
            try:
                parsed.append(Calendar.from_ical(_calendar_text(scan, [uid])))
            except Exception as exc:
                plain_failure(exc, source)  # the detail, to the debug log
                problems.append(Problem(source, uid, "skipped: it is not valid iCalendar text"))
    groups: dict[str, list[Any]] = {}
    for cal in parsed:
        for component in cal.subcomponents:
            if component.name == "VEVENT":
                groups.setdefault(str(component.get("UID", "")), []).append(component)
    return groups
