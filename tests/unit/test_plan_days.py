"""The planner's answer for every day (issue 8, item 4), race weeks (item 6) and the time of a
block on a day whose run has no time (item 7), on hand-built weeks."""

from __future__ import annotations

import datetime as dt

import pytest

from calsync.core.plan import VERDICTS
from calsync.core.plan import plan
from calsync.model import Classified
from calsync.model import Kind
from calsync.model import Plan
from calsync.model import WeekReport
from tests.unit.test_plan import LONDON
from tests.unit.test_plan import LONG_AGO
from tests.unit.test_plan import MON
from tests.unit.test_plan import all_day
from tests.unit.test_plan import by_day
from tests.unit.test_plan import canonical
from tests.unit.test_plan import day
from tests.unit.test_plan import days_of
from tests.unit.test_plan import elapsed
from tests.unit.test_plan import item
from tests.unit.test_plan import rules
from tests.unit.test_plan import run_plan


def verdicts(report: WeekReport) -> dict[str, tuple[str, str]]:
    names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    return {names[d.date.weekday()]: (d.code, d.reason) for d in report.days}


def codes(report: WeekReport) -> dict[str, str]:
    return {name: code for name, (code, _) in verdicts(report).items()}


def race(when: dt.date, summary: str, km: float, hour: int = 9, minutes: int = 240) -> Classified:
    got = item(when, Kind.INTERVAL, summary, hour, minutes)
    return Classified(got.event, got.kind, "race", distance_km=km)


# --- a verdict for every day ------------------------------------------------------------------


def test_the_canonical_week_has_a_verdict_for_each_of_its_seven_days():
    (week,) = run_plan(canonical()).weeks
    assert [d.date for d in week.days] == [day(i) for i in range(7)]
    assert codes(week) == {
        "Mon": "strength",
        "Tue": "interval",
        "Wed": "rest_day",
        "Thu": "strength",
        "Fri": "rest_day",
        "Sat": "long",
        "Sun": "rest_day",
    }
    texts = verdicts(week)
    assert texts["Wed"][1] == "no run (rest day; allowed_on = easy)"
    assert texts["Sat"][1] == 'long run ("Long run 22 km")'
    assert texts["Tue"][1] == 'intervals ("Intervals 6x800")'
    assert texts["Mon"][1].startswith("strength at 08:05 (Lighter session): easy run")
    assert "day before intervals (Tue)" in texts["Mon"][1]
    assert texts["Thu"][1].startswith("strength at 07:55 (Session ")  # the 40-min run


def test_an_avoided_day_before_intervals_names_the_days_that_work():
    items = [
        item(day(0), Kind.EASY, "Easy"),
        item(day(2), Kind.EASY, "Easy"),
        item(day(4), Kind.EASY, "Easy"),
        item(day(5), Kind.INTERVAL, "Hills 8 x 60 s"),
    ]
    (week,) = run_plan(items).weeks
    assert days_of(run_plan(items)) == [day(0), day(2)]
    assert verdicts(week)["Fri"] == (
        "day_before_interval",
        "day before intervals (Sat; avoided: Mon, Wed work)",
    )


def test_a_compliant_day_not_chosen_says_where_the_sessions_went():
    items = [item(day(n), Kind.EASY, "Easy") for n in (0, 2, 4, 6)]
    result = run_plan(items)
    assert days_of(result) == [day(0), day(4)]  # the most spread-out pair
    texts = verdicts(result.weeks[0])
    assert texts["Wed"] == ("not_chosen", "easy run, not chosen (two sessions already: Mon, Fri)")
    assert texts["Sun"][0] == "not_chosen"


def test_spacing_blackouts_busy_days_and_the_past_have_their_own_codes():
    items = [
        item(day(0), Kind.EASY, "Easy"),
        item(day(1), Kind.EASY, "Easy"),
        item(day(1), Kind.OTHER, "Workshop", hour=6, minutes=15 * 60),
        item(day(2), Kind.EASY, "Easy"),
        all_day(day(2), Kind.OTHER, "Travel to Leeds"),
        item(day(3), Kind.EASY, "Easy"),
        all_day(day(3), Kind.OTHER, "Conference"),
        item(day(4), Kind.STRENGTH, "Gym"),
        item(day(6), Kind.EASY, "Easy", hour=6, minutes=30),
    ]
    now = dt.datetime.combine(day(1), dt.time(12), tzinfo=LONDON)
    (week,) = run_plan(items, now=now).weeks
    got = verdicts(week)
    assert got["Mon"] == ("past", "in the past")
    assert got["Tue"] == ("no_slot", "no free 45-min slot between 06:00 and 21:00 after 12:00")
    assert got["Wed"] == ("blackout", 'blackout ("Travel to Leeds")')
    assert got["Thu"] == ("busy_all_day", 'busy all day ("Conference")')
    assert got["Fri"] == ("own_strength", "your own strength session")
    assert got["Sat"] == ("rest_day", "no run (rest day; allowed_on = easy)")
    assert got["Sun"][0] == "strength"


