"""What comes from outside is bounded while reading (issue 7, items 3 and 6): the fuzz test's
reproducers under tests/fixtures/calendars/fuzz_*.ics each read the other events, say what
was wrong with the bad one in plain words, and do bounded work.

The bound is asserted structurally (what recurring-ical-events was asked to expand, which line
icalendar was given), with a generous SIGALRM only as a hang guard, never as a timed assertion.
Before the fix these reads took 19 s and 50 s (every occurrence of a series lasting 2,025
years overlaps the window, so the library built 211,000 of them), and one calendar line
without a colon cost every event of the file.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path
from typing import Any

import pytest
import recurring_ical_events

from calsync import ical
from calsync.model import Event
from calsync.model import Problem
from tests.hang_guard import hang_guard

CALENDARS = Path(__file__).resolve().parents[1] / "fixtures" / "calendars"
LONDON = zoneinfo.ZoneInfo("Europe/London")
WINTER = (dt.datetime(2026, 11, 30, tzinfo=LONDON), dt.datetime(2026, 12, 7, tzinfo=LONDON))
HANG_SECONDS = 10  # a hang guard only: each read takes milliseconds


def read(data: bytes | str) -> tuple[list[Event], list[Problem]]:
    with hang_guard(HANG_SECONDS):
        return ical.parse_events(data, source="cal.ics", start=WINTER[0], end=WINTER[1], tz=LONDON)


def fixture(name: str) -> bytes:
    return (CALENDARS / name).read_bytes()


def assert_plain(problems: list[Problem]) -> None:
    for problem in problems:
        for bad in ("Error", "Traceback", ".py", "object has no attribute", "<", "'list'"):
            assert bad not in problem.message, problem


@pytest.fixture
def expansions(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What each series handed to recurring-ical-events looked like (the real library still
    expands it): its first DTSTART and the number of occurrences it returned."""
    seen: list[dict[str, Any]] = []
    real_of = recurring_ical_events.of

    def spying_of(calendar: Any, *args: Any, **kwargs: Any) -> Any:
        query = real_of(calendar, *args, **kwargs)
        real_between = query.between
        record: dict[str, Any] = {
            "dtstart": [c["DTSTART"].dt for c in calendar.walk("VEVENT")],
        }
        seen.append(record)

        def between(*span: Any) -> Any:
            found = list(real_between(*span))
            record["occurrences"] = len(found)
            return found

        query.between = between
        return query

    monkeypatch.setattr(recurring_ical_events, "of", spying_of)
    return seen


# --- 1. a weekly series from year 1 whose occurrences each last until 2026 -----------------------


def test_a_series_whose_occurrences_last_2025_years_is_skipped_before_expanding(expansions):
    events, problems = read(fixture("fuzz_year_1_series_lasting_to_2026.ics"))
    assert [e.uid for e in events] == ["fine@fuzz.test"]
    assert [(p.uid, p.skipped) for p in problems] == [("year-1-start@fuzz.test", True)]
    assert "lasts about 2025 years" in problems[0].message
    assert_plain(problems)
    assert expansions == []  # the library was never asked to build its 211,000 occurrences


@pytest.mark.parametrize(
    ("dtend", "length"),
    [(b"99981130T074500", "7972 years"), (b"20271231T074500", "396 days")],
)
def test_a_series_whose_occurrences_last_over_a_year_is_skipped_in_words(dtend, length):
    # Widened back by 7,972 years, the library's query would leave the calendar (OverflowError).
    data = fixture("fuzz_year_1_series_lasting_to_2026.ics").replace(
        b"00011130T070000", b"20261130T070000"
    )
    events, problems = read(data.replace(b"20261130T074500", dtend))
    assert [e.uid for e in events] == ["fine@fuzz.test"]
    assert [p.message for p in problems] == [
        f"skipped: each occurrence of this series lasts about {length} (from its start to its "
        "end); calsync reads series whose occurrences last up to a year"
    ]


def test_a_weekly_series_begun_in_year_1_is_expanded_from_near_the_window(expansions):
    # A normal 45-minute run, but DTSTART in year 1: dateutil would walk 105,000 weeks to the
    # window. The rule is moved forward by whole weeks first; the same Mondays come out.
    data = fixture("fuzz_year_1_series_lasting_to_2026.ics").replace(
        b"DTEND;TZID=Europe/London:20261130T074500", b"DTEND;TZID=Europe/London:00011130T074500"
    )
    events, problems = read(data)
    assert problems == []
    assert [(e.uid, e.start.strftime("%a %d %H:%M"), e.end - e.start) for e in events] == [
        ("year-1-start@fuzz.test", "Mon 30 07:00", dt.timedelta(minutes=45)),
        ("fine@fuzz.test", "Thu 03 07:00", dt.timedelta(minutes=45)),
        ("year-1-start@fuzz.test", "Thu 03 07:00", dt.timedelta(minutes=45)),
    ]
    (series,) = expansions
    assert series["dtstart"][0].year >= 2020  # the walk starts years, not millennia, before
    assert series["occurrences"] <= 10


# --- 2. a series whose DTEND (year 1) lies before its DTSTART ------------------------------------


