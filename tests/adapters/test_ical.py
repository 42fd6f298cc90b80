"""The iCalendar codec against real-looking exports (tests/fixtures/calendars) and round trips."""

from __future__ import annotations

import datetime as dt
import re
import sys
import zoneinfo
from pathlib import Path

import icalendar
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from calsync import ical
from calsync.errors import CalendarDataError
from calsync.errors import ExitCode
from calsync.ical import write
from calsync.model import Block
from calsync.model import Event
from calsync.model import Problem

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "calendars"
LONDON = zoneinfo.ZoneInfo("Europe/London")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
UTC = dt.UTC
STAMP = dt.datetime(2026, 11, 29, 12, 0, tzinfo=UTC)

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from gen_calendar import generate  # noqa: E402
from gen_calendar import generate_events  # noqa: E402


def at(day: str, hm: str = "00:00", tz: dt.tzinfo = LONDON) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=tz)


def utc(day: str, hm: str) -> dt.datetime:
    return at(day, hm, UTC)


def parse(
    name: str,
    first: str = "2026-11-30",
    last: str = "2026-12-07",
    tz: dt.tzinfo = LONDON,
) -> tuple[list[Event], list[Problem]]:
    return ical.parse_events(
        (FIXTURES / name).read_bytes(),
        source=name,
        start=at(first, tz=tz),
        end=at(last, tz=tz),
        tz=tz,
    )


