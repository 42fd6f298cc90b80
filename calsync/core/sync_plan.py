"""The complete plan of one sync, as data: every step with its reason, and the guards. Pure.

No I/O, no clock, no logging. `reconcile` (calsync.core.reconcile) is the case table; `plan_sync`
turns its actions, the blocks the user deleted and the state's stale records into the steps the
executor (calsync.app.sync_exec) applies in order, deciding nothing itself:

  Forget / ForgetDeletionsBefore  state only: a record of an old week or another calendar
  RecordDeletion                  a block calsync wrote is gone: the user deleted it
  Keep / Adopt / Skip             nothing written (Adopt: a block the state did not know)
  Move / Update                   rewrite a block in place (If-Match); Update: same time, text
  Create                          a new block (If-None-Match: *)
  Remove                          delete a block no longer planned (If-Match)

The guards (`empty_calendar_problem`, `mass_delete_problem`) look at a plan and say why it must
not run, or None.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Callable
from collections.abc import Collection
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar
from typing import Protocol

from calsync.core.reconcile import Action
from calsync.core.reconcile import Existing
from calsync.model import Block

EMPTY_GUARD_MIN = 2  # a runs calendar that had at least this many occurrences and now has none


@dataclass(frozen=True, slots=True)
class Forget:
    """A remembered block of a week before the window, or of another calendar: forgotten."""

    uid: str
    kind: ClassVar[str] = "forget"


@dataclass(frozen=True, slots=True)
class ForgetDeletionsBefore:
    """The user's deletions of weeks before `week` can never matter again."""

    week: str
    kind: ClassVar[str] = "forget-deletions"


@dataclass(frozen=True, slots=True)
class RecordDeletion:
    """A block calsync wrote is gone from the calendar: the user deleted it."""

    uid: str
    week: str
    start: dt.datetime
    reason: str
    kind: ClassVar[str] = "record-deletion"


@dataclass(frozen=True, slots=True)
class Keep:
    """A block that stays as it is (`block` None: fixed, i.e. past, moved or edited)."""

    existing: Existing
    reason: str
    block: Block | None = None
    kind: ClassVar[str] = "keep"


@dataclass(frozen=True, slots=True)
class Adopt:
    """A kept block the state did not know (a lost state): remembered again."""

    existing: Existing
    reason: str
    block: Block | None = None
    kind: ClassVar[str] = "adopt"


@dataclass(frozen=True, slots=True)
class Skip:
    """A planned block not created: the user deleted a block of its week."""

    block: Block
    reason: str
    kind: ClassVar[str] = "skip"


@dataclass(frozen=True, slots=True)
class Move:
    """The block moves: the same event (UID, href) rewritten with If-Match."""

    block: Block
    existing: Existing
    data: bytes
    reason: str
    kind: ClassVar[str] = "move"


@dataclass(frozen=True, slots=True)
class Update:
    """Same time, other text (or busy flag): the block rewritten with If-Match."""

    block: Block
    existing: Existing
    data: bytes
    reason: str
    kind: ClassVar[str] = "update"


@dataclass(frozen=True, slots=True)
class Create:
    """A new block, written with If-None-Match: *."""

    block: Block
    uid: str
    data: bytes
    reason: str
    kind: ClassVar[str] = "create"


@dataclass(frozen=True, slots=True)
class Remove:
    """A block no longer planned, deleted with If-Match."""

    existing: Existing
    reason: str
    kind: ClassVar[str] = "remove"


Step = (
    Forget | ForgetDeletionsBefore | RecordDeletion | Keep | Adopt | Skip | Move | Update | Create
) | Remove
WRITES = ("move", "update", "create", "remove")


@dataclass(frozen=True, slots=True)
class RunsSeen:
    """A runs calendar's user occurrences in the window: in the cache before, and now."""

    calendar: str
    had: int
    has: int


@dataclass(frozen=True, slots=True)
class SyncPlan:
    """Every step of one sync, in the order the executor applies them."""

    steps: tuple[Step, ...]
    runs: tuple[RunsSeen, ...] = ()

    def count(self, kind: str) -> int:
        return sum(1 for s in self.steps if s.kind == kind)


class Remembered(Protocol):
    """A block the state remembers (calsync.adapters.state.BlockRecord)."""

    @property
    def uid(self) -> str: ...
    @property
    def href(self) -> str: ...
    @property
    def week(self) -> str: ...
    @property
    def start(self) -> dt.datetime: ...