def test_when_own_sessions_fill_the_week_the_other_easy_days_are_not_needed():
    items = [
        item(day(0), Kind.STRENGTH, "Gym"),
        item(day(2), Kind.EASY, "Easy"),
        item(day(3), Kind.STRENGTH, "Gym"),
        item(day(5), Kind.EASY, "Easy"),
    ]
    (week,) = run_plan(items).weeks
    assert codes(week)["Wed"] == "too_close"  # next to Thursday's own session
    assert verdicts(week)["Sat"] == (
        "not_needed",
        "your own strength sessions already fill the week",
    )
    assert week.placed == 2 and not week.warnings


def test_forbidden_day_before_intervals_and_a_run_of_a_kind_not_allowed():
    result = run_plan(canonical(), day_before_interval="forbid", allowed_on=frozenset({"rest"}))
    got = verdicts(result.weeks[0])
    assert got["Mon"] == ("not_allowed", 'easy run ("Easy 8 km"); allowed_on = rest')
    result = run_plan(canonical(), day_before_interval="forbid")
    got = verdicts(result.weeks[0])
    assert got["Mon"] == (
        "day_before_interval",
        "day before intervals (Tue): not used (day_before_interval = forbid)",
    )
    assert "Mon skipped: day before intervals (Tue)" in result.weeks[0].warnings


@pytest.mark.parametrize("weeks", [1, 3])
def test_every_code_is_from_the_fixed_vocabulary(weeks: int):
    items = [*canonical(), *canonical(day(7)), race(day(20), "Berlin Marathon", 42.2)]
    result = run_plan(items, weeks=weeks)
    for week in result.weeks:
        assert len(week.days) == 7
        assert all(d.code in VERDICTS and d.reason for d in week.days)


# --- race weeks -------------------------------------------------------------------------------


def marathon_block() -> list[Classified]:
    """Two canonical weeks, then a race week: Mon easy, Tue sharpener, Thu easy, Sat shakeout,
    Sun marathon; then a week of easy running."""
    race_week = day(14)
    return [
        *canonical(),
        *canonical(day(7)),
        item(race_week, Kind.EASY, "Easy 6 km", minutes=40),
        item(day(1, race_week), Kind.INTERVAL, "Sharpener 5 x 1 km", minutes=50),
        item(day(3, race_week), Kind.EASY, "Easy 5 km", minutes=35),
        item(day(5, race_week), Kind.EASY, "Shakeout 3 km", minutes=20),
        race(day(6, race_week), "Valencia Marathon", 42.2),
        *(item(day(n, day(21)), Kind.EASY, "Easy") for n in (0, 1, 3, 5)),
    ]


def test_race_week_gets_one_short_activation_and_no_heavy_session():
    result = run_plan(marathon_block(), weeks=4)
    race_week = result.weeks[2]
    blocks = [b for b in result.blocks if b.week == race_week.week]
    (activation,) = blocks
    assert activation.template == "activation"
    assert activation.start.astimezone(LONDON).date() == day(17)  # Thu: Mon is before Tue's
    assert elapsed(activation) == dt.timedelta(minutes=25)
    assert activation.summary == "Strength (activation)"
    assert "no heavy lifts" in activation.reason and "Valencia Marathon" in activation.reason
    text = activation.description.lower()
    assert "25 min" in text.splitlines()[0]
    for heavy in ("squat 4", "deadlift", "hip thrust 4", "box jump", "bounding", "broad jump"):
        assert heavy not in text
    assert (race_week.placed, race_week.wanted, race_week.warnings) == (1, 1, ())
    got = codes(race_week)
    assert got["Sun"] == "race"
    assert got["Sat"] == "day_before_interval"
    assert verdicts(race_week)["Sat"][1] == "day before the race (Sun; avoided: Thu works)"


def test_the_weeks_before_keep_their_full_sessions_and_the_week_after_rests_first():
    result = run_plan(marathon_block(), weeks=4)
    assert [b.template != "activation" for b in result.blocks if b.week <= result.weeks[1].week]
    assert {b.template for b in result.blocks[:4]} <= {"a", "b", "light"}
    after = result.weeks[3]
    got = verdicts(after)
    assert got["Mon"] == (
        "recovery",
        'recovery after "Valencia Marathon" (Sun 20 Dec): no strength',
    )
    assert got["Tue"][0] == "recovery"
    assert days_of(Plan(tuple(b for b in result.blocks if b.week == after.week), ())) == [
        day(24),
        day(26),
    ]


def test_taper_and_recovery_days_are_configurable():
    result = run_plan(marathon_block(), weeks=4, taper_days=0, recovery_days_after_race=0)
    assert all(b.template != "activation" for b in result.blocks)
    assert [w.wanted for w in result.weeks] == [2, 2, 2, 2]
    assert "recovery" not in codes(result.weeks[3]).values()
    result = run_plan(marathon_block(), weeks=4, taper_days=3, recovery_days_after_race=1)
    race_week = [b for b in result.blocks if b.week == result.weeks[2].week]
    assert [(b.start.date(), b.template) for b in race_week][-1] == (day(17), "activation")
    assert codes(result.weeks[3])["Tue"] != "recovery"


