"""Turn plans and classifications into what people and machines read: tables, JSON, ICS."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from calsync.app.planning import PlanOutcome
from calsync.config import Config
from calsync.model import RUN_KINDS
from calsync.model import Block
from calsync.model import Classified
from calsync.model import DayVerdict
from calsync.model import Event
from calsync.model import Kind

KIND_WIDTH = 8
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _iso(moment: dt.datetime, all_day: bool, tz: dt.tzinfo) -> str:
    local = moment.astimezone(tz)
    return local.date().isoformat() if all_day else local.isoformat()


def _event_dates(event: Event, tz: dt.tzinfo) -> tuple[str, str]:
    return _iso(event.start, event.all_day, tz), _iso(event.end, event.all_day, tz)


def classify_json(outcome: PlanOutcome) -> str:
    """The `classify` contract: one object per occurrence."""
    tz = outcome.window.read_start.tzinfo or dt.UTC
    rows = []
    for item in outcome.classified:
        start, end = _event_dates(item.event, tz)
        rows.append(
            {
                "uid": item.event.uid,
                "start": start,
                "end": end,
                "summary": item.event.summary,
                "kind": item.kind.value,
                "reason": item.reason,
            }
        )
    return json.dumps(rows, ensure_ascii=False, indent=2)


def _block_json(block: Block) -> dict[str, Any]:
    return {
        "start": block.start.isoformat(),
        "end": block.end.isoformat(),
        "summary": block.summary,
        "description": block.description,
        "week": block.week,
        "reason": block.reason,
        "slot": block.slot,
        "lighter": block.lighter,
        "template": block.template,
        "session": _session_label(block),
    }


def _session_label(block: Block) -> str:
    """ "Session A", "Lighter session", "Activation session"; a user template's name."""
    from calsync.core.sessions import LABELS

    return LABELS.get(block.template, block.template)


def _day_json(verdict: DayVerdict) -> dict[str, str]:
    return {
        "date": verdict.date.isoformat(),
        "day": WEEKDAYS[verdict.date.weekday()],
        "verdict": verdict.code,
        "reason": verdict.reason,
    }


