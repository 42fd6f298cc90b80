"""Per-day verdicts (`DayVerdict` codes and their reasons in words) and the warnings of a
week short of its sessions.

Pure: no I/O, no clock. The rules are documented once, in `calsync.core.plan`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from calsync.core.choice import too_close
from calsync.core.day_index import UTC
from calsync.core.day_index import Day
from calsync.core.day_index import allowed_kind
from calsync.core.placement import windows_of
from calsync.core.plan_state import Candidate
from calsync.core.plan_state import Context
from calsync.core.plan_state import Skip
from calsync.core.plan_state import day_info
from calsync.core.sessions import find_template
from calsync.core.sessions import label
from calsync.core.weeks import ONE_DAY
from calsync.core.weeks import day_name
from calsync.core.weeks import quote
from calsync.model import Block
from calsync.model import Classified
from calsync.model import DayVerdict
from calsync.model import Kind
from calsync.model import PlanRules

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


def kind_skip(ctx: Context, day: dt.date, info: Day) -> Skip:
    """A day whose runs keep strength away: a race, intervals, a long run, or no run."""
    runs = sorted(info.runs, key=lambda r: (r.event.start.astimezone(UTC), r.event.uid))
    race = ctx.races.get(day)
    if race is not None:
        return Skip("race", f"race day ({quote(race.name)}): no strength")
    for kind, code, what in (
        (Kind.INTERVAL, "interval", "intervals"),
        (Kind.LONG, "long", "long run"),
    ):
        hit = next((r for r in runs if r.kind is kind), None)
        if hit is not None:
            return Skip(code, f"{what}{_title(hit)}")
    allowed = ", ".join(sorted(ctx.rules.allowed_on))
    if not runs:
        return Skip("rest_day", f"no run (rest day; allowed_on = {allowed})")
    return Skip("not_allowed", f"{runs[0].kind.value} run{_title(runs[0])}; allowed_on = {allowed}")


def _title(item: Classified) -> str:
    summary = item.event.summary.strip()
    return f" ({quote(summary)})" if summary else ""


def week_warnings(
    ctx: Context,
    week: Sequence[dt.date],
    need: int,
    chosen: Sequence[Candidate],
    candidates: Sequence[Candidate],
    notes: Sequence[tuple[dt.date, str]],
    placed: int,
    wanted: int,
) -> tuple[str, ...]:
    """Why a week is short of its sessions, in words, the days in date order."""
    rules = ctx.rules
    out = _started(ctx.today, week)
    allowed = [
        d
        for d in week
        if not day_info(ctx, d).own_strength and allowed_kind(day_info(ctx, d), rules.allowed_on)
    ]
    if len(allowed) < need:
        out.append(_few_days_text(allowed, week, "rest" in rules.allowed_on))
    texts = dict(notes) | _crowded(ctx, week, chosen, candidates)
    out += [texts[d] for d in sorted(texts)]
    if not out:
        out.append(f"only {placed} of {wanted} sessions placed")
    return tuple(out)


def _started(today: dt.date, week: Sequence[dt.date]) -> list[str]:
    if today > week[-1]:
        return ["week already over"]
    if today > week[0]:
        left = (week[-1] - today).days + 1
        return [f"week already started: {left} day{'s' if left != 1 else ''} left"]
    return []


def _crowded(
    ctx: Context,
    week: Sequence[dt.date],
    chosen: Sequence[Candidate],
    candidates: Sequence[Candidate],
) -> dict[dt.date, str]:
    """The compliant days left out because they are too close to a strength day."""
    rest = ctx.rules.min_rest_days
    used = {c.day for c in chosen}
    strength = ctx.strength | used
    texts = {}
    for cand in candidates:
        other = None if cand.day in used else too_close(cand.day, strength, rest)
        if other is not None:
            texts[cand.day] = f"{day_name(cand.day, week)}: {too_close_text(other, week, rest)}"
    return texts


def day_verdicts(
    ctx: Context,
    week: Sequence[dt.date],
    skips: dict[dt.date, Skip],
    candidates: Sequence[Candidate],
    blocks: Sequence[Block],
    need: int,
) -> tuple[DayVerdict, ...]:
    """One verdict per day of the week: the block, or why none."""
    tz = ctx.rules.timezone
    placed = {b.start.astimezone(tz).date(): b for b in blocks}
    by_day = {c.day: c for c in candidates}
    taken = sorted({*placed, *(d for d in week if day_info(ctx, d).own_strength)})
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
    """ "strength at 18:15 (Session A): easy run (Easy 8 km)"."""
    template = find_template(block.template, rules.templates)
    session = label(template) if template is not None else block.template
    tz = rules.timezone
    what = block.reason.split(": ", 1)[-1]
    return f"strength at {block.start.astimezone(tz):%H:%M} ({session}): {what}"


def _unchosen(
    ctx: Context,
    cand: Candidate,
    week: Sequence[dt.date],
    placed: Sequence[dt.date],
    need: int,
) -> tuple[str, str]:
    """The verdict of a compliant day that got no block."""
    rules = ctx.rules
    if need == 0:
        return "not_needed", "your own strength sessions already fill the week"
    close = too_close(cand.day, ctx.strength | set(placed), rules.min_rest_days)
    if close is not None:
        return "too_close", too_close_text(close, week, rules.min_rest_days)
    names = ", ".join(day_name(d, week) for d in placed)
    if cand.avoided:
        nxt = cand.day + ONE_DAY
        what = "the race" if nxt in ctx.races else "intervals"
        works = "works" if len(placed) == 1 else "work"
        text = f"day before {what} ({day_name(nxt, week)}; avoided: {names} {works})"
        return "day_before_interval", text
    if cand.activation:
        return "taper", _taper_text(ctx, cand.day, week, placed, names)
    runs = [r for r in day_info(ctx, cand.day).runs if r.kind.value in rules.allowed_on]
    what = f"{runs[0].kind.value} run" if runs else "rest day"
    count = NUMBERS[len(placed)] if len(placed) < len(NUMBERS) else str(len(placed))
    plural = "session" if len(placed) == 1 else "sessions"
    return "not_chosen", f"{what}, not chosen ({count} {plural} already: {names})"


def _taper_text(
    ctx: Context, day: dt.date, week: Sequence[dt.date], placed: Sequence[dt.date], names: str
) -> str:
    race = ctx.taper[day]
    taper = f"taper before {quote(race.name)} ({day_name(race.day, week)})"
    done = [day_name(d, week) for d in placed if d in ctx.taper]
    if done:
        return f"{taper}: one activation session a week, on {', '.join(done)}"
    return f"{taper}: no heavy session; the week's sessions are on {names}"


def _few_days_text(days: Sequence[dt.date], week: Sequence[dt.date], rest: bool) -> str:
    kind = "easy or rest" if rest else "easy"
    if not days:
        return f"no {'easy-run or rest' if rest else 'easy-run'} days this week"
    names = ", ".join(day_name(d, week) for d in days)
    if len(days) == 1:
        return f"only one {kind} day: {names}"
    return f"only {len(days)} {kind} days: {names}"


def too_close_text(other: dt.date, week: Sequence[dt.date], rest: int) -> str:
    """ "too close to strength on Thu (needs a rest day between)"."""
    between = "a rest day" if rest == 1 else f"{rest} rest days"
    return f"too close to strength on {day_name(other, week)} (needs {between} between)"


def no_slot_text(ctx: Context, day: dt.date, minutes: int) -> str:
    """ "no free 45-min slot between 06:00 and 21:00" (after now, today)."""
    rules = ctx.rules
    spans = " or ".join(
        f"between {w.start:%H:%M} and {w.end:%H:%M}" for w in windows_of(rules, day)
    )
    text = f"no free {minutes}-min slot {spans}"
    if day == ctx.today:
        text += f" after {ctx.now.astimezone(rules.timezone):%H:%M}"
    return text
