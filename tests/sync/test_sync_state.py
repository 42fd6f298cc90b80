"""The SQLite state: round trips, transactions, and a corrupt file that is set aside."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path

import pytest

from calsync.model import Event
from calsync.state import BlockRecord
from calsync.state import CachedObject
from calsync.state import Collection
from calsync.state import State
from calsync.state import default_state_dir

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
    state = State.open(tmp_path)
    assert state.warnings and "rebuilt from the server" in state.warnings[0]
    assert (tmp_path / "state.sqlite3.corrupt").exists()
    assert state.blocks("home") == []
    state.close()


def test_state_folder_honours_xdg_state_home(tmp_path: Path) -> None:
    assert default_state_dir({"XDG_STATE_HOME": "/s"}, None) == Path("/s/calsync")
    assert default_state_dir({"HOME": "/h"}, None) == Path("/h/.local/state/calsync")
    assert default_state_dir({"XDG_STATE_HOME": "/s"}, str(tmp_path)) == tmp_path