def text(body: str, head: str = "") -> bytes:
    """A small calendar around some VEVENT lines (LF in the test, CRLF on the wire)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", *head.splitlines()]
    lines += body.strip().splitlines()
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def parse_text(
    data: bytes, first: str = "2026-11-30", last: str = "2026-12-07", tz: dt.tzinfo = LONDON
) -> tuple[list[Event], list[Problem]]:
    return ical.parse_events(data, source="inline", start=at(first), end=at(last), tz=tz)


def by_uid(events: list[Event]) -> dict[str, list[Event]]:
    found: dict[str, list[Event]] = {}
    for event in events:
        found.setdefault(event.uid, []).append(event)
    return found


def block(
    slot: str = "2026-W49/1",
    day: str = "2026-11-30",
    hm: str = "08:00",
    minutes: int = 45,
    summary: str = "Strength A",
    description: str = "Back squat 4x5, RDL 3x6, box jumps 4x3.",
) -> Block:
    start = at(day, hm)
    return Block(
        slot=slot,
        start=start,
        end=start + dt.timedelta(minutes=minutes),
        week=slot.split("/")[0],
        summary=summary,
        description=description,
        reason="easy day",
        template="a",
    )


# --- fixtures: what each export contains -----------------------------------------------------


def test_canonical_week_has_exactly_the_four_runs_in_london_time():
    events, problems = parse("canonical_week.ics")
    assert problems == []
    got = [(e.start.strftime("%a %H:%M"), e.end - e.start, e.summary) for e in events]
    assert got == [
        ("Mon 07:00", dt.timedelta(minutes=45), "Easy run"),
        ("Tue 18:00", dt.timedelta(hours=1), "Intervals 6 x 800m"),
        ("Thu 07:00", dt.timedelta(minutes=45), "Easy run"),
        ("Sat 09:00", dt.timedelta(hours=2), "Long run"),
    ]
    assert all(e.start.tzinfo == LONDON and e.busy and not e.all_day for e in events)
    assert events[0].description == "45 min easy, conversational pace."
    assert events[0].start.isocalendar()[:2] == (2026, 49)


def test_google_export_uses_x_wr_timezone_for_a_series_written_in_utc():
    events, problems = parse("google_export.ics", "2026-11-01", "2026-12-20")
    assert problems == []
    club = by_uid(events)["4kq2r1s0l7h0v8b9c3d6e5f4g2@google.com"]
    # DTSTART 17:00Z in BST is 18:00 in London; the series stays at 18:00 after the clocks change.
    assert [e.start.strftime("%m-%d %H:%M") for e in club] == [
        "11-03 18:00",
        "11-10 18:00",
        "11-17 18:00",
        "11-24 18:00",
        "12-01 18:00",
        "12-15 19:00",  # the overridden instance; 12-08 is excluded
    ]
    moved = club[-1]
    assert moved.summary == "Club intervals (Christmas special)"
    assert moved.recurrence_id == "2026-12-15T18:00:00+00:00"
    assert len({e.recurrence_id for e in club}) == len(club)
    assert club[0].description == "Track session with the club. WU 15', main set, CD 10'."


def test_google_export_all_day_race_and_floating_lunch():
    events, _ = parse("google_export.ics", tz=NEW_YORK)
    found = by_uid(events)
    race = found["0p9o8i7u6y5t4r3e2w1q@google.com"][0]
    assert race.all_day and not race.busy
    assert (race.start, race.end) == (at("2026-12-06", tz=NEW_YORK), at("2026-12-07", tz=NEW_YORK))
    lunch = found["floating-lunch@google.com"][0]
    # floating times follow the calendar's X-WR-TIMEZONE, not the reader's zone
    assert lunch.start == utc("2026-12-03", "12:00")
    assert lunch.recurrence_id is None
    morning = found["1a2b3c4d5e6f7g8h9i0j@google.com"][0]
    assert (morning.summary, morning.description) == ("Morning Run", "")


def test_icloud_export_all_day_series_multi_day_camp_and_apple_noise():
    events, problems = parse("icloud_export.ics", "2026-11-23", "2026-12-21")
    assert problems == []
    found = by_uid(events)
    long_runs = found["8F4E2A1C-3B5D-4C7E-9F10-2A3B4C5D6E7F"]
    assert [e.start.date().isoformat() for e in long_runs] == [
        "2026-11-28",
        "2026-12-05",
        "2026-12-12",
        "2026-12-19",
    ]
    assert all(
        e.all_day and not e.busy and e.end - e.start == dt.timedelta(days=1) for e in long_runs
    )
    assert [e.recurrence_id for e in long_runs][:2] == ["2026-11-28", "2026-12-05"]
    camp = found["C0FFEE00-1234-4321-ABCD-0123456789AB"][0]
    assert (camp.start, camp.end, camp.all_day) == (at("2026-12-08"), at("2026-12-11"), True)
    jog = found["A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF"][0]
    assert (jog.start, jog.end) == (at("2026-12-02", "06:45"), at("2026-12-02", "07:30"))
    assert jog.calsync == {} and not jog.managed


def test_outlook_export_windows_and_custom_zone_names():
    # read in New York, so a zone that was not understood (floating) would show
    events, problems = parse("outlook_export.ics", "2026-11-29", "2026-12-21", tz=NEW_YORK)
    assert problems == []
    got = {e.summary: e for e in events}
    assert got["Berlin team sync"].start == utc("2026-11-30", "09:00")  # VTIMEZONE + Windows name
    # "GMT Standard Time" and "Pacific Standard Time" come with no VTIMEZONE at all
    assert got["Quarterly review"].start == utc("2026-12-01", "12:00")
    assert got["Call with Seattle"].start == utc("2026-12-02", "16:00")
    boards = [e for e in events if e.summary == "Architecture board"]
    assert [e.start for e in boards] == [
        utc("2026-12-03", "14:00"),
        utc("2026-12-10", "14:00"),
        utc("2026-12-17", "14:00"),
    ]
    assert got["Team drinks"].busy is False
    assert got["Berlin team sync"].description == "Weekly sync with the Berlin office.\n"
    assert got["Berlin team sync"].uid.startswith("040000008200E00074C5B7101A82E008")
    assert got["Berlin team sync"].uid.endswith("A1B2C3D4E5F60718293A4B5C6D7E8F9")


def test_training_platform_feed_all_day_workouts_with_distances():
    events, problems = parse("training_platform_feed.ics")
    assert problems == []
    assert [(e.start.date().isoformat(), e.summary) for e in events] == [
        ("2026-11-30", "Run: Easy Aerobic"),
        ("2026-12-01", "Run: Threshold 3x10'"),
        ("2026-12-03", "🏃 Easy Run - 8km"),
        ("2026-12-06", "Long Run"),
    ]
    assert all(e.all_day and e.end - e.start == dt.timedelta(days=1) for e in events)
    easy, threshold, runna, long_run = events
    assert easy.description == (
        "Planned distance: 10.0 km\nPlanned duration: 0:55:00\nKeep HR in zone 2."
    )
    assert "12.5 km" in threshold.description  # no DTEND: one day
    assert runna.categories == ("Running", "Easy")  # DTEND == DTSTART: one day
    assert long_run.description.startswith("Distance: 24 km\n- 20km Z2")


def test_mixed_personal_calendar():
    events, problems = parse("mixed_personal.ics", tz=NEW_YORK)
    assert problems == []
    got = {e.summary: e for e in events}
    assert "Dentist" not in got  # STATUS:CANCELLED
    assert "Buy new trainers" not in got  # a VTODO
    yoga = got["Yoga"]
    assert yoga.end - yoga.start == dt.timedelta(hours=1)  # DURATION
    assert yoga.categories == ("Health", "Mobility")
    # the Thunderbird TZID resolves through its VTIMEZONE (not the reader's New York)
    assert yoga.start == utc("2026-12-02", "12:30")
    assert got["Gym: squats & deadlifts"].categories == ("Strength",)
    assert got["Cycling intervals 5x4' (Zwift)"].description.startswith("Turbo: 5 x 4 min")
    birthday = got["Mum's birthday"]
    assert birthday.all_day and not birthday.busy
    assert got["parkrun 🏃"].description == "5 km at the park, then coffee ☕"
    standups = [e for e in events if e.summary == "Stand-up"]
    assert len(standups) == 5  # Mon-Fri of the week (window in New York time)
    assert all(e.recurrence_id for e in standups)


def test_languages_keep_their_characters_across_folds():
    events, problems = parse("languages.ics", "2026-11-30", "2026-12-08")
    assert problems == []
    titles = [e.summary for e in events]
    assert titles == [
        "Lockerer Dauerlauf",
        "Intervalle 5x1000m",
        "Fractionné 10x400m",
        "Rodaje suave",
        "Duurloop",
        "Ripetute 6x1000 in pista",
        "Tirada larga 2h",
        "Sortie longue 25 km",
        "Corrida leve – regeneração",
    ]
    assert events[0].description == (
        "Ruhiger Lauf, Grundlagenausdauer 1. Danach Dehnen und ein großes Frühstück mit Müsli, "
        "Äpfeln und Brötchen – schön gemütlich."
    )
    assert events[2].description.startswith("Échauffement 20', récup 1'30 entre les répétitions")


def test_dst_week_runs_keep_their_local_time_across_the_change():
    events, problems = parse("dst_week.ics", "2026-10-19", "2026-11-02")
    assert problems == []
    runs = [e for e in events if e.uid == "dst-early-runs@calsync.test"]
    assert [e.start.strftime("%a %d %H:%M") for e in runs] == [
        "Tue 20 06:30",
        "Sat 24 06:30",
        "Tue 27 06:30",
        "Sat 31 06:30",
    ]
    assert [e.start.utcoffset() for e in runs] == [dt.timedelta(hours=h) for h in (1, 1, 0, 0)]
    assert runs[2].start.astimezone(UTC) - runs[1].start.astimezone(UTC) == dt.timedelta(
        days=3, hours=1
    )
    got = {e.summary: e for e in events}
    relay = got["Night relay leg"]  # 23:00 BST -> 03:00 GMT is five real hours
    assert relay.end.astimezone(UTC) - relay.start.astimezone(UTC) == dt.timedelta(hours=5)
    assert (relay.start.hour, relay.end.hour) == (23, 3)
    assert got["Long run 2h"].start == utc("2026-10-25", "06:30")
    assert got["Intervals 5 x 1 km"].end - got["Intervals 5 x 1 km"].start == dt.timedelta(hours=1)


def test_recurring_overrides_moved_excluded_cancelled_rdate_and_orphan():
    events, problems = parse("recurring_overrides.ics", "2026-11-01", "2026-12-14")
    assert problems == []
    found = by_uid(events)
    mondays = found["weekly-easy-monday@calsync.test"]
    assert [(e.start.strftime("%a %m-%d %H:%M"), e.summary) for e in mondays] == [
        ("Mon 11-02 07:00", "Easy run"),
        ("Mon 11-09 07:00", "Easy run"),
        ("Wed 11-25 07:30", "Easy run (moved to Wednesday)"),
        ("Mon 11-30 07:00", "Easy run"),
    ]  # 11-16 excluded, 11-23 moved, 12-07 cancelled
    assert mondays[2].recurrence_id == "2026-11-23T07:00:00+00:00"
    tempo = found["thursday-tempo@calsync.test"]
    assert [e.start.strftime("%m-%d %H:%M") for e in tempo] == [
        "11-05 18:00",
        "11-12 18:00",
        "11-19 18:00",
        "11-28 10:00",  # RDATE
    ]
    orphan = found["orphan-override@calsync.test"]
    assert [(e.start, e.summary) for e in orphan] == [
        (at("2026-11-10", "12:30"), "Lunch run (accepted instance)")
    ]


def test_recurring_overrides_do_not_depend_on_component_order():
    data = (FIXTURES / "recurring_overrides.ics").read_text()
    head, _, rest = data.partition("BEGIN:VEVENT")
    blocks = ("BEGIN:VEVENT" + rest).rsplit("END:VCALENDAR", 1)[0].split("BEGIN:VEVENT")[1:]
    reversed_data = (
        head + "".join("BEGIN:VEVENT" + b for b in reversed(blocks)) + "END:VCALENDAR\r\n"
    )
    window = {"start": at("2026-11-01"), "end": at("2026-12-14"), "tz": LONDON}
    forward, _ = ical.parse_events(data, source="a", **window)
    backward, _ = ical.parse_events(reversed_data, source="a", **window)
    assert [(e.uid, e.start, e.summary) for e in forward] == [
        (e.uid, e.start, e.summary) for e in backward
    ]
    assert len(forward) == 9


def test_bad_events_are_problems_and_the_good_ones_still_parse():
    events, problems = parse("bad_events.ics")
    assert [e.uid for e in events] == ["good-before@calsync.test", "good-after@calsync.test"]
    why = {p.uid: p.message for p in problems}
    assert set(why) == {
        "no-start@calsync.test",
        "garbage-start@calsync.test",
        "bad-rrule@calsync.test",
    }
    assert "DTSTART" in why["no-start@calsync.test"]
    assert "DTSTART" in why["garbage-start@calsync.test"]
    assert "2026-12-01 at 7pm" in why["garbage-start@calsync.test"]
    assert "recurrence rule" in why["bad-rrule@calsync.test"]
    assert all(p.source == "bad_events.ics" for p in problems)
    assert "bad_events.ics (UID no-start@calsync.test)" in str(problems[0])


def test_not_a_calendar_raises_calendar_data_error_naming_the_source():
    with pytest.raises(CalendarDataError) as caught:
        parse("not_a_calendar.ics")
    assert "not_a_calendar.ics" in caught.value.message
    assert caught.value.exit_code == ExitCode.DATAERR == 65


@pytest.mark.parametrize("data", [b"", b"\x00\x01\x02binary", "<html>nope</html>"])
def test_other_non_calendars_raise(data: bytes | str):
    with pytest.raises(CalendarDataError):
        ical.parse_events(data, source="x", start=at("2026-11-30"), end=at("2026-12-07"), tz=UTC)


# --- edge cases -------------------------------------------------------------------------------


def test_window_is_half_open_and_zero_length_events_count_at_the_start():
    data = text(
        """
