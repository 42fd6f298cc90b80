"""The planner's invariants on generated weeks (Hypothesis), one rule per test.

The weeks cross the London spring-forward night (28 Mar 2027), and the windows include a night
window, so DST gaps are exercised. Every check is computed here from the input, independently
of the planner's own bookkeeping.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from calsync.core.plan import plan
from calsync.core.plan import week_window
from calsync.model import RUN_KINDS
from calsync.model import Block
from calsync.model import Classified
from calsync.model import Event
from calsync.model import Kind
from calsync.model import Plan
from calsync.model import PlanRules
from calsync.model import TimeWindow

LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC
ANCHOR = dt.date(2027, 3, 17)  # the plan weeks contain this Wednesday
WEEKS = 3
SPAN = range(-8, 7 * WEEKS + 8)  # day offsets around the first plan day
SUMMARIES = ("Run", "Standup", "Travel to Leeds", "Conference", "Birthday", "Race day", "Gym")
WINDOW_SETS = (
    (TimeWindow(dt.time(6), dt.time(21)),),
    (TimeWindow(dt.time(6), dt.time(9)), TimeWindow(dt.time(17), dt.time(21))),
    (TimeWindow(dt.time(0, 30), dt.time(3, 30)), TimeWindow(dt.time(12), dt.time(13, 30))),
    (TimeWindow(dt.time(7, 10), dt.time(8, 20)),),
    (TimeWindow(dt.time(0, 15), dt.time(1, 45)), TimeWindow(dt.time(2, 15), dt.time(4))),
)
LIMITS = settings(max_examples=100, deadline=None)


@st.composite
def rules(draw: st.DrawFn) -> PlanRules:
    return PlanRules(
        LONDON,
        sessions_per_week=draw(st.integers(0, 4)),
        duration_minutes=draw(st.sampled_from((30, 45, 60))),
        allowed_on=draw(st.sampled_from((frozenset({"easy"}), frozenset({"easy", "rest"})))),
        day_before_interval=draw(st.sampled_from(("allow", "avoid", "forbid"))),
        min_rest_days=draw(st.integers(0, 3)),
        week_start=draw(st.integers(0, 6)),
        weekday_windows=draw(st.sampled_from(WINDOW_SETS)),
        weekend_windows=draw(st.sampled_from(WINDOW_SETS)),
        buffer_minutes=draw(st.sampled_from((0, 10, 15, 30))),
        placement=draw(st.sampled_from(("after_run", "earliest", "latest"))),
    )


@st.composite
def occurrence(draw: st.DrawFn, first: dt.date) -> Classified:
    day = first + dt.timedelta(days=draw(st.sampled_from(SPAN)))
    kind = draw(st.sampled_from(Kind))
    summary = draw(st.sampled_from(SUMMARIES))
    busy = draw(st.booleans())
    if draw(st.integers(0, 9)) == 0:  # all-day, one or two days
        start = dt.datetime.combine(day, dt.time(), tzinfo=LONDON)
        end = dt.datetime.combine(day + dt.timedelta(days=draw(st.integers(1, 2))), dt.time())
        event = Event(
            f"ad-{day}-{summary}", start, end.replace(tzinfo=LONDON), summary, all_day=True
        )
        return Classified(dataclasses.replace(event, busy=busy), kind, "generated")
    local = dt.datetime.combine(
        day, dt.time(draw(st.integers(0, 23)), draw(st.sampled_from((0, 10, 25, 40))))
    )
    start = local.replace(tzinfo=LONDON).astimezone(UTC)  # real instants, even in the gap
    minutes = draw(st.integers(0, 240))
    event = Event(
        f"ev-{start.isoformat()}-{summary}-{kind}",
        start.astimezone(LONDON),
        (start + dt.timedelta(minutes=minutes)).astimezone(LONDON),
        summary,
        busy=busy,
        managed=draw(st.integers(0, 9)) == 0,
    )
    return Classified(event, kind, "generated")


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[Classified], dt.date, PlanRules, dt.datetime]:
    chosen = draw(rules())
    first, _ = week_window(ANCHOR, WEEKS, chosen.week_start)
    runs = [
        Classified(
            Event(
                f"run-{offset}",
                dt.datetime.combine(
                    first + dt.timedelta(days=offset), dt.time(hour), tzinfo=LONDON
                ),
                dt.datetime.combine(
                    first + dt.timedelta(days=offset), dt.time(hour, 50), tzinfo=LONDON
                ),
                "Run",
            ),
            kind,
            "generated",
        )
        for offset, kind, hour in draw(
            st.lists(
                st.tuples(
                    st.sampled_from(SPAN),
                    st.sampled_from((Kind.EASY, Kind.EASY, Kind.INTERVAL, Kind.LONG)),
                    st.integers(5, 19),
                ),
                max_size=25,
                unique_by=lambda t: t[0],
            )
        )
    ]
    others = draw(st.lists(occurrence(first), max_size=25))
    now_offset = draw(st.integers(-3 * 24 * 60, 12 * 24 * 60))
    now = dt.datetime.combine(first, dt.time(), tzinfo=LONDON).astimezone(UTC)
    return runs + others, first, chosen, now + dt.timedelta(minutes=now_offset)


def run(case: tuple[list[Classified], dt.date, PlanRules, dt.datetime]) -> Plan:
    items, first, chosen, now = case
    return plan(items, first, WEEKS, chosen, now)


# --- an independent view of the input ------------------------------------------------------


def local_days(event: Event) -> list[dt.date]:
    first = event.start.astimezone(LONDON).date()
    last = max(first, (event.end - dt.timedelta(microseconds=1)).astimezone(LONDON).date())
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def kinds_by_day(items: Iterable[Classified]) -> dict[dt.date, set[Kind]]:
    out: dict[dt.date, set[Kind]] = {}
    for c in items:
        if not c.event.managed:
            for d in local_days(c.event):
                out.setdefault(d, set()).add(c.kind)
    return out


def block_day(block: Block) -> dt.date:
    return block.start.astimezone(LONDON).date()


def own_days(items: Iterable[Classified]) -> set[dt.date]:
    return {d for d, kinds in kinds_by_day(items).items() if Kind.STRENGTH in kinds}


# --- the invariants ------------------------------------------------------------------------


@LIMITS
@given(case=cases())
def test_never_on_interval_or_long_days(case):
    kinds = kinds_by_day(case[0])
    for block in run(case).blocks:
        assert not kinds.get(block_day(block), set()) & {Kind.INTERVAL, Kind.LONG}


@LIMITS
@given(case=cases())
def test_only_on_allowed_days(case):
    items, _, chosen, _ = case
    kinds = kinds_by_day(items)
    for block in run(case).blocks:
        on_day = kinds.get(block_day(block), set())
        runs = {k.value for k in on_day & RUN_KINDS}
        assert runs & chosen.allowed_on or (not runs and "rest" in chosen.allowed_on)
        assert Kind.STRENGTH not in on_day  # the user already trains that day


@LIMITS
@given(case=cases())
def test_day_before_intervals_follows_the_rule(case):
    items, _, chosen, _ = case
    kinds = kinds_by_day(items)
    for block in run(case).blocks:
        before = Kind.INTERVAL in kinds.get(block_day(block) + dt.timedelta(days=1), set())
        assert not (before and chosen.day_before_interval == "forbid")
        assert block.lighter == (before and chosen.day_before_interval == "avoid")


@LIMITS
@given(case=cases())
def test_never_overlaps_busy_time_or_its_buffer(case):
    items, _, chosen, _ = case
    buffer = dt.timedelta(minutes=chosen.buffer_minutes)
    busy = [c.event for c in items if c.event.busy and not c.event.managed]
    blocked_days = {d for e in busy if e.all_day for d in local_days(e) if not _is_run(items, e)}
    for block in run(case).blocks:
        assert block_day(block) not in blocked_days
        start, end = block.start.astimezone(UTC), block.end.astimezone(UTC)
        for event in (e for e in busy if not e.all_day):
            # in UTC: aware arithmetic in one zone is wall-clock arithmetic
            busy_start = event.start.astimezone(UTC) - buffer
            busy_end = event.end.astimezone(UTC) + buffer
            assert end <= busy_start or start >= busy_end


def _is_run(items: list[Classified], event: Event) -> bool:
    return any(c.event is event and c.kind in RUN_KINDS for c in items)


@LIMITS
@given(case=cases())
def test_never_on_a_blackout_day(case):
    items, _, chosen, _ = case
    words = [w.lower() for w in chosen.blackout_words]
    dark = {
        d
        for c in items
        if not c.event.managed
        and any(w in c.event.summary.lower().replace("-", " ").split() for w in words)
        for d in local_days(c.event)
    }
    assert not dark & {block_day(b) for b in run(case).blocks}


@LIMITS
@given(case=cases())
def test_never_more_than_the_quota_counting_own_sessions(case):
    items, first, chosen, _ = case
    result = run(case)
    own = own_days(items)
    for i, report in enumerate(result.weeks):
        week = {first + dt.timedelta(days=7 * i + d) for d in range(7)}
        blocks = [b for b in result.blocks if block_day(b) in week]
        mine = len(own & week)
        assert len(blocks) <= max(0, chosen.sessions_per_week - mine)
        assert report.placed == len(blocks) + mine
        assert report.wanted == chosen.sessions_per_week
        assert report.first_day == min(week)
        assert all(b.week == report.week for b in blocks)
        if report.placed < report.wanted:
            assert report.warnings  # a short week always says why
        assert [b.slot for b in blocks] == [f"{report.week}/{n}" for n in range(1, len(blocks) + 1)]


@LIMITS
@given(case=cases())
def test_rest_days_between_strength_days(case):
    items, _, chosen, _ = case
    blocks = {block_day(b) for b in run(case).blocks}
    strength = blocks | own_days(items)
    for day in blocks:
        for other in strength - {day}:
            assert abs((other - day).days) > chosen.min_rest_days


@LIMITS
@given(case=cases())
def test_blocks_inside_the_window_after_now_with_the_right_length(case):
    _, first, chosen, now = case
    last = first + dt.timedelta(days=7 * WEEKS - 1)
    days = [block_day(b) for b in run(case).blocks]
    assert days == sorted(days) and len(set(days)) == len(days)
    for block in run(case).blocks:
        start, end = block.start.astimezone(LONDON), block.end.astimezone(LONDON)
        assert first <= start.date() <= last
        assert block.start >= now
        assert end.astimezone(UTC) - start.astimezone(UTC) == dt.timedelta(
            minutes=chosen.duration_minutes
        )
        windows = chosen.weekday_windows if start.weekday() < 5 else chosen.weekend_windows
        # every minute of the block reads a time inside one window on the local clock
        minutes = [
            (block.start.astimezone(UTC) + dt.timedelta(minutes=m)).astimezone(LONDON)
            for m in range(chosen.duration_minutes)
        ]
        assert any(
            all(t.date() == start.date() and w.start <= t.time() < w.end for t in minutes)
            for w in windows
        )
        # a real local time: not in a DST gap
        for instant in (start, end):
            back = instant.astimezone(UTC).astimezone(LONDON)
            assert back.replace(tzinfo=None) == instant.replace(tzinfo=None)


@LIMITS
@given(case=cases(), data=st.data())
def test_deterministic_and_input_order_does_not_matter(case, data):
    items, first, chosen, now = case
    shuffled = data.draw(st.permutations(items))
    expected = run(case)
    assert plan(shuffled, first, WEEKS, chosen, now) == expected
    assert run(case) == expected


@LIMITS
@given(case=cases())
def test_stable_when_its_own_blocks_are_part_of_the_input(case):
    items, first, chosen, now = case
    result = run(case)
    written = [
        Classified(
            Event(
                f"calsync-{b.slot}",
                b.start,
                b.end,
                b.summary,
                description=b.description,
                managed=True,
                calsync={"slot": b.slot},
            ),
            Kind.STRENGTH,
            "calsync block",
        )
        for b in result.blocks
    ]
    assert plan(items + written, first, WEEKS, chosen, now) == result
