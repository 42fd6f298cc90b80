"""A damaged state file is set aside and rebuilt from the server (Radicale, through the CLI).

Each test syncs once, damages `<account>.sqlite3` one way (random bytes instead of a database, a
truncated file, random bytes over a page in the middle), then syncs again: exit 0, one warning
that says what could not be rebuilt, the damaged file kept aside, no duplicate block, the
user's events untouched, and the sync after that an ordinary one.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result

from calsync.errors import ExitCode
from tests.sync.conftest import CANONICAL
from tests.sync.conftest import World
from tests.sync.conftest import radicale_world
from tests.sync.conftest import run_sync

pytestmark = pytest.mark.server

SEED = 20261202


@pytest.fixture
def state_world(radicale_url: str, tmp_path: Path) -> Iterator[World]:
    for w in radicale_world(radicale_url, tmp_path):
        w.write_config()
        yield w


def run(world: World, *args: str) -> Result:
    return run_sync(world, *args)


def state_file(world: World) -> Path:
    return world.state_dir / "home.sqlite3"


def not_a_database(path: Path) -> None:
    rng = random.Random(SEED)
    path.write_bytes(rng.randbytes(path.stat().st_size))


def truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 + 100])  # not on a page boundary


def scribbled(path: Path) -> None:
    """Random bytes over the page of the cached objects (in the middle of a valid file)."""
    conn = sqlite3.connect(path)
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name='objects'").fetchone()
    (size,) = conn.execute("PRAGMA page_size").fetchone()
    conn.close()
    rng = random.Random(SEED)
    with path.open("r+b") as f:
        f.seek((root - 1) * size + 8)  # past the page header's first bytes: a plausible page
        f.write(rng.randbytes(size - 16))


def garbled_text(path: Path) -> None:
    """Bytes that are not UTF-8 inside a cached event's JSON: every page still checks out
    (quick_check passes), the damage shows only when the row is read, mid-sync."""
    data = bytearray(path.read_bytes())
    at = data.index(b'"summary": "Easy run')
    data[at + 13 : at + 21] = b"\xff\xfe\x00\xc3(\x80\xff\xff"
    path.write_bytes(bytes(data))
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA quick_check").fetchall() == [("ok",)]
    conn.close()


def user_events(world: World) -> dict[str, bytes]:
    return {h: o.data for h, o in world.objects(world.runs()).items()}


DAMAGE: dict[str, Callable[[Path], None]] = {
    "not-a-database": not_a_database,
    "truncated": truncated,
    "scribbled": scribbled,
    "garbled-text": garbled_text,
}


@pytest.mark.parametrize("how", list(DAMAGE))
def test_a_damaged_state_file_is_set_aside_and_rebuilt(state_world: World, how: str) -> None:
    first = run(state_world)
    assert first.exit_code == 0, first.stderr
    blocks = {o.data.split(b"UID:")[1].split(b"\r\n")[0] for o in state_world.blocks().values()}
    assert len(blocks) == 2
    runs_before = user_events(state_world)
    DAMAGE[how](state_file(state_world))

    again = run(state_world)

    assert again.exit_code == 0, again.stderr
    warnings = [line for line in again.stderr.splitlines() if "sync state" in line]
    assert len(warnings) == 1, again.stderr
    assert "the record of blocks you deleted is lost" in warnings[0]
    for title, *_ in (v[2:] for v in CANONICAL.values()):
        assert title not in again.stderr  # no cached event data in any message
    aside = sorted(state_world.state_dir.glob("home.sqlite3.corrupt-*"))
    main_aside = [p for p in aside if not p.name.endswith(("-wal", "-shm"))]
    assert len(main_aside) == 1 and main_aside[0].name in warnings[0]
    now_blocks = state_world.blocks()
    assert len(now_blocks) == 2  # found again by their markers: no duplicate
    uids = {o.data.split(b"UID:")[1].split(b"\r\n")[0] for o in now_blocks.values()}
    assert uids == blocks
    assert user_events(state_world) == runs_before
    normal = run(state_world, "--format", "json")
    assert normal.exit_code == 0, normal.stderr
    data = json.loads(normal.stdout)
    assert data["counts"]["keep"] == 2 and data["counts"]["create"] == 0
    assert not any("sync state" in w for w in data["warnings"])
    assert data["requests"] <= 4  # a no-change sync again: the rebuilt state has its tokens
    assert len(list(state_world.state_dir.glob("home.sqlite3.corrupt-*"))) == len(aside)


def test_a_stranger_holding_the_state_file_is_temporary_not_corrupt(state_world: World) -> None:
    assert run(state_world).exit_code == 0
    holder = sqlite3.connect(state_file(state_world), isolation_level=None)
    try:
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        result = run(state_world)
    finally:
        holder.close()
    assert result.exit_code == ExitCode.TEMPFAIL, result.stderr
    assert list(state_world.state_dir.glob("*.corrupt*")) == []
    assert run(state_world).exit_code == 0


def test_a_folder_where_the_state_file_should_be_is_a_config_error(state_world: World) -> None:
    state_file(state_world).mkdir(parents=True)
    result = run(state_world)
    assert result.exit_code == ExitCode.CONFIG, result.stderr
    assert "sync state folder cannot be used" in result.stderr
    assert state_file(state_world).is_dir()  # not "damaged": left where it is
    assert list(state_world.state_dir.glob("*.corrupt*")) == []
