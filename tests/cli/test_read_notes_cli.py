"""A note on how a file was read (an unknown TZID, a mistyped END line read past) is shown, but
it is not counted as a skipped event: the summary line speaks only of what was left out."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from calsync.cli import cli

CALENDARS = Path(__file__).resolve().parents[1] / "fixtures" / "calendars"
NOW = "2026-11-30T06:00+00:00"


def run(*args: str):
    env = {"XDG_CONFIG_HOME": "/nonexistent", "CALSYNC_CONFIG": "", "TZ": "Europe/London"}
    return CliRunner().invoke(cli, ["--now", NOW, *args], env=env, catch_exceptions=False)


def test_a_recovered_end_typo_is_a_note_not_a_skip():
    result = run("plan", str(CALENDARS / "thunderbird_end_typo.ics"), "--weeks", "2")
    assert result.exit_code == 0, result.output + result.stderr
    assert "END:VTOOD does not match" in result.stderr
    assert "skipped" not in result.stderr
    assert "skipped" not in result.stdout


def test_json_says_which_problems_skipped_something(tmp_path: Path):
    typo = (CALENDARS / "thunderbird_end_typo.ics").read_text(encoding="utf-8")
    broken = typo.replace("END:VCALENDAR", "BEGIN:VEVENT\nUID:cut-short@x\nSUMMARY:Easy run\n")
    path = tmp_path / "both.ics"
    path.write_text(broken, encoding="utf-8")
    result = run("plan", str(path), "--format", "json")
    assert result.exit_code == 0, result.output + result.stderr
    problems = json.loads(result.stdout)["problems"]
    notes = [p for p in problems if not p["skipped"]]
    skips = [p for p in problems if p["skipped"]]
    assert any("END:VTOOD" in p["message"] for p in notes)
    assert skips, problems
    assert "skipped a broken event or file" in result.stderr
