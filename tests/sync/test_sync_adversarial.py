"""Adversarial end-to-end syncs against real Radicale and Xandikos (a demanding self-hoster)."""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse

import pytest

from calsync.app.sync import sync_once
from calsync.errors import ConfigError
from calsync.errors import ExitCode
from tests.servers import DavServer
from tests.sync.conftest import LONDON
from tests.sync.conftest import NOW
from tests.sync.conftest import World
from tests.sync.conftest import at
from tests.sync.conftest import block_starts
from tests.sync.conftest import dtstart
from tests.sync.conftest import ics
from tests.sync.conftest import set_time

pytestmark = pytest.mark.server

FMT = "%Y%m%dT%H%M%SZ"


def _clear_runs(world: World) -> None:
    for obj in world.objects(world.runs()).values():
        world.side().delete(obj)


def _vevent(uid: str, start: dt.datetime, minutes: int, summary: str, *extra: str) -> list[str]:
    return [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20261101T120000Z",
        f"DTSTART:{start.astimezone(dt.UTC):{FMT}}",
        f"DTEND:{(start + dt.timedelta(minutes=minutes)).astimezone(dt.UTC):{FMT}}",
        f"SUMMARY:{summary}",
        *extra,
        "END:VEVENT",
    ]


def _cal(*vevents: list[str]) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//t//EN"]
    for v in vevents:
        lines += v
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def _config_with(world: World, extra: str, **sync: object) -> None:
    path = world.write_config(**sync)
    path.write_text(path.read_text() + extra)


def test_a_deleted_target_calendar_is_created_again_with_its_blocks(world: World) -> None:
    first = world.sync()
    assert first.counts()["create"] == 2
    assert isinstance(world.server, DavServer)
    world.server.client().delete(world.target_ref().url)
    again = world.sync()
    assert again.counts()["create"] == 2 and again.counts()["skip"] == 0, again.actions
    assert any("gone from the server" in w for w in again.warnings)
    assert [s.strftime("%a") for s in block_starts(world)] == ["Mon", "Thu"]
    assert world.sync().writes == 0


BROKEN = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:broken\r\n"
    b"DTSTAMP:20261101T120000Z\r\nDTSTART:20261202T25ZZ00\r\n"
    b"SUMMARY:Easy run 5 km\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def test_a_broken_run_is_reported_and_the_rest_syncs(world: World) -> None:
    world.put(world.runs(), "broken", BROKEN)
    first = world.sync()
    assert first.counts()["create"] == 2, first.actions
    assert [s.strftime("%a") for s in block_starts(world)] == ["Mon", "Thu"]
    second = world.sync()
    assert second.writes == 0
    assert not any("broken" in w for w in second.warnings)  # reported once, not every run
    if world.server.name == "xandikos":  # Radicale's time-range query leaves it out unseen
        assert [w for w in first.warnings if "UID broken" in w and "DTSTART" in w]


def test_a_moved_instance_stored_apart_from_its_master_counts_once(
    world: World, request: pytest.FixtureRequest
) -> None:
    """Stalwart stores a moved instance as its own object with the series' UID (ANCHORS §8).

    Radicale and Xandikos refuse a second object with one UID over HTTP, so the exception is
    written straight into Radicale's storage folder, as another server would hold it.
    """
    if world.server.name != "radicale":
        pytest.skip("written into Radicale's storage folder")
    world.weeks = 2
    world.write_config()
    _clear_runs(world)
    weekly = "RRULE:FREQ=WEEKLY;COUNT=8"
    world.put(world.runs(), "easy", _cal(_vevent("easy", at(30, 7), 45, "Easy run 8 km", weekly)))
    world.put(world.runs(), "intv", _cal(_vevent("intv", at(1, 18), 60, "Intervals", weekly)))
    world.put(world.runs(), "long", _cal(_vevent("long", at(5, 9), 120, "Long run 24 km", weekly)))
    moved = _vevent(
        "easy", at(10, 17), 45, "Easy run 8 km", f"RECURRENCE-ID:{at(7, 7):%Y%m%dT%H%M%S}"
    )
    moved[moved.index(f"RECURRENCE-ID:{at(7, 7):%Y%m%dT%H%M%S}")] = (
        f"RECURRENCE-ID;TZID=Europe/London:{at(7, 7):%Y%m%dT%H%M%S}"
    )
    radicale = request.getfixturevalue("_radicale")
    path = urllib.parse.urlsplit(world.runs_url).path.strip("/")
    folder = radicale.root / "collections" / "collection-root" / path
    (folder / "easy-moved.ics").write_bytes(_cal(moved))
    report = world.sync()
    starts = block_starts(world)
    # Mon 7 Dec has no run any more (moved to Thu 10 Dec 17:00): no block after it.
    assert not [s for s in starts if s.date() == dt.date(2026, 12, 7)], report.actions
    assert [s for s in starts if s.date() == dt.date(2026, 12, 10)] == [at(10, 18)]
    assert world.sync().writes == 0


