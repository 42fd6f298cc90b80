"""The strength blocks of a week: template, summary, description and the reason in words.

Pure: no I/O, no clock. The rules are documented once, in `calsync.core.plan`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from calsync.core.day_index import UTC
from calsync.core.plan_state import Candidate
from calsync.core.plan_state import Context
from calsync.core.plan_state import day_info
from calsync.core.plan_state import session_minutes
from calsync.core.sessions import ACTIVATION_TEMPLATE
from calsync.core.sessions import choose_template
from calsync.core.sessions import describe
from calsync.core.weeks import ONE_DAY
from calsync.core.weeks import date_text
from calsync.core.weeks import day_name
from calsync.core.weeks import quote
from calsync.model import Block
from calsync.model import PlanRules
from calsync.model import Template


def make_blocks(
    ctx: Context,
    label: str,
    first: dt.date,
    chosen: Sequence[Candidate],
    candidates: Sequence[Candidate],
) -> list[Block]:
    """The week's blocks, in day order: templates A/B alternate by week and position."""
    rules = ctx.rules
    week_number = first.toordinal() // 7  # alternates templates from week to week
    in_pool = {False: 0, True: 0}
    blocks = []
    for n, cand in enumerate(chosen, 1):
        if cand.activation:
            template = ACTIVATION_TEMPLATE
        else:
            template = choose_template(
                rules.templates,
                lighter=cand.avoided,
                knee_friendly=rules.knee_friendly,
                index=week_number + in_pool[cand.avoided],
            )
            in_pool[cand.avoided] += 1
        reason = _reason(ctx, cand, candidates, first)
        blocks.append(_block(rules, label, n, cand, template, reason))
    return blocks


def _block(
    rules: PlanRules, label: str, n: int, cand: Candidate, template: Template, reason: str
) -> Block:
    tz = rules.timezone
    suffix = " (activation)" if cand.activation else " (light)" if cand.avoided else ""
    return Block(
        slot=f"{label}/{n}",
        start=cand.start.astimezone(tz),
        end=cand.end.astimezone(tz),
        week=label,
        summary=rules.title + suffix,
        description=describe(template, session_minutes(rules, cand.activation)),
        reason=reason,
        template=template.name,
        lighter=cand.avoided,
    )


def _reason(ctx: Context, cand: Candidate, candidates: Sequence[Candidate], first: dt.date) -> str:
    """Why that day: its run, the taper, the day before intervals."""
    week = [first + dt.timedelta(days=i) for i in range(7)]
    text = f"{date_text(cand.day)}: {_what(ctx, cand.day)}"
    race = ctx.taper.get(cand.day)
    if race is not None:
        text += (
            f"; taper before {quote(race.name)} ({day_name(race.day, week)}): "
            "a short activation session, no heavy lifts"
        )
    if not cand.before_interval:
        return text
    interval = f"day before intervals ({day_name(cand.day + ONE_DAY, week)})"
    if not cand.avoided:
        return f"{text}; {interval}, allowed by the rules (day_before_interval = allow)"
    return f"{text}; {interval}, lighter session: {_why_avoided(ctx, candidates, week)}"


def _what(ctx: Context, day: dt.date) -> str:
    """ "easy run (Easy 8 km)": the day's first allowed run, or a rest day."""
    allowed = sorted(
        (r for r in day_info(ctx, day).runs if r.kind.value in ctx.rules.allowed_on),
        key=lambda r: (r.event.start.astimezone(UTC), r.event.summary, r.event.uid),
    )
    if not allowed:
        return "rest day (no run)"
    summary = allowed[0].event.summary.strip()
    return f"{allowed[0].kind.value} run" + (f" ({summary})" if summary else "")


def _why_avoided(ctx: Context, candidates: Sequence[Candidate], week: Sequence[dt.date]) -> str:
    """Why an avoided day (the day before intervals) is used all the same."""
    others = [day_name(c.day, week) for c in candidates if not c.avoided and not c.activation]
    if not others:
        return "no other compliant day this week"
    if len(others) == 1:
        return f"the only other compliant day is {others[0]}"
    needed = ctx.rules.sessions_per_week
    return f"the other compliant days ({', '.join(others)}) cannot hold {needed} sessions"
