"""The sync plan as data, pure: steps, their order, deletions noticed, and the guards."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from calsync.core import sync_plan as sp
from calsync.core.reconcile import reconcile
from tests.sync.test_sync_reconcile import LONDON
from tests.sync.test_sync_reconcile import NOW
from tests.sync.test_sync_reconcile import W49
from tests.sync.test_sync_reconcile import block
from tests.sync.test_sync_reconcile import existing


@dataclass(frozen=True)
class Record:
    uid: str
    href: str
    week: str
    start: dt.datetime


def writer(same: bool = True) -> sp.Writer:
    uids = iter(f"new-{n}@calsync" for n in range(10))
    return sp.Writer(
        render=lambda b, uid, found: f"{uid} {b.start:%d %H}".encode(),
        says_same=lambda b, e: same,
        new_uid=lambda: next(uids),
    )


def test_every_action_becomes_a_step_in_the_order_the_executor_applies() -> None:
    planned = [block(1, 8, 1), block(3, 8, 2), block(4, 8, 3)]
    found = [existing(1, 8, "same"), existing(2, 8, "moves"), existing(5, 8, "gone")]
    actions = reconcile(planned[:2], found, [W49], {}, NOW)
    plan = sp.plan_sync(actions, [], {"same", "moves"}, writer())
    assert [s.kind for s in plan.steps] == ["keep", "move", "remove"]
    created = sp.plan_sync(reconcile(planned, [], [W49], {}, NOW), [], set(), writer())
    assert [(s.kind, getattr(s, "uid", None)) for s in created.steps] == [
        ("create", "new-0@calsync"),
        ("create", "new-1@calsync"),
        ("create", "new-2@calsync"),
    ]
    assert isinstance(created.steps[0], sp.Create) and created.steps[0].data.startswith(b"new-0")


def test_a_keep_whose_text_differs_is_an_update_and_an_unknown_block_is_adopted() -> None:
    actions = reconcile([block(1, 8)], [existing(1, 8, "b")], [W49], {}, NOW)
    assert [s.kind for s in sp.plan_sync(actions, [], {"b"}, writer(same=False)).steps] == [
        "update"
    ]
    assert [s.kind for s in sp.plan_sync(actions, [], set(), writer()).steps] == ["adopt"]
    update = sp.plan_sync(actions, [], {"b"}, writer(same=False)).steps[0]
    assert isinstance(update, sp.Update) and update.reason.startswith("text refreshed")


def test_deletions_are_noticed_and_stale_records_forgotten() -> None:
    at = dt.datetime(2026, 12, 3, 8, tzinfo=LONDON)
    records = [
        Record("here@calsync", "http://s/cal/here.ics", W49, at),
        Record("deleted@calsync", "http://s/cal/deleted.ics", W49, at),
        Record("old@calsync", "http://s/cal/old.ics", "2026-W40", at),
        Record("elsewhere@calsync", "http://s/other/x.ics", W49, at),
    ]
    target = sp.Target("/cal/", frozenset({"here@calsync"}), frozenset())
    steps = sp.deletion_steps(records, target, [W49], LONDON)
    assert [(s.kind, getattr(s, "uid", None)) for s in steps] == [
        ("forget-deletions", None),
        ("record-deletion", "deleted@calsync"),
        ("forget", "old@calsync"),
        ("forget", "elsewhere@calsync"),
    ]
    assert sp.noticed(steps) == {W49: 1}
    deletion = steps[1]
    assert isinstance(deletion, sp.RecordDeletion) and "Thu 03 Dec 08:00" in deletion.reason


def test_the_guards_read_the_plan() -> None:
    removes = tuple(sp.Remove(existing(1 + n, 8, f"u{n}"), "no longer planned") for n in range(3))
    assert sp.mass_delete_problem(sp.SyncPlan(removes), 3) is None
    assert "remove 3 blocks" in str(sp.mass_delete_problem(sp.SyncPlan(removes), 2))
    emptied = sp.SyncPlan((), (sp.RunsSeen("Training", 4, 0),))
    assert "had 4 events" in str(sp.empty_calendar_problem(emptied))
    assert sp.empty_calendar_problem(sp.SyncPlan((), (sp.RunsSeen("Training", 1, 0),))) is None
    assert sp.empty_calendar_problem(sp.SyncPlan((), (sp.RunsSeen("Training", 4, 1),))) is None