def test_a_state_folder_that_cannot_be_made_is_a_clear_config_error(world: World) -> None:
    blocker = world.tmp / "not-a-folder"
    blocker.write_text("")
    world.state_dir = blocker / "state"
    world.write_config()
    with pytest.raises(ConfigError) as caught:
        world.sync()
    assert "sync state folder cannot be used" in caught.value.message
    assert caught.value.exit_code == ExitCode.CONFIG


def test_a_weekly_series_edited_between_syncs_moves_blocks_without_duplicates(
    world: World,
) -> None:
    world.weeks = 4
    world.write_config()
    _clear_runs(world)
    easy = world.put(
        world.runs(),
        "easy",
        _cal(_vevent("easy", at(30, 7), 45, "Easy run 8 km", "RRULE:FREQ=WEEKLY;BYDAY=MO,TH")),
    )
    weekly = "RRULE:FREQ=WEEKLY"
    world.put(world.runs(), "intv", _cal(_vevent("intv", at(1, 18), 60, "Intervals", weekly)))
    world.put(world.runs(), "long", _cal(_vevent("long", at(5, 9), 120, "Long run 24 km", weekly)))
    assert world.sync().counts()["create"] == 8
    assert world.sync().writes == 0
    # The runner's app edits the series: Mon+Wed now, Wed 9 Dec moved to Fri 11 Dec 17:00 in
    # the same object, Mon 14 Dec excluded.
    edited = _cal(
        _vevent(
            "easy",
            at(30, 7),
            45,
            "Easy run 8 km",
            "RRULE:FREQ=WEEKLY;BYDAY=MO,WE",
            f"EXDATE:{at(14, 7).astimezone(dt.UTC):{FMT}}",
            "SEQUENCE:1",
        ),
        _vevent(
            "easy",
            at(11, 17),
            45,
            "Easy run 8 km",
            f"RECURRENCE-ID:{at(9, 7).astimezone(dt.UTC):{FMT}}",
            "SEQUENCE:1",
        ),
    )
    world.side().update(world.objects(world.runs())[easy.href], edited)
    report = world.sync()
    counts = report.counts()
    assert counts["create"] == 0 and counts["move"] == 4 and counts["remove"] == 1, counts
    starts = block_starts(world)
    assert len(starts) == len(set(starts)) == 7
    days = {s.strftime("%a %d") for s in starts}
    assert {"Wed 02", "Fri 11", "Wed 16", "Wed 23"} <= days
    assert not days & {"Thu 03", "Wed 09", "Mon 14", "Thu 17"}
    assert world.sync().writes == 0


def test_a_dst_week_with_sunday_week_start(world: World) -> None:
    """Europe/London leaves summer time on Sun 25 Oct 2026; weeks start on Sunday."""
    _clear_runs(world)
    world.weeks = 2

    def day(d: int, h: int) -> dt.datetime:
        return dt.datetime(2026, 10, d, h, 0, tzinfo=LONDON)

    for uid, start, minutes, title in (
        ("sun", day(25, 9), 45, "Easy run 8 km"),
        ("tue", day(27, 18), 60, "Intervals 6 x 800m"),
        ("thu", day(29, 7), 45, "Easy run 8 km"),
        ("sat", day(31, 9), 120, "Long run 24 km"),
    ):
        world.put(world.runs(), uid, ics(uid, start, minutes, title))
    _config_with(world, '[rules]\nweek_start = "sunday"\n')
    now = dt.datetime(2026, 10, 22, 12, 0, tzinfo=LONDON)  # Thursday before the change
    first = world.sync(now)
    assert first.first_day == dt.date(2026, 10, 18)  # a Sunday
    placed = sorted(a.start.astimezone(LONDON) for a in first.actions if a.start)
    assert placed == [day(25, 10), day(29, 8)]  # wall-clock times after the change
    assert [p.utcoffset() for p in placed] == [dt.timedelta(0), dt.timedelta(0)]
    assert world.sync(now).writes == 0
    assert world.sync(now + dt.timedelta(days=2)).writes == 0


