"""sync_once against real Radicale and Xandikos: placing, following and respecting the user."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import shutil
import socket
import sqlite3

import pytest

from calsync.adapters.caldav_store import CaldavStore
from calsync.adapters.caldav_store import CalendarRef
from calsync.adapters.caldav_store import RemoteObject
from calsync.adapters.credentials import resolve_credentials
from calsync.config import Account
from calsync.errors import LockedError
from calsync.errors import RemoteUnavailableError
from calsync.errors import SafetyStopError
from tests.sync.conftest import LONDON
from tests.sync.conftest import NOW
from tests.sync.conftest import World
from tests.sync.conftest import at
from tests.sync.conftest import block_starts
from tests.sync.conftest import dtstart
from tests.sync.conftest import ics
from tests.sync.conftest import set_time
from tests.sync.conftest import summary

pytestmark = pytest.mark.server


def test_first_sync_places_mon_and_thu_and_the_second_writes_nothing(world: World) -> None:
    runs_before = {h: o.data for h, o in world.objects(world.runs()).items()}
    first = world.sync()
    assert first.counts()["create"] == 2 and first.writes == 2
    starts = block_starts(world)
    assert [s.strftime("%a") for s in starts] == ["Mon", "Thu"]
    assert all(s > NOW for s in starts)
    etags = {h: o.etag for h, o in world.blocks().items()}

    second = world.sync()
    assert second.writes == 0, second.actions
    assert second.counts()["keep"] == 2
    third = world.sync()
    assert third.writes == 0
    assert third.requests <= 2 * 2  # two calendars: at most two requests each
    assert {h: o.etag for h, o in world.blocks().items()} == etags  # nothing rewritten
    runs_after = {h: o.data for h, o in world.objects(world.runs()).items()}
    assert runs_after == runs_before  # the user's own events, byte for byte


def test_users_own_event_in_the_target_calendar_is_never_touched(world: World) -> None:
    target = world.server.new_calendar(world.target)
    world.write_config()
    own = world.put(
        world.target_ref(), "dentist", ics("dentist", at(3, 8), 60, "Dentist appointment")
    )
    before = world.objects(world.target_ref())[own.href].data
    report = world.sync()
    assert report.counts()["create"] == 2
    # Thu's block avoids the dentist (busy 08:00-09:00 in the target calendar).
    thu = next(s for s in block_starts(world) if s.strftime("%a") == "Thu")
    assert thu >= at(3, 9) or thu + dt.timedelta(minutes=45) <= at(3, 8)
    world.sync()
    assert world.objects(world.target_ref())[own.href].data == before
    assert target.rstrip("/") in own.href or own.href.startswith(target)


def test_recurring_runs_with_an_override_and_an_excluded_occurrence(world: World) -> None:
    world.weeks = 3
    world.write_config()
    for obj in world.objects(world.runs()).values():
        world.side().delete(obj)
    fmt = "%Y%m%dT%H%M%SZ"
    moved = at(16, 7)  # Mon 14 Dec's easy run, moved to Wed 16 Dec
    override = (
        "BEGIN:VEVENT",
        "UID:easy-series",
        "DTSTAMP:20261101T120000Z",
        f"RECURRENCE-ID:{at(14, 7).astimezone(dt.UTC):{fmt}}",
        f"DTSTART:{moved.astimezone(dt.UTC):{fmt}}",
        f"DTEND:{(moved + dt.timedelta(minutes=45)).astimezone(dt.UTC):{fmt}}",
        "SUMMARY:Easy run 8 km",
        "END:VEVENT",
    )
    series = ics(
        "easy-series",
        at(30, 7),
        45,
        "Easy run 8 km",
        extra=(
            "RRULE:FREQ=WEEKLY;BYDAY=MO,TH;COUNT=6",
            f"EXDATE:{at(10, 7).astimezone(dt.UTC):{fmt}}",  # Thu 10 Dec: no run
        ),
        overrides=override,
    )
    world.put(world.runs(), "easy-series", series)
    world.put(
        world.runs(),
        "tue",
        ics("tue", at(1, 18), 60, "Intervals 6 x 800m", extra=("RRULE:FREQ=WEEKLY;COUNT=3",)),
    )
    world.put(
        world.runs(),
        "sat",
        ics("sat", at(5, 9), 120, "Long run 24 km", extra=("RRULE:FREQ=WEEKLY;COUNT=3",)),
    )
    report = world.sync()
    days = {s.date() for s in block_starts(world)}
    assert report.counts()["create"] == len(days) >= 4
    assert dt.date(2026, 11, 30) in days and dt.date(2026, 12, 3) in days
    assert dt.date(2026, 12, 10) not in days  # the excluded Thursday has no run
    assert dt.date(2026, 12, 14) not in days  # that Monday's run moved away
    assert days & {dt.date(2026, 12, 16), dt.date(2026, 12, 17)}
    assert world.sync().writes == 0


def test_a_run_moved_to_another_day_moves_its_block_in_place(world: World) -> None:
    world.sync()
    thu_block = next(o for o in world.blocks().values() if dtstart(o.data).weekday() == 3)
    run = next(o for o in world.objects(world.runs()).values() if b"thu-easy" in o.data)
    world.side().update(run, set_time(run.data, at(4, 7), 45))  # Thu -> Fri
    report = world.sync()
    assert report.counts()["move"] == 1 and report.counts()["create"] == 0
    blocks = world.blocks()
    assert len(blocks) == 2
    moved = blocks[thu_block.href]  # same href, same UID: an update, not delete + create
    assert dtstart(moved.data).date() == dt.date(2026, 12, 4)
    assert b"SEQUENCE:1" in moved.data
    assert world.sync().writes == 0


def test_a_block_the_user_moved_stays_where_they_put_it(world: World) -> None:
    world.sync()
    thu_block = next(o for o in world.blocks().values() if dtstart(o.data).weekday() == 3)
    mine = world.side().update(thu_block, set_time(thu_block.data, at(3, 19), 45))
    report = world.sync()
    assert report.writes == 0, report.actions
    assert any("moved in the calendar" in a.reason for a in report.actions)
    after = world.blocks()[thu_block.href]
    assert dtstart(after.data) == at(3, 19)
    assert after.etag == mine.etag or mine.etag is None


def test_a_block_the_user_deleted_is_not_recreated(world: World) -> None:
    world.sync()
    thu_block = next(o for o in world.blocks().values() if dtstart(o.data).weekday() == 3)
    world.side().delete(thu_block)
    dry = world.sync(dry_run=True)
    assert dry.counts()["create"] == 0 and dry.counts()["skip"] == 1
    report = world.sync()
    assert report.counts()["create"] == 0 and report.counts()["skip"] == 1
    assert [s.strftime("%a") for s in block_starts(world)] == ["Mon"]
    assert world.sync().counts()["create"] == 0
    assert len(world.blocks()) == 1


def test_a_block_whose_title_the_user_edited_is_not_overwritten(world: World) -> None:
    world.sync()
    thu_block = next(o for o in world.blocks().values() if dtstart(o.data).weekday() == 3)
    edited = thu_block.data.replace(b"SUMMARY:Strength", b"SUMMARY:Gym with Sam")
    world.side().update(thu_block, edited)
    run = next(o for o in world.objects(world.runs()).values() if b"thu-easy" in o.data)
    world.side().update(run, set_time(run.data, at(4, 7), 45))  # Thu -> Fri: plan would move
    report = world.sync()
    after = world.blocks()[thu_block.href]
    assert summary(after.data) == "Gym with Sam"
    assert dtstart(after.data).date() == dt.date(2026, 12, 3)
    assert report.counts()["move"] == 0
    assert len(world.blocks()) == 2  # and counted: no extra block for that week


def test_deleted_or_corrupt_state_never_duplicates_blocks(world: World) -> None:
    world.sync()
    hrefs = set(world.blocks())
    shutil.rmtree(world.state_dir)
    again = world.sync()
    assert again.counts()["create"] == 0 and again.writes == 0
    assert set(world.blocks()) == hrefs
    (world.state_dir / "home.sqlite3").write_bytes(b"this is not a database" * 100)
    third = world.sync()
    assert third.writes == 0
    assert any("rebuilt from the server" in w for w in third.warnings)
    assert set(world.blocks()) == hrefs


def test_a_412_race_rereads_and_never_overwrites_the_users_change(world: World) -> None:
    world.sync()
    thu_block = next(o for o in world.blocks().values() if dtstart(o.data).weekday() == 3)
    run = next(o for o in world.objects(world.runs()).values() if b"thu-easy" in o.data)
    world.side().update(run, set_time(run.data, at(4, 7), 45))  # the plan now moves Thu -> Fri
    phone = world.new_store()

    class RacingStore(CaldavStore):
        """Between calsync's read and its write, the user edits the block on their phone."""

        raced = 0

        def update(self, obj: RemoteObject, data: bytes) -> RemoteObject:
            if not RacingStore.raced:
                RacingStore.raced += 1
                current = phone.get(obj.href)
                assert current is not None
                phone.update(current, current.data.replace(b"SUMMARY:", b"SUMMARY:My "))
            return super().update(obj, data)

    def factory(account: Account, env: dict[str, str]) -> CaldavStore:
        return RacingStore(account, resolve_credentials(account, env))

    report = world.sync(store_factory=factory)
    assert RacingStore.raced == 1
    after = world.blocks()[thu_block.href]
    assert summary(after.data).startswith("My ")  # the user's edit survived
    assert dtstart(after.data).date() == dt.date(2026, 12, 3)
    assert any("read again" in w for w in report.warnings)
    assert len(world.blocks()) == 2
    assert world.sync().writes == 0


