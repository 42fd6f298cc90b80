"""The reconciliation decision table, pure: no server, no clock."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from calsync.core.reconcile import Existing
from calsync.core.reconcile import content_hash
from calsync.core.reconcile import count
from calsync.core.reconcile import fixed_reason
from calsync.core.reconcile import parse_stamp
from calsync.core.reconcile import reconcile
from calsync.core.reconcile import utc_stamp
from calsync.model import Block

LONDON = zoneinfo.ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 11, 30, 6, 0, tzinfo=LONDON)
W49 = "2026-W49"


def t(day: int, hour: int, minute: int = 0) -> dt.datetime:
    month = 11 if day >= 30 else 12
    return dt.datetime(2026, month, day, hour, minute, tzinfo=LONDON)


def block(day: int, hour: int, n: int = 1, week: str = W49) -> Block:
    start = t(day, hour)
    return Block(
        f"{week}/{n}", start, start + dt.timedelta(minutes=45), week, "Strength", "d", "why", "A"
    )


def existing(
    day: int,
    hour: int,
    uid: str,
    *,
    planned: tuple[int, int] | None = None,
    edited: bool = False,
    week: str = W49,
) -> Existing:
    start = t(day, hour)
    p = t(*planned) if planned else start
    return Existing(
        uid=uid,
        href=f"/cal/{uid}.ics",
        week=week,
        slot=f"{week}/1",
        start=start,
        end=start + dt.timedelta(minutes=45),
        planned_start=p,
        planned_end=p + dt.timedelta(minutes=45),
        edited=edited,
    )


def kinds(actions: list) -> list[tuple[str, str | None]]:
    return [(a.kind, a.existing.uid if a.existing else None) for a in actions]


def test_same_time_is_kept_and_nothing_written() -> None:
    actions = reconcile(
        [block(30, 8), block(3, 8, 2)], [existing(30, 8, "a"), existing(3, 8, "b")], [W49], {}, NOW
    )
    assert kinds(actions) == [("keep", "a"), ("keep", "b")]


def test_a_changed_plan_moves_the_existing_block_instead_of_recreating_it() -> None:
    actions = reconcile(
        [block(30, 8), block(4, 8, 2)], [existing(30, 8, "a"), existing(3, 8, "b")], [W49], {}, NOW
    )
    assert kinds(actions) == [("keep", "a"), ("move", "b")]
    move = actions[1]
    assert move.block is not None and move.block.start == t(4, 8)
    assert "moved from Thu 03 Dec 08:00" in move.reason


def test_blocks_no_longer_planned_are_removed_and_new_ones_created() -> None:
    actions = reconcile(
        [block(3, 8, 2)], [existing(30, 8, "a"), existing(1, 8, "b")], [W49], {}, NOW
    )
    assert count(actions) == {"create": 0, "move": 1, "keep": 0, "remove": 1, "skip": 0}
    actions = reconcile([block(30, 8), block(3, 8, 2)], [], [W49], {}, NOW)
    assert [a.kind for a in actions] == ["create", "create"]


def test_user_moved_edited_and_past_blocks_are_kept_untouched() -> None:
    moved = existing(3, 19, "moved", planned=(3, 8))
    edited = existing(5, 8, "edited", edited=True)
    past = dt.datetime(2026, 12, 1, 12, tzinfo=LONDON)
    old = existing(30, 8, "old")
    actions = reconcile([block(4, 8)], [moved, edited, old], [W49], {}, past)
    by_uid = {a.existing.uid: a for a in actions if a.existing}
    assert by_uid["moved"].kind == "keep" and "moved in the calendar" in by_uid["moved"].reason
    assert by_uid["edited"].kind == "keep" and "edited" in by_uid["edited"].reason
    assert by_uid["old"].kind == "keep" and by_uid["old"].reason == "in the past"
    assert [a.kind for a in actions if a.existing is None] == ["create"]


def test_a_week_with_a_user_deletion_skips_instead_of_recreating() -> None:
    actions = reconcile(
        [block(30, 8), block(3, 8, 2)], [existing(30, 8, "a")], [W49], {W49: 1}, NOW
    )
    assert [a.kind for a in actions] == ["keep", "skip"]


def test_blocks_of_weeks_outside_the_plan_are_never_looked_at() -> None:
    other = existing(23, 8, "later", week="2026-W52")
    assert reconcile([], [other], [W49], {}, NOW) == []


def test_fixed_reason_needs_a_planned_time_to_call_a_block_moved() -> None:
    free = Existing("u", "/h", W49, "s", t(3, 8), t(3, 9), None, None, False)
    assert fixed_reason(free, NOW) is None


def test_hash_ignores_line_endings_and_trailing_spaces() -> None:
    assert content_hash("Strength", "a \r\nb\n") == content_hash("Strength ", "a\nb")
    assert content_hash("Strength", "a") != content_hash("Gym", "a")


def test_stamps_round_trip_in_utc() -> None:
    moment = t(30, 8)
    assert utc_stamp(moment) == "20261130T080000Z"
    assert parse_stamp(utc_stamp(moment)) == moment
    assert parse_stamp("garbage") is None and parse_stamp(None) is None


def test_a_new_length_at_the_same_start_is_an_update_in_place_that_says_so() -> None:
    longer = block(3, 8)
    longer = Block(
        longer.slot,
        longer.start,
        longer.start + dt.timedelta(minutes=60),
        longer.week,
        "Strength",
        "d",
        "why",
        "A",
    )
    actions = reconcile([longer], [existing(3, 8, "a")], [W49], {}, NOW)
    assert kinds(actions) == [("move", "a")]
    assert actions[0].reason.startswith("60 minutes instead of 45")
