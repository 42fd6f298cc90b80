"""`calsync plan` and `calsync classify` end to end through the real CLI, on real files."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import icalendar
import pytest
from click.testing import CliRunner

from calsync.cli import cli
from calsync.errors import ExitCode

CALENDARS = Path(__file__).resolve().parents[1] / "fixtures" / "calendars"
CANONICAL = str(CALENDARS / "canonical_week.ics")
NOW = "2026-11-29T12:00:00+00:00"  # the Sunday before the canonical week (2026-W49)


def run(*args: str, env: dict[str, str] | None = None):
    runner = CliRunner()
    base = {"XDG_CONFIG_HOME": "/nonexistent", "CALSYNC_CONFIG": ""}
    result = runner.invoke(cli, list(args), env={**base, **(env or {})}, catch_exceptions=False)
    assert "Traceback" not in result.output
    assert "Traceback" not in result.stderr
    return result


def london(tmp_path: Path, extra: str = "") -> str:
    path = tmp_path / "config.toml"
    path.write_text('timezone = "Europe/London"\n' + extra)
    return str(path)


def plan_json(*args: str) -> dict:
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_canonical_week_gets_monday_and_thursday(tmp_path):
    data = plan_json(
        "--now", NOW, "plan", CANONICAL, "--config", london(tmp_path),
        "--from", "2026-11-30", "--weeks", "1", "--format", "json",
    )  # fmt: skip
    days = [dt.datetime.fromisoformat(b["start"]).strftime("%a %Y-%m-%d") for b in data["blocks"]]
    assert days == ["Mon 2026-11-30", "Thu 2026-12-03"]
    (week,) = data["weeks"]
    assert {k: week[k] for k in ("week", "placed", "wanted", "warnings")} == {
        "week": "2026-W49", "placed": 2, "wanted": 2, "warnings": [],
    }  # fmt: skip
    verdicts = [(d["day"], d["verdict"]) for d in week["days"]]
    assert verdicts == [
        ("Mon", "strength"), ("Tue", "interval"), ("Wed", "rest_day"), ("Thu", "strength"),
        ("Fri", "rest_day"), ("Sat", "long"), ("Sun", "rest_day"),
    ]  # fmt: skip
    mon, thu = data["blocks"]
    assert mon["lighter"] is True
    assert thu["lighter"] is False
    assert "interval" in mon["reason"].lower()
    for block in data["blocks"]:
        assert set(block) >= {"start", "end", "summary", "description", "week", "reason"}
        start = dt.datetime.fromisoformat(block["start"])
        end = dt.datetime.fromisoformat(block["end"])
        assert end - start == dt.timedelta(minutes=45)
        assert block["week"] == "2026-W49"
        assert "failure" in block["description"].lower()


def test_table_lists_runs_blocks_and_reasons(tmp_path):
    result = run(
        "--now", NOW, "plan", CANONICAL, "-c", london(tmp_path), "--from", "2026-11-30",
        "--weeks", "1", "--explain",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "2026-W49" in out
    for kind in ("easy", "interval", "long"):
        assert kind in out
    assert "Mon 30 Nov" in out
    assert "Thu 03 Dec" in out
    assert "why:" in out
    assert "↳" in out  # --explain shows the classification reasons


def test_ics_output_is_a_valid_calendar_of_the_blocks(tmp_path):
    result = run(
        "--now", NOW, "plan", CANONICAL, "-c", london(tmp_path), "--from", "2026-11-30",
        "--weeks", "1", "--format", "ics",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    cal = icalendar.Calendar.from_ical(result.stdout)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 2
    for event in events:
        assert event.get("UID") and event.get("DTSTAMP") and event.get("DTSTART")
        assert str(event.get("X-CALSYNC-MANAGED")) == "1"
    assert [e.get("TZID") for e in cal.walk("VTIMEZONE")] == ["Europe/London"]


def test_classify_json_contract(tmp_path):
    result = run(
        "--now", NOW, "classify", CANONICAL, "-c", london(tmp_path), "--from", "2026-11-30",
        "--weeks", "1", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows
    for row in rows:
        assert set(row) == {"uid", "start", "end", "summary", "kind", "reason"}
        assert row["reason"]
    kinds = {dt.date.fromisoformat(r["start"][:10]).strftime("%a"): r["kind"] for r in rows
             if r["kind"] in ("easy", "interval", "long")}  # fmt: skip
    assert kinds == {"Mon": "easy", "Tue": "interval", "Thu": "easy", "Sat": "long"}


def test_all_day_events_give_dates_in_classify_json(tmp_path):
    feed = str(CALENDARS / "training_platform_feed.ics")
    result = run("classify", feed, "-c", london(tmp_path), "--from", "2026-11-30",
                 "--weeks", "2", "--format", "json", "--now", NOW)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    all_day = [r for r in rows if len(r["start"]) == 10]
    assert all_day, "the training-platform feed holds all-day workouts"
    for row in all_day:
        assert dt.date.fromisoformat(row["end"]) > dt.date.fromisoformat(row["start"])


def test_no_source_plans_the_bundled_example():
    result = run("--now", "2026-11-29T12:00:00+00:00", "plan", "--format", "json",
                 "--from", "2026-11-30", "--weeks", "2", env={"TZ": "Europe/London"})  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "bundled example" in result.stderr
    data = json.loads(result.stdout)
    days = [dt.datetime.fromisoformat(b["start"]).strftime("%a") for b in data["blocks"]]
    assert days == ["Mon", "Thu", "Mon", "Thu"]


def test_missing_file_is_one_line_and_exit_66(tmp_path):
    result = run("plan", str(tmp_path / "nope.ics"))
    assert result.exit_code == ExitCode.NOINPUT
    assert result.stderr.startswith("calsync: error:")
    assert "nope.ics" in result.stderr
    assert result.stdout == ""


def test_not_a_calendar_is_exit_65(tmp_path):
    result = run("plan", str(CALENDARS / "not_a_calendar.ics"))
    assert result.exit_code == ExitCode.DATAERR
    assert "not_a_calendar.ics" in result.stderr


def test_bad_config_is_exit_78_naming_file_and_key(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text('[rules]\nday_before_interval = "sometimes"\n')
    result = run("plan", CANONICAL, "--config", str(config))
    assert result.exit_code == ExitCode.CONFIG
    assert "bad.toml" in result.stderr
    assert "day_before_interval" in result.stderr
    assert "'allow', 'avoid', 'forbid'" in result.stderr


def test_bad_usage_is_exit_2():
    assert run("plan", "--weeks", "zero").exit_code == ExitCode.USAGE
    assert run("plan", "--from", "30/11/2026").exit_code == ExitCode.USAGE
    assert run("--now", "yesterday", "plan").exit_code == ExitCode.USAGE


def test_broken_events_are_reported_and_the_rest_still_plans(tmp_path):
    result = run("--now", NOW, "classify", str(CALENDARS / "bad_events.ics"),
                 "-c", london(tmp_path), "--format", "json", "--from", "2026-11-30")  # fmt: skip
    assert result.exit_code == 0
    assert "bad_events.ics" in result.stderr
    assert "UID" in result.stderr
    assert "skipped" in result.stderr
    assert json.loads(result.stdout), "the good events still come through"


def test_check_config_reports_ok(tmp_path):
    result = run("check-config", "-c", london(tmp_path, "[strength]\nsessions_per_week = 3\n"))
    assert result.exit_code == 0
    assert "OK" in result.stdout
    assert "3 x 45 min" in result.stdout


class _Feed(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def feed_url() -> Iterator[str]:
    handler = partial(_Feed, directory=str(CALENDARS))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/canonical_week.ics"
    server.shutdown()
    thread.join(timeout=10)


def test_a_feed_url_plans_like_the_file(tmp_path, feed_url):
    args = ["-c", london(tmp_path), "--from", "2026-11-30", "--weeks", "1", "--format", "json"]
    from_url = plan_json("--now", NOW, "plan", feed_url, *args)
    from_file = plan_json("--now", NOW, "plan", CANONICAL, *args)
    assert from_url["blocks"] == from_file["blocks"]


def test_blocks_never_in_the_past(tmp_path):
    # Wednesday evening of the canonical week: Mon is gone, only Thu is left.
    data = plan_json("--now", "2026-12-02T20:00:00+00:00", "plan", CANONICAL,
                     "-c", london(tmp_path), "--from", "2026-11-30", "--weeks", "1",
                     "--format", "json")  # fmt: skip
    starts = [dt.datetime.fromisoformat(b["start"]) for b in data["blocks"]]
    assert [s.strftime("%a") for s in starts] == ["Thu"]
    assert data["weeks"][0]["warnings"], "a week short of its quota says why"


def test_its_own_earlier_blocks_in_the_input_plan_the_same_and_show_once(tmp_path):
    config = london(tmp_path)
    args = ("--now", NOW, "plan", "-c", config, "--from", "2026-11-30", "--weeks", "1")
    exported = run(*args, CANONICAL, "--format", "ics")
    assert exported.exit_code == 0, exported.stderr
    blocks = tmp_path / "blocks.ics"
    blocks.write_text(exported.stdout)
    first = plan_json(*args, CANONICAL, "--format", "json")
    again = plan_json(*args, CANONICAL, str(blocks), "--format", "json")
    assert again["blocks"] == first["blocks"]  # stable: its own blocks are not extra sessions
    table = run(*args, CANONICAL, str(blocks))
    assert table.exit_code == 0, table.stderr
    assert table.stdout.count("Strength (light)") == 1  # under Strength, not again as a run
    training = table.stdout.split("  Training\n")[1].split("  Strength\n")[0]
    assert "easy" in training and "strength" not in training


def test_the_same_calendar_given_twice_counts_each_occurrence_once(tmp_path):
    config = london(tmp_path)
    args = ("--now", NOW, "classify", "-c", config, "--from", "2026-11-30", "--weeks", "1")
    once = run(*args, CANONICAL, "--format", "json")
    twice = run(*args, CANONICAL, CANONICAL, "--format", "json")
    assert once.exit_code == 0 and twice.exit_code == 0, twice.stderr
    assert len(json.loads(once.stdout)) == 4
    assert json.loads(twice.stdout) == json.loads(once.stdout)
