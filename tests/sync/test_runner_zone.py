"""With no `timezone` in the config, sync plans the runner's days, not the server's.

A service on a UTC machine for a runner in Melbourne: the runs calendar says where its owner
lives (its calendar-timezone property, or the TZIDs its runs are written in), and the blocks
land on Melbourne's Monday and Thursday. The zone is decided once and remembered, so a later
sync reads nothing twice.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from pathlib import Path

import pytest

from calsync.app.sync import sync_once
from calsync.config import load_config
from tests.servers import DavServer
from tests.sync.conftest import World
from tests.sync.conftest import dtstart

pytestmark = pytest.mark.server

MELBOURNE = zoneinfo.ZoneInfo("Australia/Melbourne")
UTC_MACHINE = zoneinfo.ZoneInfo("UTC")
NOW = dt.datetime(2026, 11, 29, 18, 0, tzinfo=dt.UTC)  # Mon 30 Nov 05:00 in Melbourne
# Melbourne mornings: in UTC each of these is the evening before (Sun, Mon, Wed, Fri).
WEEK = {
    "mon-easy": (dt.datetime(2026, 11, 30, 6, 0), 45, "Easy run 8 km"),
    "tue-intervals": (dt.datetime(2026, 12, 1, 6, 0), 60, "Intervals 6 x 800m"),
    "thu-easy": (dt.datetime(2026, 12, 3, 6, 0), 45, "Easy run 8 km"),
    "sat-long": (dt.datetime(2026, 12, 5, 6, 0), 120, "Long run 24 km"),
}
VTIMEZONE = (
    "BEGIN:VTIMEZONE\r\nTZID:Australia/Melbourne\r\n"
    "BEGIN:STANDARD\r\nDTSTART:19700405T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU\r\n"
    "TZOFFSETFROM:+1100\r\nTZOFFSETTO:+1000\r\nEND:STANDARD\r\n"
    "BEGIN:DAYLIGHT\r\nDTSTART:19701004T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=1SU\r\n"
    "TZOFFSETFROM:+1000\r\nTZOFFSETTO:+1100\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
)


def melbourne_event(uid: str, start: dt.datetime, minutes: int, title: str) -> bytes:
    """As an iPhone in Melbourne writes it: local times with a TZID and its VTIMEZONE."""
    end = start + dt.timedelta(minutes=minutes)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Apple Inc.//iOS 18//EN\r\n"
        f"{VTIMEZONE}BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\n"
        f"DTSTART;TZID=Australia/Melbourne:{start:%Y%m%dT%H%M%S}\r\n"
        f"DTEND;TZID=Australia/Melbourne:{end:%Y%m%dT%H%M%S}\r\n"
        f"SUMMARY:{title}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def utc_event(uid: str, start: dt.datetime, minutes: int, title: str) -> bytes:
    """As a web client writes it: UTC times, no zone at all."""
    s = start.replace(tzinfo=MELBOURNE).astimezone(dt.UTC)
    e = s + dt.timedelta(minutes=minutes)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//web//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:{s:%Y%m%dT%H%M%SZ}\r\n"
        f"DTEND:{e:%Y%m%dT%H%M%SZ}\r\nSUMMARY:{title}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def no_zone_config(world: World) -> Path:
    """The world's config without its `timezone` line: the machine's zone (UTC) is the default."""
    world.write_config()
    text = world.config_path.read_text().replace('timezone = "Europe/London"\n', "")
    world.config_path.write_text(text)
    return world.config_path


def fill(world: World, write) -> None:
    for obj in world.objects(world.runs()).values():
        world.side().delete(obj)
    for name, (start, minutes, title) in WEEK.items():
        uid = f"{name}-{uuid.uuid4().hex[:6]}"
        world.put(world.runs(), uid, write(uid, start, minutes, title))


def sync(world: World):
    config = load_config(world.config_path, UTC_MACHINE, env=world.env)
    assert not config.timezone_set
    return sync_once(config, "home", NOW, env=world.env)


def melbourne_days(world: World) -> list[str]:
    return sorted(
        dtstart(o.data).astimezone(MELBOURNE).strftime("%w%a") for o in world.blocks().values()
    )


def test_runs_written_in_melbourne_plan_melbourne_days(world: World) -> None:
    no_zone_config(world)
    fill(world, melbourne_event)
    first = sync(world)
    assert first.counts()["create"] == 2, first.actions
    assert melbourne_days(world) == ["1Mon", "4Thu"]
    for obj in world.blocks().values():  # after the run, in the runner's morning
        assert dtstart(obj.data).astimezone(MELBOURNE).hour >= 6
    second = sync(world)  # the zone is remembered: nothing is read twice, nothing moves
    assert second.writes == 0, second.actions
    assert second.requests <= 4


def test_the_calendars_own_time_zone_wins_over_utc_times(world: World) -> None:
    if world.server.name != "radicale":
        pytest.skip("Xandikos does not store a calendar-timezone set by PROPPATCH")
    no_zone_config(world)
    fill(world, utc_event)
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
        "<D:set><D:prop><C:calendar-timezone>"
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n{VTIMEZONE}END:VCALENDAR\r\n"
        "</C:calendar-timezone></D:prop></D:set></D:propertyupdate>"
    )
    assert isinstance(world.server, DavServer)
    response = world.server.client().proppatch(world.runs_url, body)
    assert 200 <= int(response.status) < 300
    report = sync(world)
    assert report.counts()["create"] == 2, report.actions
    assert melbourne_days(world) == ["1Mon", "4Thu"]


def test_a_configured_timezone_still_wins(world: World) -> None:
    world.write_config()  # timezone = "Europe/London"
    fill(world, melbourne_event)
    config = load_config(world.config_path, UTC_MACHINE, env=world.env)
    assert config.timezone_set
    sync_once(config, "home", NOW, env=world.env)
    london = zoneinfo.ZoneInfo("Europe/London")
    # In London the Melbourne mornings are the evenings before: easy Sun and Wed, intervals Mon.
    days = sorted(
        dtstart(o.data).astimezone(london).strftime("%a") for o in world.blocks().values()
    )
    assert days and "Mon" not in days, days
    assert melbourne_days(world) != ["1Mon", "4Thu"]
