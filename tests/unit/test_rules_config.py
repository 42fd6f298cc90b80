"""The [rules] keys of issue 8 (race weeks, the preferred time) and where the zone came from."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from calsync.config import parse_config
from calsync.config import with_timezone
from calsync.errors import ConfigError

UTC = zoneinfo.ZoneInfo("UTC")
MELBOURNE = zoneinfo.ZoneInfo("Australia/Melbourne")


def test_race_and_time_keys_default_and_parse():
    rules = parse_config({}, "defaults", UTC).rules
    assert (rules.taper_days, rules.recovery_days_after_race, rules.preferred_time) == (7, 2, None)
    raw = {"rules": {"taper_days": 10, "recovery_days_after_race": 3, "preferred_time": "07:30"}}
    rules = parse_config(raw, "test.toml", UTC).rules
    assert (rules.taper_days, rules.recovery_days_after_race) == (10, 3)
    assert rules.preferred_time == dt.time(7, 30)


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("taper_days", 29, "from 0 to 28"),
        ("taper_days", "7", "whole number"),
        ("recovery_days_after_race", -1, "from 0 to 14"),
        ("preferred_time", "7am", "like '07:00'"),
        ("preferred_time", "25:00", "like '07:00'"),
        ("preferred_time", 7, "a string"),
    ],
)
def test_bad_values_are_named_in_one_line(key: str, value: object, words: str):
    with pytest.raises(ConfigError) as info:
        parse_config({"rules": {key: value}}, "test.toml", UTC)
    (problem,) = info.value.problems
    assert f"[rules] {key}" in problem and words in problem


def test_the_config_says_whether_it_set_the_zone():
    assert not parse_config({}, "defaults", UTC).timezone_set
    assert parse_config({"timezone": "UTC"}, "test.toml", UTC).timezone_set  # even the same
    moved = with_timezone(parse_config({}, "defaults", UTC), MELBOURNE)
    assert moved.timezone == moved.rules.timezone == MELBOURNE
