"""`calsync sync` with an event whose dates leave the calendar, on a real Radicale server."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from calsync.cli import cli
from tests.servers import DavServer
from tests.sync.conftest import CANONICAL
from tests.sync.conftest import World
from tests.sync.conftest import ics

pytestmark = pytest.mark.server


@pytest.fixture
def overflow_world(xandikos_url: str, tmp_path: Path) -> Iterator[World]:
    # Xandikos only: Radicale refuses to store such events at all (its own date arithmetic
    # overflows: 412 for the DURATION, 400 for the UNTIL), so its users cannot have them.
    server = DavServer("xandikos", xandikos_url)
    tag = uuid.uuid4().hex[:8]
    w = World(
        server, tmp_path, server.new_calendar(f"Training {tag}"), f"Strength {tag}",
        tmp_path / "state",
    )  # fmt: skip
    for name, (start, minutes, title) in CANONICAL.items():
        w.put(w.runs(), f"{name}-{tag}", ics(f"{name}-{tag}", start, minutes, title))
    sabbatical = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN"
        f"\r\nBEGIN:VEVENT\r\nUID:sabbatical-{tag}\r\nDTSTAMP:20261101T090000Z\r\n"
        "DTSTART:20261202T120000Z\r\nDURATION:P99999999D\r\nSUMMARY:Sabbatical\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    w.put(w.runs(), f"sabbatical-{tag}", sabbatical.encode())
    fridays = ics(f"fridays-{tag}", CANONICAL["mon-easy"][0] + dt.timedelta(days=4), 30, "Easy run")
    fridays = fridays.replace(
        b"END:VEVENT", b"RRULE:FREQ=WEEKLY;UNTIL=99991231T235959Z\r\nEND:VEVENT"
    )
    w.put(w.runs(), f"fridays-{tag}", fridays)
    yield w
    w.close()
    server.close()


def test_sync_skips_the_event_with_one_warning_and_writes_the_blocks(overflow_world: World):
    # It was "internal error: OverflowError" (exit 1) for the whole sync.
    overflow_world.write_config()
    env = {"XDG_CONFIG_HOME": "/nonexistent", "CALSYNC_CONFIG": "", **overflow_world.env}
    args = ["-c", str(overflow_world.config_path), "--now", "2026-11-30T06:00", "sync"]
    result = CliRunner().invoke(cli, args, env=env)
    assert "Traceback" not in result.output + result.stderr
    assert result.exit_code == 0, result.stderr
    assert "2 created" in result.stdout
    warnings = [line for line in result.stderr.splitlines() if "sabbatical-" in line]
    assert len(warnings) == 1
    assert "its duration (99999999 days) is beyond what calsync can plan" in warnings[0]
    # A weekly run until 9999-12-31 is read, not skipped ("date value out of range").
    assert "fridays-" not in result.stderr
