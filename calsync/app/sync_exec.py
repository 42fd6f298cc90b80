"""The executor: applies a `SyncPlan` through a `CalendarStore` and records it in the state.

It decides nothing. Writes: create with If-None-Match: *, move/update in place with If-Match,
remove with If-Match; a write only ever targets an object whose current data says
X-CALSYNC-MANAGED. A 412 on a move, update or remove stops the run of the plan with
`Outcome.conflict` set to that object: the engine reads it again and plans once more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field

from calsync.adapters.caldav_store import AlreadyExistsError
from calsync.adapters.caldav_store import RemoteObject
from calsync.adapters.state import BlockRecord
from calsync.adapters.state import CachedObject
from calsync.app.sync_read import Calendar
from calsync.app.sync_read import Reader
from calsync.app.sync_read import canonical_href
from calsync.app.sync_report import SyncAction
from calsync.app.sync_report import line_of
from calsync.core import sync_plan as sp
from calsync.errors import ConflictError
from calsync.errors import SafetyStopError

MANAGED_LINE = re.compile(rb"(?im)^X-CALSYNC-MANAGED[;:]")


@dataclass(slots=True)
class Outcome:
    """What was applied (report lines, in plan order) and the href of a 412, if any."""

    lines: list[SyncAction] = field(default_factory=list)
    conflict: str | None = None


class Executor:
    """Applies plans to the target calendar `target` (None: no target yet; dry runs only)."""

    def __init__(self, reader: Reader, target: Calendar | None) -> None:
        self.reader = reader
        self.store = reader.store
        self.state = reader.state
        self.key = reader.key
        self.target = target

    def apply(self, plan: sp.SyncPlan) -> Outcome:
        out = Outcome()
        for step in plan.steps:
            try:
                self._one(step)
            except ConflictError:
                if step.kind not in ("move", "update", "remove"):
                    raise  # a create that met someone else's object: never overwritten
                out.conflict = _href_of(step)
                return out
            line = line_of(step)
            if line is not None:
                out.lines.append(line)
        return out

    def _one(self, step: sp.Step) -> None:
        match step:
            case sp.Forget(uid=uid):
                self.state.drop_block(self.key, uid)
            case sp.ForgetDeletionsBefore(week=week):
                self.state.forget_deletions_before(self.key, week)
            case sp.RecordDeletion(uid=uid, week=week):
                self.state.record_deletion(self.key, uid, week)
            case sp.Keep(existing=e) | sp.Adopt(existing=e):
                start = e.planned_start or e.start
                self.state.put_block(self.key, BlockRecord(e.uid, e.href, e.week, e.slot, start))
            case sp.Create():
                self._create(step)
            case (
                sp.Move(block=b, existing=e, data=data) | sp.Update(block=b, existing=e, data=data)
            ):
                cached = self._managed(e.href)
                written = self.store.update(_remote(cached), data)
                self._cache(written)
                record = BlockRecord(e.uid, cached.href, b.week, b.slot, b.start)
                self.state.put_block(self.key, record)
            case sp.Remove(existing=e):
                self._remove(e.uid, self._managed(e.href))
            case sp.Skip():
                pass

    def _create(self, step: sp.Create) -> None:
        target = self._target()
        try:
            written = self.store.create(target.ref, step.uid, step.data)
        except AlreadyExistsError as exc:  # a re-run after a crash: adopt what is there
            got = self.store.get(exc.href)
            if got is None or not MANAGED_LINE.search(got.data):
                raise
            written = got
        self._cache(written)
        b = step.block
        href = canonical_href(written.href)
        self.state.put_block(self.key, BlockRecord(step.uid, href, b.week, b.slot, b.start))

    def _remove(self, uid: str, cached: CachedObject) -> None:
        self.store.delete(_remote(cached))
        target = self._target()
        target.objects.pop(cached.href, None)
        self.state.drop_object(self.key, target.ref.url, cached.href)
        self.state.drop_block(self.key, uid)
        self.state.retire(self.key, uid)

    def _target(self) -> Calendar:
        if self.target is None:
            raise SafetyStopError(
                "no target calendar to write to", hint="this is a bug in calsync; please report it"
            )
        return self.target

    def _managed(self, href: str) -> CachedObject:
        """The last line of defence: calsync writes only to objects that say they are its own."""
        cached = self._target().objects[href]
        if cached.data is None or not MANAGED_LINE.search(cached.data):
            raise SafetyStopError(
                f"refusing to change {cached.href}: it is not a calsync block",
                hint="this is a bug in calsync; please report it",
            )
        return cached

    def _cache(self, written: RemoteObject) -> None:
        self.reader.store_object(self._target(), written)


def _remote(cached: CachedObject) -> RemoteObject:
    return RemoteObject(cached.href, cached.etag, cached.data or b"")


def _href_of(step: sp.Step) -> str | None:
    existing = getattr(step, "existing", None)
    return existing.href if existing is not None else None