def plan_json(outcome: PlanOutcome) -> str:
    """The `plan` contract (docs/plan-json.md): `blocks` and `weeks`, each week with one
    verdict per day (plus `problems`, the skipped events)."""
    data = {
        "blocks": [_block_json(b) for b in outcome.plan.blocks],
        "weeks": [
            {
                "week": w.week,
                "placed": w.placed,
                "wanted": w.wanted,
                "warnings": list(w.warnings),
                "days": [_day_json(d) for d in w.days],
            }
            for w in outcome.plan.weeks
        ],
        "problems": [
            {"source": p.source, "uid": p.uid, "message": p.message, "skipped": p.skipped}
            for p in outcome.problems
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2)


def plan_ics(outcome: PlanOutcome, config: Config, now: dt.datetime) -> str:
    """A valid calendar of the blocks (DTSTAMP from the clock, to the second)."""
    from calsync import ical

    stamp = now.astimezone(dt.UTC).replace(microsecond=0)
    blocks = outcome.plan.blocks
    # Marked as calsync's own, so a calendar that later holds them plans the same weeks again.
    props = {
        ical.default_uid(b.slot): {"MANAGED": "1", "WEEK": b.week, "SLOT": b.slot} for b in blocks
    }
    data = ical.render_calendar(
        blocks,
        dtstamp=stamp,
        tz=config.timezone,
        name=config.feed.name,
        transparent=config.sync.transparent,
        props=props,
    )
    return data.decode("utf-8")


def _when(event: Event, tz: dt.tzinfo) -> str:
    start = event.start.astimezone(tz)
    if event.all_day:
        days = max(1, (event.end - event.start).days)
        return f"{start:%a %d %b}  all day" + (f" ({days}d)" if days > 1 else "")
    end = event.end.astimezone(tz)
    return f"{start:%a %d %b}  {start:%H:%M}–{end:%H:%M}"


def _by_week(outcome: PlanOutcome, config: Config) -> dict[str, list[Classified]]:
    tz = config.timezone
    starts = [(w.first_day, w.week) for w in outcome.plan.weeks]
    weeks: dict[str, list[Classified]] = defaultdict(list)
    for item in outcome.classified:
        day = item.event.start.astimezone(tz).date()
        label = next((w for first, w in reversed(starts) if first <= day), None)
        if label is not None:
            weeks[label].append(item)
    return weeks


def plan_table(
    outcome: PlanOutcome, config: Config, *, explain: bool = False, sessions: bool = False
) -> str:
    """Each week's runs with their kinds, then the blocks with day, time, reason and session,
    then warnings; with `explain` a verdict for every day, and (`explain` or `sessions`) each
    block's whole session."""
    tz = config.timezone
    lines = [_header(outcome, config)]
    runs = _by_week(outcome, config)
    blocks: dict[str, list[Block]] = defaultdict(list)
    for block in outcome.plan.blocks:
        blocks[block.week].append(block)
    for week in outcome.plan.weeks:
        last = week.first_day + dt.timedelta(days=6)
        lines.append("")
        lines.append(
            f"{week.week}  {week.first_day:%a %d %b} – {last:%a %d %b %Y}"
            f"   strength {week.placed}/{week.wanted}"
        )
        # calsync's own blocks in the input are no sessions of the user's: the planned ones
        # show under Strength, the others are no longer planned. A user's copy of one shows.
        week_runs = [
            c
            for c in runs.get(week.week, [])
            if c.kind in RUN_KINDS | {Kind.STRENGTH} and not c.event.managed
        ]
        lines.append("  Training" if week_runs else "  Training: no runs")
        for item in week_runs:
            lines.append(
                f"    {_when(item.event, tz):<24} {item.kind.value:<{KIND_WIDTH}} "
                f"{_short(item.event.summary)}"
            )
            if explain:
                lines.append(f"    {'':<24} {'':<{KIND_WIDTH}} ↳ {item.reason}")
        lines.append("  Strength" if blocks.get(week.week) else "  Strength: none placed")
        for block in blocks.get(week.week, []):
            start, end = block.start.astimezone(tz), block.end.astimezone(tz)
            title = block.summary + (
                " (lighter)" if block.lighter and "light" not in block.summary.lower() else ""
            )
            lines.append(f"    {start:%a %d %b}  {start:%H:%M}–{end:%H:%M}  {title}")
            lines.append(f"      why: {block.reason}")
            lines += _session_lines(block, config, full=explain or sessions)
        for warning in week.warnings:
            lines.append(f"  ! {warning}")
        if explain and week.days:
            lines.append("  Day by day")
            lines += [f"    {WEEKDAYS[d.date.weekday()]}: {d.reason}" for d in week.days]
    if skipped := sum(p.skipped for p in outcome.problems):
        lines.append("")
        lines.append(f"{skipped} broken event(s) or file(s) skipped (see stderr)")
    return "\n".join(lines)


def _session_lines(block: Block, config: Config, *, full: bool) -> list[str]:
    """ "session: Session A: back squat 4 × 4-5, ..." and, with `full`, the whole text."""
    from calsync.core.sessions import find_template
    from calsync.core.sessions import headline

    template = find_template(block.template, config.rules.templates)
    lines = [f"      session: {headline(template) if template else block.template}"]
    if full:
        lines += [f"        {line}".rstrip() for line in block.description.splitlines()]
    return lines


def _header(outcome: PlanOutcome, config: Config) -> str:
    w = outcome.window
    sources = ", ".join(outcome.sources) or "nothing"
    return (
        f"Strength plan, {w.weeks} week{'s' if w.weeks != 1 else ''} from "
        f"{w.first_day:%a %d %b %Y} ({config.timezone.key}); read from {sources}"
    )


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def classify_table(outcome: PlanOutcome, config: Config, *, explain: bool = False) -> str:
    """One line per occurrence: when, kind, title (and the reason with --explain)."""
    tz = config.timezone
    lines = [_header(outcome, config).replace("Strength plan", "Classification")]
    counts = _counts(c.kind for c in outcome.classified)
    for item in outcome.classified:
        lines.append(
            f"{_when(item.event, tz):<24} {item.kind.value:<{KIND_WIDTH}} "
            f"{_short(item.event.summary)}"
        )
        if explain:
            lines.append(f"{'':<24} {'':<{KIND_WIDTH}} ↳ {item.reason}")
    lines.append("")
    lines.append(", ".join(f"{n} {kind}" for kind, n in counts.items()) or "no events")
    return "\n".join(lines)


def _counts(kinds: Iterable[Kind]) -> dict[str, int]:
    out: dict[str, int] = {k.value: 0 for k in Kind}
    for kind in kinds:
        out[kind.value] += 1
    return {k: n for k, n in out.items() if n}