BEGIN:VEVENT
UID:ends-at-start
DTSTART:20261129T230000Z
DTEND:20261130T000000Z
END:VEVENT
BEGIN:VEVENT
UID:starts-at-end
DTSTART:20261207T000000Z
DTEND:20261207T010000Z
END:VEVENT
BEGIN:VEVENT
UID:instant-at-start
DTSTART:20261130T000000Z
END:VEVENT
BEGIN:VEVENT
UID:multi-day-over-start
DTSTART;VALUE=DATE:20261128
DTEND;VALUE=DATE:20261202
END:VEVENT
BEGIN:VEVENT
UID:multi-day-timed
DTSTART:20261127T180000Z
DURATION:P3DT12H
END:VEVENT
"""
    )
    events, problems = parse_text(data)
    assert problems == []
    assert sorted(e.uid for e in events) == [
        "instant-at-start",
        "multi-day-over-start",
        "multi-day-timed",
    ]
    instant = by_uid(events)["instant-at-start"][0]
    assert instant.start == instant.end
    timed = by_uid(events)["multi-day-timed"][0]
    assert timed.end == utc("2026-12-01", "06:00")


def test_history_is_skipped_cheaply_but_old_series_and_long_events_stay():
    data = text(
        """
BEGIN:VEVENT
UID:old-single
DTSTART:20170301T070000Z
DTEND:20170301T080000Z
SUMMARY:Old run
END:VEVENT
BEGIN:VEVENT
UID:old-weekly
DTSTART;TZID=Europe/London:20170306T070000
DTEND;TZID=Europe/London:20170306T074500
RRULE:FREQ=WEEKLY
SUMMARY:Monday run since 2017
END:VEVENT
BEGIN:VEVENT
UID:old-broken-kept-for-its-problem
DTSTAMP:20170101T000000Z
DTSTART:20170101T070000Z
DTEND:garbage
END:VEVENT
BEGIN:VEVENT
UID:long-duration
DTSTART;VALUE=DATE:20261101
DURATION:P40D
SUMMARY:Base phase
END:VEVENT
BEGIN:VEVENT
UID:future-single
DTSTART:20300101T070000Z
DTEND:20300101T080000Z
END:VEVENT
"""
    )
    events, problems = parse_text(data)
    # an end that cannot be read cannot be ruled out: that event is parsed, and reported
    assert [p.uid for p in problems] == ["old-broken-kept-for-its-problem"]
    assert [(e.uid, e.start) for e in events] == [
        ("long-duration", at("2026-11-01")),
        ("old-weekly", at("2026-11-30", "07:00")),
    ]
    assert events[0].end == at("2026-12-11")
    assert events[1].recurrence_id == "2026-11-30T07:00:00+00:00"


def test_floating_times_use_the_given_zone_without_x_wr_timezone():
    data = text("BEGIN:VEVENT\nUID:f\nDTSTART:20261201T070000\nDTEND:20261201T080000\nEND:VEVENT")
    events, _ = ical.parse_events(
        data, source="x", start=at("2026-11-30"), end=at("2026-12-07"), tz=NEW_YORK
    )
    assert events[0].start == at("2026-12-01", "07:00", NEW_YORK)
    assert events[0].end - events[0].start == dt.timedelta(hours=1)


def test_unknown_tzid_without_vtimezone_falls_back_to_the_given_zone():
    data = text(
        "BEGIN:VEVENT\nUID:m\nDTSTART;TZID=Mars/Olympus_Mons:20261201T070000\n"
        "DURATION:PT30M\nEND:VEVENT"
    )
    events, problems = parse_text(data)
    # Read in the home zone, and said once (it was silent).
    assert [p.message for p in problems] == [
        "TZID 'Mars/Olympus_Mons' is not a known time zone; read as Europe/London"
    ]
    assert events[0].start == at("2026-12-01", "07:00")


def test_all_day_without_dtend_and_with_end_equal_to_start_last_one_day():
    data = text(
        "BEGIN:VEVENT\nUID:a\nDTSTART;VALUE=DATE:20261201\nEND:VEVENT\n"
        "BEGIN:VEVENT\nUID:b\nDTSTART;VALUE=DATE:20261202\nDTEND;VALUE=DATE:20261202\nEND:VEVENT"
    )
    events, _ = parse_text(data, tz=NEW_YORK)
    assert [(e.start, e.end, e.all_day) for e in events] == [
        (at("2026-12-01", tz=NEW_YORK), at("2026-12-02", tz=NEW_YORK), True),
        (at("2026-12-02", tz=NEW_YORK), at("2026-12-03", tz=NEW_YORK), True),
    ]


def test_calsync_properties_mark_managed_events():
    data = text(
        "BEGIN:VEVENT\nUID:mine@calsync\nDTSTART:20261201T080000Z\nDTEND:20261201T084500Z\n"
        "SUMMARY:Strength A\nX-CALSYNC-MANAGED:1\nX-CALSYNC-SLOT:2026-W49/1\n"
        "x-calsync-template:a\nEND:VEVENT\n"
        "BEGIN:VEVENT\nUID:theirs\nDTSTART:20261201T180000Z\nSUMMARY:Gym\nEND:VEVENT"
    )
    events, _ = parse_text(data)
    mine, theirs = events
    assert mine.managed
    assert dict(mine.calsync) == {"MANAGED": "1", "SLOT": "2026-W49/1", "TEMPLATE": "a"}
    assert not theirs.managed and dict(theirs.calsync) == {}


def test_missing_uid_gets_a_stable_derived_one_and_no_problem():
    data = text("BEGIN:VEVENT\nDTSTART:20261201T080000Z\nSUMMARY:No UID run\nEND:VEVENT")
    first, problems = parse_text(data)
    again, _ = parse_text(data)
    assert problems == []
    assert first[0].uid.startswith("nouid-") and first[0].uid == again[0].uid
    assert first[0].summary == "No UID run"


def test_a_broken_override_is_reported_and_the_series_keeps_its_instance():
    data = text(
        "BEGIN:VEVENT\nUID:s\nDTSTART:20261130T070000Z\nDTEND:20261130T080000Z\n"
        "RRULE:FREQ=DAILY;COUNT=3\nSUMMARY:Run\nEND:VEVENT\n"
        "BEGIN:VEVENT\nUID:s\nRECURRENCE-ID:20261201T070000Z\nDTSTART:tomorrow\n"
        "SUMMARY:Run (moved)\nEND:VEVENT"
    )
    events, problems = parse_text(data)
    assert [e.start.day for e in events] == [30, 1, 2]
    assert [(p.uid, "override" in p.message) for p in problems] == [("s", True)]


def test_an_unterminated_event_is_a_problem_and_the_rest_is_kept():
    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:ok\r\n"
        b"DTSTART:20261201T070000Z\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:cut\r\nDTSTART:2026"
    )
    events, problems = parse_text(data)
    assert [e.uid for e in events] == ["ok"]
    assert len(problems) == 1 and "unterminated" in problems[0].message


def test_runs_source_is_passed_through_and_sorted_output():
    events, _ = ical.parse_events(
        (FIXTURES / "canonical_week.ics").read_bytes(),
        source="busy",
        start=at("2026-11-30"),
        end=at("2026-12-07"),
        tz=LONDON,
        runs_source=False,
    )
    assert events and all(not e.runs_source and e.source == "busy" for e in events)
    assert [e.start for e in events] == sorted(e.start for e in events)


# --- rendering -------------------------------------------------------------------------------


def lines_of(data: bytes) -> list[bytes]:
    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    return data.split(b"\r\n")[:-1]


def test_render_calendar_is_deterministic_folded_and_complete():
    long_text = "Back squat 4×5 @ RPE 7 — 2–3 reps in reserve; box jumps 4×3, " * 4 + "✓" * 40
    blocks = [block(description=long_text), block("2026-W49/2", "2026-12-03", "08:00")]
    kwargs = {
        "dtstamp": STAMP,
        "tz": LONDON,
        "name": "Strength, by calsync",
        "refresh_minutes": 60,
        "sequence": {"2026-W49-2@calsync": 3},
        "props": {"2026-W49-1@calsync": {"MANAGED": "1", "SLOT": "2026-W49/1"}},
    }
    data = ical.render_calendar(blocks, **kwargs)
    assert data == ical.render_calendar(list(reversed(blocks)), **kwargs)
    for line in lines_of(data):
        assert len(line) <= 75
        line.decode("utf-8")  # every physical line is valid UTF-8: no split sequence
    text_ = data.decode()
    for needed in (
        "PRODID:-//calsync//calsync//EN",
        "VERSION:2.0",
        "X-WR-CALNAME:Strength\\, by calsync",
        "REFRESH-INTERVAL;VALUE=DURATION:PT60M",
        "X-PUBLISHED-TTL:PT60M",
        "BEGIN:VTIMEZONE\r\nTZID:Europe/London",
        "UID:2026-W49-1@calsync",
        "DTSTAMP:20261129T120000Z",
        "DTSTART;TZID=Europe/London:20261130T080000",
        "DTEND;TZID=Europe/London:20261130T084500",
        "CATEGORIES:Strength",
        "TRANSP:OPAQUE",
        "X-CALSYNC-MANAGED:1",
        "X-CALSYNC-SLOT:2026-W49/1",
        "SEQUENCE:3",
    ):
        assert needed in text_, needed
    cal = icalendar.Calendar.from_ical(data)
    first, second = cal.walk("VEVENT")
    assert str(first["DESCRIPTION"]) == long_text
    assert first.start == at("2026-11-30", "08:00")
    assert int(second["SEQUENCE"]) == 3
    assert cal.get_missing_tzids() == set()


def test_render_round_trips_through_parse_events_as_managed_events():
    blocks = [block(), block("2026-W49/2", "2026-12-03", "07:45", summary="Strength B")]
    uids = {"2026-W49/1": "strength-1@calsync", "2026-W49/2": "strength-2@calsync"}
    props = {u: {"MANAGED": "1", "SLOT": s} for s, u in uids.items()}
    data = ical.render_calendar(
        blocks, dtstamp=STAMP, tz=LONDON, name="S", uids=uids, props=props, transparent=True
    )
    events, problems = ical.parse_events(
        data, source="feed", start=at("2026-11-30"), end=at("2026-12-07"), tz=LONDON
    )
    assert problems == []
    assert [(e.uid, e.start, e.end, e.summary) for e in events] == [
        ("strength-1@calsync", blocks[0].start, blocks[0].end, "Strength A"),
        ("strength-2@calsync", blocks[1].start, blocks[1].end, "Strength B"),
    ]
    assert all(e.managed and not e.busy and e.categories == ("Strength",) for e in events)
    assert events[1].calsync["SLOT"] == "2026-W49/2"


def test_render_private_title_hides_summary_and_description():
    data = ical.render_calendar(
        [block()], dtstamp=STAMP, tz=LONDON, name="Busy", private_title="Busy"
    ).decode()
    assert "SUMMARY:Busy" in data
    assert "Strength A" not in data and "DESCRIPTION" not in data and "squat" not in data


def test_render_empty_calendar_is_valid_and_stable():
    data = ical.render_calendar([], dtstamp=STAMP, tz=LONDON, name="Strength")
    assert data == ical.render_calendar([], dtstamp=STAMP, tz=LONDON, name="Strength")
    cal = icalendar.Calendar.from_ical(data)
    assert cal.walk("VEVENT") == [] and str(cal["X-WR-CALNAME"]) == "Strength"


def test_render_in_utc_writes_z_times_without_vtimezone():
    data = ical.render_calendar([block()], dtstamp=STAMP, tz=UTC, name="S").decode()
    assert "VTIMEZONE" not in data
    assert "DTSTART:20261130T080000Z" in data


def test_render_dst_vtimezone_gives_the_right_instants_in_summer():
    summer = block("2026-W27/1", "2026-07-01", "07:00")
    data = ical.render_calendar([summer], dtstamp=STAMP, tz=LONDON, name="S")
    cal = icalendar.Calendar.from_ical(data)
    assert cal.walk("VEVENT")[0].start.astimezone(UTC) == utc("2026-07-01", "06:00")


def test_render_block_is_one_event_for_a_caldav_put():
    data = ical.render_block(
        block(),
        uid="strength-1@calsync",
        dtstamp=STAMP,
        tz=LONDON,
        props={"MANAGED": "1", "SLOT": "2026-W49/1", "GENERATION": "2"},
        sequence=4,
    )
    assert data == ical.render_block(
        block(),
        uid="strength-1@calsync",
        dtstamp=STAMP,
        tz=LONDON,
        props={"GENERATION": "2", "SLOT": "2026-W49/1", "MANAGED": "1"},
        sequence=4,
    )
    cal = icalendar.Calendar.from_ical(data)
    (event,) = cal.walk("VEVENT")
    assert str(event["UID"]) == "strength-1@calsync"
    assert str(event["X-CALSYNC-GENERATION"]) == "2"
    assert int(event["SEQUENCE"]) == 4
    assert "X-WR-CALNAME" not in cal and "METHOD" not in cal
    assert len(cal.walk("VTIMEZONE")) == 1


def test_fold_never_splits_a_utf8_sequence():
    for width in range(60, 80):
        line = "DESCRIPTION:" + "a" * (width - 12) + "é✓🏃" * 30
        folded = ical.fold(line)
        physical = folded.split(b"\r\n")[:-1]
        assert all(len(p) <= 75 for p in physical)
        assert all(p.decode("utf-8") for p in physical)
        assert re.sub(rb"\r\n ", b"", folded).decode() == line + "\r\n"


def test_default_uid_comes_from_the_slot():
    assert ical.default_uid("2026-W49/1") == "2026-W49-1@calsync"


# --- same_content ----------------------------------------------------------------------------


def test_same_content_ignores_server_noise_order_and_folding():
    ours = ical.render_block(
        block(), uid="u@calsync", dtstamp=STAMP, tz=LONDON, props={"MANAGED": "1"}
    )
    lines = ours.decode().split("\r\n")
    start = lines.index("BEGIN:VEVENT")
    stop = lines.index("END:VEVENT")
    event = lines[start + 1 : stop]
    event = [x.replace("SEQUENCE:0", "SEQUENCE:5") for x in event if not x.startswith("DTSTAMP")]
    event.reverse()
    event += [
        "DTSTAMP:20270101T000000Z",
        "LAST-MODIFIED:20270101T000000Z",
        "CREATED:20270101T000000Z",
        "X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC",
        "X-MOZ-GENERATION:2",
    ]
    # the server rewrote the times in UTC and dropped the VTIMEZONE
    event = [
        "DTSTART:20261130T080000Z" if x.startswith("DTSTART") else x
        for x in event
        if not x.startswith("DTEND")
    ] + ["DURATION:PT45M"]
    theirs = text("BEGIN:VEVENT\n" + "\n".join(event) + "\nEND:VEVENT").replace(
        b"PRODID:-//test//EN", b"PRODID:-//Radicale//NONSGML Radicale Server//EN"
    )
    assert ical.same_content(ours, theirs)
    assert ical.same_content(theirs, ours)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("SUMMARY:Strength A", "SUMMARY:Strength A (moved by me)"),
        (
            "DTSTART;TZID=Europe/London:20261130T080000",
            "DTSTART;TZID=Europe/London:20261130T090000",
        ),
        ("X-CALSYNC-MANAGED:1", "X-CALSYNC-MANAGED:0"),
        ("TRANSP:OPAQUE", "TRANSP:TRANSPARENT"),
        ("CATEGORIES:Strength", "CATEGORIES:Strength,Gym"),
    ],
)
def test_same_content_sees_real_changes(old: str, new: str):
    ours = ical.render_block(
        block(), uid="u@calsync", dtstamp=STAMP, tz=LONDON, props={"MANAGED": "1"}
    )
    changed = ours.replace(old.encode(), new.encode())
    assert changed != ours
    assert not ical.same_content(ours, changed)


def test_same_content_with_garbage_is_false_unless_identical():
    assert ical.same_content(b"garbage", b"garbage")
    assert not ical.same_content(b"garbage", b"other garbage")
    ours = ical.render_block(block(), uid="u", dtstamp=STAMP, tz=LONDON, props={})
    assert not ical.same_content(ours, b"garbage")


# --- the benchmark generator -----------------------------------------------------------------


def test_generated_calendar_is_deterministic_realistic_and_parses_cleanly():
    data = generate(300, 0.5, seed=3)
    assert data == generate(300, 0.5, seed=3)
    assert data != generate(300, 0.5, seed=4)
    assert data.count(b"BEGIN:VEVENT") == 300
    for marker in (b"RRULE:", b"EXDATE", b"RECURRENCE-ID", b"VALUE=DATE", b"DURATION:", b"Z\r\n"):
        assert marker in data, marker
    events, problems = ical.parse_events(
        data, source="gen", start=at("2026-01-01"), end=at("2026-07-03"), tz=LONDON
    )
    assert problems == []
    assert len(events) >= 280
    assert any(e.all_day for e in events) and any(e.recurrence_id for e in events)


def test_generated_events_are_one_uid_per_object():
    objects = generate_events(40, 1.0, seed=5)
    assert len(objects) == 40
    for obj in objects:
        cal = icalendar.Calendar.from_ical(obj)
        assert len({str(e["UID"]) for e in cal.walk("VEVENT")}) == 1
    assert objects == generate_events(40, 1.0, seed=5)


def test_duration_hours_are_exact_across_the_clock_change():
    data = text(
        "BEGIN:VEVENT\nUID:d\nDTSTART;TZID=Europe/London:20261025T003000\nDURATION:PT3H\n"
        "SUMMARY:Night run\nEND:VEVENT"
    )
    events, _ = parse_text(data, "2026-10-24", "2026-10-26")
    (night,) = events
    assert night.end.astimezone(UTC) - night.start.astimezone(UTC) == dt.timedelta(hours=3)
    assert night.end == at("2026-10-25", "02:30")  # 00:30 BST + 3 h = 02:30 GMT


def test_concatenated_calendars_and_garbage_lines_are_tolerated():
    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20261201T070000Z\r\n"
        b"SUMMARY:Easy run\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:b\r\nDTSTART:20261201T080000Z\r\n"
        b'SUMMARY;LANGUAGE="unclosed:x\r\nthis line is not a property\r\nEND:VEVENT\r\n'
        b"END:VCALENDAR\r\nBEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:c\r\n"
        b"DTSTART:20261202T070000Z\r\nSUMMARY:Second calendar\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    events, _ = parse_text(data)
    assert [e.uid for e in events] == ["a", "b", "c"]
    assert events[0].summary == "Easy run" and events[2].summary == "Second calendar"


def test_generated_objects_keep_overrides_with_their_series():
    objects = [o for o in generate_events(400, 1.0, seed=7) if b"RECURRENCE-ID" in o]
    assert objects
    for obj in objects:
        cal = icalendar.Calendar.from_ical(obj)
        events = cal.walk("VEVENT")
        assert len(events) == 2 and events[0]["UID"] == events[1]["UID"]
        assert "RRULE" in events[0]


def test_a_newer_override_beats_the_exdate_for_its_instance():
    data = text(
        """