@pytest.mark.parametrize(
    ("summary", "km", "goal"),
    [
        ("Berlin Marathon", 42.2, True),
        ("Semi-marathon de Paris", 21.1, True),
        ("Race: Hyde Park 10k", 10.0, True),
        ("5k race", 5.0, False),  # a tune-up, not a goal race
        ("parkrun", 5.0, False),
        ("Race day", None, False),
        ("Tempo 3 x 3 km @ marathon pace", 9.0, False),
        ("Marathon pace 2 x 5 km", 10.0, False),
    ],
)
def test_which_races_are_goal_races(summary: str, km: float | None, goal: bool):
    items = [*canonical(day(7)), race(day(13), summary, km or 0.0)]
    result = run_plan(items, first=day(7))
    thu = next(d for d in result.weeks[0].days if d.date == day(10))
    assert (thu.code == "strength" and "activation" in thu.reason) is goal
    assert (codes(result.weeks[0])["Sun"] == "race") is goal


def test_no_recovery_days_after_a_10k():
    items = [race(day(6), "Race: Hyde Park 10k", 10.0), *canonical(day(7))]
    result = run_plan(items, first=day(7))
    assert codes(result.weeks[0])["Mon"] == "strength"


def test_a_race_past_the_plan_weeks_still_tapers_their_last_days():
    items = [*canonical(), race(day(9), "Valencia Marathon", 42.2)]
    result = plan(items, MON, 1, rules(), LONG_AGO)
    # Wed 9 Dec is 6 days after Thu (taper: an activation) and 9 after Mon (a full session)
    assert [b.template for b in result.blocks] == ["light", "activation"]


# --- where a block goes when its run has no time ----------------------------------------------


def test_an_all_day_run_gets_the_preferred_time_when_one_is_configured():
    items = [item(day(0), Kind.EASY, "Easy"), all_day(day(3), Kind.EASY, "Run: Easy Aerobic")]
    result = run_plan(items, preferred_time=dt.time(12, 30))
    assert by_day(result)[day(3)].start.astimezone(LONDON).time() == dt.time(12, 30)
    assert by_day(result)[day(0)].start.astimezone(LONDON).time() == dt.time(8, 5)  # after it


def test_an_all_day_run_follows_the_runners_usual_evening_run():
    items = [
        item(day(-7), Kind.EASY, "Easy", hour=18, minutes=45),
        item(day(-4), Kind.EASY, "Easy", hour=18, minutes=45),
        all_day(day(0), Kind.EASY, "Run: Easy Aerobic"),
        all_day(day(3), Kind.EASY, "Run: Easy Aerobic"),
    ]
    result = run_plan(items)
    assert [b.start.astimezone(LONDON).time() for b in result.blocks] == [dt.time(19)] * 2


def test_the_usual_time_taken_moves_the_block_later_that_day():
    items = [
        item(day(0), Kind.EASY, "Easy", hour=18, minutes=45),
        all_day(day(3), Kind.EASY, "Run: Easy Aerobic"),
        item(day(3), Kind.OTHER, "Dinner", hour=18, minutes=60, busy=True),
    ]
    result = run_plan(items)
    # 19:00 clashes with dinner (+ buffer): the first free slot after it, not 06:00
    assert by_day(result)[day(3)].start.astimezone(LONDON).time() == dt.time(19, 15)


def test_with_no_timed_run_at_all_an_all_day_run_keeps_the_earliest_slot():
    items = [all_day(day(0), Kind.EASY, "Run"), all_day(day(3), Kind.EASY, "Run")]
    result = run_plan(items)
    assert [b.start.astimezone(LONDON).time() for b in result.blocks] == [dt.time(6)] * 2


def test_the_preferred_time_does_not_move_blocks_after_timed_runs_nor_other_placements():
    result = run_plan(canonical(), preferred_time=dt.time(12))
    assert [b.start.astimezone(LONDON).time() for b in result.blocks] == [
        dt.time(8, 5),
        dt.time(7, 55),
    ]
    items = [all_day(day(0), Kind.EASY, "Run"), all_day(day(3), Kind.EASY, "Run")]
    result = run_plan(items, preferred_time=dt.time(12), placement="earliest")
    assert [b.start.astimezone(LONDON).time() for b in result.blocks] == [dt.time(6)] * 2


def test_a_preferred_time_outside_the_window_falls_back_to_a_free_slot():
    items = [all_day(day(0), Kind.EASY, "Run"), all_day(day(3), Kind.EASY, "Run")]
    result = run_plan(items, preferred_time=dt.time(22))
    assert len(result.blocks) == 2  # 22:00 is past the 21:00 window end: the earliest slot
    assert all(b.start.astimezone(LONDON).time() == dt.time(6) for b in result.blocks)


def test_events_are_not_needed_in_order():
    items = marathon_block()
    assert run_plan(items[::-1], weeks=4) == run_plan(items, weeks=4)
