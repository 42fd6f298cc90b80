"""The planner on hand-built weeks: which days, which slots, reasons and warnings."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest

from calsync.core.plan import plan
from calsync.core.plan import week_label
from calsync.core.plan import week_window
from calsync.core.sessions import TEMPLATES
from calsync.model import Block
from calsync.model import Classified
from calsync.model import Event
from calsync.model import Kind
from calsync.model import Plan
from calsync.model import PlanRules
from calsync.model import Template
from calsync.model import TimeWindow

LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC
MON = dt.date(2026, 11, 30)  # a Monday; Tue is 1 Dec
LONG_AGO = dt.datetime(2026, 1, 1, tzinfo=UTC)
BUFFER = dt.timedelta(minutes=15)


def day(n: int, base: dt.date = MON) -> dt.date:
    return base + dt.timedelta(days=n)


def at(when: dt.date, hour: int, minute: int = 0, tz: ZoneInfo = LONDON) -> dt.datetime:
    return dt.datetime.combine(when, dt.time(hour, minute), tzinfo=tz)


def item(
    when: dt.date,
    kind: Kind,
    summary: str,
    hour: int = 7,
    minutes: int = 50,
    *,
    minute: int = 0,
    **fields: object,
) -> Classified:
    start = at(when, hour, minute)
    uid = f"{summary}-{when}-{hour}:{minute}"
    event = Event(uid, start, start + dt.timedelta(minutes=minutes), summary, **fields)  # type: ignore[arg-type]
    return Classified(event, kind, "test")


def all_day(when: dt.date, kind: Kind, summary: str, days: int = 1, **fields: object) -> Classified:
    start = at(when, 0)
    end = at(when + dt.timedelta(days=days), 0)
    event = Event(f"{summary}-{when}", start, end, summary, all_day=True, **fields)  # type: ignore[arg-type]
    return Classified(event, kind, "test")


def canonical(base: dt.date = MON) -> list[Classified]:
    """Mon easy run, Tue intervals, Thu easy run, Sat long run."""
    return [
        item(day(0, base), Kind.EASY, "Easy 8 km"),
        item(day(1, base), Kind.INTERVAL, "Intervals 6x800", minutes=60),
        item(day(3, base), Kind.EASY, "Easy 6 km", minutes=40),
        item(day(5, base), Kind.LONG, "Long run 22 km", hour=8, minutes=120),
    ]


def rules(**fields: object) -> PlanRules:
    return PlanRules(LONDON, **fields)  # type: ignore[arg-type]


def run_plan(
    items: list[Classified],
    first: dt.date = MON,
    weeks: int = 1,
    now: dt.datetime = LONG_AGO,
    **fields: object,
) -> Plan:
    return plan(items, first, weeks, rules(**fields), now)


def days_of(result: Plan) -> list[dt.date]:
    return [b.start.astimezone(LONDON).date() for b in result.blocks]


def by_day(result: Plan) -> dict[dt.date, Block]:
    return {b.start.astimezone(LONDON).date(): b for b in result.blocks}


def elapsed(block: Block) -> dt.timedelta:
    return block.end.astimezone(UTC) - block.start.astimezone(UTC)


# --- weeks and labels ----------------------------------------------------------------------


def test_week_window_starts_on_the_configured_weekday():
    assert week_window(day(2), 1, 0) == (MON, day(6))
    assert week_window(day(2), 2, 0) == (MON, day(13))
    assert week_window(day(2), 1, 6) == (day(-1), day(5))  # Sunday weeks
    assert week_window(day(-1), 1, 6) == (day(-1), day(5))  # a Sunday starts its own week
    assert week_window(MON, 1, 6) == (day(-1), day(5))


@pytest.mark.parametrize("week_start", range(7))
def test_week_labels_are_unique_and_sort_in_date_order(week_start: int):
    first, _ = week_window(dt.date(2025, 12, 1), 1, week_start)
    firsts = [first + dt.timedelta(days=7 * i) for i in range(160)]  # three year ends
    labels = [week_label(f) for f in firsts]
    assert len(set(labels)) == len(labels)
    assert labels == sorted(labels)
    for f, label in zip(firsts, labels, strict=True):
        # the labelled ISO week holds at least four of the plan week's days
        inside = [f + dt.timedelta(days=i) for i in range(7)]
        iso = [f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}" for d in inside]
        assert iso.count(label) >= 4


def test_week_label_of_a_monday_week_is_its_iso_week():
    assert week_label(MON) == "{}-W{:02d}".format(*MON.isocalendar()[:2])
    assert week_label(dt.date(2026, 12, 28)) == "2026-W53"
    assert week_label(dt.date(2027, 1, 4)) == "2027-W01"


def test_week_label_of_a_sunday_week_is_the_iso_week_of_its_six_later_days():
    sunday = day(-1)
    assert week_label(sunday) == week_label(MON)


# --- the canonical week --------------------------------------------------------------------


def test_canonical_week_gives_monday_lighter_and_thursday():
    result = run_plan(canonical())
    assert days_of(result) == [day(0), day(3)]
    mon, thu = result.blocks
    assert mon.lighter and not thu.lighter
    assert mon.template == "light" and thu.template in {"a", "b"}
    assert mon.summary == "Strength (light)" and thu.summary == "Strength"
    assert mon.reason == (
        "Mon 30 Nov: easy run (Easy 8 km); day before intervals (Tue), lighter session: "
        "the only other compliant day is Thu"
    )
    assert thu.reason == "Thu 3 Dec: easy run (Easy 6 km)"
    assert [b.slot for b in result.blocks] == [f"{mon.week}/1", f"{mon.week}/2"]
    assert mon.week == week_label(MON)
    (report,) = result.weeks
    assert (report.week, report.first_day, report.placed, report.wanted) == (
        mon.week,
        MON,
        2,
        2,
    )
    assert report.warnings == ()


def test_canonical_blocks_go_right_after_the_run():
    items = canonical()
    result = run_plan(items)
    for block, run in zip(result.blocks, (items[0], items[2]), strict=True):
        assert block.start == run.event.end + BUFFER
        assert elapsed(block) == dt.timedelta(minutes=45)
    assert "Strength (light)" in result.blocks[0].description
    assert result.blocks[1].description.startswith("Strength A") or (
        result.blocks[1].description.startswith("Strength B")
    )


def test_full_sessions_alternate_a_and_b_from_week_to_week():
    items = canonical() + canonical(day(7)) + canonical(day(14))
    result = run_plan(items, weeks=3)
    full = [b.template for b in result.blocks if not b.lighter]
    assert len(full) == 3
    assert set(full) == {"a", "b"}
    assert all(x != y for x, y in itertools.pairwise(full))


def test_knee_friendly_rules_use_the_knee_friendly_sessions():
    result = run_plan(canonical(), knee_friendly=True)
    mon, thu = result.blocks
    assert mon.template == "knee-light" and thu.template.startswith("knee-")
    assert "leg extension" in thu.description


def test_user_templates_are_used_and_picked_by_flag():
    mine = (
        Template("legs", "Legs", "Legs: squat 5 × 3"),
        Template("fresh", "Fresh", "Fresh: jumps 2 × 3", lighter=True),
    )
    result = run_plan(canonical(), templates=mine)
    assert [b.template for b in result.blocks] == ["fresh", "legs"]
    assert [b.description for b in result.blocks] == [t.body for t in reversed(mine)]


def test_other_durations_scale_the_session_and_the_slot():
    result = run_plan(canonical(), duration_minutes=60)
    for block in result.blocks:
        assert elapsed(block) == dt.timedelta(minutes=60)
        assert "60 min" in block.description.splitlines()[0]


# --- the day before intervals --------------------------------------------------------------


def test_allow_uses_the_day_before_intervals_as_a_normal_day():
    result = run_plan(canonical(), day_before_interval="allow")
    assert days_of(result) == [day(0), day(3)]
    mon = result.blocks[0]
    assert not mon.lighter and mon.template in {"a", "b"} and mon.summary == "Strength"
    assert "day before intervals (Tue), allowed" in mon.reason


def test_forbid_never_uses_the_day_before_intervals_and_says_why():
    result = run_plan(canonical(), day_before_interval="forbid")
    assert days_of(result) == [day(3)]
    (report,) = result.weeks
    assert (report.placed, report.wanted) == (1, 2)
    assert "Mon skipped: day before intervals (Tue)" in report.warnings


def test_avoid_leaves_the_day_before_intervals_when_other_days_suffice():
    items = [*canonical(), item(day(6), Kind.EASY, "Easy 5 km")]
    result = run_plan(items)
    assert days_of(result) == [day(3), day(6)]
    assert not any(b.lighter for b in result.blocks)


def test_sunday_before_monday_intervals_in_the_next_week():
    items = [
        item(day(2), Kind.EASY, "Easy Wed"),
        item(day(6), Kind.EASY, "Easy Sun"),
        item(day(7), Kind.INTERVAL, "Track 5x1000"),  # Monday of the next week
    ]
    avoid = run_plan(items)
    assert days_of(avoid) == [day(2), day(6)]
    sunday = by_day(avoid)[day(6)]
    assert sunday.lighter
    assert "day before intervals (Mon 7 Dec)" in sunday.reason
    assert "the only other compliant day is Wed" in sunday.reason
    forbid = run_plan(items, day_before_interval="forbid")
    assert days_of(forbid) == [day(2)]
    assert "Sun skipped: day before intervals (Mon 7 Dec)" in forbid.weeks[0].warnings


def test_sunday_before_intervals_in_a_sunday_week_is_the_weeks_last_day():
    saturday = day(5)
    items = [
        item(day(1), Kind.EASY, "Easy Tue"),
        item(saturday, Kind.EASY, "Easy Sat"),
        item(day(6), Kind.INTERVAL, "Hills"),  # Sunday: first day of the next Sunday week
    ]
    result = run_plan(items, first=day(-1), week_start=6, day_before_interval="forbid")
    assert days_of(result) == [day(1)]
    assert "Sat skipped: day before intervals (Sun 6 Dec)" in result.weeks[0].warnings


def test_new_years_eve_before_new_years_day_intervals():
    monday = dt.date(2026, 12, 28)
    eve = dt.date(2026, 12, 31)
    items = [
        item(monday, Kind.EASY, "Easy"),
        item(eve, Kind.EASY, "Easy NYE"),
        item(dt.date(2027, 1, 1), Kind.INTERVAL, "New Year 5k race pace"),
    ]
    avoid = run_plan(items, first=monday)
    assert days_of(avoid) == [monday, eve]
    assert by_day(avoid)[eve].lighter
    assert (
        "Thu 31 Dec: easy run (Easy NYE); day before intervals (Fri)" in by_day(avoid)[eve].reason
    )
    forbid = run_plan(items, first=monday, day_before_interval="forbid")
    assert days_of(forbid) == [monday]
    assert "Thu skipped: day before intervals (Fri)" in forbid.weeks[0].warnings


def test_month_end_before_intervals_on_the_first():
    # Mon 30 Nov, intervals Tue 1 Dec: only a real-date look-up finds it
    items = [item(day(0), Kind.EASY, "Easy"), item(day(1), Kind.INTERVAL, "Intervals")]
    result = run_plan(items, day_before_interval="forbid", sessions_per_week=1)
    assert result.blocks == ()
    assert "Mon skipped: day before intervals (Tue)" in result.weeks[0].warnings


def test_long_run_tomorrow_is_not_an_interval_day():
    items = [item(day(4), Kind.EASY, "Easy Fri"), item(day(5), Kind.LONG, "Long run")]
    result = run_plan(items, day_before_interval="forbid", sessions_per_week=1)
    assert days_of(result) == [day(4)]
    assert not result.blocks[0].lighter


# --- which days ----------------------------------------------------------------------------


def test_only_one_easy_day_gives_one_block_and_a_warning():
    items = [
        item(day(1), Kind.INTERVAL, "Intervals"),
        item(day(3), Kind.EASY, "Easy"),
        item(day(5), Kind.LONG, "Long"),
    ]
    result = run_plan(items)
    assert days_of(result) == [day(3)]
    (report,) = result.weeks
    assert (report.placed, report.wanted) == (1, 2)
    assert report.warnings == ("only one easy day: Thu",)


def test_no_easy_days_says_so():
    items = [item(day(1), Kind.INTERVAL, "Intervals"), item(day(5), Kind.LONG, "Long")]
    result = run_plan(items)
    assert result.blocks == ()
    assert result.weeks[0].warnings == ("no easy-run days this week",)
    assert result.weeks[0].placed == 0


def test_never_on_a_day_with_an_interval_or_long_run_even_with_an_easy_run_too():
    items = [
        item(day(0), Kind.EASY, "Easy am", hour=6),
        item(day(0), Kind.INTERVAL, "Strides and reps pm", hour=18),
        item(day(2), Kind.EASY, "Easy"),
        item(day(2), Kind.LONG, "Long", hour=12, minutes=150),
        item(day(4), Kind.EASY, "Easy"),
    ]
    result = run_plan(items, allowed_on=frozenset({"easy", "rest"}))
    assert day(0) not in days_of(result) and day(2) not in days_of(result)
    assert day(4) in days_of(result)


def test_rest_in_allowed_on_allows_run_free_days_after_the_easy_ones():
    items = [
        item(day(1), Kind.INTERVAL, "Intervals"),
        item(day(3), Kind.EASY, "Easy"),
        item(day(5), Kind.LONG, "Long"),
    ]
    result = run_plan(items, allowed_on=frozenset({"easy", "rest"}))
    blocks = by_day(result)
    assert len(blocks) == 2 and day(3) in blocks  # the easy day first
    (rest,) = (d for d in blocks if d != day(3))
    assert rest not in {day(1), day(5)}  # never on the hard days
    assert abs((rest - day(3)).days) > 1  # nor next to Thu
    assert rest != day(0)  # Mon is the day before intervals and other days suffice
    assert blocks[rest].reason.endswith("rest day (no run)")
    assert result.weeks[0].warnings == ()


def test_a_multi_day_event_marks_every_day_it_covers():
    items = [
        *canonical(),
        item(day(5), Kind.LONG, "Ultra", hour=22, minutes=60 * 8),  # Sat 22:00 - Sun 06:00
        item(day(6), Kind.EASY, "Easy Sun", hour=17),
    ]
    result = run_plan(items, sessions_per_week=3, min_rest_days=0)
    assert day(6) not in days_of(result)


def test_blackout_words_keep_the_day_free_and_say_why():
    items = [*canonical(), all_day(day(3), Kind.OTHER, "Travel to Berlin", busy=False)]
    result = run_plan(items)
    assert days_of(result) == [day(0)]
    assert 'Thu: blackout ("Travel to Berlin")' in result.weeks[0].warnings


def test_blackout_matches_whole_words_in_any_calendar_and_any_case():
    timed = item(day(3), Kind.OTHER, "Parkrun RACE", hour=19, minutes=30, runs_source=False)
    assert day(3) not in days_of(run_plan([*canonical(), timed]))
    partial = item(day(3), Kind.OTHER, "Racecourse visit", hour=19, minutes=30)
    assert day(3) in days_of(run_plan([*canonical(), partial]))
    custom = item(day(3), Kind.OTHER, "Dentist", hour=19, minutes=30)
    assert day(3) not in days_of(run_plan([*canonical(), custom], blackout_words=("dentist",)))


def test_the_users_own_strength_session_counts_and_is_spaced_from():
    gym = item(day(2), Kind.STRENGTH, "Gym", hour=18, minutes=60)
    result = run_plan([*canonical(), gym])
    assert days_of(result) == [day(0)]  # Thu would follow Wed's gym
    (report,) = result.weeks
    assert (report.placed, report.wanted) == (2, 2)


def test_own_sessions_that_fill_the_quota_leave_nothing_to_place():
    gyms = [item(day(d), Kind.STRENGTH, "Gym", hour=18) for d in (2, 4)]
    result = run_plan([*canonical(), *gyms])
    assert result.blocks == ()
    assert (result.weeks[0].placed, result.weeks[0].wanted) == (2, 2)
    assert result.weeks[0].warnings == ()


def test_rest_days_between_sessions_across_the_week_boundary():
    items = [
        item(day(6), Kind.EASY, "Easy Sun"),  # the only easy day of week 1
        item(day(7), Kind.EASY, "Easy Mon"),
        item(day(10), Kind.EASY, "Easy Thu"),
    ]
    result = run_plan(items, weeks=2)
    assert days_of(result) == [day(6), day(10)]
    assert result.weeks[1].warnings == (
        "Mon: too close to strength on Sun 6 Dec (needs a rest day between)",
    )
    no_rest = run_plan(items, weeks=2, min_rest_days=0)
    assert days_of(no_rest) == [day(6), day(7), day(10)]


def test_more_rest_days_spread_the_sessions_further():
    items = [item(day(d), Kind.EASY, f"Easy {d}") for d in range(7)]
    result = run_plan(items, min_rest_days=2, sessions_per_week=3)
    placed = days_of(result)
    assert len(placed) == 3
    assert all((b - a).days > 2 for a, b in itertools.pairwise(placed))


def test_spread_prefers_the_widest_gaps_then_the_earliest_days():
    items = [item(day(d), Kind.EASY, f"Easy {d}") for d in (0, 2, 3, 4)]
    assert days_of(run_plan(items)) == [day(0), day(3)]


def test_managed_blocks_in_the_input_change_nothing():
    first = run_plan(canonical())
    managed = [
        Classified(
            Event(
                f"calsync-{b.slot}",
                b.start,
                b.end,
                b.summary,
                managed=True,
                calsync={"slot": b.slot},
            ),
            Kind.STRENGTH,
            "calsync block",
        )
        for b in first.blocks
    ]
    stray = Classified(
        Event("calsync-old", at(day(3), 8), at(day(3), 20), "Strength", managed=True),
        Kind.STRENGTH,
        "an old block",
    )
    assert run_plan([*canonical(), *managed, stray]) == first


# --- the slot inside the day ---------------------------------------------------------------


def test_a_busy_meeting_pushes_the_slot_past_it_and_its_buffer():
    meeting = item(day(3), Kind.OTHER, "Standup", hour=8, minutes=90, source="work.ics")
    result = run_plan(
        [*canonical(), meeting], weekday_windows=(TimeWindow(dt.time(7), dt.time(21)),)
    )
    thu = by_day(result)[day(3)]
    assert thu.start == meeting.event.end + BUFFER


def test_earliest_and_latest_placement():
    windows = (TimeWindow(dt.time(6), dt.time(21)),)
    early = by_day(run_plan(canonical(), placement="earliest", weekday_windows=windows))
    late = by_day(run_plan(canonical(), placement="latest", weekday_windows=windows))
    assert early[day(3)].start.astimezone(LONDON).time() == dt.time(6)
    assert late[day(3)].end.astimezone(LONDON).time() == dt.time(21)


def test_earliest_keeps_the_buffer_around_the_run():
    # Thu run 07:00-07:40: with 15 min, 06:00-06:45 just fits before it
    assert by_day(run_plan(canonical(), placement="earliest"))[day(3)].start == at(day(3), 6)
    # with 30 min it does not; after it: 07:40 + 30 = 08:10, next quarter-hour 08:15
    result = run_plan(canonical(), placement="earliest", buffer_minutes=30)
    assert by_day(result)[day(3)].start == at(day(3), 8, 15)


def test_no_free_slot_says_where_it_looked():
    busy = [item(day(3), Kind.OTHER, f"Meeting {h}", hour=h, minutes=60) for h in range(6, 21)]
    result = run_plan([*canonical(), *busy])
    assert days_of(result) == [day(0)]
    assert "Thu: no free 45-min slot between 06:00 and 21:00" in result.weeks[0].warnings


def test_several_windows_are_all_named_in_the_warning():
    busy = [item(day(3), Kind.OTHER, f"Meeting {h}", hour=h, minutes=60) for h in range(6, 21)]
    windows = (TimeWindow(dt.time(6), dt.time(9)), TimeWindow(dt.time(17), dt.time(21)))
    result = run_plan([*canonical(), *busy], weekday_windows=windows)
    assert (
        "Thu: no free 45-min slot between 06:00 and 09:00 or between 17:00 and 21:00"
        in result.weeks[0].warnings
    )


def test_weekend_windows_apply_on_saturday_and_sunday():
    items = [item(day(6), Kind.EASY, "Easy Sun", hour=6, minutes=30)]
    result = run_plan(
        items, sessions_per_week=1, weekend_windows=(TimeWindow(dt.time(10), dt.time(12)),)
    )
    (block,) = result.blocks
    assert block.start.astimezone(LONDON).time() == dt.time(10)


def test_an_all_day_run_does_not_block_the_hours():
    items = [
        item(day(0), Kind.EASY, "Easy"),
        all_day(day(3), Kind.EASY, "Easy run (any time)"),
    ]
    result = run_plan(items)
    assert days_of(result) == [day(0), day(3)]
    # No run time to follow: the block goes where it usually goes (after the 07:00-07:50
    # run + 15 min buffer), not at the window's first minute.
    assert by_day(result)[day(3)].start.astimezone(LONDON).time() == dt.time(8, 5)
    assert by_day(result)[day(0)].start.astimezone(LONDON).time() == dt.time(8, 5)


def test_a_transparent_all_day_event_does_not_block():
    items = [*canonical(), all_day(day(3), Kind.OTHER, "Mum's birthday", busy=False)]
    assert days_of(run_plan(items)) == [day(0), day(3)]


def test_a_busy_all_day_event_blocks_the_day():
    items = [*canonical(), all_day(day(2), Kind.OTHER, "Conference", days=2)]
    result = run_plan(items)
    assert days_of(result) == [day(0)]
    assert 'Thu: busy all day ("Conference")' in result.weeks[0].warnings


def test_a_meeting_over_midnight_blocks_the_next_morning_with_its_buffer():
    items = [
        item(day(3), Kind.EASY, "Easy Thu", hour=18),
        item(day(2), Kind.OTHER, "Night shift", hour=22, minutes=60 * 8 + 20),  # to 06:20
    ]
    result = run_plan(items, sessions_per_week=1, placement="earliest")
    assert result.blocks[0].start.astimezone(LONDON).time() == dt.time(6, 45)


# --- clocks: DST and now -------------------------------------------------------------------

SPRING = dt.date(2027, 3, 28)  # Sunday: London clocks go 01:00 GMT -> 02:00 BST
SPRING_MON = dt.date(2027, 3, 22)


def spring(**fields: object) -> Plan:
    items = [
        item(SPRING, Kind.EASY, "Easy Sun", hour=9),
        # busy until 00:50 GMT, so the first free quarter-hour is in the gap
        item(SPRING, Kind.OTHER, "Late party", hour=0, minutes=50),
    ]
    base: dict[str, object] = {
        "sessions_per_week": 1,
        "buffer_minutes": 0,
        "placement": "earliest",
    }
    return run_plan(items, first=SPRING_MON, **(base | fields))


def assert_real_local_time(instant: dt.datetime) -> None:
    local = instant.astimezone(LONDON)
    back = local.astimezone(UTC).astimezone(LONDON)
    assert back.replace(tzinfo=None) == local.replace(tzinfo=None)
    assert not (dt.time(1) <= local.time() < dt.time(2))  # the gap of 28 Mar 2027


def test_dst_spring_forward_never_places_in_the_gap():
    result = spring(weekend_windows=(TimeWindow(dt.time(1), dt.time(3)),))
    (block,) = result.blocks
    assert_real_local_time(block.start)
    assert_real_local_time(block.end)
    assert block.start.astimezone(LONDON).time() == dt.time(2)  # first real time after 00:50
    assert elapsed(block) == dt.timedelta(minutes=45)


def test_dst_window_inside_the_gap_has_no_slot():
    result = spring(weekend_windows=(TimeWindow(dt.time(1), dt.time(2)),))
    assert result.blocks == ()
    assert "Sun: no free 45-min slot between 01:00 and 02:00" in result.weeks[0].warnings


def test_dst_duration_is_elapsed_time_across_the_jump():
    items = [item(SPRING, Kind.EASY, "Easy Sun", hour=9)]
    result = run_plan(
        items,
        first=SPRING_MON,
        sessions_per_week=1,
        placement="earliest",
        weekend_windows=(TimeWindow(dt.time(0, 30), dt.time(2, 30)),),
    )
    (block,) = result.blocks
    start, end = block.start.astimezone(LONDON), block.end.astimezone(LONDON)
    assert start.time() == dt.time(0, 30)
    assert_real_local_time(block.end)
    assert elapsed(block) == dt.timedelta(minutes=45)
    assert end.time() == dt.time(2, 15)  # 45 real minutes read 1 h 45 on the wall clock


def test_dst_window_ending_in_the_gap_is_not_stretched():
    items = [item(SPRING, Kind.EASY, "Easy Sun", hour=9)]
    night = (TimeWindow(dt.time(0, 15), dt.time(1, 30)),)  # 01:30 never shows on the clock
    short = run_plan(
        items,
        first=SPRING_MON,
        sessions_per_week=1,
        duration_minutes=30,
        placement="earliest",
        weekend_windows=night,
    )
    (block,) = short.blocks
    assert block.start.astimezone(LONDON).time() == dt.time(0, 15)
    assert block.end.astimezone(LONDON).time() == dt.time(0, 45)
    # 45 real minutes from 00:15 GMT end at the jump (02:00 BST): the window's real end
    full = run_plan(
        items, first=SPRING_MON, sessions_per_week=1, placement="earliest", weekend_windows=night
    )
    (block,) = full.blocks
    assert block.start.astimezone(LONDON).time() == dt.time(0, 15)
    assert block.end.astimezone(LONDON).time() == dt.time(2)
    assert elapsed(block) == dt.timedelta(minutes=45)
    late = run_plan(
        items, first=SPRING_MON, sessions_per_week=1, placement="latest", weekend_windows=night
    )
    assert late.blocks == full.blocks  # nothing later fits before the jump


FALL = dt.date(2027, 10, 31)  # Sunday: London clocks go 02:00 BST -> 01:00 GMT


def test_dst_fall_back_block_never_spans_the_repeated_hour():
    items = [item(FALL, Kind.EASY, "Easy Sun", hour=9)]
    result = run_plan(
        items,
        first=dt.date(2027, 10, 25),
        sessions_per_week=1,
        placement="earliest",
        weekend_windows=(TimeWindow(dt.time(1, 30), dt.time(3)),),
    )
    (block,) = result.blocks
    start, end = block.start.astimezone(LONDON), block.end.astimezone(LONDON)
    assert start.utcoffset() == end.utcoffset()  # both on the same side of the change
    assert start.time() >= dt.time(1, 30)
    assert elapsed(block) == dt.timedelta(minutes=45)


def test_dst_after_run_on_the_short_day_is_still_45_real_minutes():
    items = [item(SPRING, Kind.EASY, "Easy Sun", hour=0, minutes=30)]  # ends 00:30 GMT
    result = run_plan(
        items,
        first=SPRING_MON,
        sessions_per_week=1,
        weekend_windows=(TimeWindow(dt.time(0), dt.time(4)),),
    )
    (block,) = result.blocks
    assert block.start == items[0].event.end + BUFFER
    assert_real_local_time(block.end)
    assert elapsed(block) == dt.timedelta(minutes=45)


def test_never_in_the_past_when_now_is_mid_week():
    now = at(day(2), 12).astimezone(UTC)  # Wed noon: Mon is gone
    result = run_plan(canonical(), now=now)
    assert days_of(result) == [day(3)]
    assert all(b.start >= now for b in result.blocks)
    assert result.weeks[0].warnings[0] == "week already started: 5 days left"


def test_today_is_used_only_after_now():
    now = at(day(3), 10, 7)  # Thu 10:07, the run ended at 07:40
    result = run_plan(canonical(), now=now)
    (thu,) = result.blocks
    assert thu.start >= now
    assert thu.start.astimezone(LONDON).time() == dt.time(10, 15)  # the next quarter-hour


def test_a_week_with_one_day_left():
    now = at(day(6), 5)
    result = run_plan(canonical(), now=now)
    assert result.blocks == ()
    assert result.weeks[0].warnings[0] == "week already started: 1 day left"


def test_today_without_time_left_says_so():
    now = at(day(3), 20, 30)
    result = run_plan(canonical(), now=now)
    assert result.blocks == ()
    assert "Thu: no free 45-min slot between 06:00 and 21:00 after 20:30" in (
        result.weeks[0].warnings
    )


# --- determinism ---------------------------------------------------------------------------


def test_input_order_does_not_matter():
    items = [
        *canonical(),
        *canonical(day(7)),
        item(day(3), Kind.OTHER, "Standup", hour=8, minutes=30),
        all_day(day(9), Kind.OTHER, "Travel"),
    ]
    expected = run_plan(items, weeks=2)
    assert run_plan(list(reversed(items)), weeks=2) == expected
    assert run_plan(items[3:] + items[:3], weeks=2) == expected


def test_blocks_are_plain_values():
    block = run_plan(canonical()).blocks[0]
    assert dataclasses.replace(block) == block
    assert block.start.tzinfo is LONDON


def test_built_in_templates_are_what_the_plan_uses():
    names = {t.name for t in TEMPLATES}
    result = run_plan(canonical() + canonical(day(7)), weeks=2)
    assert {b.template for b in result.blocks} <= names


# --- found by adversarial use -----------------------------------------------------------------


def test_a_meeting_right_after_the_run_moves_the_block_later_not_to_dawn():
    # Thu: run 07:00-07:50, meeting 08:00-09:00. The block used to fall back to 06:00 (before
    # the run); the first free slot after the run is 09:15 (meeting end + buffer).
    items = [
        item(day(0), Kind.EASY, "Easy run"),
        item(day(3), Kind.EASY, "Easy run"),
        item(day(3), Kind.OTHER, "Meeting", hour=8, minutes=60),
    ]
    result = run_plan(items)
    assert [b.start for b in result.blocks] == [at(day(0), 8, 5), at(day(3), 9, 15)]


def test_an_event_that_never_ends_does_not_overflow():
    forever = Event("forever", at(day(2), 12), dt.datetime.max.replace(tzinfo=UTC), "Away")
    items = [
        item(day(0), Kind.EASY, "Easy run"),
        item(day(3), Kind.EASY, "Easy run"),
        Classified(forever, Kind.OTHER, "test"),
    ]
    result = run_plan(items)
    assert [b.day for b in result.blocks] == [day(0)]
    assert any(w.startswith("Thu: no free") for w in result.weeks[0].warnings)


def test_a_public_bank_holiday_is_no_blackout_but_a_holiday_trip_is():
    items = [
        item(day(0), Kind.EASY, "Easy run"),
        item(day(3), Kind.EASY, "Easy run"),
        all_day(day(0), Kind.OTHER, "Early May bank holiday", busy=False),
        all_day(day(3), Kind.OTHER, "Holiday in Spain", busy=False),
    ]
    result = run_plan(items)
    assert days_of(result) == [day(0)]
    assert result.weeks[0].warnings[-1] == 'Thu: blackout ("Holiday in Spain")'