def test_a_series_ending_before_it_starts_is_read_without_its_end_and_said(expansions):
    events, problems = read(fixture("fuzz_series_ending_in_year_1.ics"))
    bad = [e for e in events if e.uid == "year-1-end@fuzz.test"]
    assert [e.start.strftime("%a %H:%M") for e in bad] == [
        "Mon 09:30", "Tue 09:30", "Wed 09:30", "Thu 09:30", "Fri 09:30"
    ]  # fmt: skip
    assert all(e.end == e.start for e in bad)  # RFC 5545: no DTEND, no length
    assert [e.uid for e in events if e not in bad] == ["fine@fuzz.test"]
    assert [(p.uid, p.skipped) for p in problems] == [("year-1-end@fuzz.test", False)]
    assert "DTEND" in problems[0].message and "before its start" in problems[0].message
    assert_plain(problems)
    (series,) = expansions
    assert series["occurrences"] <= 10  # not a walk from year 1


def test_a_single_event_ending_in_year_1_is_kept_too():
    # The quick scan dropped it as "surely before the window", silently.
    data = fixture("fuzz_series_ending_in_year_1.ics").replace(
        b"20261102T093000", b"20261201T093000"
    )
    data = data.replace(b"RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20261231T235959Z\r\n", b"")
    events, problems = read(data)
    assert [(e.uid, e.start.strftime("%a %H:%M")) for e in events] == [
        ("year-1-end@fuzz.test", "Tue 09:30"), ("fine@fuzz.test", "Thu 07:00")
    ]  # fmt: skip
    assert [(p.uid, p.skipped) for p in problems] == [("year-1-end@fuzz.test", False)]


def test_a_negative_duration_is_read_as_no_length():
    data = fixture("fuzz_series_ending_in_year_1.ics").replace(
        b"DTEND;TZID=Europe/London:00011102T094500", b"DURATION:-P739000D"
    )
    events, problems = read(data)
    assert len(events) == 6
    assert [(p.uid, p.skipped) for p in problems] == [("year-1-end@fuzz.test", False)]
    assert "DURATION is negative" in problems[0].message


# --- 3. content lines that are broken on their own -----------------------------------------------


def test_a_calendar_line_without_a_colon_costs_only_itself():
    events, problems = read(fixture("fuzz_header_line_without_colon.ics"))
    assert len(events) == 4  # every event; before, all four were "not valid iCalendar text"
    assert [str(p) for p in problems] == [
        "cal.ics: line 6: a line without a colon is not iCalendar data; skipped"
    ]
    assert not problems[0].skipped


def test_many_broken_lines_are_one_note_naming_a_few(monkeypatch: pytest.MonkeyPatch):
    text = fixture("fuzz_header_line_without_colon.ics").decode()
    text = text.replace("X-BROKEN;no colon on this line", "X-BROKEN\r\n" * 1000)
    events, problems = read(text)
    assert len(events) == 4
    assert [p.message for p in problems] == [
        "lines 6, 7, 8, 9, 10 and 995 more: a line without a colon is not iCalendar data; skipped"
    ]


@pytest.mark.parametrize(
    "line",
    [
        "X-BROKEN;" + "a" * 2_000_000,  # no colon: 7 s of icalendar's regexes per command
        "DESCRIPTION:" + "a, " * 700_000,  # a colon, but 2 MB in one line
    ],
)
def test_a_line_of_megabytes_is_dropped_before_icalendar_sees_it(line, monkeypatch):
    from icalendar import Calendar

    given: list[int] = []
    real = Calendar.from_ical.__func__  # type: ignore[attr-defined]

    def from_ical(cls: Any, st: Any, *args: Any, **kwargs: Any) -> Any:
        given.append(len(st))
        return real(cls, st, *args, **kwargs)

    monkeypatch.setattr(Calendar, "from_ical", classmethod(from_ical))
    text = fixture("fuzz_header_line_without_colon.ics").decode()
    events, problems = read(text.replace("X-BROKEN;no colon on this line", line))
    assert len(events) == 4
    assert [p.message for p in problems] == [
        "line 6: a line longer than 1 MiB is not iCalendar data; skipped"
    ]
    assert given and max(given) < 100_000  # icalendar parsed the calendar without it


def test_a_colon_inside_quotes_only_is_not_a_content_line():
    text = fixture("fuzz_header_line_without_colon.ics").decode()
    events, problems = read(text.replace("X-BROKEN;no colon on this line", 'X-A;B="c:d"'))
    assert len(events) == 4
    assert [p.message for p in problems] == [
        "line 6: a line without a colon is not iCalendar data; skipped"
    ]


# --- 4. a 5,000-character TZID -------------------------------------------------------------------


def test_a_5000_character_tzid_is_read_in_the_home_zone_and_said():
    events, problems = read(fixture("fuzz_long_tzid.ics"))
    assert sorted(e.uid for e in events) == [
        "fuzz-long-tzid-ok@calsync.test",
        "fuzz-long-tzid@calsync.test",
    ]
    assert [(p.uid, p.skipped) for p in problems] == [(None, False)]
    assert problems[0].message.endswith("is not a known time zone; read as Europe/London")
    assert len(problems[0].message) < 200  # the name is cut short
