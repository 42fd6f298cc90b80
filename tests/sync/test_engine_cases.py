"""The engine's case tests on the in-memory store: no server, milliseconds per case.

The cases imported below are the very tests of test_sync_engine.py (and friends) that run on
Radicale and Xandikos there; here the module's own `world` fixture gives them a MemoryStore,
once plain and once per server quirk worth emulating (no ETag, 412 on create, hrefs that are
not UIDs, refused sync tokens). The end-to-end runs on real servers stay where they are.
Below them: cases only a store we control can stage (a race, an expired token, a dry run's
plan against the run that follows).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from calsync.adapters.caldav_store import RemoteObject
from calsync.adapters.memory_store import MemoryStore
from calsync.adapters.memory_store import Quirks
from calsync.app.sync_read import canonical_href
from calsync.errors import CalendarNotFoundError
from calsync.errors import ConflictError
from tests.sync.conftest import World
from tests.sync.conftest import at
from tests.sync.conftest import dtstart
from tests.sync.conftest import memory_world
from tests.sync.conftest import set_time
from tests.sync.conftest import summary

# The same cases as on the servers (imported: collected here with this module's `world`).
from tests.sync.test_sync_adversarial import (  # noqa: F401
    test_a_copy_the_user_made_of_a_block_is_theirs_and_never_touched,
)
from tests.sync.test_sync_adversarial import test_a_dst_week_with_sunday_week_start  # noqa: F401
from tests.sync.test_sync_adversarial import test_a_timezone_change_moves_each_block_once  # noqa: F401
from tests.sync.test_sync_adversarial import (  # noqa: F401
    test_a_weekly_series_edited_between_syncs_moves_blocks_without_duplicates,
)
from tests.sync.test_sync_engine import test_a_block_the_user_deleted_is_not_recreated  # noqa: F401
from tests.sync.test_sync_engine import test_a_block_the_user_moved_stays_where_they_put_it  # noqa: F401
from tests.sync.test_sync_engine import test_a_block_whose_title_the_user_edited_is_not_overwritten  # noqa: F401
from tests.sync.test_sync_engine import test_a_run_moved_to_another_day_moves_its_block_in_place  # noqa: F401
from tests.sync.test_sync_engine import test_an_emptied_runs_calendar_stops_the_sync_unless_forced  # noqa: F401
from tests.sync.test_sync_engine import test_blocks_can_live_in_the_runs_calendar_itself  # noqa: F401
from tests.sync.test_sync_engine import test_deleted_or_corrupt_state_never_duplicates_blocks  # noqa: F401
from tests.sync.test_sync_engine import test_dry_run_writes_nothing  # noqa: F401
from tests.sync.test_sync_engine import test_more_removals_than_max_deletes_stop_the_sync  # noqa: F401
from tests.sync.test_sync_engine import test_passing_time_never_touches_past_blocks  # noqa: F401
from tests.sync.test_sync_engine import (  # noqa: F401
    test_recurring_runs_with_an_override_and_an_excluded_occurrence,
)
from tests.sync.test_sync_engine import test_users_own_event_in_the_target_calendar_is_never_touched  # noqa: F401

QUIRKS = {
    "plain": Quirks(),
    "no-etag": Quirks(etags=False),
    "create-412": Quirks(create_412=True),
    "opaque-hrefs": Quirks(opaque_hrefs=True),
    "no-sync-tokens": Quirks(sync_tokens=False),
}


@pytest.fixture(params=sorted(QUIRKS))
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """The canonical week in a MemoryStore, plain and with each quirk."""
    yield from memory_world(tmp_path, QUIRKS[request.param])


@pytest.fixture
def plain(tmp_path: Path) -> Iterator[World]:
    yield from memory_world(tmp_path)


def memory(world: World) -> MemoryStore:
    store = world.new_store()
    assert isinstance(store, MemoryStore)
    return store


def test_first_sync_places_two_blocks_and_the_next_writes_nothing(world: World) -> None:
    first = world.sync()
    assert first.counts()["create"] == 2, first.actions
    assert sorted(dtstart(o.data).strftime("%a") for o in world.blocks().values()) == [
        "Mon",
        "Thu",
    ]
    second = world.sync()
    assert second.writes == 0 and second.counts()["keep"] == 2
    if memory(world).quirks.sync_tokens:
        assert world.sync().requests <= 2 * 2  # two calendars: at most two requests each


def test_the_dry_run_shows_the_plan_the_sync_then_applies(plain: World) -> None:
    plain.sync()
    run = next(o for o in plain.objects(plain.runs()).values() if b"thu-easy" in o.data)
    plain.side().update(run, set_time(run.data, at(4, 7), 45))  # Thu -> Fri: a move
    mon = next(o for o in plain.blocks().values() if dtstart(o.data).weekday() == 0)
    plain.side().update(mon, mon.data.replace(b"SUMMARY:", b"SUMMARY:My "))  # an edit: keep
    dry = plain.sync(dry_run=True)
    real = plain.sync()

    def lines(report: object) -> list[tuple[object, ...]]:
        return [
            (a.kind, a.week, a.start, a.old_start, a.uid, a.reason, a.fixed)
            for a in report.actions  # type: ignore[attr-defined]
        ]

    assert lines(dry) == lines(real)
    assert [a.kind for a in real.actions] == ["keep", "move"]


def test_a_412_race_rereads_and_keeps_the_users_edit(plain: World) -> None:
    plain.sync()
    thu = next(o for o in plain.blocks().values() if dtstart(o.data).weekday() == 3)
    run = next(o for o in plain.objects(plain.runs()).values() if b"thu-easy" in o.data)
    plain.side().update(run, set_time(run.data, at(4, 7), 45))  # the plan now moves Thu -> Fri
    store = memory(plain)
    real_update = store.update
    raced: list[str] = []

    def racing_update(obj: RemoteObject, data: bytes) -> RemoteObject:
        if not raced:  # between calsync's read and its write, the phone edits the block
            raced.append(obj.href)
            current = store.get(obj.href)
            assert current is not None
            real_update(current, current.data.replace(b"SUMMARY:", b"SUMMARY:My "))
        return real_update(obj, data)

    store.update = racing_update  # type: ignore[method-assign]
    report = plain.sync()
    assert [canonical_href(h) for h in raced] == [canonical_href(thu.href)]
    after = plain.blocks()[thu.href]
    assert summary(after.data).startswith("My ")  # the user's edit survived
    assert dtstart(after.data).date() == dt.date(2026, 12, 3)
    assert any("read again" in w for w in report.warnings)
    assert plain.sync().writes == 0


def test_a_block_that_keeps_changing_ends_in_a_conflict_error(plain: World) -> None:
    plain.sync()
    run = next(o for o in plain.objects(plain.runs()).values() if b"thu-easy" in o.data)
    plain.side().update(run, set_time(run.data, at(4, 7), 45))
    store = memory(plain)

    def always_412(obj: RemoteObject, data: bytes) -> RemoteObject:
        raise ConflictError("changed meanwhile")

    store.update = always_412  # type: ignore[method-assign]
    with pytest.raises(ConflictError, match="412 twice"):
        plain.sync()


def test_an_expired_sync_token_falls_back_to_a_time_range_read(plain: World) -> None:
    plain.sync()
    store = memory(plain)
    for ref in store.calendars():
        store.expire_tokens(ref.url)
    report = plain.sync()
    assert report.writes == 0 and report.warnings == []
    assert plain.sync().requests <= 2 * 2  # a fresh token was stored


def test_a_deleted_target_calendar_is_created_again_with_its_blocks(plain: World) -> None:
    assert plain.sync().counts()["create"] == 2
    memory(plain).drop_calendar(plain.target_ref().url)
    again = plain.sync()
    assert again.counts()["create"] == 2 and again.counts()["skip"] == 0, again.actions
    assert any("gone from the server" in w for w in again.warnings)
    assert plain.sync().writes == 0


def test_a_create_answered_412_is_adopted_not_duplicated(tmp_path: Path) -> None:
    world = next(memory_world(tmp_path, Quirks(create_412=True)))
    report = world.sync()
    assert report.counts()["create"] == 2
    assert len(world.blocks()) == 2
    assert world.sync().writes == 0


def test_blocks_under_hrefs_that_are_not_uids_are_found_again(tmp_path: Path) -> None:
    world = next(memory_world(tmp_path, Quirks(opaque_hrefs=True)))
    world.sync()
    uids = {a.uid for a in world.sync().actions}
    hrefs = set(world.blocks())
    assert not any(uid and uid.split("@")[0] in href for uid in uids for href in hrefs)
    (world.state_dir / "home.sqlite3").unlink()  # a lost state: found by their markers
    assert world.sync().writes == 0
    assert set(world.blocks()) == hrefs


def test_an_account_with_a_missing_runs_calendar_names_it(plain: World) -> None:
    plain.runs_url = "Nowhere"
    plain.write_config()
    with pytest.raises(CalendarNotFoundError, match="Nowhere"):
        plain.sync()
