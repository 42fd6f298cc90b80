"""`--debug` shows the traceback and keeps the error's own exit code (real triggers)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from click.testing import Result

from calsync.cli import CalsyncGroup
from calsync.cli import cli
from calsync.cli.context import AppContext
from calsync.errors import ExitCode
from tests.servers import AuthServer
from tests.servers import free_port

PASSWORD_ENV = "CALSYNC_TEST_PW"
WRONG = "wrong-pw-7f3a9c1e5d"
TRACEBACK = "Traceback (most recent call last)"


def account_config(tmp_path: Path, url: str, user: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        'timezone = "Europe/London"\n'
        f'[accounts.home]\nurl = "{url}"\nusername = "{user}"\n'
        f'password_env = "{PASSWORD_ENV}"\nruns = ["Training"]\ntarget = "Strength"\n'
        "timeout_seconds = 10\n"
        f'[sync]\nstate_dir = "{tmp_path / "state"}"\n'
    )
    return path


def run(*args: str, password: str = WRONG) -> Result:
    env = {"XDG_CONFIG_HOME": "/nonexistent", "CALSYNC_CONFIG": "", PASSWORD_ENV: password}
    result = CliRunner().invoke(cli, ["--debug", *args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert password not in result.output + result.stderr
    return result


def test_debug_plan_on_a_missing_file_exits_66_with_the_traceback(tmp_path: Path) -> None:
    result = run("plan", str(tmp_path / "missing.ics"))
    assert result.exit_code == ExitCode.NOINPUT, result.stderr
    assert TRACEBACK in result.stderr
    assert "SourceNotFoundError" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith("calsync: ")  # the message last


@pytest.mark.server
def test_debug_sync_with_a_wrong_password_exits_77(
    radicale_auth: AuthServer, tmp_path: Path
) -> None:
    config = account_config(tmp_path, radicale_auth.url, radicale_auth.username)
    result = run("-c", str(config), "sync")
    assert result.exit_code == ExitCode.AUTH, result.stderr
    assert TRACEBACK in result.stderr and "AuthError" in result.stderr
    assert radicale_auth.password not in result.output + result.stderr


def test_debug_sync_against_a_closed_port_exits_69(tmp_path: Path) -> None:
    config = account_config(tmp_path, f"http://127.0.0.1:{free_port()}/", "user")
    result = run("-c", str(config), "sync")
    assert result.exit_code == ExitCode.UNAVAILABLE, result.stderr
    assert TRACEBACK in result.stderr and "RemoteUnavailableError" in result.stderr


def test_without_debug_there_is_no_traceback_and_the_same_code(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": "/nonexistent", "CALSYNC_CONFIG": ""}
    result = CliRunner().invoke(cli, ["plan", str(tmp_path / "missing.ics")], env=env)
    assert result.exit_code == ExitCode.NOINPUT
    assert "Traceback" not in result.stderr


def _bug() -> None:
    found: dict[str, str] = {}
    print(found["missing"])


class BuggyGroup(CalsyncGroup):
    """calsync's own group, with one extra command that has a bug."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "buggy":
            return click.Command("buggy", callback=_bug)
        return super().get_command(ctx, cmd_name)


@click.group(cls=BuggyGroup)
@click.option("--debug", is_flag=True)
@click.pass_context
def buggy_cli(ctx: click.Context, debug: bool) -> None:
    ctx.obj = AppContext(config_path=None, now=dt.datetime.now(dt.UTC), env={}, debug=debug)


@pytest.mark.parametrize("debug", [True, False])
def test_an_internal_error_exits_1_with_the_traceback_only_under_debug(debug: bool) -> None:
    result = CliRunner().invoke(buggy_cli, ["--debug", "buggy"] if debug else ["buggy"])
    assert result.exit_code == ExitCode.INTERNAL
    assert isinstance(result.exception, SystemExit)
    assert (TRACEBACK in result.stderr) is debug
    assert "calsync: internal error: KeyError: 'missing'" in result.stderr


def test_the_installed_command_keeps_the_code_too(tmp_path: Path) -> None:
    """As a real process (the console script, not click's test runner)."""
    env = {"PATH": os.environ.get("PATH", ""), "XDG_CONFIG_HOME": "/nonexistent"}
    config = account_config(tmp_path, f"http://127.0.0.1:{free_port()}/", "user")
    done = subprocess.run(
        [sys.executable, "-m", "calsync", "--debug", "-c", str(config), "sync"],
        env={**env, PASSWORD_ENV: WRONG},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == ExitCode.UNAVAILABLE, done.stderr
    assert TRACEBACK in done.stderr and WRONG not in done.stdout + done.stderr
