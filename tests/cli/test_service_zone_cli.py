"""The feed a service publishes plans the runner's days, not the server's: `calsync export`
(the same planning as `calsync serve`) on a UTC machine for a runner in Melbourne."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import zoneinfo
from pathlib import Path

from calsync import ical

CALENDARS = Path(__file__).resolve().parents[1] / "fixtures" / "calendars"


def test_a_utc_server_publishes_melbourne_days(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TZ": "UTC",
        "XDG_CONFIG_HOME": str(tmp_path / "no-config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "CALSYNC_CONFIG": "",
    }
    out = tmp_path / "strength.ics"
    result = subprocess.run(
        [
            *(sys.executable, "-m", "calsync", "-v", "--now", "2026-11-29T18:00+00:00"),
            *("export", str(CALENDARS / "melbourne_runner.ics"), "--output", str(out)),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "planning in Australia/Melbourne" in result.stderr
    text = out.read_text(encoding="utf-8")
    assert "TZID=Australia/Melbourne" in text
    melbourne = zoneinfo.ZoneInfo("Australia/Melbourne")
    events, _ = ical.parse_events(
        text,
        source="out",
        start=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        end=dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
        tz=melbourne,
    )
    days = sorted(e.start.astimezone(melbourne).strftime("%d %a") for e in events)
    assert days == ["03 Thu", "30 Mon"]
