"""Busy time from outside the account: another account's calendar, an ICS feed, a file.

Real servers (Radicale, Xandikos), a real HTTP server on 127.0.0.1 for the feed, real files.
The meeting sits on Monday 07:30-10:00, where the Monday block (08:00-08:45) would go.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.servers import DavServer
from tests.sync.accounts import MEETING
from tests.sync.accounts import Acct
from tests.sync.accounts import closed_port_url
from tests.sync.accounts import home
from tests.sync.accounts import meeting_ics
from tests.sync.accounts import overlaps
from tests.sync.accounts import served
from tests.sync.accounts import write_accounts
from tests.sync.conftest import World
from tests.sync.conftest import at
from tests.sync.conftest import block_starts
from tests.sync.conftest import ics

BLOCK_MINUTES = 45
SECRET = "/owa/calendar/0123abcd-secret/calendar.ics"


def _avoids_meeting(world: World) -> list:
    starts = block_starts(world)
    assert len(starts) == 2
    assert not overlaps(*MEETING, starts, BLOCK_MINUTES)
    return starts


def test_busy_file_keeps_blocks_off_a_meeting(world: World, tmp_path: Path) -> None:
    baseline = world.sync(dry_run=True)  # without the file: Monday's block at 08:00
    first = min(a.start for a in baseline.actions if a.kind == "create")
    assert overlaps(*MEETING, [first], BLOCK_MINUTES)
    family = tmp_path / "family.ics"
    family.write_bytes(meeting_ics())
    write_accounts(world, home(world, str(family)))
    report = world.sync()
    _avoids_meeting(world)
    assert not any("family" in w for w in report.warnings)
    again = world.sync()  # a second round: nothing written
    assert [a.kind for a in again.actions] == ["keep", "keep"]


def test_busy_folder_and_path_forms(world: World, tmp_path: Path) -> None:
    folder = tmp_path / "vdir"
    folder.mkdir()
    (folder / "m.ics").write_bytes(meeting_ics())
    write_accounts(world, home(world, str(folder)))
    world.sync()
    _avoids_meeting(world)


def test_busy_feed_on_a_real_http_server(world: World) -> None:
    with served(SECRET, meeting_ics()) as base:
        write_accounts(world, home(world, base + SECRET))
        report = world.sync()
        again = world.sync()
    _avoids_meeting(world)
    assert [a.kind for a in again.actions] == ["keep", "keep"]
    assert "secret" not in repr(report.to_json())


def test_busy_feed_down_holds_the_blocks(world: World, tmp_path: Path) -> None:
    """A busy source that cannot be read: a warning; nothing created, moved or removed."""
    down = closed_port_url(SECRET)
    write_accounts(world, home(world, down))
    first = world.sync()  # a first sync: no block could be placed safely
    assert [a.kind for a in first.actions] == ["skip", "skip"]
    (warning,) = [w for w in first.warnings if w.startswith("busy calendar feed")]
    assert "127.0.0.1" in warning and "secret" not in warning
    assert any("no block was created, moved or removed" in w for w in first.warnings)
    assert world.blocks() == {}
    # the blocks exist (placed without busy sources); then a meeting arrives in a file, while
    # the feed is down: the Monday block would move off the meeting, but is held
    write_accounts(world, home(world))
    world.sync()
    before = block_starts(world)
    family = tmp_path / "family.ics"
    family.write_bytes(meeting_ics())
    write_accounts(world, home(world, str(family), down))
    held = world.sync()
    assert block_starts(world) == before
    assert {a.kind for a in held.actions} == {"keep"}
    write_accounts(world, home(world, str(family)))  # the feed is back (here: left out)
    world.sync()
    _avoids_meeting(world)


def test_busy_file_missing_is_a_warning(world: World, tmp_path: Path) -> None:
    write_accounts(world, home(world, str(tmp_path / "nope.ics")))
    report = world.sync()
    assert any("nope.ics" in w and "could not be read" in w for w in report.warnings)
    assert world.blocks() == {}


@pytest.fixture
def other_server(dav_server: DavServer, request: pytest.FixtureRequest):
    """The other real server: Xandikos for a Radicale world, Radicale for a Xandikos one."""
    if dav_server.name == "radicale":
        server = DavServer("xandikos", request.getfixturevalue("xandikos_url"))
    else:
        server = DavServer("radicale", request.getfixturevalue("radicale_url"), "user", "")
    yield server
    server.close()


def test_busy_from_another_account_on_another_server(world: World, other_server: DavServer) -> None:
    name = f"Meetings {uuid.uuid4().hex[:8]}"
    url = other_server.new_calendar(name)
    cal = other_server.client().calendar(url=url)
    cal.save_event(meeting_ics().decode())
    work = Acct("work", other_server.url, (), "Work blocks")
    write_accounts(world, home(world, f"work:{name}"), work)
    report = world.sync()
    _avoids_meeting(world)
    assert not any("could not be read" in w for w in report.warnings)
    # the other account's calendar is only read: nothing is written there
    assert len(cal.events()) == 1


def test_busy_events_never_count_as_runs(world: World, tmp_path: Path) -> None:
    """A run in a busy file is busy time, not a run: the plan stays the same otherwise."""
    before = world.sync(dry_run=True)
    runs = tmp_path / "club.ics"
    runs.write_bytes(ics("club-run", at(2, 18), 60, "Long run 30 km"))  # Wed evening
    write_accounts(world, home(world, str(runs)))
    after = world.sync(dry_run=True)
    assert [a.start for a in after.actions] == [a.start for a in before.actions]


def test_plan_account_reads_busy_sources(world: World, tmp_path: Path) -> None:
    """`calsync plan --account` plans with the same outside busy time as a sync."""
    from calsync.app import planning
    from tests.sync.conftest import NOW

    family = tmp_path / "family.ics"
    family.write_bytes(meeting_ics())
    down = closed_port_url(SECRET)
    write_accounts(world, home(world, str(family), down))
    config = world.config()
    window = planning.plan_window(config, NOW.date(), 1)
    outcome = planning.plan_sources((), config, window, NOW, account="home", env=world.env)
    starts = [b.start for b in outcome.plan.blocks]
    assert len(starts) == 2 and not overlaps(*MEETING, starts, BLOCK_MINUTES)
    assert any("could not be read" in p.message for p in outcome.problems)
    assert not any("secret" in p.message for p in outcome.problems)