def test_all_day_runs_in_the_target_calendar_with_privacy_and_transparency(
    world: World,
) -> None:
    """TrainingPeaks-style all-day runs; blocks in the runs calendar itself."""
    _clear_runs(world)
    for uid, day, title in (
        ("m", "20261130", "Easy run 45'"),
        ("t", "20261201", "Intervals 5x1k"),
        ("h", "20261203", "Easy run 40'"),
        ("s", "20261205", "Long run 2h"),
    ):
        lines = [
            "BEGIN:VEVENT",
            f"UID:{uid}",
            "DTSTAMP:20261101T120000Z",
            f"DTSTART;VALUE=DATE:{day}",
            f"SUMMARY:{title}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
        world.put(world.runs(), uid, _cal(lines))
    world.target = world.runs_url

    def managed() -> list[bytes]:
        return [o.data for o in world.objects(world.runs()).values() if b"MANAGED" in o.data]

    world.write_config(private=True)
    assert world.sync().counts()["create"] == 2
    assert all(b"SUMMARY:Busy" in d for d in managed())
    assert world.sync().writes == 0
    world.write_config(private=False)
    shown = world.sync()
    assert shown.counts() == {**shown.counts(), "update": 2, "create": 0, "keep": 0}
    assert sorted(re_summary(d) for d in managed()) == ["Strength", "Strength (light)"]
    assert world.sync().writes == 0
    world.write_config(transparent=True)
    assert world.sync().counts()["update"] == 2
    assert all(b"TRANSP:TRANSPARENT" in d for d in managed())
    world.write_config(transparent=False)
    assert world.sync().counts()["update"] == 2
    assert world.sync().writes == 0
    assert len(managed()) == 2 and all(b"TRANSP:OPAQUE" in d for d in managed())


def re_summary(data: bytes) -> str:
    from tests.sync.conftest import summary

    return summary(data)


def test_a_timezone_change_moves_each_block_once(world: World) -> None:
    assert world.sync().counts()["create"] == 2
    path = world.config_path
    path.write_text(path.read_text().replace("Europe/London", "America/New_York"))
    moved = world.sync()
    assert moved.counts()["move"] == 2 and moved.counts()["create"] == 0, moved.actions
    assert len(world.blocks()) == 2
    assert world.sync().writes == 0


def test_a_week_later_old_blocks_stay_and_the_state_stays_small(world: World) -> None:
    import sqlite3

    world.weeks = 2
    world.write_config()
    _clear_runs(world)
    weekly = "RRULE:FREQ=WEEKLY"
    world.put(
        world.runs(),
        "easy",
        _cal(_vevent("easy", at(30, 7), 45, "Easy run 8 km", "RRULE:FREQ=WEEKLY;BYDAY=MO,TH")),
    )
    world.put(world.runs(), "intv", _cal(_vevent("intv", at(1, 18), 60, "Intervals", weekly)))
    sizes = []
    for week in range(4):
        before = {h: o.etag for h, o in world.blocks().items()} if week else {}
        report = world.sync(NOW + dt.timedelta(days=7 * week))
        assert report.counts()["create"] == (4 if week == 0 else 2), report.actions
        after = {h: o.etag for h, o in world.blocks().items()}
        assert {h: after[h] for h in before} == before  # nothing rewritten
        with sqlite3.connect(world.state_dir / "home.sqlite3") as db:
            sizes.append(db.execute("SELECT COUNT(*) FROM blocks").fetchone()[0])
    assert len(world.blocks()) == 10
    assert sizes == [4, 4, 4, 4]  # blocks of past weeks are forgotten


def test_a_copy_the_user_made_of_a_block_is_theirs_and_never_touched(world: World) -> None:
    """Calendar apps copy X-CALSYNC-* properties along with a block, under a UID of their own."""
    world.sync()
    original = next(o for o in world.blocks().values() if dtstart(o.data).day == 3)
    uid = re.search(rb"(?m)^UID:([^\r\n]+)", original.data)
    assert uid is not None
    copy = set_time(original.data.replace(uid.group(1), b"COPY-7F3A"), at(4, 18), 45)
    mine = world.put(world.target_ref(), "COPY-7F3A", copy)
    report = world.sync()
    assert world.objects(world.target_ref())[mine.href].data == copy  # byte for byte
    assert all(a.uid != "COPY-7F3A" for a in report.actions)
    # The copy counts for its week (tests/sync/test_copied_blocks.py): Thu, the day before
    # it, gives way; Mon and the user's Fri remain.
    assert original.href not in world.blocks()
    assert world.sync().writes == 0


def test_a_long_sync_of_one_account_never_blocks_another(world: World) -> None:
    """Two accounts, one state folder: a sync holds its state's write lock while it reads."""
    import sqlite3

    world.write_config()
    text = world.config_path.read_text()
    other = text[text.index("[accounts.home]") : text.index("[sync]")]
    other = other.replace("[accounts.home]", "[accounts.other]").replace("Strength", "Gym")
    world.config_path.write_text(text + other)
    assert sync_once(world.config(), "home", NOW, env=world.env).counts()["create"] == 2
    busy = sqlite3.connect(world.state_dir / "home.sqlite3", isolation_level=None)
    try:
        busy.execute("BEGIN IMMEDIATE")  # account home's sync, in the middle of its reads
        report = sync_once(world.config(), "other", NOW, env=world.env)
    finally:
        busy.close()
    assert report.counts()["create"] == 2
