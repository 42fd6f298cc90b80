"""The SQLite state: round trips, transactions, and a corrupt file that is set aside."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import zoneinfo
from pathlib import Path

import pytest

from calsync.adapters.state import BlockRecord
from calsync.adapters.state import CachedObject
from calsync.adapters.state import Collection
from calsync.adapters.state import State
from calsync.adapters.state import StateDamagedError
from calsync.adapters.state import default_state_dir
from calsync.adapters.state import is_damage
from calsync.errors import ConfigError
from calsync.model import Event

LONDON = zoneinfo.ZoneInfo("Europe/London")
START = dt.datetime(2026, 11, 30, 8, tzinfo=LONDON)


def event() -> Event:
    return Event(
        uid="u1",
        start=START,
        end=START + dt.timedelta(minutes=45),
        summary="Easy run",
        categories=("Run",),
        recurrence_id="20261130T080000Z",
        managed=True,
        calsync={"MANAGED": "1", "WEEK": "2026-W49"},
    )


def test_objects_blocks_and_tokens_round_trip(tmp_path: Path) -> None:
    state = State.open(tmp_path)
    with state.transaction():
        state.save_collection(
            "home", Collection("http://x/cal/", "runs", "Europe/London", "tok-1", START, START)
        )
        state.put_object(
            "home", "http://x/cal/", CachedObject("http://x/cal/a.ics", '"e1"', b"D", (event(),))
        )
        state.put_block(
            "home", BlockRecord("u1", "http://x/cal/a.ics", "2026-W49", "2026-W49/1", START)
        )
        state.remember_calendar("home", "Training", "http://x/cal/")
    state.close()
    again = State.open(tmp_path)
    assert again.warnings == []
    col = again.collection("home", "http://x/cal/")
    assert col is not None and col.token == "tok-1" and col.cache_start == START
    (obj,) = again.objects("home", "http://x/cal/")
    assert obj.data == b"D" and obj.etag == '"e1"'
    assert obj.events[0] == event()  # times, tuples and the X-CALSYNC map survive
    assert obj.events[0].start.astimezone(LONDON) == START
    assert again.calendar_url("home", "Training") == "http://x/cal/"
    assert again.is_retired("home", "u1")  # a UID once written is never reused
    again.record_deletion("home", "u1", "2026-W49")
    assert again.deletions("home") == {"2026-W49": 1}
    assert again.blocks("home") == []
    assert again.objects("other", "http://x/cal/") == []  # accounts are separate
    again.close()


def test_a_failed_transaction_leaves_nothing_behind(tmp_path: Path) -> None:
    state = State.open(tmp_path)
    with pytest.raises(RuntimeError), state.transaction():
        state.remember_calendar("home", "Training", "http://x/cal/")
        raise RuntimeError("boom")
    assert state.calendar_url("home", "Training") is None
    state.close()


def test_a_corrupt_file_is_set_aside_and_rebuilt(tmp_path: Path) -> None:
    (tmp_path / "state.sqlite3").write_bytes(b"\x00garbage" * 500)
    (tmp_path / "state.sqlite3-wal").write_bytes(b"\x00wal")
    state = State.open(tmp_path, now=START)
    assert state.warnings and "rebuilt from the server" in state.warnings[0]
    assert (tmp_path / "state.sqlite3.corrupt-20261130T080000Z").exists()
    assert (tmp_path / "state.sqlite3.corrupt-20261130T080000Z-wal").read_bytes() == b"\x00wal"
    assert state.blocks("home") == []
    state.close()
    (tmp_path / "state.sqlite3").write_bytes(b"\x00again" * 500)
    State.open(tmp_path, now=START).close()  # the same second: the first one is kept
    assert (tmp_path / "state.sqlite3.corrupt-20261130T080000Z-2").exists()


def test_damage_found_while_in_use_never_quotes_the_data(tmp_path: Path) -> None:
    state = State.open(tmp_path)
    with state.transaction():
        state.put_object("home", "u", CachedObject("h", None, None, (event(),)))
    state.close()
    path = tmp_path / "state.sqlite3"
    data = path.read_bytes()
    at = data.index(b"Easy run")
    path.write_bytes(data[:at] + b"Easy \xff\xfe!" + data[at + 8 :])  # same length, not UTF-8
    again = State.open(tmp_path)
    assert again.warnings == []  # every page is sound: only reading the row shows it
    with pytest.raises(StateDamagedError) as caught:
        again.objects("home", "u")
    assert "Easy" not in str(caught.value) and caught.value.__cause__ is None
    warning = again.set_aside(START)
    assert "the record of blocks you deleted is lost" in warning
    assert not path.exists() and (tmp_path / "state.sqlite3.corrupt-20261130T080000Z").exists()


def test_a_locked_file_or_a_folder_in_its_place_is_never_set_aside(tmp_path: Path) -> None:
    State.open(tmp_path).close()
    holder = sqlite3.connect(tmp_path / "state.sqlite3", isolation_level=None, timeout=0)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(sqlite3.OperationalError) as caught:
            State.open(tmp_path)
    finally:
        holder.close()
    assert not is_damage(caught.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.sqlite3"]
    (tmp_path / "sub" / "state.sqlite3").mkdir(parents=True)
    with pytest.raises(ConfigError):
        State.open(tmp_path / "sub")


def test_state_folder_honours_xdg_state_home(tmp_path: Path) -> None:
    assert default_state_dir({"XDG_STATE_HOME": "/s"}, None) == Path("/s/calsync")
    assert default_state_dir({"HOME": "/h"}, None) == Path("/h/.local/state/calsync")
    assert default_state_dir({"XDG_STATE_HOME": "/s"}, str(tmp_path)) == tmp_path


def test_a_file_cut_short_while_open_is_damage_not_a_lock(tmp_path: Path) -> None:
    state = State.open(tmp_path)
    with state.transaction():
        for i in range(200):  # many pages, so most are read from the file, not the cache
            state.put_object("home", "u", CachedObject(f"h{i}", None, b"x" * 800, (event(),)))
    state.close()
    again = State.open(tmp_path)
    path = tmp_path / "state.sqlite3"
    os.truncate(path, path.stat().st_size // 2)  # SQLite: "database disk image is malformed"
    with pytest.raises(StateDamagedError):
        again.objects("home", "u")
    again.set_aside(START)
    fresh = State.open(tmp_path)
    assert fresh.warnings == [] and fresh.objects("home", "u") == []
    fresh.close()
