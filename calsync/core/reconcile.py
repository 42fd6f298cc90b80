"""Reconciliation: the plan's blocks against calsync's blocks already in the calendar. Pure.

`reconcile(planned, existing, weeks, deleted, now)` returns one `Action` per planned block and
per existing managed block of the plan weeks, in a decision table (one comment per branch):

  - existing block whose week is not a plan week      -> not looked at at all
  - existing block that started before `now`          -> keep ("in the past")
  - existing block whose title/description the user edited (hash mismatch) -> keep, untouched
  - existing block the user moved (DTSTART != X-CALSYNC-PLANNED-START)     -> keep, untouched
    (these three are "fixed": the engine gives them to the planner as the user's own strength
    sessions, so they count toward the week's quota and the spacing)
  - planned block with an existing movable block at the same time -> keep (calsync.core.sync_plan
    turns it into an update when the server's copy does not say what calsync would write)
  - other planned blocks paired, in time order, with the week's other movable blocks -> move
    (an update of the same event: same UID, same href)
  - planned block left over -> create, unless the user deleted blocks of that week: then skip
    (one skip per deletion)
  - movable block left over -> remove

Only `Existing` (managed) blocks ever appear in a move/keep/remove: a user's own event cannot
be the subject of an action, because it never gets here. `calsync.core.sync_plan.plan_sync` makes
the complete plan of a sync from these actions (plus the deletions noticed and the guards).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from calsync.model import Block

UTC = dt.UTC
STAMP = "%Y%m%dT%H%M%SZ"

ActionKind = Literal["create", "move", "keep", "remove", "skip"]


@dataclass(frozen=True, slots=True)
class Existing:
    """A managed block found in the target calendar (X-CALSYNC-MANAGED)."""

    uid: str
    href: str
    week: str  # X-CALSYNC-WEEK
    slot: str  # X-CALSYNC-SLOT
    start: dt.datetime  # what the server says now
    end: dt.datetime
    planned_start: dt.datetime | None  # X-CALSYNC-PLANNED-START: where calsync put it
    planned_end: dt.datetime | None
    edited: bool  # title or description differ from what calsync wrote (X-CALSYNC-HASH)
    summary: str = ""


@dataclass(frozen=True, slots=True)
class Action:
    """One line of the reconciliation."""

    kind: ActionKind
    week: str
    reason: str
    block: Block | None = None  # the planned block (create, move, keep of a planned one, skip)
    existing: Existing | None = None  # the managed block acted on (move, keep, remove)

    @property
    def start(self) -> dt.datetime | None:
        """Where the block is after this action (None for a remove)."""
        if self.kind == "remove":
            return None
        if self.kind in ("create", "move", "skip") and self.block is not None:
            return self.block.start
        if self.existing is not None:
            return self.existing.start
        return self.block.start if self.block is not None else None


def content_hash(summary: str, description: str) -> str:
    """X-CALSYNC-HASH: a fingerprint of the title and description calsync wrote.

    Line endings and trailing spaces are normalised so a server's re-folding is no edit.
    """

    def norm(text: str) -> str:
        lines = text.replace("\r\n", "\n").replace("\r", "\n").strip().split("\n")
        return "\n".join(line.rstrip() for line in lines)

    data = f"{norm(summary)}\x1f{norm(description)}".encode()
    return hashlib.sha256(data).hexdigest()[:16]


def utc_stamp(moment: dt.datetime) -> str:
    """20261130T080000Z: how planned times are written in X-CALSYNC-PLANNED-*."""
    return moment.astimezone(UTC).strftime(STAMP)


def parse_stamp(text: str | None) -> dt.datetime | None:
    """The inverse of `utc_stamp`; None when missing or unreadable."""
    if not text:
        return None
    try:
        return dt.datetime.strptime(text.strip(), STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


def fixed_reason(block: Existing, now: dt.datetime) -> str | None:
    """Why a managed block must not be touched, or None when calsync may move or remove it."""
    if block.start < now:  # started (or over): the past is never rewritten
        return "in the past"
    if block.edited:  # the user rewrote title or description: it is theirs now
        return "title or description edited in the calendar: left alone"
    if block.planned_start is not None and (
        block.planned_start != block.start
        or (block.planned_end is not None and block.planned_end != block.end)
    ):  # the user dragged it elsewhere: it stays there and counts for its week
        return "moved in the calendar: stays where you put it"
    return None


def reconcile(
    planned: Iterable[Block],
    existing: Iterable[Existing],
    weeks: Sequence[str],
    deleted: Mapping[str, int],
    now: dt.datetime,
) -> list[Action]:
    """Diff the plan against the managed blocks of the plan weeks (see the module docstring).

    `weeks`: the plan's week labels; `deleted`: week -> how many of calsync's blocks the user
    deleted that week (they are not recreated). Deterministic: actions sorted by week, then time.
    """
    wanted_weeks = set(weeks)
    by_week_planned: dict[str, list[Block]] = {w: [] for w in weeks}
    for block in planned:
        by_week_planned.setdefault(block.week, []).append(block)
    by_week_existing: dict[str, list[Existing]] = {w: [] for w in weeks}
    for found in existing:
        if found.week in wanted_weeks:  # blocks of other weeks are never looked at
            by_week_existing[found.week].append(found)
    actions: list[Action] = []
    for week in sorted(set(by_week_planned) | set(by_week_existing)):
        actions += _week(
            week,
            sorted(by_week_planned.get(week, []), key=lambda b: (b.start, b.slot)),
            sorted(by_week_existing.get(week, []), key=lambda e: (e.start, e.uid)),
            deleted.get(week, 0),
            now,
        )
    return actions


def _week(
    week: str,
    planned: list[Block],
    existing: list[Existing],
    deleted: int,
    now: dt.datetime,
) -> list[Action]:
    actions: list[Action] = []
    movable: list[Existing] = []
    for found in existing:
        why = fixed_reason(found, now)
        if why is not None:  # past, edited or moved by the user: kept as it is
            actions.append(Action("keep", week, why, existing=found))
        else:
            movable.append(found)
    rest: list[Block] = []
    for block in planned:  # same time as a block already there: nothing to move
        same = next((m for m in movable if m.start == block.start and m.end == block.end), None)
        if same is not None:
            movable.remove(same)
            actions.append(Action("keep", week, block.reason, block=block, existing=same))
        else:
            rest.append(block)
    for block, found in zip(rest, movable, strict=False):  # the plan moved: update in place
        old = found.start.astimezone(block.start.tzinfo)
        if found.start == block.start:  # same start, another length (duration_minutes)
            was = int((found.end - found.start).total_seconds() // 60)
            now_minutes = int((block.end - block.start).total_seconds() // 60)
            reason = f"{now_minutes} minutes instead of {was}: {block.reason}"
        else:
            reason = f"moved from {old:%a %d %b %H:%M}: {block.reason}"
        actions.append(Action("move", week, reason, block=block, existing=found))
    paired = min(len(rest), len(movable))
    for block in rest[paired:]:  # planned, not there yet
        if deleted > 0:  # the user deleted a block this week: not recreated
            deleted -= 1
            actions.append(
                Action("skip", week, "you deleted a block of this week: not recreated", block=block)
            )
        else:
            actions.append(Action("create", week, block.reason, block=block))
    for found in movable[paired:]:  # no longer planned
        actions.append(Action("remove", week, "no longer planned", existing=found))
    actions.sort(key=_order)
    return actions


def _order(action: Action) -> tuple[dt.datetime, str]:
    moment = action.start or (action.existing.start if action.existing else None)
    return (moment or dt.datetime.min.replace(tzinfo=UTC), action.kind)


def held(actions: Iterable[Action], why: str) -> list[Action]:
    """`actions` with nothing created, moved or removed: blocks stay where they are.

    Used when a busy calendar could not be read: planning without it could put a block on top
    of a meeting, so no block goes anywhere new; keeping the old ones is the safe choice.
    """
    out: list[Action] = []
    for action in actions:
        if action.kind == "create":
            out.append(Action("skip", action.week, why, block=action.block))
        elif action.kind in ("move", "remove"):
            out.append(Action("keep", action.week, why, existing=action.existing))
        else:
            out.append(action)
    return out


def count(actions: Iterable[Action]) -> dict[str, int]:
    """Actions per kind, every kind present (0 when none)."""
    out = {"create": 0, "move": 0, "keep": 0, "remove": 0, "skip": 0}
    for action in actions:
        out[action.kind] += 1
    return out
