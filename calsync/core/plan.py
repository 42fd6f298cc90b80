"""The planner: where the strength blocks go. Pure: no I/O, no clock, no logging.

`plan(items, first_day, weeks, rules, now)` is deterministic: the same items in any order give
the same `Plan`. These are the planning rules, documented here once:

Weeks and days
  - A plan week starts on `rules.week_start` (0 = Monday ... 6 = Sunday). Days and weeks are
    counted in `rules.timezone`: every event time is converted with `.astimezone(tz)`.
  - Week label (`Block.week`, `WeekReport.week`): "2026-W49", the ISO year-week that shares at
    least four days with the plan week, i.e. the ISO week of `first_day + 3 days`. For Monday
    weeks that is the ISO week of the first day; for a Sunday week (Sun 29 Nov - Sat 5 Dec 2026)
    it is the ISO week of the six days after the Sunday (2026-W49), not the one of the Sunday
    (W48). Consecutive plan weeks get consecutive ISO weeks, so labels are unique and sort as
    text.
  - An event marks every day it covers, `[start, end)` in local days (a multi-day or all-day
    event spanning days marks each of them).
  - Events calsync wrote (`Event.managed`) are ignored entirely, so the plan is the same
    whether or not calsync's earlier blocks are part of the input.

Which days
  - Hard day: any interval or long run on the day. Never strength there.
  - Allowed day: a run whose kind is in `rules.allowed_on` (default {"easy"}); with "rest" in
    `allowed_on`, a day with no run at all is allowed too.
  - Day before an interval day (the real next date, across week, month and year ends: the
    caller passes items up to one day past the window): "forbid" never uses it; "avoid" uses
    it only when the quota cannot be met with the other compliant days, and then the block is
    lighter (`Block.lighter`, the lighter template, " (light)" in the summary, and the reason
    says why); "allow" treats it as any other day (normal session, the reason mentions it).
  - Blackout: an event of any kind, calendar or length whose summary contains one of
    `rules.blackout_words` (whole words, case-insensitive) keeps its days free of strength;
    not after "bank", "public", "national" or "federal" ("Summer bank holiday" is a public
    holiday: a day off, not a trip).
  - A busy all-day event that is not a run (a conference) blocks the whole day. All-day runs
    and transparent all-day events (a public holiday) block no hours.
  - Never in the past: days before `now`'s local date are not candidates; today is one only
    for slots starting at or after `now`.

How many
  - Quota: `rules.sessions_per_week` per plan week. The user's own strength sessions (kind
    strength, not managed; a copy of a calsync block, see `calsync.core.copies`, is one)
    count toward it, one per day that has one, and count as strength days for the spacing.
    `WeekReport.wanted` = `sessions_per_week`; `WeekReport.placed` =
    calsync's blocks that week + the user's own strength days that week.
  - Spacing: at least `rules.min_rest_days` days without strength between two strength days
    (default 1: never on consecutive days), across week boundaries too, and against the user's
    own sessions.
  - Choice among compliant days, per week in date order: as many blocks as the quota asks
    (and spacing allows); then the fewest avoided days (day before intervals); then the fewest
    run-free days (with "rest" allowed, easy-run days still come first); then the most
    spread-out week (largest smallest gap between strength days, counting the week as a cycle
    of 7 days so the pattern also spreads into the next week); then the earliest days. The
    canonical week (Mon easy, Tue intervals, Thu easy, Sat long) gives Mon (lighter: the day
    before intervals, Thu being the only other compliant day) and Thu.

Where in the day
  - A free slot of `rules.duration_minutes` inside the day's windows (`weekday_windows`
    Mon-Fri, `weekend_windows` Sat/Sun, local wall-clock times) that overlaps no busy event
    (any calendar, timed, `Event.busy`), keeping `rules.buffer_minutes` clear before and after
    each one.
  - `placement`: "after_run" tries right after each allowed run of the day ends (in order of
    end), end + buffer rounded up to 5 minutes; when that is taken (a meeting right after the
    run), the first free grid slot later that day (strength after the run, not before it at
    dawn), else falls back to "earliest"; "earliest" and
    "latest" take the first or last free start on the 15-minute grid (:00, :15, :30, :45).
  - Durations are elapsed time (computed in UTC). Grid starts are stepped in UTC, so a block
    never starts in a DST gap. A block fits a window when every minute of it reads a time
    inside the window on the local clock: a window edge the clock skips is the jump itself
    (a window to 01:30 on the night London skips 01:00-02:00 ends at 01:00 GMT), and a block
    never spans the clocks going back.
  - A day with no timed run to follow (an all-day run, a rest day) under "after_run": the
    block goes at `rules.preferred_time` when set, else at the runner's usual after-run
    time (the median end of their timed allowed runs in the items, + buffer, on the 5-minute
    grid), else the earliest free slot; later that day when that slot is taken.

Race weeks
  - A goal race: an interval-kind run whose title names a marathon or half marathon in any
    language ("Berlin Marathon", "Semi-marathon de Paris"), or a race word (race, Wettkampf,
    wedstrijd, gara, carrera, corrida) with a distance of 10 km or more ("Race: Hyde Park
    10k"). Not a parkrun, a 5k race, a pace ("@ marathon pace") or a plain "Race day".
  - Taper: within `rules.taper_days` days before a goal race (default 7; 0 turns it off) no
    heavy session: a compliant day there gets the short activation session instead
    (`sessions.ACTIVATION`, 25 minutes or `duration_minutes` when shorter; template
    "activation"), at most one per plan week; full sessions come first where the taper
    leaves room. A week with taper, race or recovery days wants no more sessions than its
    other days plus one (the activation): a race week that is all taper wants just one.
  - Recovery: no strength on the `rules.recovery_days_after_race` days (default 2) after a
    goal race of a half marathon or longer (21 km).

Reporting
  - Block: `slot` = "<week>/<n>", n = 1.. in day order within the week; `summary` =
    `rules.title` (+ " (activation)" in a taper, else " (light)" when lighter);
    `description` from `calsync.core.sessions` (templates A/B alternate by week and
    position; `rules.templates` override);
    `reason` says why that day ("Mon 30 Nov: easy run (Easy 8 km); day before intervals (Tue),
    lighter session: the only other compliant day is Thu").
  - A week short of its quota gets readable warnings: "week already started: 1 day left",
    "only one easy day: Thu", "no easy-run days this week", "Mon skipped: day before
    intervals (Tue)", "Wed: no free 45-min slot between 06:00 and 21:00", "Fri: blackout
    ("Travel")", "Wed: busy all day ("Conference")", "Fri: too close to strength on Thu".
  - Every day of every week gets a `DayVerdict` (`WeekReport.days`): a code from `VERDICTS`
    and the reason in words ("no run (rest day; allowed_on = easy)", "easy run, not chosen
    (two sessions already: Mon, Thu)").

Where the code is
  This module is the week loop (`plan`, and which days are candidates); the parts beside it:
  `weeks` (week windows and labels, days in words), `day_index` (the day index, one pass
  over the items), `races` (goal races, taper, recovery), `placement` (the slot inside a
  day), `choice` (which days get the sessions), `blocks` (the blocks and their reasons),
  `verdicts` (per-day verdicts, warnings) and `plan_state` (the values they share).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from calsync.core.blocks import make_blocks
from calsync.core.choice import choose
from calsync.core.choice import too_close
from calsync.core.day_index import UTC
from calsync.core.day_index import Day
from calsync.core.day_index import allowed_kind
from calsync.core.day_index import index_days
from calsync.core.placement import find_slot
from calsync.core.plan_state import Candidate
from calsync.core.plan_state import Context
from calsync.core.plan_state import Skip
from calsync.core.plan_state import day_info
from calsync.core.plan_state import session_minutes
from calsync.core.races import find_races
from calsync.core.verdicts import VERDICTS
from calsync.core.verdicts import day_verdicts
from calsync.core.verdicts import kind_skip
from calsync.core.verdicts import no_slot_text
from calsync.core.verdicts import too_close_text
from calsync.core.verdicts import week_warnings
from calsync.core.weeks import ONE_DAY
from calsync.core.weeks import day_name
from calsync.core.weeks import quote
from calsync.core.weeks import week_label
from calsync.core.weeks import week_window
from calsync.model import RUN_KINDS
from calsync.model import Block
from calsync.model import Classified
from calsync.model import Kind
from calsync.model import Plan
from calsync.model import PlanRules
from calsync.model import WeekReport

__all__ = ["VERDICTS", "plan", "week_label", "week_window"]


def plan(
    items: Sequence[Classified],
    first_day: dt.date,
    weeks: int,
    rules: PlanRules,
    now: dt.datetime,
) -> Plan:
    """Choose strength blocks for `weeks` plan weeks from `first_day`. Pure and deterministic.

    `items` should cover one day past the last plan week (the day before an interval day).
    """
    last_day = first_day + dt.timedelta(days=7 * weeks - 1)
    # Wide enough for the races whose taper or recovery reaches into the plan weeks.
    margin = dt.timedelta(days=max(7, rules.taper_days + 1, rules.recovery_days_after_race + 1))
    days = index_days(items, rules, first_day - margin, last_day + margin)
    now_utc = now.astimezone(UTC)
    own = {day for day, info in days.items() if info.own_strength}
    ctx = Context(rules, days, now_utc, now.astimezone(rules.timezone).date(), own)
    found = find_races(days, rules)
    ctx.races, ctx.taper, ctx.recovery = found.races, found.taper, found.recovery
    ctx.usual = rules.preferred_time or _usual_time(ctx)
    blocks: list[Block] = []
    reports: list[WeekReport] = []
    for i in range(max(0, weeks)):
        week_blocks, report = _plan_week(ctx, first_day + dt.timedelta(days=7 * i))
        blocks += week_blocks
        reports.append(report)
        ctx.strength.update(b.start.astimezone(rules.timezone).date() for b in week_blocks)
    return Plan(tuple(blocks), tuple(reports))


def _plan_week(ctx: Context, first: dt.date) -> tuple[list[Block], WeekReport]:
    rules = ctx.rules
    label_ = week_label(first)
    week = [first + dt.timedelta(days=i) for i in range(7)]
    own = [d for d in week if day_info(ctx, d).own_strength]
    wanted = _wanted(ctx, week)
    need = max(0, wanted - len(own))
    candidates: list[Candidate] = []
    skips: dict[dt.date, Skip] = {}
    for day in week:
        verdict = _assess(ctx, day, week)
        if isinstance(verdict, Candidate):
            candidates.append(verdict)
        else:
            skips[day] = verdict
    chosen = choose(candidates, need, own, first, rules.min_rest_days)
    blocks = make_blocks(ctx, label_, first, chosen, candidates)
    placed = len(blocks) + len(own)
    warnings: tuple[str, ...] = ()
    if placed < wanted:
        notes = [(d, v.warning) for d, v in skips.items() if v.warning is not None]
        warnings = week_warnings(ctx, week, need, chosen, candidates, notes, placed, wanted)
    days = day_verdicts(ctx, week, skips, candidates, blocks, need)
    return blocks, WeekReport(label_, first, placed, wanted, warnings, days)


def _wanted(ctx: Context, week: Sequence[dt.date]) -> int:
    """`sessions_per_week`; in a race week only as many as the days outside the taper, race
    and recovery can hold, plus the one activation session."""
    spw = ctx.rules.sessions_per_week
    if not any(d in ctx.taper or d in ctx.recovery or d in ctx.races for d in week):
        return spw
    free = [d for d in week if d not in ctx.taper and d not in ctx.recovery and d not in ctx.races]
    return min(spw, len(free) + any(d in ctx.taper for d in week))


def _usual_time(ctx: Context) -> dt.time | None:
    """When the runner's block usually goes: the median end of their timed allowed runs,
    plus the buffer, on the 5-minute grid (for a day whose run has no time)."""
    tz = ctx.rules.timezone
    ends = sorted(
        {
            (r.event.uid, r.event.end.astimezone(tz).replace(tzinfo=None))
            for info in ctx.days.values()
            for r in info.runs
            if not r.event.all_day and r.kind.value in ctx.rules.allowed_on
        }
    )
    if not ends:
        return None
    minutes = sorted(e.hour * 60 + e.minute for _, e in ends)[(len(ends) - 1) // 2]
    minutes += ctx.rules.buffer_minutes
    minutes = -(-minutes // 5) * 5
    return dt.time(minutes // 60, minutes % 60) if minutes < 24 * 60 else None


def _assess(ctx: Context, day: dt.date, week: Sequence[dt.date]) -> Candidate | Skip:
    """A candidate with its slot, or why not."""
    info = day_info(ctx, day)
    skip = _ruled_out(ctx, day, info) or _kept_free(ctx, day, info, week)
    skip = skip or _spacing(ctx, day, week)
    if skip is not None:
        return skip
    rules = ctx.rules
    activation = day in ctx.taper
    minutes = session_minutes(rules, activation)
    slot = find_slot(ctx, day, info, minutes)
    if slot is None:
        text = no_slot_text(ctx, day, minutes)
        return Skip("no_slot", text, f"{day_name(day, week)}: {text}")
    before_interval = Kind.INTERVAL in day_info(ctx, day + ONE_DAY).kinds
    avoided = before_interval and rules.day_before_interval == "avoid"
    rest_day = not any(k in RUN_KINDS for k in info.kinds)
    return Candidate(day, slot[0], slot[1], avoided, before_interval, rest_day, activation)


def _ruled_out(ctx: Context, day: dt.date, info: Day) -> Skip | None:
    """The past, the runner's own session, or a day whose runs keep strength away."""
    if day < ctx.today:
        return Skip("past", "in the past")
    if info.own_strength:
        return Skip("own_strength", "your own strength session")
    if not allowed_kind(info, ctx.rules.allowed_on):
        return kind_skip(ctx, day, info)
    return None


