"""`calsync sync` end to end through click: output, JSON, dry run and exit codes (Radicale)."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from click.testing import Result

from calsync.cli import cli
from calsync.errors import ExitCode
from tests.sync.conftest import CLI_NOW
from tests.sync.conftest import World
from tests.sync.conftest import at
from tests.sync.conftest import dtstart
from tests.sync.conftest import radicale_world
from tests.sync.conftest import run_sync
from tests.sync.conftest import set_time

pytestmark = pytest.mark.server

NOW = CLI_NOW


@pytest.fixture
def cli_world(radicale_url: str, tmp_path: Path) -> Iterator[World]:
    yield from radicale_world(radicale_url, tmp_path)


def run(world: World, *args: str) -> Result:
    return run_sync(world, *args)


def test_sync_prints_a_summary_and_json(cli_world: World) -> None:
    cli_world.write_config()
    dry = run(cli_world, "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert "dry run, nothing written: 2 to create" in dry.stdout
    names = {c.name for c in cli_world.new_store().calendars()}
    assert cli_world.target not in names  # the dry run did not even create the calendar
    first = run(cli_world)
    assert first.exit_code == 0, first.stderr
    assert "2 created" in first.stdout and "2026-W49" in first.stdout
    assert "create  Mon 30 Nov" in first.stdout and "create  Thu 03 Dec" in first.stdout
    second = run(cli_world, "--format", "json")
    assert second.exit_code == 0, second.stderr
    data = json.loads(second.stdout)
    assert data["counts"]["create"] == 0 and data["counts"]["keep"] == 2
    assert {a["action"] for a in data["actions"]} == {"keep"}
    assert data["requests"] <= 4


def test_a_held_lock_exits_75(cli_world: World) -> None:
    cli_world.write_config()
    cli_world.state_dir.mkdir(parents=True)
    fd = os.open(cli_world.state_dir / "home.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = run(cli_world)
    finally:
        os.close(fd)
    assert result.exit_code == ExitCode.TEMPFAIL
    assert "another calsync sync of account 'home' is running" in result.stderr


def test_the_mass_change_guard_exits_3_and_force_goes_ahead(cli_world: World) -> None:
    cli_world.write_config()
    assert run(cli_world).exit_code == 0
    for obj in cli_world.objects(cli_world.runs()).values():
        cli_world.side().delete(obj)
    refused = run(cli_world)
    assert refused.exit_code == ExitCode.REFUSED
    assert "calsync: hint:" in refused.stderr and "--force" in refused.stderr
    assert len(cli_world.blocks()) == 2
    forced = run(cli_world, "--force")
    assert forced.exit_code == 0 and "2 removed" in forced.stdout
    assert cli_world.blocks() == {}


def test_now_after_the_subcommand_is_honoured(cli_world: World) -> None:
    cli_world.write_config()
    env = {"XDG_CONFIG_HOME": "/nonexistent", "CALSYNC_CONFIG": "", **cli_world.env}
    args = ["sync", "-c", str(cli_world.config_path), "--now", "2026-12-07T06:00", "--dry-run"]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.stderr
    assert "07 Dec – 13 Dec 2026" in result.stdout  # the week of that --now, not of today


def test_an_unknown_account_is_a_config_error(cli_world: World) -> None:
    cli_world.write_config()
    result = run(cli_world, "--account", "work")
    assert result.exit_code == ExitCode.CONFIG
    assert "no account 'work'" in result.stderr


def test_the_table_fits_the_screen_and_the_json_says_everything(cli_world: World) -> None:
    cli_world.weeks = 4
    cli_world.write_config()
    assert run(cli_world).exit_code == 0
    blocks = cli_world.blocks().values()
    moved = next(b for b in blocks if dtstart(b.data).day == 30)  # the user drags Monday's
    cli_world.side().update(moved, set_time(moved.data, at(30, 12), 45))
    env = {"XDG_CONFIG_HOME": "/nonexistent", "CALSYNC_CONFIG": "", "COLUMNS": "80"}
    table = CliRunner().invoke(
        cli,
        ["-c", str(cli_world.config_path), "--now", NOW, "sync"],
        env={**env, **cli_world.env},
    )
    assert table.exit_code == 0, table.stderr
    lines = table.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), lines
    assert len(lines) <= 24  # one screen
    assert lines[1].startswith("2 kept;")  # only the counts that are not zero
    assert any(line.startswith("  keep    Mon 30 Nov 12:00") for line in lines)  # the user's
    assert "  keep    Thu 03 Dec 08:00" in lines  # planned blocks that stay: one line a week
    data = json.loads(run(cli_world, "--format", "json").stdout)
    assert set(data) >= {"account", "target", "first_day", "last_day", "counts", "weeks"}
    user = next(a for a in data["actions"] if a["fixed"])
    assert user["start"].startswith("2026-11-30T12:00") and user["end"].startswith(
        "2026-11-30T12:45"
    )
    assert all(a["end"] and a["uid"] for a in data["actions"])