BEGIN:VEVENT
UID:s
DTSTART:20261130T070000Z
DTEND:20261130T080000Z
RRULE:FREQ=WEEKLY;COUNT=3
EXDATE:20261207T070000Z,20261214T070000Z
SEQUENCE:1
SUMMARY:Easy
END:VEVENT
BEGIN:VEVENT
UID:s
RECURRENCE-ID:20261207T070000Z
DTSTART:20261208T070000Z
DTEND:20261208T080000Z
SEQUENCE:2
SUMMARY:Easy (moved to Tuesday)
END:VEVENT
"""
    )
    events, problems = parse_text(data, "2026-11-30", "2026-12-21")
    assert problems == []
    assert [(e.start.day, e.summary) for e in events] == [
        (30, "Easy"),
        (8, "Easy (moved to Tuesday)"),  # 12-14 stays excluded
    ]


def test_this_and_future_override_changes_the_rest_of_the_series():
    data = text(
        """
BEGIN:VEVENT
UID:t
DTSTART:20261130T070000Z
DTEND:20261130T080000Z
RRULE:FREQ=WEEKLY;COUNT=3
SUMMARY:Easy run
END:VEVENT
BEGIN:VEVENT
UID:t
RECURRENCE-ID;RANGE=THISANDFUTURE:20261207T070000Z
DTSTART:20261207T180000Z
DTEND:20261207T190000Z
SUMMARY:Tempo run
END:VEVENT
"""
    )
    events, _ = parse_text(data, "2026-11-30", "2026-12-21")
    assert [(e.start.strftime("%m-%d %H:%M"), e.summary) for e in events] == [
        ("11-30 07:00", "Easy run"),
        ("12-07 18:00", "Tempo run"),
        ("12-14 18:00", "Tempo run"),
    ]


def test_a_series_that_ends_before_it_starts_keeps_its_dtstart():
    # RFC 5545: DTSTART always counts as the first occurrence (was: no occurrence at all).
    data = text(
        "BEGIN:VEVENT\nUID:u\nDTSTART:20261130T070000Z\n"
        "RRULE:FREQ=WEEKLY;UNTIL=20261101T000000Z\nSUMMARY:once\nEND:VEVENT"
    )
    events, problems = parse_text(data)
    assert problems == []
    assert [(e.summary, e.start) for e in events] == [("once", utc("2026-11-30", "07:00"))]


TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r")
    | st.just("\n"),
    max_size=300,
)


@settings(max_examples=40, deadline=None)
@given(summary=TEXT, description=TEXT, slot_no=st.integers(1, 9))
def test_any_text_survives_render_and_parse(summary: str, description: str, slot_no: int):
    data = ical.render_calendar(
        [block(f"2026-W49/{slot_no}", summary=summary, description=description)],
        dtstamp=STAMP,
        tz=LONDON,
        name=summary or "x",
    )
    assert all(len(line) <= 75 for line in lines_of(data))
    events, problems = parse_text(data)
    assert problems == []
    (event,) = events
    assert (event.summary, event.description) == (summary, description)
    assert event.uid == f"2026-W49-{slot_no}@calsync"


# --- found by adversarial use -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "dtstart", "why"),
    [
        ("FREQ=DAILY;INTERVAL=0", "20261201T070000Z", "INTERVAL must be 1 or more"),
        ("FREQ=WEEKLY;COUNT=-1", "20261201T070000Z", "COUNT must be 1 or more"),
        ("FREQ=SECONDLY", "20261201T070000Z", "repeats too often"),
        ("FREQ=MINUTELY", "20200101T000000Z", "repeats too often"),
        ("FREQ=HOURLY", "19700101T000000Z", "repeats too often"),
        ("FREQ=DAILY;BYHOUR=1,2,3;BYMINUTE=0,10,20,30,40,50", "20261201T070000Z", None),
        ("FREQ=HOURLY;COUNT=24", "19700101T000000Z", None),
        ("FREQ=HOURLY;UNTIL=19710101T000000Z", "19700101T000000Z", None),  # ended long ago
    ],
)
def test_runaway_recurrence_rules_are_problems_not_hangs(rule: str, dtstart: str, why: str | None):
    body = f"BEGIN:VEVENT\r\nUID:r\r\nDTSTART:{dtstart}\r\nDURATION:PT1M\r\nRRULE:{rule}\r\n"
    body += "SUMMARY:x\r\nEND:VEVENT\r\n"
    data = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + body.encode() + b"END:VCALENDAR\r\n"
    start, end = at("2026-11-30"), at("2026-12-07")
    events, problems = ical.parse_events(data, source="s", start=start, end=end, tz=LONDON)
    if why is None:
        assert problems == []
    else:
        assert events == []
        assert [p.uid for p in problems] == ["r"]
        assert why in problems[0].message


@pytest.mark.parametrize(
    ("tzid", "utc_hour"),
    [
        ("(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", 6),
        ("(UTC-05:00) Eastern Time (US & Canada)", 12),
        ("(UTC+05:30) Chennai, Kolkata, Mumbai, New Delhi", 1),
        ("(UTC) Coordinated Universal Time", 7),
        ("(UTC+03:00) Somewhere Unknown", 4),
        ("W. Europe Standard Time", 6),
        ("Mars/Olympus", 7),  # unknown: floating, read in the home zone
    ],
)
def test_tzids_without_vtimezone(tzid: str, utc_hour: int):
    body = f'BEGIN:VEVENT\r\nUID:z\r\nDTSTART;TZID="{tzid}":20261201T070000\r\n'
    body += "DURATION:PT1H\r\nSUMMARY:x\r\nEND:VEVENT\r\n"
    data = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + body.encode() + b"END:VCALENDAR\r\n"
    start, end = at("2026-11-30"), at("2026-12-07")
    events, problems = ical.parse_events(data, source="s", start=start, end=end, tz=LONDON)
    unknown = tzid == "Mars/Olympus"
    assert [p.message for p in problems] == (
        [f"TZID '{tzid}' is not a known time zone; read as Europe/London"] if unknown else []
    )
    assert [e.start.astimezone(dt.UTC).hour for e in events] == [utc_hour]


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=WEEKLY;UNTIL=20260101T000000Z",  # UNTIL a year before DTSTART
        "FREQ=WEEKLY;UNTIL=20261202T000000Z",  # the same day, hours before
        "FREQ=WEEKLY;UNTIL=20261202T065959",  # floating: read in DTSTART's zone
        "FREQ=WEEKLY;UNTIL=20261202",  # a date UNTIL on DTSTART's day
        "FREQ=WEEKLY;UNTIL=20261209T000000Z",  # a normal rule that ends before the 2nd week
    ],
)
def test_dtstart_always_counts_even_when_until_is_before_it(rule: str):
    # RFC 5545 3.8.5.3: "The DTSTART property value always counts as the first occurrence."
    # dateutil gave no occurrence at all, so a Wednesday tempo run vanished from the plan.
    body = "BEGIN:VEVENT\r\nUID:u\r\nDTSTART;TZID=Europe/London:20261202T070000\r\n"
    body += f"DURATION:PT1H\r\nRRULE:{rule}\r\nSUMMARY:Tempo\r\nEND:VEVENT\r\n"
    data = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + body.encode() + b"END:VCALENDAR\r\n"
    events, problems = ical.parse_events(
        data, source="s", start=at("2026-11-30"), end=at("2026-12-21"), tz=LONDON
    )
    assert problems == []
    assert [e.start for e in events] == [at("2026-12-02", "07:00")]


# --- a block dragged into another year keeps its DST rules -----------------------------------


@pytest.mark.parametrize("zone", ["Europe/London", "Australia/Sydney"])
@pytest.mark.parametrize("when", ["2028-01-15T12:00", "2028-07-15T12:00", "2031-07-15T12:00"])
def test_a_blocks_vtimezone_still_gives_the_offsets_years_later(zone: str, when: str):
    # The VTIMEZONE covered only the block's own year: a block dragged from 2026 into 2028
    # got the last 2026 offset for ever (no summer time in London, always summer in Sydney).
    tz = zoneinfo.ZoneInfo(zone)
    start = dt.datetime(2026, 11, 30, 8, tzinfo=tz)
    moved = Block(
        "2026-W49/1", start, start + dt.timedelta(minutes=45), "2026-W49", "S", "", "", "a"
    )
    data = ical.render_block(moved, uid="u", dtstamp=STAMP, tz=tz, props={})
    (vtimezone,) = icalendar.Calendar.from_ical(data).walk("VTIMEZONE")
    written = vtimezone.to_tz(lookup_tzid=False)  # the rules as written, not a zone database
    later = dt.datetime.fromisoformat(when)
    assert later.replace(tzinfo=written).utcoffset() == later.replace(tzinfo=tz).utcoffset()


def test_the_vtimezone_span_does_not_change_the_bytes_between_runs():
    first = ical.render_calendar([block()], dtstamp=STAMP, tz=LONDON, name="S")
    write.vtimezone.cache_clear()
    assert ical.render_calendar([block()], dtstamp=STAMP, tz=LONDON, name="S") == first
    assert b"only works from 2026-01-01 to 2032-01-01" in first
