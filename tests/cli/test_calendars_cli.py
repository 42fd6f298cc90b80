"""`calsync calendars` end to end: real config file, real Radicale, roles from the config."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from calsync.cli import cli
from calsync.errors import ExitCode
from tests.servers import AuthServer
from tests.servers import DavServer

pytestmark = pytest.mark.server


def run(config: Path, *args: str, env: dict[str, str] | None = None):
    base = {"XDG_CONFIG_HOME": "/nonexistent", "CALSYNC_CONFIG": ""}
    result = CliRunner().invoke(
        cli, ["-c", str(config), "calendars", *args], env={**base, **(env or {})}
    )
    assert "Traceback" not in result.output + result.stderr
    return result


@pytest.fixture
def radicale(radicale_url: str) -> Iterator[DavServer]:
    server = DavServer("radicale", radicale_url, "user", "")
    yield server
    server.close()


def test_lists_calendars_with_their_roles(tmp_path, radicale):
    tag = uuid.uuid4().hex[:6]
    runs_url = radicale.new_calendar(f"Runs {tag}")
    work_url = radicale.new_calendar(f"Work {tag}")
    other_url = radicale.new_calendar(f"Other {tag}")
    config = tmp_path / "config.toml"
    config.write_text(
        f'[accounts.home]\nurl = "{radicale.url}"\nusername = "user"\n'
        f'password_env = "CAL_PW"\nruns = ["Runs {tag}"]\nbusy = ["{work_url}"]\n'
        f'target = "Strength {tag}"\n'
    )
    result = run(config, env={"CAL_PW": "anything"})
    assert result.exit_code == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if tag in line}
    assert "runs" in lines["Runs"] and runs_url in lines["Runs"]
    assert "busy" in lines["Work"] and work_url in lines["Work"]
    assert " - " in lines["Other"] and other_url in lines["Other"]
    assert f"no calendar 'Strength {tag}' yet" in result.stderr

    as_json = json.loads(run(config, "--format", "json", env={"CAL_PW": "x"}).stdout)
    roles = {c["name"]: c["roles"] for c in as_json[0]["calendars"]}
    assert roles[f"Runs {tag}"] == ["runs"] and roles[f"Other {tag}"] == []


def test_refused_password_exits_77_without_the_password(tmp_path, radicale_auth: AuthServer):
    config = tmp_path / "config.toml"
    config.write_text(
        f'[accounts.home]\nurl = "{radicale_auth.url}"\nusername = "{radicale_auth.username}"\n'
        'password_env = "CAL_PW"\n'
    )
    wrong = f"wrong-{uuid.uuid4().hex}"
    result = run(config, env={"CAL_PW": wrong})
    assert result.exit_code == ExitCode.AUTH
    assert "calsync: error:" in result.stderr and "HTTP 401" in result.stderr
    assert wrong not in result.output + result.stderr


def test_unknown_account_is_a_config_error(tmp_path, radicale):
    config = tmp_path / "config.toml"
    config.write_text(f'[accounts.home]\nurl = "{radicale.url}"\n')
    result = run(config, "--account", "work")
    assert result.exit_code == ExitCode.CONFIG
    assert "no account 'work'" in result.stderr
