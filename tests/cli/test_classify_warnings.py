"""Nothing that looks like training is ignored silently: one warning line a title, in `plan`
and `classify`, through the real CLI on a real file."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from calsync.cli import cli

CALENDAR = str(Path(__file__).resolve().parents[1] / "fixtures" / "calendars" / "season_unread.ics")
NOW = "2026-11-01T06:00:00+00:00"


def run(command: str, tmp_path: Path):
    config = tmp_path / "config.toml"
    config.write_text('timezone = "Europe/London"\n')
    args = ["--now", NOW, command, CALENDAR, "--config", str(config), "--from", "2026-11-02"]
    result = CliRunner().invoke(cli, [*args, "--weeks", "4"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result


@pytest.mark.parametrize("command", ["plan", "classify"])
def test_a_season_of_unread_training_is_one_line_per_title(command: str, tmp_path: Path) -> None:
    result = run(command, tmp_path)
    warnings = [line for line in result.stderr.splitlines() if "read as not a run" in line]
    assert warnings == [
        "calsync: warning: 'Sunday club' read as not a run (4 times; a distance in the "
        "description): add a keyword under [classify.keywords] if it is",
        "calsync: warning: 'Session B' read as not a run (the category \"Sport\"): add a "
        "keyword under [classify.keywords] if it is",
    ]
    assert "Traceback" not in result.output + result.stderr


def test_the_runs_calendar_reads_base_8_km_as_a_run_and_marshalling_as_not(tmp_path: Path) -> None:
    lines = run("classify", tmp_path).stdout.splitlines()
    assert sum(1 for line in lines if " easy " in line and "Base 8 km" in line) == 4
    assert any(" other " in line and "Marshal at parkrun" in line for line in lines)
    assert any(" other " in line and "Lunch with Sam" in line for line in lines)
