"""Config: every key has a default, every problem is named, the example stays valid."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import zoneinfo
from pathlib import Path

import pytest

from calsync.config import load_config
from calsync.config import parse_config
from calsync.errors import ConfigError
from calsync.errors import ExitCode
from calsync.model import Kind
from calsync.model import PlanRules
from calsync.model import TimeWindow

ROOT = Path(__file__).resolve().parents[2]
UTC = zoneinfo.ZoneInfo("UTC")
LONDON = zoneinfo.ZoneInfo("Europe/London")


def problems(raw: dict[str, object]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(raw, "test.toml", UTC)
    assert info.value.exit_code == ExitCode.CONFIG
    assert "test.toml" in info.value.message
    return info.value.problems


def test_no_config_at_all_gives_the_documented_defaults():
    config = parse_config({}, "defaults", LONDON)
    assert config.timezone == LONDON
    assert config.rules == PlanRules(timezone=LONDON)
    assert config.rules.sessions_per_week == 2
    assert config.rules.duration_minutes == 45
    assert config.rules.allowed_on == frozenset({"easy"})
    assert config.rules.day_before_interval == "avoid"
    assert config.weeks == 4
    assert not config.accounts


def test_example_config_parses_and_matches_defaults():
    raw = tomllib.loads((ROOT / "config.example.toml").read_text())
    config = parse_config(raw, "config.example.toml", UTC)
    defaults = parse_config({"timezone": "Europe/London"}, "defaults", UTC)
    assert config.rules == defaults.rules
    assert config.classify == defaults.classify
    assert config.sync == defaults.sync
    assert config.feed == defaults.feed
    assert config.daemon == defaults.daemon


def test_example_account_block_is_valid_once_uncommented():
    text = (ROOT / "config.example.toml").read_text()
    block = text[text.index("# [accounts.home]") :]
    uncommented = "\n".join(re.sub(r"^# ?", "", line) for line in block.splitlines())
    config = parse_config(tomllib.loads(uncommented), "example", UTC)
    account = config.account(None)
    assert account.name == "home"
    assert account.runs == ("Training",)
    assert account.busy == ("Work",)
    assert account.target == "Strength"
    assert account.verify_tls is True


def test_keys_other_tools_write_are_read():
    raw = {
        "timezone": "Europe/Berlin",
        "strength": {"sessions_per_week": 3, "duration_minutes": 40},
        "rules": {"allowed_on": ["easy", "rest"], "day_before_interval": "forbid"},
    }
    config = parse_config(raw, "t", UTC)
    assert config.timezone.key == "Europe/Berlin"
    assert config.rules.sessions_per_week == 3
    assert config.rules.duration_minutes == 40
    assert config.rules.allowed_on == frozenset({"easy", "rest"})
    assert config.rules.day_before_interval == "forbid"


def test_unknown_key_is_named_with_a_suggestion():
    (problem,) = problems({"strength": {"sesions_per_week": 2}})
    assert "[strength]" in problem
    assert "'sesions_per_week'" in problem
    assert "did you mean 'sessions_per_week'" in problem


def test_every_problem_is_reported_at_once():
    found = problems(
        {
            "timezone": "Europe/Londn",
            "strength": {"sessions_per_week": 9},
            "rules": {"day_before_interval": "maybe", "weekday_windows": ["21:00-06:00"]},
            "bogus": {},
        }
    )
    text = "\n".join(found)
    assert len(found) == 5
    assert "unknown time zone 'Europe/Londn'" in text
    assert "[strength] sessions_per_week = 9: expected a whole number from 0 to 7" in text
    assert "[rules] day_before_interval = 'maybe': expected one of 'allow', 'avoid', 'forbid'" in (
        text
    )
    assert "ends before it starts" in text
    assert "unknown section 'bogus'" in text


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({"strength": {"duration_minutes": "45"}}, "expected a whole number"),
        ({"strength": {"sessions_per_week": True}}, "expected a whole number"),
        ({"rules": {"allowed_on": ["long"]}}, "expected a non-empty list of 'easy' and 'rest'"),
        ({"rules": {"week_start": "funday"}}, "expected one of 'monday'"),
        ({"rules": {"weekend_windows": ["7-20"]}}, "expected time windows like '06:00-21:00'"),
        ({"rules": {"placement": "noon"}}, "expected one of 'after_run'"),
        ({"classify": {"long_km": 0}}, "expected a number from 1 to 200"),
        ({"classify": {"keywords": {"tempo": ["x"]}}}, "unknown key 'tempo'"),
        ({"feed": {"port": 70000}}, "expected a whole number from 0 to 65535"),
        ({"feed": {"public_url": "ftp://x"}}, "expected an http:// or https:// URL"),
        ({"accounts": {"home": {"username": "r"}}}, "[accounts.home] url: required"),
        ({"accounts": {"home": {"url": "https://x/", "password": "hunter2"}}}, "plain-text"),
        ({"plan": {"weeks": 0}}, "expected a whole number from 1 to 104"),
        ({"strength": "x"}, "[strength] must be a table"),
    ],
)
def test_bad_values_name_key_and_what_is_allowed(raw, fragment):
    text = "\n".join(problems(raw))
    assert fragment in text
    assert "hunter2" not in text


def test_week_start_windows_and_keywords_convert():
    config = parse_config(
        {
            "rules": {
                "week_start": "Sunday",
                "weekday_windows": ["17:00-21:00", "06:00-08:00"],
                "blackout_words": ["Race", "Wedding"],
            },
            "classify": {"keywords": {"interval": ["SST"], "other": ["walk"]}},
        },
        "t",
        UTC,
    )
    assert config.rules.week_start == 6
    assert config.rules.weekday_windows == (
        TimeWindow(dt.time(6), dt.time(8)),
        TimeWindow(dt.time(17), dt.time(21)),
    )
    assert config.rules.blackout_words == ("race", "wedding")
    assert config.classify.keywords == {Kind.INTERVAL: ("sst",), Kind.OTHER: ("walk",)}


def test_password_command_list_is_joined_and_accounts_choose():
    config = parse_config(
        {
            "accounts": {
                "a": {"url": "https://a.example/", "password_command": ["pass", "show", "x y"]},
                "b": {"url": "https://b.example/"},
            }
        },
        "t",
        UTC,
    )
    assert config.accounts["a"].password_command == "pass show 'x y'"
    assert config.account("b").url == "https://b.example/"
    with pytest.raises(ConfigError, match="several accounts"):
        config.account(None)
    with pytest.raises(ConfigError, match="no account 'c'"):
        config.account("c")


def test_load_config_missing_explicit_file_and_bad_toml(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml", UTC, env={})
    bad = tmp_path / "bad.toml"
    bad.write_text("timezone = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad, UTC, env={})


def test_load_config_default_path_follows_xdg(tmp_path):
    folder = tmp_path / "calsync"
    folder.mkdir()
    (folder / "config.toml").write_text('timezone = "Asia/Tokyo"\n')
    config = load_config(None, UTC, env={"XDG_CONFIG_HOME": str(tmp_path)})
    assert config.timezone.key == "Asia/Tokyo"
    fallback = load_config(None, UTC, env={"HOME": str(tmp_path / "none")})
    assert fallback.source.startswith("the defaults (no config file at ")
