"""No silent loss while reading real exports: mistyped END lines, unknown or vendor TZIDs,
RSCALE rules, duplicated properties. Each is read as well as it can be, and said in one line
of plain words (no Python exception text, no library warning with a source path)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path

import pytest
from click.testing import CliRunner

from calsync import ical
from calsync.cli import cli
from calsync.ical.read import warning_notes

CALENDARS = Path(__file__).resolve().parents[1] / "fixtures" / "calendars"
LONDON = zoneinfo.ZoneInfo("Europe/London")
JUNE = (dt.datetime(2026, 6, 15, tzinfo=LONDON), dt.datetime(2026, 6, 22, tzinfo=LONDON))
WINTER = (dt.datetime(2026, 11, 30, tzinfo=LONDON), dt.datetime(2026, 12, 21, tzinfo=LONDON))


def read(name: str, window: tuple[dt.datetime, dt.datetime] = JUNE):
    data = (CALENDARS / name).read_bytes()
    return ical.parse_events(data, source=name, start=window[0], end=window[1], tz=LONDON)


def utc_starts(events) -> dict[str, str]:
    return {e.uid: e.start.astimezone(dt.UTC).strftime("%a %H:%M") for e in events}


def cli_stderr(*args: str) -> str:
    env = {"XDG_CONFIG_HOME": "/nonexistent", "CALSYNC_CONFIG": ""}
    result = CliRunner().invoke(
        cli, ["--now", "2026-06-14T06:00", *args], env=env, catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    return result.stderr


def assert_plain(stderr: str) -> None:
    """Every line is calsync's own; none is Python's."""
    for line in stderr.splitlines():
        assert line.startswith("calsync: "), line
    for bad in ("Traceback", "Error:", "Warning:", ".py:", "object has no attribute", "<'"):
        assert bad not in stderr


# --- a mistyped END -----------------------------------------------------------------------------


def test_an_end_typo_after_a_todo_costs_no_event_and_is_said_once():
    # BEGIN:VTODO ... END:VTOOD: the 12 VEVENTs after it were swallowed (3 of 15 read, silently).
    events, problems = read("thunderbird_end_typo.ics", WINTER)
    assert len(events) == 15
    assert [str(p) for p in problems] == [
        "thunderbird_end_typo.ics: line 68: END:VTOOD does not match BEGIN:VTODO on line 55"
    ]


def test_an_end_typo_in_an_event_keeps_that_event_and_the_rest():
    events, problems = read("thunderbird_vevent_end_typo.ics", WINTER)
    assert len(events) == 15
    assert [p.message for p in problems] == [
        "line 65: END:VEVNT does not match BEGIN:VEVENT on line 55"
    ]


def test_an_event_never_closed_is_read_up_to_the_next_event():
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0",
        "BEGIN:VEVENT", "UID:a", "DTSTART:20261201T070000Z", "SUMMARY:Easy run",
        "BEGIN:VEVENT", "UID:b", "DTSTART:20261202T070000Z", "SUMMARY:Easy run", "END:VEVENT",
        "END:VCALENDAR", "",
    ]  # fmt: skip
    events, problems = ical.parse_events(
        "\r\n".join(lines), source="s", start=WINTER[0], end=WINTER[1], tz=LONDON
    )
    assert [e.uid for e in events] == ["a", "b"]
    assert [p.message for p in problems] == [
        "line 3: BEGIN:VEVENT is never closed (no END:VEVENT); read on from line 7"
    ]


def test_folded_lines_count_as_the_lines_they_are_in_the_file():
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VTODO", "UID:t", "DESCRIPTION:a long",
        "  folded text", "END:VTOD", "BEGIN:VEVENT", "UID:a", "DTSTART:20261201T070000Z",
        "END:VEVENT", "END:VCALENDAR", "",
    ]  # fmt: skip
    events, problems = ical.parse_events(
        "\r\n".join(lines), source="s", start=WINTER[0], end=WINTER[1], tz=LONDON
    )
    assert [e.uid for e in events] == ["a"]
    assert [p.message for p in problems] == [
        "line 7: END:VTOD does not match BEGIN:VTODO on line 3"
    ]


def test_component_names_with_braces_are_said_not_crashed_on():
    # The note is built with str.format: a name such as "{0}" from the file must not be read
    # as a placeholder (IndexError, a traceback).
    data = (
        "BEGIN:VCALENDAR\r\nBEGIN:X-{0}{name}\r\nEND:{1}}\r\nBEGIN:VEVENT\r\nUID:a\r\n"
        "DTSTART:20261201T070000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    events, problems = ical.parse_events(
        data, source="s", start=WINTER[0], end=WINTER[1], tz=LONDON
    )
    assert [e.uid for e in events] == ["a"]
    assert [p.message for p in problems] == [
        "line 3: END:{1}} does not match BEGIN:X-{0}{NAME} on line 2"
    ]


# --- time zones without a VTIMEZONE -------------------------------------------------------------


def test_lotus_notes_offset_pairs_get_their_summer_time():
    events, problems = read("lotus_notes_export.ics")
    assert sorted(utc_starts(events).values(), key=_weekday) == [
        "Mon 11:00",  # GMT-05.00/-04.00: 07:00 EDT in June (it was 12:00, no summer time)
        "Tue 16:00",  # GMT +0100 (Standard) / GMT +0200 (Daylight): 18:00 CEST
        "Thu 06:00",  # GMT+0100: a fixed offset
        "Fri 11:00",  # "Customized Time Zone": unknown, read in the home zone (London, BST)
        "Sat 08:00",  # the same unknown zone: said once for both
    ]
    assert [p.message for p in problems] == [
        "TZID 'Customized Time Zone' is not a known time zone; read as Europe/London"
    ]


def test_outlook_windows_names_map_to_their_zones_and_a_custom_one_is_said():
    events, problems = read("outlook_windows_zones.ics")
    assert sorted(utc_starts(events).values(), key=_weekday) == [
        "Mon 05:00",  # W. Europe Standard Time: 07:00 CEST
        "Tue 22:00",  # Eastern Standard Time: 18:00 EDT
        "Thu 11:00",  # Eastern Time (US & Canada), no UTC prefix: 07:00 EDT (it was London)
        "Fri 11:00",  # tzone://Microsoft/Custom: unknown, read as London
    ]
    assert [p.message for p in problems] == [
        "TZID 'tzone://Microsoft/Custom' is not a known time zone; read as Europe/London"
    ]


def _weekday(text: str) -> int:
    return ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].index(text[:3])


def test_vendor_prefixed_tzids_are_read_as_their_zone_without_a_python_warning(recwarn):
    events, problems = read("mozilla_prefixed_tzids.ics")
    assert sorted(utc_starts(events).values()) == ["Fri 20:00", "Mon 05:00", "Tue 22:00"]
    assert problems == []
    assert [str(w.message) for w in recwarn] == []


@pytest.mark.parametrize(
    ("tzid", "utc"),
    [
        ("Z", "07:00"),
        ("europe/berlin", "06:00"),
        ("America/New York", "12:00"),
        ("Europe/London (GMT)", "07:00"),
        ("(GMT+01.00) Amsterdam / Berlin / Bern / Rome / Stockholm / Vienna", "06:00"),
        ("GMT+0530", "01:30"),
        ("GMT+10.00/+11.00", "20:00"),  # southern hemisphere: +11 in December
    ],
)
def test_more_tzid_spellings_are_mapped_silently(tzid: str, utc: str):
    body = f'BEGIN:VEVENT\r\nUID:z\r\nDTSTART;TZID="{tzid}":20261201T070000\r\n'
    body += "DURATION:PT1H\r\nSUMMARY:x\r\nEND:VEVENT\r\n"
    data = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + body + "END:VCALENDAR\r\n"
    events, problems = ical.parse_events(
        data, source="s", start=WINTER[0] - dt.timedelta(days=1), end=WINTER[1], tz=LONDON
    )
    assert problems == []
    assert [e.start.astimezone(dt.UTC).strftime("%H:%M") for e in events] == [utc]


def test_many_unknown_tzids_are_said_in_a_few_lines():
    body = "".join(
        f"BEGIN:VEVENT\r\nUID:u{i}\r\nDTSTART;TZID=Nowhere/Zone{i}:20261201T070000\r\n"
        "END:VEVENT\r\n"
        for i in range(40)
    )
    data = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + body + "END:VCALENDAR\r\n"
    events, problems = ical.parse_events(
        data, source="s", start=WINTER[0], end=WINTER[1], tz=LONDON
    )
    assert len(events) == 40
    assert len(problems) == 6
    assert problems[-1].message == "35 more unknown TZIDs; read as Europe/London"


def test_an_unknown_x_wr_timezone_is_said():
    data = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-TIMEZONE:Atlantis/Capital\r\n"
        "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20261201T070000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    events, problems = ical.parse_events(
        data, source="s", start=WINTER[0], end=WINTER[1], tz=LONDON
    )
    assert len(events) == 1
    assert [p.message for p in problems] == [
        "X-WR-TIMEZONE 'Atlantis/Capital' is not a known time zone; floating times read as "
        "Europe/London"
    ]


def test_a_library_warning_becomes_one_plain_line_and_unrelated_warnings_are_not_blamed():
    # icalendar's own guess at a vendor TZID, as a real Python warning (with its source path).
    import warnings

    from icalendar.timezone import tzp

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tzp.timezone("/example.com/Europe/Berlin")
        tzp.timezone("/example.com/Europe/Paris")
        warnings.warn("unclosed socket", ResourceWarning, stacklevel=1)
    assert len(caught) == 3
    assert warning_notes(caught, "s.ics") == [
        "a vendor-prefixed TZID was read as the time zone its name ends with"
    ]


# --- plain words ------------------------------------------------------------------------------


def test_rscale_is_named_as_unsupported_and_gregorian_rscale_still_expands():
    events, problems = read("icloud_lunar_birthday.ics")
    why = {p.uid: p.message for p in problems}
    assert why == {
        "4F2A8C1E-9B3D-4E7F-A1C2-D3E4F5061728": "skipped: its recurrence rule uses RSCALE "
        "(a non-Gregorian calendar), which calsync cannot expand",
        "9C0D1E2F-3A4B-4C5D-8E6F-708192A3B4C5": "skipped: it has 2 DTSTART lines (only one is "
        "allowed)",
    }
    assert [e.summary for e in events] == ["Easy run", "Intervals 6 x 800m"]


@pytest.mark.parametrize(
    ("props", "why"),
    [
        (["DTSTART:20261201T070000Z", "DTEND:20261201T080000Z", "DTEND:20261201T090000Z"],
         "skipped: it has 2 DTEND lines (only one is allowed)"),
        (["DTSTART;VALUE=PERIOD:20261201T070000Z/PT1H"],
         "skipped: its DTSTART is not a date or a date-time"),
        (["DTSTART:20261201T070000Z", "RRULE:RSCALE=GREGORIAN;FREQ=WEEKLY;SKIP=FORWARD"],
         "skipped: its recurrence rule uses RSCALE (SKIP=FORWARD), which calsync cannot expand"),
        (["DTSTART:20261201T070000Z", "RRULE:FREQ=MONTHLY;BYDAY=MO;BYSETPOS=999"],
         "skipped: its recurrence rule (RRULE) is not valid"),
    ],
)  # fmt: skip
def test_broken_events_are_said_without_python_text(props: list[str], why: str):
    body = "BEGIN:VEVENT\r\nUID:x\r\n" + "\r\n".join(props) + "\r\nSUMMARY:Easy run\r\nEND:VEVENT"
    data = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + body + "\r\nEND:VCALENDAR\r\n"
    events, problems = ical.parse_events(
        data, source="s", start=WINTER[0], end=WINTER[1], tz=LONDON
    )
    assert events == []
    assert [p.message for p in problems] == [why]


@pytest.mark.parametrize(
    "name",
    [
        "thunderbird_end_typo.ics",
        "lotus_notes_export.ics",
        "outlook_windows_zones.ics",
        "mozilla_prefixed_tzids.ics",
        "icloud_lunar_birthday.ics",
    ],
)
def test_the_cli_says_each_problem_in_one_plain_line(name: str):
    stderr = cli_stderr("plan", str(CALENDARS / name), "--from", "2026-06-15", "--weeks", "1")
    assert_plain(stderr)
    _, problems = read(name, WINTER if name.startswith("thunderbird") else JUNE)
    warnings = [line for line in stderr.splitlines() if line.startswith("calsync: warning:")]
    assert len(warnings) == len(problems)
