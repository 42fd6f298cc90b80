"""What a sync did (or, in a dry run, would do): one `SyncAction` line per block, the report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from calsync.core import sync_plan as sp
from calsync.model import WeekReport


@dataclass(frozen=True, slots=True)
class SyncAction:
    """One line of the report: what happened (or would happen) to one block."""

    kind: str  # create, move, update (same time, text refreshed), keep, remove, skip
    week: str
    start: dt.datetime | None  # where the block is afterwards (None: removed)
    old_start: dt.datetime | None  # where it was (move, remove)
    summary: str
    uid: str | None
    reason: str
    end: dt.datetime | None = None  # the block's end afterwards (None: removed)
    fixed: bool = False  # a block calsync leaves alone: past, moved or edited by the user

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.kind,
            "week": self.week,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "old_start": self.old_start.isoformat() if self.old_start else None,
            "summary": self.summary,
            "uid": self.uid,
            "reason": self.reason,
            "fixed": self.fixed,
        }


@dataclass(slots=True)
class SyncReport:
    """What `sync_once` did (or, with dry_run, would do)."""

    account: str
    target: str
    dry_run: bool
    first_day: dt.date
    last_day: dt.date
    actions: list[SyncAction] = field(default_factory=list)
    weeks: tuple[WeekReport, ...] = ()
    requests: int = 0
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(("create", "move", "update", "keep", "remove", "skip"), 0)
        for action in self.actions:
            out[action.kind] = out.get(action.kind, 0) + 1
        return out

    @property
    def writes(self) -> int:
        """Writes made (or, in a dry run, that would be made)."""
        c = self.counts()
        return c["create"] + c["move"] + c["update"] + c["remove"]

    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "target": self.target,
            "dry_run": self.dry_run,
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "counts": self.counts(),
            "requests": self.requests,
            "actions": [a.to_json() for a in self.actions],
            "weeks": [
                {
                    "week": w.week,
                    "placed": w.placed,
                    "wanted": w.wanted,
                    "warnings": list(w.warnings),
                }
                for w in self.weeks
            ],
            "warnings": list(self.warnings),
        }


def line_of(step: sp.Step) -> SyncAction | None:
    """The report line of one step (None: state bookkeeping, not a line)."""
    match step:
        case sp.Create(block=b, uid=uid, reason=why):
            return SyncAction("create", b.week, b.start, None, b.summary, uid, why, end=b.end)
        case sp.Skip(block=b, reason=why):
            return SyncAction("skip", b.week, b.start, None, b.summary, None, why, end=b.end)
        case sp.Remove(existing=e, reason=why):
            return SyncAction("remove", e.week, None, e.start, e.summary, e.uid, why)
        case sp.Keep(existing=e, reason=why, block=b) | sp.Adopt(existing=e, reason=why, block=b):
            week = b.week if b is not None else e.week
            return SyncAction(
                "keep", week, e.start, None, e.summary, e.uid, why, end=e.end, fixed=b is None
            )
        case sp.Move(block=b, existing=e, reason=why) | sp.Update(block=b, existing=e, reason=why):
            return SyncAction(step.kind, b.week, b.start, e.start, b.summary, e.uid, why, b.end)
    return None


def lines_of(plan: sp.SyncPlan) -> list[SyncAction]:
    """The report lines of a whole plan (what a dry run shows)."""
    return [line for step in plan.steps if (line := line_of(step)) is not None]
