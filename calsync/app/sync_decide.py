"""Deciding a sync: the calendars as read, the state's memory and the config in; a `SyncPlan` out.

No writes here, to the server or the state. Steps, in order:
  1. calsync's blocks in the target calendar (X-CALSYNC-MANAGED and a UID calsync made) are the
     existing blocks, whatever the state says (a lost state never duplicates); a user's copy of
     a block (the app's UID, or a calsync-style UID calsync never issued for a week and slot it
     holds) is the user's own strength session, never touched;
  2. blocks calsync wrote that are gone were deleted by the user: recorded, not recreated for
     that week;
  3. plan with the user's events only, plus calsync's blocks that may not move (past, moved or
     edited by the user), which count as the user's own strength sessions;
  4. reconcile (calsync.core.reconcile), and the steps of calsync.core.sync_plan.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import urllib.parse
import uuid
from collections.abc import Sequence

from calsync.adapters.state import CachedObject
from calsync.adapters.state import State
from calsync.app.sync_read import Calendar
from calsync.app.sync_read import Reader
from calsync.app.sync_read import canonical_href
from calsync.config import Config
from calsync.core import sync_plan as sp
from calsync.core.copies import OWNER
from calsync.core.copies import UID_SUFFIXES
from calsync.core.copies import Owner
from calsync.core.copies import as_users
from calsync.core.copies import foreign
from calsync.core.copies import is_own_block
from calsync.core.reconcile import Existing
from calsync.core.reconcile import content_hash
from calsync.core.reconcile import fixed_reason
from calsync.core.reconcile import held
from calsync.core.reconcile import parse_stamp
from calsync.core.reconcile import reconcile
from calsync.core.reconcile import utc_stamp
from calsync.model import Block
from calsync.model import Classified
from calsync.model import Event
from calsync.model import Kind
from calsync.model import WeekReport

SEQUENCE_LINE = re.compile(rb"(?im)^SEQUENCE:(\d+)")
UID_SUFFIX = UID_SUFFIXES[0]  # every UID sync makes ends so


def ours(event: Event, copies: frozenset[str] = frozenset(), owner: Owner | None = None) -> bool:
    """A block calsync wrote for this account: X-CALSYNC-MANAGED and a UID calsync made
    (`…@calsync`), and (with `owner`) this account's X-CALSYNC-ACCOUNT (core.copies.Owner).

    A copy the user made of a block in a calendar app keeps the X-CALSYNC-* properties but
    gets a UID of the app's (or is one of `copies`): it is the user's own event (a strength
    session that counts toward its week), never touched. Another account's block is neither:
    busy time (see `_occurrences`).
    """
    mine = owner is None or owner.owns(event)
    return event.managed and is_own_block(event) and event.uid not in copies and mine


class Planner:
    """Builds the plan of one sync from what `reader` read (see the module docstring)."""

    def __init__(self, reader: Reader, state: State, now: dt.datetime) -> None:
        self.reader = reader
        self.state = state
        self.key = reader.key
        self.now = now
        self.target: Calendar | None = None
        self.copies: frozenset[str] = frozenset()  # UIDs of the user's copies of blocks
        self.owner = Owner(reader.account.name)
        self.hold: tuple[str, ...] = ()  # busy calendars that could not be read this sync

    @property
    def config(self) -> Config:
        return self.reader.config

    def decide(self, calendars: Sequence[Calendar]) -> tuple[sp.SyncPlan, tuple[WeekReport, ...]]:
        """The whole plan, and the planner's weeks."""
        from calsync.core.plan import plan

        window = self.reader.window
        url = self.reader.target_ref.url if self.reader.target_ref else None
        self.target = next((c for c in calendars if c.ref.url == url), None)
        labels = self._labels()
        self.owner = self._owner()
        self.copies = self._copies()
        existing = self._existing()
        records = self.state.blocks(self.key)
        first = self._deletions(records, labels)
        classified = self._classified(calendars, existing, set(labels))
        result = plan(classified, window.first_day, window.weeks, self.config.rules, self.now)
        deleted = self.state.deletions(self.key)
        for week, n in sp.noticed(first).items():  # recorded by the executor, counted now
            deleted[week] = deleted.get(week, 0) + n
        actions = reconcile(result.blocks, existing, labels, deleted, self.now)
        if self.hold:  # without that busy time a block could land on a meeting: none moves
            actions = held(actions, f"busy calendar {', '.join(self.hold)} unread: kept as it is")
        writer = sp.Writer(self._render_for, self._says_the_same, self._new_uid)
        known = {r.uid for r in records}
        return sp.plan_sync(actions, first, known, writer, self._runs_seen(calendars)), result.weeks

    def _labels(self) -> list[str]:
        from calsync.core.plan import week_label

        window = self.reader.window
        return [
            week_label(window.first_day + dt.timedelta(days=7 * i)) for i in range(window.weeks)
        ]

    def _runs_seen(self, calendars: Sequence[Calendar]) -> list[sp.RunsSeen]:
        return [
            sp.RunsSeen(c.ref.name, c.had, self.reader.count_inside(list(c.objects.values())))
            for c in calendars
            if c.role == "runs"
        ]

    def _classified(
        self, calendars: Sequence[Calendar], existing: Sequence[Existing], weeks: set[str]
    ) -> list[Classified]:
        from calsync.core.classify import classify_all

        user_events = [
            e
            for c in calendars
            for e in _occurrences(c, self.copies, self.owner)
            if self.reader.inside(e)
        ]
        user_events.sort(key=lambda e: (e.start, e.uid))
        classified: list[Classified] = list(classify_all(user_events, self.config.classify))
        for block in existing:
            why = fixed_reason(block, self.now)
            if why is None or block.week not in weeks:
                continue
            # A block that stays (past, moved or edited by the user) counts as the user's own
            # strength session: quota and spacing see it.
            own = Event(
                uid=block.uid,
                start=block.start,
                end=block.end,
                summary=block.summary,
                source=self.reader.account.target,
                runs_source=False,
            )
            classified.append(Classified(own, Kind.STRENGTH, f"calsync block: {why}"))
        return classified

    # -- calsync's blocks ---------------------------------------------------------------------

    def _existing(self) -> list[Existing]:
        if self.target is None:
            return []
        out = []
        seen: set[str] = set()
        for href, obj in self.target.objects.items():
            for event in obj.events:
                if not ours(event, self.copies, self.owner) or event.uid in seen:
                    continue
                seen.add(event.uid)
                out.append(_existing_of(href, event))
        return out

    def _copies(self) -> frozenset[str]:
        """Marked events under a calsync-style UID that calsync never issued, while the block
        it did issue for that week and slot is there: copies kept in calsync's UID style (a
        script, a hand edit). A lost state knows no block: nothing is a copy, nothing doubles.
        Copies under an app's UID need no state: `ours` never takes them."""
        if self.target is None:
            return frozenset()
        marked = [
            e
            for o in self.target.objects.values()
            for e in o.events
            if is_own_block(e) and self.owner.owns(e)  # another account's block is no copy
        ]
        issued = {r.uid for r in self.state.blocks(self.key)}
        held = {_week_slot(e) for e in marked if e.uid in issued}
        return frozenset(e.uid for e in marked if e.uid not in issued and _week_slot(e) in held)

    def _owner(self) -> Owner:
        """This account, the UIDs its state issued (for blocks without X-CALSYNC-ACCOUNT,
        written before it existed), and whether another account could share the target."""
        account = self.reader.account
        issued = {r.uid for r in self.state.blocks(self.key)}
        if self.target is not None:
            issued |= {
                e.uid
                for o in self.target.objects.values()
                for e in o.events
                if is_own_block(e)
                and OWNER not in e.calsync
                and self.state.is_retired(self.key, e.uid)
            }
        host = urllib.parse.urlsplit(account.url).netloc
        sharing = [
            a
            for a in self.config.accounts.values()
            if a.name != account.name
            and a.target == account.target
            and urllib.parse.urlsplit(a.url).netloc == host
        ]
        return Owner(account.name, frozenset(issued), sole=not sharing)

    def _deletions(self, records: Sequence[sp.Remembered], labels: list[str]) -> list[sp.Step]:
        """The state's bookkeeping steps: deletions noticed, stale records forgotten."""
        if self.target is None:
            return []
        target = self.target
        folder = urllib.parse.urlsplit(canonical_href(target.ref.url)).path.rstrip("/") + "/"
        present = frozenset(
            e.uid
            for o in target.objects.values()
            for e in o.events
            if ours(e, self.copies, self.owner)
        )
        seen = sp.Target(folder, present, frozenset(target.objects))
        return sp.deletion_steps(records, seen, labels, self.reader.tz)

    # -- what would be written ----------------------------------------------------------------

    def _cached(self, found: Existing) -> CachedObject:
        assert self.target is not None  # an existing block lives in the target calendar
        return self.target.objects[found.href]

    def _says_the_same(self, block: Block, found: Existing) -> bool:
        """Whether the server's copy already says what calsync would write (same time known).

        Cheap first: the X-CALSYNC-HASH of the text calsync would write now and the busy flag;
        otherwise a full comparison (ignoring DTSTAMP, PRODID, SEQUENCE and the like).
        """
        cached = self._cached(found)
        event = next((e for e in cached.events if e.uid == found.uid), None)
        wanted_hash = content_hash(*self._written_text(block))
        if (
            event is not None
            and event.calsync.get("HASH") == wanted_hash
            and event.busy != self.config.sync.transparent
            and not found.edited
        ):
            return True
        from calsync import ical

        # The slot number is calsync's bookkeeping: a renumbering alone is not worth a write.
        same_slot = dataclasses.replace(block, slot=found.slot or block.slot)
        data = self._render(same_slot, found.uid, _sequence(cached.data))
        return ical.same_content(cached.data or b"", data)

    def _new_uid(self) -> str:
        while True:
            uid = f"{uuid.uuid4()}{UID_SUFFIX}"
            if not self.state.is_retired(self.key, uid):
                return uid

    def _render_for(self, block: Block, uid: str, found: Existing | None) -> bytes:
        """The bytes of `block`: a new event, or the next SEQUENCE of the one it rewrites."""
        sequence = 0 if found is None else _sequence(self._cached(found).data) + 1
        return self._render(block, uid, sequence)

    def _render(self, block: Block, uid: str, sequence: int) -> bytes:
        from calsync import ical

        summary, description = self._written_text(block)
        props = {
            "MANAGED": "1",
            "WEEK": block.week,
            "SLOT": block.slot,
            "PLANNED-START": utc_stamp(block.start),
            "PLANNED-END": utc_stamp(block.end),
            "HASH": content_hash(summary, description),
            OWNER: self.reader.account.name,  # whose block: two accounts may share a calendar
        }
        settings = self.config.sync
        return ical.render_block(
            block,
            uid=uid,
            dtstamp=self.now.astimezone(dt.UTC).replace(microsecond=0),
            tz=self.reader.tz,
            props=props,
            transparent=settings.transparent,
            private_title=settings.private_title if settings.private else None,
            sequence=sequence,
        )

    def _written_text(self, block: Block) -> tuple[str, str]:
        """The title and description calsync writes for `block` (privacy mode: generic)."""
        if self.config.sync.private:
            return self.config.sync.private_title, ""
        return block.summary, block.description