def test_a_second_sync_while_one_runs_is_refused(world: World) -> None:
    world.state_dir.mkdir(parents=True)
    fd = os.open(world.state_dir / "home.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(LockedError, match="another calsync sync"):
            world.sync()
        assert world.target not in {c.name for c in world.new_store().calendars()}
    finally:
        os.close(fd)
    assert world.sync().counts()["create"] == 2


def test_an_emptied_runs_calendar_stops_the_sync_unless_forced(world: World) -> None:
    world.sync()
    hrefs = set(world.blocks())
    for obj in world.objects(world.runs()).values():
        world.side().delete(obj)
    with pytest.raises(SafetyStopError, match="now has none"):
        world.sync()
    assert set(world.blocks()) == hrefs
    with pytest.raises(SafetyStopError):  # still refused: the token was not advanced
        world.sync()
    forced = world.sync(force=True)
    assert forced.counts()["remove"] == 2
    assert world.blocks() == {}


def test_more_removals_than_max_deletes_stop_the_sync(world: World) -> None:
    world.max_deletes = 1
    world.write_config()
    world.sync()
    for obj in world.objects(world.runs()).values():
        if b"easy" in obj.data:  # both easy runs become rest days: both blocks go
            world.side().update(obj, obj.data.replace(b"Easy run 8 km", b"Tempo 5 km"))
    with pytest.raises(SafetyStopError, match="max_deletes"):
        world.sync()
    assert len(world.blocks()) == 2
    dry = world.sync(dry_run=True)
    assert dry.counts()["remove"] == 2 and any("max_deletes" in w for w in dry.warnings)
    assert world.sync(force=True).counts()["remove"] == 2
    assert world.blocks() == {}


def test_dry_run_writes_nothing(world: World) -> None:
    report = world.sync(dry_run=True)
    assert report.dry_run and report.counts()["create"] == 2
    names = {c.name for c in world.new_store().calendars()}
    assert world.target not in names  # not even the calendar was created
    world.sync()
    blocks = {h: o.etag for h, o in world.blocks().items()}
    run = next(o for o in world.objects(world.runs()).values() if b"thu-easy" in o.data)
    world.side().update(run, set_time(run.data, at(4, 7), 45))
    dry = world.sync(dry_run=True)
    assert dry.counts()["move"] == 1
    assert {h: o.etag for h, o in world.blocks().items()} == blocks
    assert world.sync().counts()["move"] == 1  # the dry run did not eat the change


def test_passing_time_never_touches_past_blocks(world: World) -> None:
    world.sync()
    mon = next(o for o in world.blocks().values() if dtstart(o.data).weekday() == 0)
    later = dt.datetime(2026, 12, 1, 12, 0, tzinfo=LONDON)  # Tuesday noon
    run = next(o for o in world.objects(world.runs()).values() if b"mon-easy" in o.data)
    world.side().delete(run)  # Monday's run is gone too: the plan would no longer place it
    report = world.sync(later)
    assert world.blocks()[mon.href].data == mon.data
    assert any(a.reason == "in the past" for a in report.actions)
    assert report.counts()["remove"] == 0


def test_a_create_that_finds_its_object_already_there_adopts_it(world: World) -> None:
    class CrashedBefore(CaldavStore):
        """As if an earlier run had written the object and died before saving its state."""

        def create(self, cal: CalendarRef, name: str, data: bytes) -> RemoteObject:
            super().create(cal, name, data)
            return super().create(cal, name, data)  # 412: it exists

    def factory(account: Account, env: dict[str, str]) -> CaldavStore:
        return CrashedBefore(account, resolve_credentials(account, env))

    report = world.sync(store_factory=factory)
    assert report.counts()["create"] == 2
    assert len(world.blocks()) == 2
    assert world.sync().writes == 0


def test_blocks_can_live_in_the_runs_calendar_itself(world: World) -> None:
    world.target = world.runs_url
    world.write_config()
    runs_before = {h: o.data for h, o in world.objects(world.runs()).items()}
    assert world.sync().counts()["create"] == 2
    after = world.objects(world.runs())
    assert len(after) == len(runs_before) + 2
    assert all(after[h].data == data for h, data in runs_before.items())
    assert world.sync().writes == 0


def test_a_window_past_the_cache_reads_again_and_leaves_old_blocks_alone(world: World) -> None:
    world.sync()
    blocks = {h: o.data for h, o in world.blocks().items()}
    later = NOW + dt.timedelta(days=42)  # beyond the cached span: a fresh time-range read
    report = world.sync(later)
    assert report.writes == 0  # no runs in that week, and last month's blocks are not touched
    assert {h: o.data for h, o in world.blocks().items()} == blocks
    assert world.sync(later).requests <= 2 * 2


def test_a_refused_sync_token_falls_back_silently(world: World) -> None:
    world.sync()
    hrefs = set(world.blocks())
    db = sqlite3.connect(world.state_dir / "home.sqlite3")
    with db:  # the server forgot our tokens (Nextcloud after deletes, iCloud dropping them)
        db.execute("UPDATE collections SET token = 'http://example.invalid/sync/123'")
    db.close()
    report = world.sync()
    assert report.writes == 0 and report.warnings == []
    assert report.requests > 2 * 2  # refused, then a fresh time-range read of each calendar
    assert set(world.blocks()) == hrefs
    assert world.sync().requests <= 2 * 2  # a fresh token was stored


def test_an_account_pointed_elsewhere_never_reuses_the_old_servers_state(world: World) -> None:
    tag = world.target.split()[-1]
    by_name = world.write_config().read_text()
    by_name = by_name.replace(f'runs = ["{world.runs_url}"]', f'runs = ["Training {tag}"]')
    world.config_path.write_text(by_name)  # calendars by display name: their URLs get cached
    assert world.sync().counts()["create"] == 2
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    moved = world.config_path.read_text().replace(world.server.url, dead)
    assert moved != world.config_path.read_text()
    world.config_path.write_text(moved)
    with pytest.raises(RemoteUnavailableError):
        world.sync()  # the cached calendar URLs belong to the old server: not used
