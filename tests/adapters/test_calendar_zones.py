"""`ical.calendar_zones`: the zone a calendar's owner lives in, read from the raw text."""

from __future__ import annotations

from pathlib import Path

from calsync import ical

CALENDARS = Path(__file__).resolve().parents[1] / "fixtures" / "calendars"


def test_x_wr_timezone_wins():
    zone, _ = ical.calendar_zones((CALENDARS / "melbourne_runner.ics").read_bytes())
    assert zone is not None and zone.key == "Australia/Melbourne"


def test_without_it_the_dtstart_zones_are_counted_by_iana_key():
    text = (CALENDARS / "melbourne_runner.ics").read_text().replace("X-WR-TIMEZONE:", "X-NOT:")
    assert ical.calendar_zones(text) == (None, {"Australia/Melbourne": 5})
    # Outlook's display names and Windows names count as the zones they mean
    _, counts = ical.calendar_zones((CALENDARS / "outlook_display_zones.ics").read_bytes())
    assert counts == {"Europe/Amsterdam": 1, "America/New_York": 1, "UTC": 1}


def test_an_unknown_x_wr_timezone_falls_back_to_the_events():
    text = (
        "BEGIN:VCALENDAR\r\nX-WR-TIMEZONE:Mars/Olympus\r\nBEGIN:VEVENT\r\n"
        "DTSTART;TZID=W. Europe Standard Time:20261130T070000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    assert ical.calendar_zones(text.encode()) == (None, {"Europe/Berlin": 1})
    assert ical.calendar_zones(b"") == (None, {})