def _kept_free(ctx: Context, day: dt.date, info: Day, week: Sequence[dt.date]) -> Skip | None:
    """A blackout, a busy all-day event, or the recovery after a race."""
    name = day_name(day, week)
    if info.blackouts:
        text = f"blackout ({quote(min(info.blackouts))})"
        return Skip("blackout", text, f"{name}: {text}")
    if info.all_day_busy:
        text = f"busy all day ({quote(min(info.all_day_busy))})"
        return Skip("busy_all_day", text, f"{name}: {text}")
    race = ctx.recovery.get(day)
    if race is not None:
        text = f"recovery after {quote(race.name)} ({day_name(race.day, week)}): no strength"
        return Skip("recovery", text, f"{name}: {text}")
    return None


def _spacing(ctx: Context, day: dt.date, week: Sequence[dt.date]) -> Skip | None:
    """The day before intervals under "forbid", or too close to another strength day."""
    rules = ctx.rules
    name, nxt = day_name(day, week), day + ONE_DAY
    if rules.day_before_interval == "forbid" and Kind.INTERVAL in day_info(ctx, nxt).kinds:
        before = f"day before intervals ({day_name(nxt, week)})"
        text = f"{before}: not used (day_before_interval = forbid)"
        return Skip("day_before_interval", text, f"{name} skipped: {before}")
    close = too_close(day, ctx.strength, rules.min_rest_days)
    if close is not None:
        text = too_close_text(close, week, rules.min_rest_days)
        return Skip("too_close", text, f"{name}: {text}")
    return None