def _existing_of(href: str, event: Event) -> Existing:
    props = event.calsync
    written = props.get("HASH")
    return Existing(
        uid=event.uid,
        href=href,
        week=props.get("WEEK", ""),
        slot=props.get("SLOT", ""),
        start=event.start,
        end=event.end,
        planned_start=parse_stamp(props.get("PLANNED-START")),
        planned_end=parse_stamp(props.get("PLANNED-END")),
        edited=bool(written) and content_hash(event.summary, event.description) != written,
        summary=event.summary,
    )


def _week_slot(event: Event) -> tuple[str, str]:
    return event.calsync.get("WEEK", ""), event.calsync.get("SLOT", "")


def _occurrences(
    cal: Calendar, copies: frozenset[str] = frozenset(), owner: Owner | None = None
) -> list[Event]:
    """The user's occurrences of one calendar, each instance of a series once.

    Some servers (Stalwart) store a series' master and a moved instance as separate objects
    with the same UID; each object is parsed alone, so the master still gives the moved
    instance at its old time. Two occurrences of one UID and RECURRENCE-ID from different
    objects: the one from the object with fewer occurrences of that UID (the exception, not
    the master) is kept. A copy of a block comes as the user's own event (`managed` off);
    another account's block as plain busy time (another runner's session, not this one's).
    """
    count: dict[tuple[str, str], int] = {}
    for href, obj in cal.objects.items():
        for event in obj.events:
            count[(href, event.uid)] = count.get((href, event.uid), 0) + 1
    chosen: dict[tuple[str, str], tuple[int, Event]] = {}
    out: list[Event] = []
    for href, obj in cal.objects.items():
        for raw in obj.events:
            if ours(raw, copies, owner):
                continue
            if owner is not None and foreign(raw, owner):
                out.append(_busy_only(raw))
                continue
            event = as_users(raw)  # a copy (or a stray marker): the user's own
            if event.recurrence_id is None:
                out.append(event)
                continue
            key = (event.uid, event.recurrence_id)
            rank = count[(href, event.uid)]
            if key not in chosen or rank < chosen[key][0]:
                chosen[key] = (rank, event)
    return out + [event for _, event in chosen.values()]


def _busy_only(event: Event) -> Event:
    """Another account's block: busy time here (opaque even when written transparent)."""
    return dataclasses.replace(event, managed=False, calsync={}, runs_source=False, busy=True)


def _sequence(data: bytes | None) -> int:
    found = SEQUENCE_LINE.search(data or b"")
    return int(found.group(1)) if found else 0