@dataclass(frozen=True, slots=True)
class Target:
    """What the target calendar holds now, for noticing the user's deletions."""

    folder: str  # the calendar's URL path, ending in "/"
    uids: frozenset[str]  # UIDs of calsync's blocks in it
    hrefs: frozenset[str]


def deletion_steps(
    records: Iterable[Remembered], target: Target, labels: Sequence[str], tz: dt.tzinfo
) -> list[Step]:
    """Blocks calsync wrote that are gone from the server: the user deleted them. Records of
    weeks before the plan, or of another calendar, are forgotten."""
    first = labels[0] if labels else ""
    steps: list[Step] = [ForgetDeletionsBefore(first)] if first else []
    for record in records:
        elsewhere = not urllib.parse.urlsplit(record.href).path.startswith(target.folder)
        if record.week < first or elsewhere:  # an old week, or another calendar: forget it
            steps.append(Forget(record.uid))
        elif record.week in labels and not (
            record.uid in target.uids or record.href in target.hrefs
        ):
            reason = (
                f"a block of {record.week} ({record.start.astimezone(tz):%a %d %b %H:%M}) "
                "was deleted in the calendar: not recreated for that week"
            )
            steps.append(RecordDeletion(record.uid, record.week, record.start, reason))
    return steps


def noticed(steps: Iterable[Step]) -> dict[str, int]:
    """Week -> deletions recorded by these steps."""
    out: dict[str, int] = {}
    for step in steps:
        if isinstance(step, RecordDeletion):
            out[step.week] = out.get(step.week, 0) + 1
    return out


@dataclass(frozen=True, slots=True)
class Writer:
    """What `plan_sync` asks of the shell: it renders and compares bytes, makes UIDs."""

    render: Callable[[Block, str, Existing | None], bytes]  # block, uid, block it rewrites
    says_same: Callable[[Block, Existing], bool]  # the server's copy already says `block`
    new_uid: Callable[[], str]


def plan_sync(
    actions: Sequence[Action],
    first: Sequence[Step],
    known: Collection[str],
    writer: Writer,
    runs: Sequence[RunsSeen] = (),
) -> SyncPlan:
    """The plan: `first` (state bookkeeping), then keeps and skips, moves and updates,
    creates, removes (`actions` from `reconcile`; `known`: UIDs the state remembers)."""
    steps = [_step(a, known, writer) for a in actions]
    rank = {"keep": 0, "adopt": 0, "skip": 0, "move": 1, "update": 1, "create": 2, "remove": 3}
    steps.sort(key=lambda s: rank[s.kind])  # stable: reconcile's order inside each rank
    return SyncPlan((*first, *steps), tuple(runs))


def _step(action: Action, known: Collection[str], writer: Writer) -> Step:
    block, found = action.block, action.existing
    if action.kind == "create" and block is not None:
        uid = writer.new_uid()
        return Create(block, uid, writer.render(block, uid, None), action.reason)
    if action.kind == "skip" and block is not None:
        return Skip(block, action.reason)
    assert found is not None  # move / keep / remove act on a block
    if action.kind == "remove":
        return Remove(found, action.reason)
    if block is None or (action.kind == "keep" and writer.says_same(block, found)):
        kept = Keep if found.uid in known else Adopt
        return kept(found, action.reason, block)
    data = writer.render(block, found.uid, found)
    if action.kind == "move":
        return Move(block, found, data, action.reason)
    return Update(block, found, data, f"text refreshed: {action.reason}")  # a keep, new text


def empty_calendar_problem(plan: SyncPlan) -> str | None:
    """A runs calendar that suddenly reads as empty: refuse (vdirsyncer's guard)."""
    for seen in plan.runs:
        if seen.had >= EMPTY_GUARD_MIN and seen.has == 0:
            return (
                f"calendar {seen.calendar!r} had {seen.had} events in the plan window and now "
                "has none: refusing to re-plan from an empty calendar"
            )
    return None


def mass_delete_problem(plan: SyncPlan, limit: int) -> str | None:
    """More removals than `[sync] max_deletes` allows."""
    removes = plan.count("remove")
    if removes > limit:
        return (
            f"this sync would remove {removes} blocks (more than max_deletes = {limit}): refusing"
        )
    return None
