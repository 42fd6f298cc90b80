"""State files that grow: stepwise migrations by `PRAGMA user_version`, and a newer file refused.

The old file is written here with raw sqlite3, exactly as calsync wrote it before versions
(user_version 0, a meta row 'schema' = '1'), with rows the server cannot give back.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from calsync.adapters.state import MIGRATIONS
from calsync.adapters.state import SCHEMA_VERSION
from calsync.adapters.state import State
from calsync.adapters.state import StateTooNewError
from calsync.adapters.state import migrate
from calsync.cli import cli
from calsync.errors import ConfigError
from calsync.errors import ExitCode
from tests.sync.conftest import NOW
from tests.sync.conftest import World
from tests.sync.conftest import memory_world

# calsync's schema before `PRAGMA user_version` (the release of issue 8), verbatim.
OLD_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE calendars (
    account TEXT NOT NULL, name TEXT NOT NULL, url TEXT NOT NULL,
    PRIMARY KEY (account, name));
CREATE TABLE collections (
    account TEXT NOT NULL, url TEXT NOT NULL, role TEXT NOT NULL, tz TEXT NOT NULL,
    token TEXT, cache_start TEXT NOT NULL, cache_end TEXT NOT NULL,
    PRIMARY KEY (account, url));
CREATE TABLE objects (
    account TEXT NOT NULL, url TEXT NOT NULL, href TEXT NOT NULL, etag TEXT,
    data BLOB, events TEXT NOT NULL,
    PRIMARY KEY (account, url, href));
CREATE TABLE blocks (
    account TEXT NOT NULL, uid TEXT NOT NULL, href TEXT NOT NULL, week TEXT NOT NULL,
    slot TEXT NOT NULL, start TEXT NOT NULL,
    PRIMARY KEY (account, uid));
CREATE TABLE deleted (
    account TEXT NOT NULL, uid TEXT NOT NULL, week TEXT NOT NULL,
    PRIMARY KEY (account, uid));
CREATE TABLE retired (
    account TEXT NOT NULL, uid TEXT NOT NULL,
    PRIMARY KEY (account, uid));
INSERT INTO meta VALUES ('schema', '1');
"""
START = "2026-12-03T08:00:00+00:00"


def old_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path)
    db.executescript(OLD_SCHEMA)
    with db:
        db.execute(
            "INSERT INTO blocks VALUES ('acct', 'b1@calsync', 'http://x/b1.ics', "
            f"'2026-W49', '2', '{START}')"
        )
        db.execute("INSERT INTO deleted VALUES ('acct', 'gone@calsync', '2026-W49')")
        db.execute("INSERT INTO retired VALUES ('acct', 'gone@calsync')")
    assert db.execute("PRAGMA user_version").fetchone() == (0,)
    db.close()


def newer_file(path: Path) -> bytes:
    old_file(path)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    return path.read_bytes()


def test_a_file_from_before_versions_migrates_with_every_row_kept(tmp_path: Path) -> None:
    old_file(tmp_path / "home.sqlite3")
    state = State.open(tmp_path, "home.sqlite3")
    try:
        assert [(b.uid, b.week, b.slot) for b in state.blocks("acct")] == [
            ("b1@calsync", "2026-W49", "2")
        ]
        assert state.blocks("acct")[0].start == dt.datetime.fromisoformat(START)
        assert state.deletions("acct") == {"2026-W49": 1}
        assert state.is_retired("acct", "gone@calsync")
        assert state.warnings == []  # not damage: nothing set aside
    finally:
        state.close()
    db = sqlite3.connect(tmp_path / "home.sqlite3")
    assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    db.close()
    assert not list(tmp_path.glob("*.corrupt-*"))


def test_a_new_file_starts_at_the_latest_version(tmp_path: Path) -> None:
    State.open(tmp_path, "fresh.sqlite3").close()
    db = sqlite3.connect(tmp_path / "fresh.sqlite3")
    assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,) == (len(MIGRATIONS),)
    db.close()


def test_steps_run_in_order_and_a_failing_step_keeps_the_version_before(tmp_path: Path) -> None:
    old_file(tmp_path / "home.sqlite3")
    db = sqlite3.connect(tmp_path / "home.sqlite3", isolation_level=None)
    add_note = ("ALTER TABLE deleted ADD COLUMN note TEXT NOT NULL DEFAULT ''",)
    broken = ("ALTER TABLE blocks ADD COLUMN extra TEXT", "THIS IS NOT SQL")
    with pytest.raises(sqlite3.OperationalError):
        migrate(db, (*MIGRATIONS, add_note, broken))
    assert db.execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS) + 1,)
    columns = [row[1] for row in db.execute("PRAGMA table_info(blocks)")]
    assert "extra" not in columns  # the failed step left nothing behind
    assert db.execute("SELECT uid, week, note FROM deleted").fetchall() == [
        ("gone@calsync", "2026-W49", "")
    ]
    db.close()


def test_a_file_from_a_newer_calsync_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "home.sqlite3"
    before = newer_file(path)
    with pytest.raises(StateTooNewError) as caught:
        State.open(tmp_path, "home.sqlite3")
    assert isinstance(caught.value, ConfigError)
    assert caught.value.exit_code == ExitCode.CONFIG == 78
    assert "newer calsync" in caught.value.message and "upgrade calsync" in str(caught.value.hint)
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("*.corrupt-*"))


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    yield from memory_world(tmp_path)


def test_sync_with_a_newer_state_file_exits_78_and_keeps_it(world: World) -> None:
    world.write_config()
    # The account's server is never asked: the state is opened first (a dead loopback port).
    world.config_path.write_text(
        world.config_path.read_text().replace(world.server.url, "http://127.0.0.1:9/")
    )
    path = world.state_dir / "home.sqlite3"
    before = newer_file(path)
    env = {"XDG_CONFIG_HOME": "/nonexistent", "CALSYNC_CONFIG": "", **world.env}
    now = NOW.strftime("%Y-%m-%dT%H:%M")
    result = CliRunner().invoke(cli, ["-c", str(world.config_path), "--now", now, "sync"], env=env)
    assert result.exit_code == ExitCode.CONFIG, result.output + result.stderr
    assert "newer calsync" in result.stderr and "Traceback" not in result.output + result.stderr
    assert path.read_bytes() == before
    assert not list(world.state_dir.glob("*.corrupt-*"))
