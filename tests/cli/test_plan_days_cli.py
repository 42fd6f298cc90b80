"""Issue 8 through the real CLI on fixture calendars written for it: a verdict for every day
(table and JSON), the session under each block, race weeks, the runner's own zone, and the
time of a block on a day whose workout has no time."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import os
import re
import subprocess
import sys
import threading
from functools import partial
from pathlib import Path

import pytest

from calsync.core.plan import VERDICTS
from tests.cli.test_plan_cli import CALENDARS
from tests.cli.test_plan_cli import CANONICAL
from tests.cli.test_plan_cli import NOW
from tests.cli.test_plan_cli import london
from tests.cli.test_plan_cli import run

ROOT = Path(__file__).resolve().parents[2]
MARATHON = str(CALENDARS / "marathon_taper.ics")
MELBOURNE = CALENDARS / "melbourne_runner.ics"
ALL_DAY = str(CALENDARS / "all_day_runs.ics")
DAY_LINE = re.compile(r"^    (Mon|Tue|Wed|Thu|Fri|Sat|Sun): (.+)$", re.MULTILINE)


def plan_json(*args: str) -> tuple[dict, str]:
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def block_days(data: dict, tz: str = "Europe/London") -> list[str]:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz)
    return [
        dt.datetime.fromisoformat(b["start"]).astimezone(zone).strftime("%a %d %b %H:%M")
        for b in data["blocks"]
    ]


# --- item 4: a reason for every day ----------------------------------------------------------


def test_explain_lists_every_day_of_every_week_with_its_verdict(tmp_path):
    result = run(
        "--now", NOW, "plan", CANONICAL, "--config", london(tmp_path),
        "--from", "2026-11-30", "--weeks", "2", "--explain",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    days = DAY_LINE.findall(result.stdout)
    assert len(days) == 14
    assert [d for d, _ in days[:7]] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    said = dict(days[:7])
    assert said["Wed"] == "no run (rest day; allowed_on = easy)"
    assert said["Sat"] == 'long run ("Long run")'
    assert said["Tue"].startswith("intervals (")
    assert said["Mon"].startswith("strength at 08:00 (Lighter session)")
    assert result.stdout.count("  Day by day") == 2


def test_the_json_carries_the_same_per_day_decisions_in_the_documented_shape(tmp_path):
    data, _ = plan_json(
        "--now", NOW, "plan", CANONICAL, "--config", london(tmp_path),
        "--from", "2026-11-30", "--weeks", "2",
    )  # fmt: skip
    table = run(
        "--now", NOW, "plan", CANONICAL, "--config", london(tmp_path),
        "--from", "2026-11-30", "--weeks", "2", "--explain",
    ).stdout  # fmt: skip
    doc = (ROOT / "docs" / "plan-json.md").read_text()
    in_table = DAY_LINE.findall(table)
    in_json = [(d["day"], d["reason"]) for w in data["weeks"] for d in w["days"]]
    assert in_json == in_table
    for week in data["weeks"]:
        assert set(week) == {"week", "placed", "wanted", "warnings", "days"}
        first = dt.date.fromisoformat(week["days"][0]["date"])
        for n, d in enumerate(week["days"]):
            assert set(d) == {"date", "day", "verdict", "reason"}
            assert dt.date.fromisoformat(d["date"]) == first + dt.timedelta(days=n)
            assert d["verdict"] in VERDICTS
    for block in data["blocks"]:
        assert block["session"] in ("Session A", "Session B", "Lighter session")
    # every field name and every verdict code is documented
    for name in ("date", "day", "verdict", "reason", "placed", "wanted", "warnings", "session"):
        assert f"`{name}`" in doc
    for code in VERDICTS:
        assert f"`{code}`" in doc


# --- item 5: the session in the table ---------------------------------------------------------


def test_the_table_names_each_blocks_session_and_its_main_lifts(tmp_path):
    result = run(
        "--now", NOW, "plan", CANONICAL, "--config", london(tmp_path),
        "--from", "2026-11-30", "--weeks", "1",
    )  # fmt: skip
    lines = result.stdout.splitlines()
    sessions = [ln.strip() for ln in lines if ln.strip().startswith("session: ")]
    assert len(sessions) == 2
    assert sessions[0].startswith("session: Lighter session: goblet squat 2 × 5")
    assert re.match(r"session: Session [AB]: \w", sessions[1])
    assert "1. Warm-up" not in result.stdout  # the whole text only on request
    light = lines.index(next(ln for ln in lines if "Strength (light)" in ln))
    assert lines[light + 2].strip() == sessions[0]  # under its block, after the reason


@pytest.mark.parametrize("flag", ["--sessions", "--explain"])
def test_sessions_or_explain_show_the_whole_session(tmp_path, flag):
    result = run(
        "--now", NOW, "plan", CANONICAL, "--config", london(tmp_path),
        "--from", "2026-11-30", "--weeks", "1", flag,
    )  # fmt: skip
    assert result.stdout.count("1. Warm-up") == 2
    assert "no jumps today: intervals tomorrow" in result.stdout
    light_text = result.stdout.split("Strength (light)", 1)[1].split("Thu 03 Dec")[0]
    assert "box jump" not in light_text and "bounding" not in light_text


# --- item 6: race weeks -----------------------------------------------------------------------


def test_a_marathon_block_tapers_activates_and_recovers(tmp_path):
    data, _ = plan_json(
        "--now", "2026-11-15T12:00:00Z", "plan", MARATHON, "--config", london(tmp_path),
        "--from", "2026-11-16", "--weeks", "4",
    )  # fmt: skip
    assert block_days(data) == [
        "Mon 16 Nov 08:05", "Thu 19 Nov 08:05",  # a normal week
        "Mon 23 Nov 08:05", "Thu 26 Nov 08:05",  # still normal: the taper starts on Sun 29
        "Thu 03 Dec 07:50",  # race week: one activation
        "Thu 10 Dec 08:00", "Sat 12 Dec 09:05",  # after the race: Mon and Tue are for recovery
    ]  # fmt: skip
    templates = [b["template"] for b in data["blocks"]]
    assert templates[4] == "activation" and templates.count("activation") == 1
    activation = data["blocks"][4]
    minutes = (
        dt.datetime.fromisoformat(activation["end"])
        - dt.datetime.fromisoformat(activation["start"])
    ).total_seconds() / 60
    assert minutes == 25 and activation["session"] == "Activation session"
    assert "box jump" not in activation["description"].lower()
    assert 'taper before "Valencia Marathon"' in activation["reason"]
    race_week = data["weeks"][2]
    assert (race_week["placed"], race_week["wanted"], race_week["warnings"]) == (1, 1, [])
    verdicts = {d["day"]: d["verdict"] for d in race_week["days"]}
    assert verdicts == {
        "Mon": "day_before_interval", "Tue": "interval", "Wed": "rest_day",
        "Thu": "strength", "Fri": "rest_day", "Sat": "day_before_interval", "Sun": "race",
    }  # fmt: skip
    assert data["weeks"][1]["days"][6]["verdict"] == "taper"  # Sun 29 Nov: a week before
    after = {d["day"]: d["verdict"] for d in data["weeks"][3]["days"]}
    assert after["Mon"] == after["Tue"] == "recovery"


def test_race_week_rules_follow_the_config(tmp_path):
    cfg = london(tmp_path, "[rules]\ntaper_days = 0\nrecovery_days_after_race = 0\n")
    data, _ = plan_json(
        "--now", "2026-11-15T12:00:00Z", "plan", MARATHON, "--config", cfg,
        "--from", "2026-11-30", "--weeks", "2",
    )  # fmt: skip
    assert "activation" not in [b["template"] for b in data["blocks"]]
    assert block_days(data) == [
        "Mon 30 Nov 07:55", "Thu 03 Dec 07:50", "Mon 07 Dec 09:45", "Thu 10 Dec 08:00",
    ]  # fmt: skip


def test_a_race_just_after_the_plan_weeks_still_tapers_them(tmp_path):
    data, _ = plan_json(
        "--now", "2026-11-15T12:00:00Z", "plan", MARATHON, "--config", london(tmp_path),
        "--from", "2026-11-23", "--weeks", "1",
    )  # fmt: skip
    assert data["weeks"][0]["days"][6]["verdict"] == "taper"  # the race is read from past it


# --- item 7: the runner's zone, not the server's ----------------------------------------------


def test_a_melbourne_calendar_on_a_utc_machine_plans_melbourne_days(tmp_path):
    env = {
        **os.environ,
        "TZ": "UTC",
        "XDG_CONFIG_HOME": str(tmp_path / "none"),
        "CALSYNC_CONFIG": "",
    }
    done = subprocess.run(
        [
            sys.executable, "-m", "calsync", "--now", "2026-11-29T00:00:00Z", "plan",
            str(MELBOURNE), "--from", "2026-11-30", "--weeks", "1", "--format", "json",
        ],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        "calsync: planning in Australia/Melbourne (from the calendar's X-WR-TIMEZONE)"
    ]
    data = json.loads(done.stdout)
    # Runs at 06:00 Melbourne (19:00 UTC the day before): Mon easy, Tue track, Thu easy
    assert block_days(data, "Australia/Melbourne") == ["Mon 30 Nov 07:00", "Thu 03 Dec 07:00"]
    assert data["blocks"][0]["start"].endswith("+11:00")
    assert data["weeks"][0]["days"][1] == {
        "date": "2026-12-01",
        "day": "Tue",
        "verdict": "interval",
        "reason": 'intervals ("Track: 8 x 400m")',
    }


def test_without_x_wr_timezone_the_zone_most_events_use_wins(tmp_path):
    text = MELBOURNE.read_text().replace("X-WR-TIMEZONE:Australia/Melbourne\n", "")
    path = tmp_path / "melbourne_no_xwr.ics"
    path.write_text(text)
    data, err = plan_json(
        "--now", "2026-11-29T00:00:00Z", "plan", str(path), "--from", "2026-11-30", "--weeks", "1"
    )
    assert "X-WR-TIMEZONE" not in path.read_text()
    assert err.splitlines() == [
        "calsync: planning in Australia/Melbourne "
        "(the zone most of the calendar's events are written in)"
    ]
    assert block_days(data, "Australia/Melbourne") == ["Mon 30 Nov 07:00", "Thu 03 Dec 07:00"]


def test_a_configured_timezone_wins_and_is_not_announced(tmp_path):
    data, err = plan_json(
        "--now", "2026-11-29T00:00:00Z", "plan", str(MELBOURNE), "--config", london(tmp_path),
        "--from", "2026-11-30", "--weeks", "1",
    )  # fmt: skip
    assert "planning in" not in err
    # read in London, the 06:00 Melbourne runs are the evening before: the track session is
    # on Monday, Thursday's easy run on Wednesday
    got = [d["verdict"] for d in data["weeks"][0]["days"]]
    assert got[:3] == ["interval", "rest_day", "strength"]


def test_a_folder_and_a_feed_give_the_calendars_zone_too(tmp_path):
    folder = tmp_path / "vdir"
    folder.mkdir()
    (folder / "runs.ics").write_bytes(MELBOURNE.read_bytes())
    (folder / ".hidden.ics").write_text(
        "BEGIN:VCALENDAR\nX-WR-TIMEZONE:Europe/Paris\nEND:VCALENDAR"
    )
    _, err = plan_json("--now", "2026-11-29T00:00:00Z", "plan", str(folder), "--weeks", "1")
    assert "planning in Australia/Melbourne" in err
    handler = partial(_Quiet, directory=str(CALENDARS))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/melbourne_runner.ics"
        data, err = plan_json(
            "--now", "2026-11-29T00:00:00Z", "plan", url, "--from", "2026-11-30", "--weeks", "1"
        )
    finally:
        server.shutdown()
    assert "planning in Australia/Melbourne" in err
    assert block_days(data, "Australia/Melbourne") == ["Mon 30 Nov 07:00", "Thu 03 Dec 07:00"]
    assert _Quiet.hits == 1  # the feed is fetched once, not once for its zone and once to plan


class _Quiet(http.server.SimpleHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


# --- item 7: an all-day workout gets its block at the runner's time ---------------------------


def test_all_day_workouts_follow_the_runners_usual_time(tmp_path):
    data, _ = plan_json(
        "--now", "2026-11-22T12:00:00Z", "plan", ALL_DAY, "--config", london(tmp_path),
        "--from", "2026-11-23", "--weeks", "2",
    )  # fmt: skip
    # week 1: timed runs 18:00-18:45, blocks right after; week 2: TrainingPeaks all-day
    # workouts, blocks at the same usual time, not at 06:00
    assert block_days(data) == [
        "Mon 23 Nov 19:00", "Thu 26 Nov 19:00", "Mon 30 Nov 19:00", "Thu 03 Dec 19:00",
    ]  # fmt: skip


def test_all_day_workouts_take_the_preferred_time(tmp_path):
    cfg = london(tmp_path, '[rules]\npreferred_time = "12:30"\n')
    data, _ = plan_json(
        "--now", "2026-11-22T12:00:00Z", "plan", ALL_DAY, "--config", cfg,
        "--from", "2026-11-23", "--weeks", "2",
    )  # fmt: skip
    assert block_days(data) == [
        "Mon 23 Nov 19:00", "Thu 26 Nov 19:00", "Mon 30 Nov 12:30", "Thu 03 Dec 12:30",
    ]  # fmt: skip
