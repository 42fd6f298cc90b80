"""Each workaround of `calsync.ical.workarounds` (and the guards of `expand` and `zones` that
stand in for a library gap) beside the library's own behaviour today (issue 9, item 4).

For every gap there are two tests: one calls recurring-ical-events (or icalendar) directly on a
tiny calendar and asserts what it does now (hangs, raises, or gives the wrong occurrences), one
asserts that calsync's reader does the right thing. When a library test starts to fail, the
library has closed the gap: check calsync's test still passes without the workaround, and
remove it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from typing import Any

import icalendar
import pytest
import recurring_ical_events
from dateutil.rrule import rrulestr

from calsync import ical
from calsync.model import Event
from calsync.model import Problem
from tests.hang_guard import Hang
from tests.hang_guard import hang_guard

LONDON = zoneinfo.ZoneInfo("Europe/London")
UTC = dt.UTC
WINDOW = (dt.datetime(2026, 11, 30, tzinfo=UTC), dt.datetime(2026, 12, 7, tzinfo=UTC))
HANG_SECONDS = 2  # only for the library's INTERVAL=0 loop; everything else takes milliseconds


def calendar_text(*events: str) -> str:
    body = "".join(f"BEGIN:VEVENT\n{event.strip()}\nEND:VEVENT\n" for event in events)
    text = f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n{body}END:VCALENDAR\n"
    return text.replace("\n", "\r\n")


def library(*events: str) -> list[Any]:
    """What recurring-ical-events gives for the window, read straight from icalendar."""
    cal = icalendar.Calendar.from_ical(calendar_text(*events))
    return list(recurring_ical_events.of(cal).between(*WINDOW))


def calsync_reads(*events: str) -> tuple[list[Event], list[Problem]]:
    with hang_guard(10):  # a hang guard only
        return ical.parse_events(
            calendar_text(*events), source="t.ics", start=WINDOW[0], end=WINDOW[1], tz=LONDON
        )


def starts(found: list[Any]) -> list[str]:
    return [f"{o['DTSTART'].dt.astimezone(UTC):%m-%d %H:%M}" for o in found]


def utc_starts(events: list[Event]) -> list[str]:
    return [f"{e.start.astimezone(UTC):%m-%d %H:%M}" for e in events]


OTHER = "UID:other\nDTSTART:20261202T090000Z\nDTEND:20261202T100000Z\nSUMMARY:Easy run"

# --- INTERVAL=0 (workarounds.zero_interval) ------------------------------------------------

INTERVAL_0 = (
    "UID:zero\nDTSTART:20261201T070000Z\nDTEND:20261201T080000Z\nRRULE:FREQ=DAILY;INTERVAL=0"
)


def test_library_never_returns_on_interval_zero():
    # dateutil steps by INTERVAL periods: with 0 it gives DTSTART again and again ...
    rule = rrulestr("FREQ=DAILY;INTERVAL=0", dtstart=dt.datetime(2026, 12, 1, 7))
    assert list(itertools.islice(rule, 3)) == [dt.datetime(2026, 12, 1, 7)] * 3
    # ... so recurring-ical-events waits for an occurrence past the window that never comes.
    with pytest.raises(Hang), hang_guard(HANG_SECONDS):
        library(INTERVAL_0)


def test_calsync_skips_a_rule_with_interval_zero_and_reads_the_rest():
    events, problems = calsync_reads(INTERVAL_0, OTHER)
    assert [e.uid for e in events] == ["other"]
    assert [(p.uid, p.skipped) for p in problems] == [("zero", True)]
    assert "INTERVAL must be 1 or more" in problems[0].message


# --- UNTIL before DTSTART (workarounds.drop_rule_ending_before_start) -----------------------

UNTIL_BEFORE = (
    "UID:until\nDTSTART:20261201T070000Z\nDTEND:20261201T080000Z\n"
    "RRULE:FREQ=DAILY;UNTIL=20261101T000000Z"
)


def test_library_gives_no_occurrence_when_until_lies_before_dtstart():
    assert library(UNTIL_BEFORE) == []  # RFC 5545: DTSTART is always the first occurrence


def test_calsync_keeps_dtstart_when_until_lies_before_it():
    events, problems = calsync_reads(UNTIL_BEFORE)
    assert utc_starts(events) == ["12-01 07:00"]
    assert problems == []


# --- EXDATE with a newer override (workarounds.newer_overrides_win) -------------------------

MASTER = (
    "UID:moved\nSEQUENCE:0\nDTSTART:20261201T070000Z\nDTEND:20261201T080000Z\n"
    "RRULE:FREQ=DAILY;COUNT=3\nEXDATE:20261202T070000Z\nSUMMARY:Run"
)
MOVED = (
    "UID:moved\nSEQUENCE:1\nRECURRENCE-ID:20261202T070000Z\n"
    "DTSTART:20261202T170000Z\nDTEND:20261202T180000Z\nSUMMARY:Run, moved to the evening"
)


def test_library_drops_an_occurrence_excluded_by_exdate_and_moved_by_a_newer_override():
    assert starts(library(MASTER, MOVED)) == ["12-01 07:00", "12-03 07:00"]


def test_calsync_keeps_the_moved_occurrence_of_a_newer_override():
    events, problems = calsync_reads(MASTER, MOVED)
    assert utc_starts(events) == ["12-01 07:00", "12-02 17:00", "12-03 07:00"]
    assert events[1].summary == "Run, moved to the evening"
    assert problems == []


def test_calsync_lets_an_exdate_win_over_an_override_that_is_not_newer():
    events, _ = calsync_reads(MASTER, MOVED.replace("SEQUENCE:1", "SEQUENCE:0"))
    assert utc_starts(events) == ["12-01 07:00", "12-03 07:00"]


# --- RSCALE=GREGORIAN (workarounds.plain_gregorian) -----------------------------------------

GREGORIAN = (
    "UID:rscale\nDTSTART:20261201T070000Z\nDTEND:20261201T080000Z\n"
    "RRULE:RSCALE=GREGORIAN;FREQ=DAILY;COUNT=3"
)


def test_library_rejects_any_rscale_even_the_gregorian_one():
    with pytest.raises(recurring_ical_events.errors.BadRuleStringFormat):
        library(GREGORIAN)


def test_calsync_reads_rscale_gregorian_as_the_plain_rule():
    events, problems = calsync_reads(GREGORIAN)
    assert utc_starts(events) == ["12-01 07:00", "12-02 07:00", "12-03 07:00"]
    assert problems == []


# --- an end before the start (workarounds.clamp_ends) ---------------------------------------

END_BEFORE = (
    "UID:backwards\nDTSTART:20261201T070000Z\nDTEND:20261101T080000Z\nRRULE:FREQ=DAILY;COUNT=3"
)


def test_library_gives_occurrences_outside_the_window_when_the_end_lies_before_the_start():
    found = library(END_BEFORE)
    assert starts(found) == ["11-01 08:00", "11-02 08:00", "11-03 08:00"]  # from the ends on
    assert all(o["DTSTART"].dt < WINDOW[0] for o in found)


def test_calsync_reads_an_end_before_the_start_as_no_length_and_says_so():
    events, problems = calsync_reads(END_BEFORE)
    assert utc_starts(events) == ["12-01 07:00", "12-02 07:00", "12-03 07:00"]
    assert all(e.end == e.start for e in events)
    assert [(p.uid, p.skipped) for p in problems] == [("backwards", False)]
    assert "lies before its start" in problems[0].message


# --- occurrences lasting over a year (the guard in expand: _LONG_SPAN) ----------------------

LONG_SPAN = "UID:long\nDTSTART:20261201T070000Z\nDTEND:50261201T080000Z\nRRULE:FREQ=WEEKLY"


def test_library_overflows_on_a_series_whose_occurrences_last_millennia():
    # It widens the query back by one occurrence's span, here past year 1.
    with pytest.raises(OverflowError):
        library(LONG_SPAN)


def test_calsync_skips_a_series_whose_occurrences_last_millennia_and_reads_the_rest():
    events, problems = calsync_reads(LONG_SPAN, OTHER)
    assert [e.uid for e in events] == ["other"]
    assert [(p.uid, p.skipped) for p in problems] == [("long", True)]
    assert "lasts about 3000 years" in problems[0].message


# --- a TZID too long to be a file name (zones.name_zones) -----------------------------------

LONG_TZID = f"UID:tzid\nDTSTART;TZID={'X' * 300}:20261201T070000\nDTEND:20261201T080000Z"


def test_icalendar_fails_on_a_tzid_longer_than_a_file_name():
    with pytest.raises(OSError, match="too long"):
        icalendar.Calendar.from_ical(calendar_text(LONG_TZID))


def test_calsync_reads_a_time_with_an_overlong_tzid_as_floating_and_says_so():
    events, problems = calsync_reads(LONG_TZID, OTHER)
    assert [(e.uid, e.start.astimezone(UTC).hour) for e in events] == [("tzid", 7), ("other", 9)]
    assert [(p.uid, p.skipped) for p in problems] == [(None, False)]
    assert "is not a known time zone; read as Europe/London" in problems[0].message
