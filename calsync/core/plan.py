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
    (\"Travel\")", "Wed: busy all day (\"Conference\")", "Fri: too close to strength on Thu".
  - Every day of every week gets a `DayVerdict` (`WeekReport.days`): a code from `VERDICTS`
    and the reason in words ("no run (rest day; allowed_on = easy)", "easy run, not chosen
    (two sessions already: Mon, Thu)").
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field

from calsync.core.sessions import ACTIVATION_MINUTES
from calsync.core.sessions import ACTIVATION_TEMPLATE
from calsync.core.sessions import choose_template
from calsync.core.sessions import describe
from calsync.core.sessions import label
from calsync.model import RUN_KINDS
from calsync.model import Block
from calsync.model import Classified
from calsync.model import DayVerdict
from calsync.model import Kind
from calsync.model import Plan
from calsync.model import PlanRules
from calsync.model import TimeWindow
from calsync.model import WeekReport

UTC = dt.UTC
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
GRID = dt.timedelta(minutes=15)
AFTER_RUN_GRID = dt.timedelta(minutes=5)
ONE_DAY = dt.timedelta(days=1)
TINY = dt.timedelta(microseconds=1)
MIDNIGHT = dt.time(0)
HARD = frozenset({Kind.INTERVAL, Kind.LONG})
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

Interval = tuple[dt.datetime, dt.datetime]

# The per-day verdict codes (`DayVerdict.code`): a fixed vocabulary, documented in
# docs/plan-json.md. Never rename one; add new ones at the end.
VERDICTS = (
    "strength",  # a calsync block is placed that day
    "own_strength",  # the runner's own strength session
    "interval",  # a speed session: never strength
    "long",  # a long run: never strength
    "race",  # a goal race: never strength
    "rest_day",  # no run, and "rest" is not in allowed_on
    "not_allowed",  # a run of a kind not in allowed_on
    "past",  # before today
    "blackout",  # a blackout word ("Travel", "Holiday")
    "busy_all_day",  # a busy all-day event (a conference)
    "recovery",  # within recovery_days_after_race after a long race
    "day_before_interval",  # forbidden, or avoided because other days work
    "too_close",  # too close to another strength day (min_rest_days)
    "no_slot",  # no free slot inside the windows
    "taper",  # in the taper before a goal race, and the week's activation is elsewhere
    "not_chosen",  # compliant, but the week's sessions went to better days
    "not_needed",  # the runner's own sessions already fill the week
)
NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven")

_MARATHON = re.compile(
    r"(?<!\w)(?:half\s*|halb|semi[\s-]*|media\s*|mezza\s*|meia\s*)?marat(?:h?on|ona)"
)
_RACE_WORD = re.compile(r"(?<!\w)(?:race|wettkampf|wedstrijd|gara|carrera|corrida)(?!\w)")
# Not a race: a pace or a training block named after one ("@ marathon pace", "MP long run").
_NOT_A_RACE = re.compile(
    r"@\s*\S+|(?:marat\w*|race|10\s*k)\s*(?:pace|effort|training|block|plan|build|week)"
    r"|parkrun"
)
LONG_RACE_KM = 21.0


def week_window(day: dt.date, weeks: int, week_start: int) -> tuple[dt.date, dt.date]:
    """First and last day (inclusive) of `weeks` plan weeks, the first one containing `day`."""
    first = day - dt.timedelta(days=(day.weekday() - week_start) % 7)
    return first, first + dt.timedelta(days=7 * weeks - 1)


def week_label(first_day: dt.date) -> str:
    """ "2026-W49": the ISO week sharing at least four days with the plan week (see above)."""
    year, week, _ = (first_day + dt.timedelta(days=3)).isocalendar()
    return f"{year}-W{week:02d}"


# --- the day index -------------------------------------------------------------------------


@dataclass(slots=True)
class _Day:
    """What the planner needs to know about one local day."""

    kinds: set[Kind] = field(default_factory=set)
    runs: list[Classified] = field(default_factory=list)
    own_strength: bool = False
    blackouts: list[str] = field(default_factory=list)
    all_day_busy: list[str] = field(default_factory=list)
    busy: list[Interval] = field(default_factory=list)  # UTC, buffer included


@dataclass(frozen=True, slots=True)
class _Candidate:
    day: dt.date
    start: dt.datetime  # UTC
    end: dt.datetime
    avoided: bool  # day before intervals under "avoid": only if needed, then lighter
    before_interval: bool
    rest_day: bool  # no run that day ("rest" in allowed_on): easy-run days come first
    activation: bool = False  # in the taper before a goal race: the short activation session


@dataclass(frozen=True, slots=True)
class _Skip:
    """Why a day gets no block: a verdict code, the words, and the week's warning line."""

    code: str
    text: str
    warning: str | None = None  # shown when the week is short of its sessions


@dataclass(frozen=True, slots=True)
class _Race:
    day: dt.date
    name: str
    long: bool  # a half marathon or longer: recovery days after it


@dataclass(slots=True)
class _Context:
    rules: PlanRules
    days: dict[dt.date, _Day]
    now: dt.datetime  # UTC
    today: dt.date
    strength: set[dt.date]  # the user's own strength days + blocks placed so far
    races: dict[dt.date, _Race] = field(default_factory=dict)
    taper: dict[dt.date, _Race] = field(default_factory=dict)  # day -> the race it tapers for
    recovery: dict[dt.date, _Race] = field(default_factory=dict)  # day -> the race before it
    usual: dt.time | None = None  # start of a block on a day with no timed run to follow


def _covered(start: dt.datetime, end: dt.datetime, tz: dt.tzinfo) -> tuple[dt.date, dt.date]:
    """The first and last local day that `[start, end)` touches (an instant: its own day)."""
    first = start.astimezone(tz).date()
    last = (end - TINY).astimezone(tz).date() if end > start else first
    return first, max(first, last)


def _day_range(first: dt.date, last: dt.date, lo: dt.date, hi: dt.date) -> Iterator[dt.date]:
    if first == last and lo <= first <= hi:
        yield first
        return
    day, stop = max(first, lo), min(last, hi)
    while day <= stop:
        yield day
        day += ONE_DAY


def _blackout_pattern(words: Sequence[str]) -> re.Pattern[str] | None:
    cleaned = sorted({w.strip() for w in words if w.strip()}, key=lambda w: (-len(w), w))
    if not cleaned:
        return None
    alternatives = "|".join(re.escape(w) for w in cleaned)
    # A public holiday ("Summer bank holiday" in Google's UK holidays calendar) is a day off
    # work, not a trip: it keeps no day free of strength.
    public = "".join(rf"(?<!{w} )" for w in ("bank", "public", "national", "federal"))
    return re.compile(rf"(?<!\w){public}(?:{alternatives})(?!\w)", re.IGNORECASE)


def _local_days(start: dt.datetime, end: dt.datetime) -> tuple[dt.date, dt.date]:
    """First and last local day of `[start, end)`, both already in the home zone."""
    first, last = start.date(), end.date()
    if last > first and end.time() == MIDNIGHT:
        last -= ONE_DAY  # the end is exclusive: an event ending at midnight ends the day before
    return first, max(first, last)


def _near_midnight(start: dt.datetime, end: dt.datetime, margin: int) -> bool:
    """True when a span buffered by less than `margin` minutes may reach another day."""
    minutes = (start.hour * 60 + start.minute, end.hour * 60 + end.minute)
    return min(minutes) < margin or max(minutes) > 24 * 60 - margin


def _index(
    items: Sequence[Classified], rules: PlanRules, lo: dt.date, hi: dt.date
) -> dict[dt.date, _Day]:
    """Every non-managed item, filed under each local day in [lo, hi] it touches: one pass."""
    tz = rules.timezone
    buffer = dt.timedelta(minutes=rules.buffer_minutes)
    margin = rules.buffer_minutes + 180  # DST shifts are at most 2 hours
    blackout = _blackout_pattern(rules.blackout_words)
    days: dict[dt.date, _Day] = {}
    for item in items:
        event = item.event
        if event.managed:
            continue
        # Through UTC, so that a time in a DST gap reads as the real local time.
        local_start = event.start.astimezone(UTC).astimezone(tz)
        local_end = event.end.astimezone(UTC).astimezone(tz)
        first, last = _local_days(local_start, local_end)
        if last < lo or first > hi:
            continue
        # Clipped to the days looked at: an event may run to year 9999 (no room for a buffer).
        local_start = max(local_start, dt.datetime.combine(lo - ONE_DAY, MIDNIGHT, tzinfo=tz))
        local_end = min(local_end, dt.datetime.combine(hi + 2 * ONE_DAY, MIDNIGHT, tzinfo=tz))
        first, last = max(first, lo), min(last, hi)
        is_run = item.kind in RUN_KINDS
        black = blackout is not None and blackout.search(event.summary) is not None
        for day in _day_range(first, last, lo, hi):
            info = days.get(day) or days.setdefault(day, _Day())
            info.kinds.add(item.kind)
            if is_run:
                info.runs.append(item)
            elif item.kind is Kind.STRENGTH:
                info.own_strength = True
            if black:
                info.blackouts.append(event.summary)
            if event.all_day and event.busy and not is_run:
                info.all_day_busy.append(event.summary)
        if event.busy and not event.all_day:
            span = (local_start.astimezone(UTC) - buffer, local_end.astimezone(UTC) + buffer)
            if _near_midnight(local_start, local_end, margin):
                first, last = _covered(span[0], span[1], tz)
            for day in _day_range(first, last, lo, hi):
                info = days.get(day) or days.setdefault(day, _Day())
                info.busy.append(span)
    return days


# --- planning ------------------------------------------------------------------------------


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
    days = _index(items, rules, first_day - margin, last_day + margin)
    now_utc = now.astimezone(UTC)
    own = {day for day, info in days.items() if info.own_strength}
    ctx = _Context(rules, days, now_utc, now.astimezone(rules.timezone).date(), own)
    _race_days(ctx)
    ctx.usual = rules.preferred_time or _usual_time(ctx)
    blocks: list[Block] = []
    reports: list[WeekReport] = []
    for i in range(max(0, weeks)):
        week_blocks, report = _plan_week(ctx, first_day + dt.timedelta(days=7 * i))
        blocks += week_blocks
        reports.append(report)
        ctx.strength.update(b.start.astimezone(rules.timezone).date() for b in week_blocks)
    return Plan(tuple(blocks), tuple(reports))


def _info(ctx: _Context, day: dt.date) -> _Day:
    return ctx.days.get(day) or _Day()


def _plan_week(ctx: _Context, first: dt.date) -> tuple[list[Block], WeekReport]:
    rules = ctx.rules
    label_ = week_label(first)
    week = [first + dt.timedelta(days=i) for i in range(7)]
    own = [d for d in week if _info(ctx, d).own_strength]
    wanted = _wanted(ctx, week)
    need = max(0, wanted - len(own))
    candidates: list[_Candidate] = []
    skips: dict[dt.date, _Skip] = {}
    for day in week:
        verdict = _assess(ctx, day, week)
        if isinstance(verdict, _Candidate):
            candidates.append(verdict)
        else:
            skips[day] = verdict
    chosen = _choose(candidates, need, own, first, rules.min_rest_days)
    blocks = _blocks(ctx, label_, first, chosen, candidates)
    placed = len(blocks) + len(own)
    warnings: tuple[str, ...] = ()
    if placed < wanted:
        notes = [(d, v.warning) for d, v in skips.items() if v.warning is not None]
        warnings = _warnings(ctx, week, need, chosen, candidates, notes, placed, wanted)
    days = _verdicts(ctx, week, skips, candidates, blocks, need)
    return blocks, WeekReport(label_, first, placed, wanted, warnings, days)


def _wanted(ctx: _Context, week: Sequence[dt.date]) -> int:
    """`sessions_per_week`; in a race week only as many as the days outside the taper, race
    and recovery can hold, plus the one activation session."""
    spw = ctx.rules.sessions_per_week
    if not any(d in ctx.taper or d in ctx.recovery or d in ctx.races for d in week):
        return spw
    free = [d for d in week if d not in ctx.taper and d not in ctx.recovery and d not in ctx.races]
    return min(spw, len(free) + any(d in ctx.taper for d in week))


def _race_days(ctx: _Context) -> None:
    """The goal races in the index, and the taper and recovery days around them."""
    rules = ctx.rules
    for day in sorted(ctx.days):
        race = _goal_race(day, ctx.days[day].runs)
        if race is None:
            continue
        ctx.races[day] = race
        for back in range(1, rules.taper_days + 1):
            ctx.taper.setdefault(day - dt.timedelta(days=back), race)
        for ahead in range(1, rules.recovery_days_after_race + 1 if race.long else 1):
            ctx.recovery[day + dt.timedelta(days=ahead)] = race
    for day in ctx.races:  # a race day is a race day, not a taper day for the next one
        ctx.taper.pop(day, None)


def _goal_race(day: dt.date, runs: Sequence[Classified]) -> _Race | None:
    for item in sorted(runs, key=lambda r: (r.event.summary, r.event.uid)):
        if item.kind is not Kind.INTERVAL:
            continue
        title = " ".join(item.event.summary.lower().split())
        cleaned = _NOT_A_RACE.sub(" ", title)
        km = item.distance_km or 0.0
        if _MARATHON.search(cleaned) or (_RACE_WORD.search(cleaned) and km >= 10):
            return _Race(day, item.event.summary.strip(), km >= LONG_RACE_KM)
    return None


def _usual_time(ctx: _Context) -> dt.time | None:
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


def _is_allowed_kind(info: _Day, allowed_on: frozenset[str]) -> bool:
    if info.kinds & HARD:
        return False
    has_run = any(k in RUN_KINDS for k in info.kinds)
    if not has_run:
        return "rest" in allowed_on
    return any(r.kind.value in allowed_on for r in info.runs)


def _assess(ctx: _Context, day: dt.date, week: Sequence[dt.date]) -> _Candidate | _Skip:
    """A candidate with its slot, or why not."""
    rules = ctx.rules
    info = _info(ctx, day)
    if day < ctx.today:
        return _Skip("past", "in the past")
    if info.own_strength:
        return _Skip("own_strength", "your own strength session")
    if not _is_allowed_kind(info, rules.allowed_on):
        return _kind_skip(ctx, day, info)
    name = _day_name(day, week)
    if info.blackouts:
        text = f"blackout ({_quote(min(info.blackouts))})"
        return _Skip("blackout", text, f"{name}: {text}")
    if info.all_day_busy:
        text = f"busy all day ({_quote(min(info.all_day_busy))})"
        return _Skip("busy_all_day", text, f"{name}: {text}")
    race = ctx.recovery.get(day)
    if race is not None:
        text = f"recovery after {_quote(race.name)} ({_day_name(race.day, week)}): no strength"
        return _Skip("recovery", text, f"{name}: {text}")
    nxt = day + ONE_DAY
    before_interval = Kind.INTERVAL in _info(ctx, nxt).kinds
    if before_interval and rules.day_before_interval == "forbid":
        before = f"day before intervals ({_day_name(nxt, week)})"
        text = f"{before}: not used (day_before_interval = forbid)"
        return _Skip("day_before_interval", text, f"{name} skipped: {before}")
    close = _too_close(day, ctx.strength, rules.min_rest_days)
    if close is not None:
        text = _too_close_text(close, week, rules.min_rest_days)
        return _Skip("too_close", text, f"{name}: {text}")
    activation = day in ctx.taper
    slot = _find_slot(ctx, day, info, _minutes(rules, activation))
    if slot is None:
        text = _no_slot_text(ctx, day, _minutes(rules, activation))
        return _Skip("no_slot", text, f"{name}: {text}")
    avoided = before_interval and rules.day_before_interval == "avoid"
    rest_day = not any(k in RUN_KINDS for k in info.kinds)
    return _Candidate(day, slot[0], slot[1], avoided, before_interval, rest_day, activation)


def _minutes(rules: PlanRules, activation: bool) -> int:
    if activation:
        return min(ACTIVATION_MINUTES, rules.duration_minutes)
    return rules.duration_minutes


def _kind_skip(ctx: _Context, day: dt.date, info: _Day) -> _Skip:
    """A day whose runs keep strength away: a race, intervals, a long run, or no run."""
    runs = sorted(info.runs, key=lambda r: (r.event.start.astimezone(UTC), r.event.uid))
    race = ctx.races.get(day)
    if race is not None:
        return _Skip("race", f"race day ({_quote(race.name)}): no strength")
    for kind, code, what in (
        (Kind.INTERVAL, "interval", "intervals"),
        (Kind.LONG, "long", "long run"),
    ):
        hit = next((r for r in runs if r.kind is kind), None)
        if hit is not None:
            return _Skip(code, f"{what}{_title(hit)}")
    allowed = ", ".join(sorted(ctx.rules.allowed_on))
    if not runs:
        return _Skip("rest_day", f"no run (rest day; allowed_on = {allowed})")
    return _Skip(
        "not_allowed", f"{runs[0].kind.value} run{_title(runs[0])}; allowed_on = {allowed}"
    )


def _title(item: Classified) -> str:
    summary = item.event.summary.strip()
    return f" ({_quote(summary)})" if summary else ""


def _too_close(day: dt.date, strength: set[dt.date], rest: int) -> dt.date | None:
    for gap in range(1, rest + 1):
        for other in (day - dt.timedelta(days=gap), day + dt.timedelta(days=gap)):
            if other in strength:
                return other
    return None


_ChoiceKey = tuple[int, int, int, int, tuple[dt.date, ...]]


def _choose(
    candidates: Sequence[_Candidate],
    need: int,
    own: Sequence[dt.date],
    first: dt.date,
    rest: int,
) -> tuple[_Candidate, ...]:
    """The best spaced set: most blocks, fewest activation sessions (at most one a week, in
    the taper before a race), fewest avoided days, most spread, earliest."""
    own_offsets = [(d - first).days for d in own]
    for size in range(min(need, len(candidates)), 0, -1):
        best: tuple[_ChoiceKey, tuple[_Candidate, ...]] | None = None
        for combo in itertools.combinations(candidates, size):
            if any((b.day - a.day).days <= rest for a, b in itertools.pairwise(combo)):
                continue
            if sum(c.activation for c in combo) > 1:
                continue
            offsets = sorted([(c.day - first).days for c in combo] + own_offsets)
            key = (
                sum(c.activation for c in combo),  # a full session where the taper allows
                sum(c.avoided for c in combo),
                sum(c.rest_day for c in combo),
                -_spread(offsets),
                tuple(c.day for c in combo),
            )
            if best is None or key < best[0]:
                best = (key, combo)
        if best is not None:
            return best[1]
    return ()


def _spread(offsets: Sequence[int]) -> int:
    """The smallest gap between strength days, the week taken as a cycle of 7 days."""
    if len(offsets) < 2:
        return 7
    gaps = [b - a for a, b in itertools.pairwise(offsets)]
    gaps.append(offsets[0] + 7 - offsets[-1])
    return min(gaps)


# --- the slot inside a day -----------------------------------------------------------------


def _windows(rules: PlanRules, day: dt.date) -> tuple[TimeWindow, ...]:
    return rules.weekday_windows if day.weekday() < 5 else rules.weekend_windows


def _edge(day: dt.date, time: dt.time, tz: dt.tzinfo, fold: int) -> dt.datetime:
    """A window edge as a UTC instant. A time the clock skips (DST gap) becomes the jump
    itself; a time the clock shows twice takes `fold` (0 for starts, 1 for ends: the widest)."""
    naive = dt.datetime.combine(day, time)
    instant = naive.replace(tzinfo=tz, fold=fold).astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == naive:
        return instant
    return _jump(naive, tz)


def _jump(naive: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """The instant the clock jumps over the non-existent local time `naive`."""
    low = int(naive.replace(tzinfo=tz, fold=1).astimezone(UTC).timestamp())  # before it
    high = int(naive.replace(tzinfo=tz, fold=0).astimezone(UTC).timestamp())  # after it
    after = dt.datetime.fromtimestamp(high, tz).utcoffset()
    while high - low > 1:  # bounded: the gap is at most a few hours of seconds, halved
        middle = (low + high) // 2
        if dt.datetime.fromtimestamp(middle, tz).utcoffset() == after:
            high = middle
        else:
            low = middle
    return dt.datetime.fromtimestamp(high, UTC)


def _ceil(instant: dt.datetime, step: dt.timedelta) -> dt.datetime:
    rest = (instant - EPOCH) % step
    return instant if not rest else instant + (step - rest)


def _floor(instant: dt.datetime, step: dt.timedelta) -> dt.datetime:
    return instant - (instant - EPOCH) % step


def _clash(start: dt.datetime, end: dt.datetime, busy: Sequence[Interval]) -> Interval | None:
    for span in busy:
        if span[0] < end and start < span[1]:
            return span
    return None


@dataclass(frozen=True, slots=True)
class _Frame:
    """One window of one day: UTC edges, and the wall-clock times to check against."""

    day: dt.date
    window: TimeWindow
    start: dt.datetime
    end: dt.datetime


def _frames(ctx: _Context, day: dt.date) -> list[_Frame]:
    tz = ctx.rules.timezone
    return [
        _Frame(day, w, _edge(day, w.start, tz, 0), _edge(day, w.end, tz, 1))
        for w in _windows(ctx.rules, day)
    ]


def _fits(ctx: _Context, frame: _Frame, start: dt.datetime, end: dt.datetime) -> bool:
    """Inside the window (every minute of the block reads a time inside it on the local
    clock), and not before now."""
    if start < ctx.now or start < frame.start or end > frame.end:
        return False
    tz = ctx.rules.timezone
    local_start, local_last = start.astimezone(tz), (end - TINY).astimezone(tz)
    offset_start, offset_last = local_start.utcoffset(), local_last.utcoffset()
    if offset_start is None or offset_last is None or offset_last < offset_start:
        return False  # spans the clocks going back: its minutes would not read in order
    return (
        local_start.date() == frame.day == local_last.date()
        and frame.window.start <= local_start.time()
        and local_last.time() < frame.window.end
    )


def _find_slot(ctx: _Context, day: dt.date, info: _Day, minutes: int) -> Interval | None:
    rules = ctx.rules
    duration = dt.timedelta(minutes=minutes)
    busy = sorted(info.busy)
    frames = _frames(ctx, day)
    if rules.placement == "after_run":
        buffer = dt.timedelta(minutes=rules.buffer_minutes)
        runs = [r for r in info.runs if r.kind.value in rules.allowed_on and not r.event.all_day]
        ends = sorted({r.event.end.astimezone(UTC) for r in runs})
        if not ends and ctx.usual is not None:
            # No run time to follow (an all-day run, a rest day): the preferred or usual time,
            # not the window's first minute (06:00 is when many runners run, not lift).
            slot = _at_usual(ctx, day, frames, duration, busy, ctx.usual)
            if slot is not None:
                return slot
        for end in ends:
            start = _ceil(end + buffer, AFTER_RUN_GRID)
            if _clash(start, start + duration, busy) is None and any(
                _fits(ctx, f, start, start + duration) for f in frames
            ):
                return start, start + duration
        for end in ends:  # right after is taken: the first free slot later that day
            for frame in frames:
                slot = _earliest(ctx, frame, duration, busy, end + buffer)
                if slot is not None:
                    return slot
    if rules.placement == "latest":
        for frame in reversed(frames):
            slot = _latest(ctx, frame, duration, busy)
            if slot is not None:
                return slot
        return None
    for frame in frames:
        slot = _earliest(ctx, frame, duration, busy)
        if slot is not None:
            return slot
    return None


def _at_usual(
    ctx: _Context,
    day: dt.date,
    frames: Sequence[_Frame],
    duration: dt.timedelta,
    busy: Sequence[Interval],
    usual: dt.time,
) -> Interval | None:
    """At `usual` on `day` when free, else the first free grid slot later that day."""
    start = _edge(day, usual, ctx.rules.timezone, 0)
    if _clash(start, start + duration, busy) is None and any(
        _fits(ctx, f, start, start + duration) for f in frames
    ):
        return start, start + duration
    for frame in frames:
        slot = _earliest(ctx, frame, duration, busy, start)
        if slot is not None:
            return slot
    return None


def _earliest(
    ctx: _Context,
    frame: _Frame,
    duration: dt.timedelta,
    busy: Sequence[Interval],
    not_before: dt.datetime = EPOCH,
) -> Interval | None:
    start = _ceil(max(frame.start, ctx.now, not_before), GRID)
    while start + duration <= frame.end:  # bounded: every step moves forward by >= GRID
        end = start + duration
        clash = _clash(start, end, busy)
        if clash is None and _fits(ctx, frame, start, end):
            return start, end
        start = _ceil(clash[1], GRID) if clash is not None else start + GRID
    return None


def _latest(
    ctx: _Context, frame: _Frame, duration: dt.timedelta, busy: Sequence[Interval]
) -> Interval | None:
    start = _floor(frame.end - duration, GRID)
    lowest = max(frame.start, ctx.now)
    while start >= lowest:  # bounded: every step moves back by >= GRID
        end = start + duration
        clash = _clash(start, end, busy)
        if clash is None and _fits(ctx, frame, start, end):
            return start, end
        start = _floor(clash[0] - duration, GRID) if clash is not None else start - GRID
    return None


# --- blocks and words ----------------------------------------------------------------------


def _blocks(
    ctx: _Context,
    label: str,
    first: dt.date,
    chosen: Sequence[_Candidate],
    candidates: Sequence[_Candidate],
) -> list[Block]:
    rules = ctx.rules
    tz = rules.timezone
    week_number = first.toordinal() // 7  # alternates templates from week to week
    in_pool = {False: 0, True: 0}
    blocks = []
    for n, cand in enumerate(chosen, 1):
        lighter = cand.avoided
        if cand.activation:
            template = ACTIVATION_TEMPLATE
        else:
            template = choose_template(
                rules.templates,
                lighter=lighter,
                knee_friendly=rules.knee_friendly,
                index=week_number + in_pool[lighter],
            )
            in_pool[lighter] += 1
        suffix = " (activation)" if cand.activation else " (light)" if lighter else ""
        blocks.append(
            Block(
                slot=f"{label}/{n}",
                start=cand.start.astimezone(tz),
                end=cand.end.astimezone(tz),
                week=label,
                summary=rules.title + suffix,
                description=describe(template, _minutes(rules, cand.activation)),
                reason=_reason(ctx, cand, candidates, first),
                template=template.name,
                lighter=lighter,
            )
        )
    return blocks


def _reason(
    ctx: _Context, cand: _Candidate, candidates: Sequence[_Candidate], first: dt.date
) -> str:
    week = [first + dt.timedelta(days=i) for i in range(7)]
    info = _info(ctx, cand.day)
    allowed = sorted(
        (r for r in info.runs if r.kind.value in ctx.rules.allowed_on),
        key=lambda r: (r.event.start.astimezone(UTC), r.event.summary, r.event.uid),
    )
    if allowed:
        what = f"{allowed[0].kind.value} run" + (
            f" ({allowed[0].event.summary.strip()})" if allowed[0].event.summary.strip() else ""
        )
    else:
        what = "rest day (no run)"
    text = f"{_date_text(cand.day)}: {what}"
    race = ctx.taper.get(cand.day)
    if race is not None:
        text += (
            f"; taper before {_quote(race.name)} ({_day_name(race.day, week)}): "
            "a short activation session, no heavy lifts"
        )
    if not cand.before_interval:
        return text
    interval = f"day before intervals ({_day_name(cand.day + ONE_DAY, week)})"
    if not cand.avoided:
        return f"{text}; {interval}, allowed by the rules (day_before_interval = allow)"
    others = [_day_name(c.day, week) for c in candidates if not c.avoided and not c.activation]
    if not others:
        why = "no other compliant day this week"
    elif len(others) == 1:
        why = f"the only other compliant day is {others[0]}"
    else:
        needed = ctx.rules.sessions_per_week
        why = f"the other compliant days ({', '.join(others)}) cannot hold {needed} sessions"
    return f"{text}; {interval}, lighter session: {why}"


def _warnings(
    ctx: _Context,
    week: Sequence[dt.date],
    need: int,
    chosen: Sequence[_Candidate],
    candidates: Sequence[_Candidate],
    notes: Sequence[tuple[dt.date, str]],
    placed: int,
    wanted: int,
) -> tuple[str, ...]:
    rules = ctx.rules
    out: list[str] = []
    if ctx.today > week[-1]:
        out.append("week already over")
    elif ctx.today > week[0]:
        left = (week[-1] - ctx.today).days + 1
        out.append(f"week already started: {left} day{'s' if left != 1 else ''} left")
    allowed = [
        d
        for d in week
        if not _info(ctx, d).own_strength and _is_allowed_kind(_info(ctx, d), rules.allowed_on)
    ]
    if len(allowed) < need:
        out.append(_few_days_text(allowed, week, "rest" in rules.allowed_on))
    used = {c.day for c in chosen}
    strength = ctx.strength | used
    texts = dict(notes)
    for cand in candidates:
        if cand.day not in used:
            other = _too_close(cand.day, strength, rules.min_rest_days)
            if other is not None:
                name = _day_name(cand.day, week)
                texts[cand.day] = f"{name}: {_too_close_text(other, week, rules.min_rest_days)}"
    out += [texts[d] for d in sorted(texts)]
    if not out:
        out.append(f"only {placed} of {wanted} sessions placed")
    return tuple(out)


def _verdicts(
    ctx: _Context,
    week: Sequence[dt.date],
    skips: dict[dt.date, _Skip],
    candidates: Sequence[_Candidate],
    blocks: Sequence[Block],
    need: int,
) -> tuple[DayVerdict, ...]:
    """One verdict per day of the week: the block, or why none."""
    tz = ctx.rules.timezone
    placed = {b.start.astimezone(tz).date(): b for b in blocks}
    by_day = {c.day: c for c in candidates}
    taken = sorted({*placed, *(d for d in week if _info(ctx, d).own_strength)})
    out = []
    for day in week:
        if day in placed:
            code, text = "strength", _placed_text(placed[day], ctx.rules)
        elif day in by_day:
            code, text = _unchosen(ctx, by_day[day], week, taken, need)
        else:
            code, text = skips[day].code, skips[day].text
        out.append(DayVerdict(day, code, text))
    return tuple(out)


def _placed_text(block: Block, rules: PlanRules) -> str:
    from calsync.core.sessions import find_template

    template = find_template(block.template, rules.templates)
    session = label(template) if template is not None else block.template
    tz = rules.timezone
    what = block.reason.split(": ", 1)[-1]
    return f"strength at {block.start.astimezone(tz):%H:%M} ({session}): {what}"


def _unchosen(
    ctx: _Context,
    cand: _Candidate,
    week: Sequence[dt.date],
    placed: Sequence[dt.date],
    need: int,
) -> tuple[str, str]:
    rules = ctx.rules
    if need == 0:
        return "not_needed", "your own strength sessions already fill the week"
    close = _too_close(cand.day, ctx.strength | set(placed), rules.min_rest_days)
    if close is not None:
        return "too_close", _too_close_text(close, week, rules.min_rest_days)
    names = ", ".join(_day_name(d, week) for d in placed)
    if cand.avoided:
        nxt = cand.day + ONE_DAY
        what = "the race" if nxt in ctx.races else "intervals"
        works = "works" if len(placed) == 1 else "work"
        text = f"day before {what} ({_day_name(nxt, week)}; avoided: {names} {works})"
        return "day_before_interval", text
    if cand.activation:
        race = ctx.taper[cand.day]
        taper = f"taper before {_quote(race.name)} ({_day_name(race.day, week)})"
        done = [_day_name(d, week) for d in placed if d in ctx.taper]
        if done:
            return "taper", f"{taper}: one activation session a week, on {', '.join(done)}"
        return "taper", f"{taper}: no heavy session; the week's sessions are on {names}"
    info = _info(ctx, cand.day)
    runs = [r for r in info.runs if r.kind.value in rules.allowed_on]
    what = f"{runs[0].kind.value} run" if runs else "rest day"
    count = NUMBERS[len(placed)] if len(placed) < len(NUMBERS) else str(len(placed))
    plural = "session" if len(placed) == 1 else "sessions"
    return "not_chosen", f"{what}, not chosen ({count} {plural} already: {names})"


def _few_days_text(days: Sequence[dt.date], week: Sequence[dt.date], rest: bool) -> str:
    kind = "easy or rest" if rest else "easy"
    if not days:
        return f"no {'easy-run or rest' if rest else 'easy-run'} days this week"
    names = ", ".join(_day_name(d, week) for d in days)
    if len(days) == 1:
        return f"only one {kind} day: {names}"
    return f"only {len(days)} {kind} days: {names}"


def _too_close_text(other: dt.date, week: Sequence[dt.date], rest: int) -> str:
    between = "a rest day" if rest == 1 else f"{rest} rest days"
    return f"too close to strength on {_day_name(other, week)} (needs {between} between)"


def _no_slot_text(ctx: _Context, day: dt.date, minutes: int) -> str:
    rules = ctx.rules
    spans = " or ".join(f"between {w.start:%H:%M} and {w.end:%H:%M}" for w in _windows(rules, day))
    text = f"no free {minutes}-min slot {spans}"
    if day == ctx.today:
        text += f" after {ctx.now.astimezone(rules.timezone):%H:%M}"
    return text


def _day_name(day: dt.date, week: Sequence[dt.date]) -> str:
    """ "Thu" inside the week, "Mon 7 Dec" outside it."""
    return WEEKDAYS[day.weekday()] if week[0] <= day <= week[-1] else _date_text(day)


def _date_text(day: dt.date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]}"


def _quote(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    if len(text) > width:
        text = text[: width - 1] + "…"
    return f'"{text}"'
