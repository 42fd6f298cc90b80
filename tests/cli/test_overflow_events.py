"""Dates at the ends of the calendar (year 1, year 9999, DURATION:P99999999D) through the real CLI.

Such an event is one skipped event with one plain-words warning, never "internal error:
OverflowError" (exit 1) for the whole run: the rest of the calendar still plans.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from pathlib import Path

import pytest
from click.testing import CliRunner

from calsync import ical
from calsync.cli import cli
from calsync.core import week_page as web
from calsync.model import Classified
from calsync.model import Event
from calsync.model import Kind
from calsync.model import WeekReport

CALENDARS = Path(__file__).resolve().parents[1] / "fixtures" / "calendars"
EDGES = CALENDARS / "overflow_edges.ics"
TOO_LONG = {
    "huge-duration@overflow.test": "99999999 days",
    "huge-weeks@overflow.test": "69999993 days",
    "huge-seconds@overflow.test": "11574074 days",
    "negative-duration@overflow.test": "-99999999 days",
}


def run(*args: str):
    env = {"XDG_CONFIG_HOME": "/nonexistent", "CALSYNC_CONFIG": ""}
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    assert "Traceback" not in result.output + result.stderr
    assert "internal error" not in result.stderr
    return result


def config(tmp_path: Path, zone: str) -> str:
    path = tmp_path / "config.toml"
    path.write_text(f'timezone = "{zone}"\n')
    return str(path)


def warnings_of(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("calsync: warning:")]


# Kiritimati (UTC+14) and Honolulu (UTC-10): a zone offset from year 9999 or year 1 leaves the
# calendar; London: the common case.
ZONES = ["Europe/London", "Pacific/Kiritimati", "Pacific/Honolulu"]


@pytest.mark.parametrize("zone", ZONES)
def test_plan_skips_each_overflowing_event_with_one_warning_and_plans_the_rest(tmp_path, zone):
    result = run(
        "--now", "2026-11-29T06:00", "plan", str(EDGES), "-c", config(tmp_path, zone),
        "--from", "2026-11-30", "--weeks", "1", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    why = {p["uid"]: p["message"] for p in data["problems"]}
    assert set(why) == set(TOO_LONG)
    for uid, days in TOO_LONG.items():
        assert why[uid] == f"skipped: its duration ({days}) is beyond what calsync can plan"
    # The rest plans: in London Mon and Thu (the runs' local days shift in the other zones).
    starts = [dt.datetime.fromisoformat(b["start"]).strftime("%a") for b in data["blocks"]]
    assert starts == ["Mon", "Thu"] if zone == "Europe/London" else starts
    assert len(warnings_of(result.stderr)) == len(TOO_LONG)


@pytest.mark.parametrize("command", ["plan", "classify"])
def test_table_output_names_the_events_and_exits_0(tmp_path, command):
    result = run(
        "--now", "2026-11-29T06:00", command, str(EDGES), "-c", config(tmp_path, "Europe/London"),
        "--from", "2026-11-30", "--weeks", "104",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    lines = warnings_of(result.stderr)
    assert len(lines) == len(TOO_LONG)
    for uid in TOO_LONG:
        assert sum(f"(UID {uid})" in line for line in lines) == 1
    assert "Error" not in result.stderr
    assert ".py" not in result.stderr


def test_a_weekly_run_with_until_in_year_9999_is_read_not_skipped():
    # UNTIL=99991231T235959Z: the check for a rule that ends early added a day past 9999.
    events, problems = read(EDGES, "Europe/London")
    assert problems and all(p.uid in TOO_LONG for p in problems)
    fridays = [e for e in events if e.uid == "until-far@overflow.test"]
    assert [e.start.strftime("%a %H:%M") for e in fridays] == ["Fri 07:00"]


@pytest.mark.parametrize("zone", ZONES)
def test_an_end_in_year_9999_stays_for_ever_in_every_home_zone(zone):
    # DTEND 9999-12-31 (UTC, or +14) moved into a home zone leaves the calendar: kept, clamped.
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Apple Inc.//macOS 14.5//EN",
        "BEGIN:VEVENT", "UID:ooo", "DTSTART:20261202T120000Z", "DTEND:99991231T235959Z",
        "SUMMARY:Out of office", "END:VEVENT",
        "BEGIN:VEVENT", "UID:epoch", "DTSTART:00010101T000000Z", "DTEND:00010101T010000Z",
        "RRULE:FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=1", "SUMMARY:Since year one", "END:VEVENT",
        "BEGIN:VEVENT", "UID:last-day", "DTSTART;VALUE=DATE:99991231", "SUMMARY:x", "END:VEVENT",
        "END:VCALENDAR", "",
    ]  # fmt: skip
    tz = zoneinfo.ZoneInfo(zone)
    start, end = dt.datetime(2026, 11, 30, tzinfo=tz), dt.datetime(2026, 12, 7, tzinfo=tz)
    events, problems = ical.parse_events(
        "\r\n".join(lines), source="s.ics", start=start, end=end, tz=tz
    )
    assert problems == []
    ooo = next(e for e in events if e.uid == "ooo")
    assert ooo.end.year == 9998
    epoch = [e.start.astimezone(dt.UTC) for e in events if e.uid == "epoch"]
    assert epoch == [dt.datetime(2026, 12, 1, tzinfo=dt.UTC)]


def test_export_writes_the_feed_despite_overflowing_events(tmp_path):
    out = tmp_path / "strength.ics"
    result = run(
        "--now", "2026-11-29T06:00", "export", str(EDGES), "-c", config(tmp_path, "Europe/London"),
        "-o", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes().count(b"BEGIN:VEVENT") >= 2
    assert len(warnings_of(result.stderr)) <= len(TOO_LONG)


def read(path: Path, zone: str) -> tuple[list, list]:
    tz = zoneinfo.ZoneInfo(zone)
    start, end = dt.datetime(2026, 11, 30, tzinfo=tz), dt.datetime(2026, 12, 7, tzinfo=tz)
    return ical.parse_events(path.read_bytes(), source=path.name, start=start, end=end, tz=tz)


def test_the_week_page_lists_a_for_ever_event_only_on_the_weeks_it_shows(monkeypatch):
    # An event to year 9998 was filed under each of its 2.9 million local days (1-2 s and
    # hundreds of MB per page view); only the page's 7 days are needed.
    tz = zoneinfo.ZoneInfo("Europe/London")
    monday = dt.date(2026, 11, 30)
    start = dt.datetime(2026, 12, 2, 12, tzinfo=tz)
    end = dt.datetime(9998, 12, 31, tzinfo=dt.UTC)
    forever = Event(uid="ooo", start=start, end=end, summary="Out of office")
    calls: list[int] = []
    real = web._local_days

    def counting(*args: object) -> list[dt.date]:
        days = real(*args)  # type: ignore[arg-type]
        calls.append(len(days))
        return days

    monkeypatch.setattr(web, "_local_days", counting)
    page = web.WeekPage(
        title="Strength", tz=tz, today=monday,
        weeks=[WeekReport("2026-W49", monday, 0, 2)],
        runs=[Classified(forever, Kind.OTHER, "busy")], blocks=[],
        links=web.Links(feed="https://x.test/f.ics", webcal="webcal://x.test/f.ics"),
    )  # fmt: skip
    body = web.render_week_page(page).decode()
    assert calls == [5]  # Wed to Sun of the one week shown
    # One busy bar a day (its title shown on hover and again when tapped open).
    assert body.count("<p>Out of office</p>") == 5


@pytest.mark.parametrize(
    "args",
    [
        ("--now", "2026-11-29T06:00", "plan", "--from", "9999-12-27"),
        ("--now", "2026-11-29T06:00", "plan", "--from", "0001-01-01"),
        ("--now", "9999-12-31T00:00", "plan"),
        ("plan", "--now", "0001-01-01T00:00"),
    ],
)
def test_a_plan_window_at_the_calendars_end_is_a_usage_error(tmp_path, args):
    # The plan's week arithmetic from --from or --now in year 1 / 9999 was "internal error".
    result = run("-c", config(tmp_path, "Europe/London"), *args, str(EDGES))
    assert result.exit_code == 2
    assert "is outside the years 1900 to 2999" in result.stderr
