"""The sync engine: `sync_once` reads the calendars, plans, reconciles and writes the blocks.

One run, in order:
  1. lock (fcntl on a file in the state folder; a second process gets LockedError);
  2. the calendars: URLs remembered in the state (no discovery on a no-change run), the target
     created when missing (MKCALENDAR);
  3. each calendar read incrementally: an RFC 6578 sync-collection REPORT with the stored token
     (one request when nothing changed), applied to the cached occurrences of the window; no
     token, a refused token or a window past the cache: a time-range read of the window, and
     a new token. Sync-token trouble is corrected silently;
  4. the managed blocks of the target calendar (X-CALSYNC-MANAGED and a UID calsync made) are
     the existing blocks, whatever the state says (a lost state never duplicates); blocks
     calsync wrote that are gone were deleted by the user: recorded, not recreated for that
     week (unless the whole target calendar was gone: then it is created again, blocks too);
     a user's copy of a block (the app's UID, or a calsync-style UID calsync never issued
     for a week and slot it holds) is the user's own strength session, never touched;
  5. plan with the user's events only, plus calsync's blocks that may not move (past, moved or
     edited by the user), which count as the user's own strength sessions;
  6. reconcile (calsync.core.reconcile), the mass-change guard, then the writes: create with
     If-None-Match: *, move = update in place with If-Match, remove with If-Match. A write
     only ever targets an object whose current data says X-CALSYNC-MANAGED. A 412 re-reads
     that object and plans once more; nothing is overwritten blindly.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import hashlib
import logging
import os
import re
import sqlite3
import urllib.parse
import uuid
import zoneinfo
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from calsync.adapters.caldav_store import AlreadyExistsError
from calsync.adapters.caldav_store import CaldavStore
from calsync.adapters.caldav_store import CalendarRef
from calsync.adapters.caldav_store import RemoteObject
from calsync.adapters.caldav_store import SyncTokenError
from calsync.config import Account
from calsync.config import Config
from calsync.core.copies import UID_SUFFIXES
from calsync.core.copies import as_users
from calsync.core.copies import is_own_block
from calsync.core.reconcile import Action
from calsync.core.reconcile import Existing
from calsync.core.reconcile import content_hash
from calsync.core.reconcile import fixed_reason
from calsync.core.reconcile import parse_stamp
from calsync.core.reconcile import reconcile
from calsync.core.reconcile import utc_stamp
from calsync.errors import CalendarDataError
from calsync.errors import CalendarNotFoundError
from calsync.errors import ConflictError
from calsync.errors import LockedError
from calsync.errors import SafetyStopError
from calsync.errors import TransientError
from calsync.model import Block
from calsync.model import Classified
from calsync.model import Event
from calsync.model import Kind
from calsync.model import WeekReport
from calsync.service import Window
from calsync.service import plan_window
from calsync.state import BlockRecord
from calsync.state import CachedObject
from calsync.state import Collection
from calsync.state import State
from calsync.state import StateDamagedError
from calsync.state import default_state_dir
from calsync.state import unusable_folder

log = logging.getLogger(__name__)

CACHE_AHEAD = dt.timedelta(days=28)  # the cache reads this far past the window: fewer re-reads
EMPTY_GUARD_MIN = 2  # a runs calendar that had at least this many occurrences and now has none
MANAGED_LINE = re.compile(rb"(?im)^X-CALSYNC-MANAGED[;:]")
SEQUENCE_LINE = re.compile(rb"(?im)^SEQUENCE:(\d+)")
UID_SUFFIX = UID_SUFFIXES[0]  # every UID sync makes ends so

StoreFactory = Callable[[Account, Mapping[str, str]], CaldavStore]


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


@dataclass(slots=True)
class _Calendar:
    """One calendar as read for this run."""

    ref: CalendarRef
    role: str  # runs, busy, target
    objects: dict[str, CachedObject]
    cache_start: dt.datetime
    cache_end: dt.datetime


class _ReplanError(Exception):
    """A write met a 412: the object was re-read; plan once more."""


def sync_once(
    config: Config,
    account: str | None,
    now: dt.datetime,
    *,
    env: Mapping[str, str],
    dry_run: bool = False,
    force: bool = False,
    store_factory: StoreFactory | None = None,
) -> SyncReport:
    """One sync of `account` (None: the only one) at `now`: see the module docstring.

    Raises SafetyStopError (mass change, unless `force`), LockedError (another sync runs),
    ConflictError (a second 412 in one run), and the store's errors (AuthError, ...).
    `store_factory` builds the CaldavStore (default `open_store`; tests pass their own).
    """
    from calsync.adapters.caldav_store import open_store

    acct = config.account(account)
    folder = default_state_dir(env, config.sync.state_dir)
    factory = store_factory or open_store

    def run(state: State) -> SyncReport:
        with factory(acct, env) as store:
            return _Engine(config, acct, now, state, store, dry_run=dry_run, force=force).run()

    # A dry run takes the lock too: it would otherwise wait on the state file of a running sync.
    with _lock(folder, acct.name):
        try:
            return _with_state(folder, f"{_safe(acct.name)}.sqlite3", now, run)
        except sqlite3.OperationalError as exc:  # disk full, I/O error, locked by a stranger
            # SQLite's own message names no cached data; anything else is only named by type.
            why = exc if getattr(exc, "sqlite_errorcode", None) is not None else type(exc).__name__
            raise TransientError(
                f"the sync state in {folder} could not be written ({why}); nothing was lost: "
                "the next sync reads the calendars again",
                hint="check the disk and that nothing else holds the state file open",
            ) from None


def _with_state(
    folder: Path, file_name: str, now: dt.datetime, run: Callable[[State], SyncReport]
) -> SyncReport:
    """`run` with the state file open. Damage found mid-sync sets the file aside and runs once
    more on a fresh file, from the server (blocks already written are found by their markers)."""
    state = State.open(folder, file_name, now=now)
    try:
        return run(state)
    except StateDamagedError:
        warning = state.set_aside(now)
    finally:
        state.close()
    state = State.open(folder, file_name, now=now)
    state.warnings.insert(0, warning)
    try:
        return run(state)
    finally:
        state.close()


@contextlib.contextmanager
def _lock(folder: Path, account: str) -> Iterator[None]:
    path = folder / f"{_safe(account)}.lock"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise unusable_folder(folder, exc) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockedError(
                f"another calsync sync of account {account!r} is running (lock file {path})",
                hint="wait for it to finish and try again; the daemon syncs by itself",
            ) from None
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _zone(key: str | None) -> zoneinfo.ZoneInfo | None:
    """The zone of a TZID (IANA, Windows or Outlook names), None when unknown or absent."""
    from calsync import ical

    return ical.zone_named(key) if key else None


def _safe(account: str) -> str:
    """The account's name as a file name."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", account)


class _Engine:
    def __init__(
        self,
        config: Config,
        account: Account,
        now: dt.datetime,
        state: State,
        store: CaldavStore,
        *,
        dry_run: bool,
        force: bool,
    ) -> None:
        self.config = config
        self.account = account
        self.now = now
        self.state = state
        self.store = store
        self.dry_run = dry_run
        self.force = force
        self.tz = config.timezone
        self.window: Window = plan_window(config, now.astimezone(self.tz).date(), config.weeks)
        self.machine_tz = config.timezone  # the fallback when neither config nor calendar says
        self.zone_counts: dict[str, int] = {}  # DTSTART zones of the runs read in this run
        self.zone_xwr: zoneinfo.ZoneInfo | None = None
        if not config.timezone_set and (known := _zone(state.home_zone(self.name))):
            self._plan_in(known)
        self.warnings: list[str] = list(state.warnings)
        self.target_ref: CalendarRef | None = None
        self.written: dict[str, SyncAction] = {}  # uid -> write done (kept across a re-plan)
        self.copies: frozenset[str] = frozenset()  # UIDs of the user's copies of blocks

    @property
    def name(self) -> str:
        """The state's key for this account: its name and where it points, so a config that
        moves the account to another server or user never reuses the old server's state."""
        where = f"{self.account.url}\n{self.account.username or ''}"
        return f"{self.account.name}:{hashlib.sha256(where.encode()).hexdigest()[:12]}"

    # -- the run ------------------------------------------------------------------------------

    def run(self) -> SyncReport:
        report = SyncReport(
            self.account.name,
            self.account.target,
            self.dry_run,
            self.window.first_day,
            self.window.last_day,
        )
        calendars = self._read_all()
        if self._follow_runner_zone(calendars):
            calendars = self._read_all()  # read again in the runner's zone (a first sync only)
        for attempt in (1, 2):
            actions, weeks, target = self._decide(calendars)
            report.weeks = weeks
            try:
                report.actions = self._apply(actions, target)
            except _ReplanError:
                if attempt == 2:
                    raise ConflictError(
                        "the target calendar kept changing during the sync (HTTP 412 twice)",
                        hint="run `calsync sync` again",
                    ) from None
                continue
            break
        if self.written and not self.dry_run and self.target_ref is not None:
            # Read our own writes back once, so the cache and the token agree with the server
            # (a block created and deleted again before the next sync leaves no trace in
            # sync-collection). The next no-change sync is then one request per calendar.
            again = next(c for c in calendars if c.ref.url == self.target_ref.url)
            with self.state.transaction():
                self._read(again.ref, again.role)
        report.requests = self.store.requests
        report.warnings = _unique(self.warnings)
        return report

    # -- reading ------------------------------------------------------------------------------

    # -- the runner's zone ---------------------------------------------------------------------

    def _plan_in(self, zone: zoneinfo.ZoneInfo) -> None:
        from calsync.config import with_timezone

        self.config = with_timezone(self.config, zone)
        self.tz = zone
        self.window = plan_window(self.config, self.now.astimezone(zone).date(), self.config.weeks)

    def _follow_runner_zone(self, calendars: Sequence[_Calendar]) -> bool:
        """With no `timezone` in the config, plan in the runner's zone, not the server's: the
        runs calendar's calendar-timezone, else its X-WR-TIMEZONE, else the zone most runs
        start in, else the machine's. Decided once, remembered in the state (so later syncs
        start in it and read nothing twice); True when the runs must be read again in it."""
        if self.config.timezone_set or self.state.home_zone(self.name) is not None:
            return False
        zone, why = self._runner_zone(calendars)
        log.info("planning in %s (%s)", zone.key, why)
        if not self.dry_run:
            with self.state.transaction():
                self.state.remember_home_zone(self.name, zone.key)
        if zone.key == getattr(self.tz, "key", None):
            return False
        self._plan_in(zone)
        return True

    def _runner_zone(self, calendars: Sequence[_Calendar]) -> tuple[zoneinfo.ZoneInfo, str]:
        for cal in calendars:
            if cal.role == "runs" and (zone := _zone(cal.ref.timezone)) is not None:
                return zone, "the runs calendar's own time zone"
        if self.zone_xwr is not None:
            return self.zone_xwr, "the runs calendar's X-WR-TIMEZONE"
        if self.zone_counts:
            key = min(self.zone_counts, key=lambda k: (-self.zone_counts[k], k))
            return zoneinfo.ZoneInfo(key), "the zone most runs are written in"
        return self.machine_tz, "this machine's zone: no timezone in the config or calendar"

    def _count_zones(self, data: bytes) -> None:
        from calsync import ical

        xwr, counts = ical.calendar_zones(data)
        self.zone_xwr = self.zone_xwr or xwr
        for key, n in counts.items():
            self.zone_counts[key] = self.zone_counts.get(key, 0) + n

    # -- reading --------------------------------------------------------------------------------

    def _read_all(self) -> list[_Calendar]:
        try:
            with self._phase():
                return self._read_calendars(use_cache=True)
        except CalendarNotFoundError:
            # A remembered URL may be stale (calendar deleted or moved): discover again.
            with self._phase():
                self.state.forget_calendars(self.name)
                return self._read_calendars(use_cache=False)

    @contextlib.contextmanager
    def _phase(self) -> Iterator[None]:
        """State changes of the read phase: committed together; never in a dry run."""
        if self.dry_run:
            with self.state.scratch():
                yield
        else:
            with self.state.transaction():
                yield

    def _read_calendars(self, *, use_cache: bool) -> list[_Calendar]:
        wanted: dict[str, tuple[CalendarRef, str]] = {}
        for name in self.account.runs:
            ref = self._ref(name, use_cache=use_cache)
            wanted.setdefault(ref.url, (ref, "runs"))
        for name in self.account.busy:
            ref = self._ref(name, use_cache=use_cache)
            wanted.setdefault(ref.url, (ref, "busy"))
        target = self._target_ref(use_cache=use_cache)
        if target is not None:
            wanted.setdefault(target.url, (target, "target"))
        out = []
        for ref, role in wanted.values():
            out.append(self._read(ref, role))
        # A target that is also a runs/busy calendar is read once, in that role.
        self.target_ref = target
        return out

    def _ref(self, name: str, *, use_cache: bool) -> CalendarRef:
        url = self.state.calendar_url(self.name, name) if use_cache else None
        if url is not None:
            return CalendarRef(name, url)
        ref = self.store.find(name)
        self.state.remember_calendar(self.name, name, ref.url)
        return ref

    def _target_ref(self, *, use_cache: bool) -> CalendarRef | None:
        name = self.account.target
        url = self.state.calendar_url(self.name, name) if use_cache else None
        if url is not None:
            return CalendarRef(name, url)
        try:
            ref = self.store.find(name)
        except CalendarNotFoundError:
            if self.dry_run:
                self.warnings.append(f"calendar {name!r} does not exist yet: a sync creates it")
                return None
            ref = self.store.ensure(name)
            self.state.forget_collection(self.name, ref.url)  # a new calendar, maybe same URL
            # The blocks calsync remembers lived in a calendar that is gone (the user deleted
            # the whole calendar): they are not the user's deletions of single blocks, and the
            # new calendar gets them again.
            lost = self.state.blocks(self.name)
            if lost:
                self.state.forget_blocks(self.name)
                self.warnings.append(
                    f"calendar {name!r} was gone from the server: created it again and placed "
                    f"the blocks anew ({len(lost)} were in the old one)"
                )
        self.state.remember_calendar(self.name, name, ref.url)
        return ref

    def _read(self, ref: CalendarRef, role: str) -> _Calendar:
        w = self.window
        tzname = str(self.tz)
        prev = self.state.collection(self.name, ref.url)
        usable = (
            prev is not None
            and prev.role == role
            and prev.tz == tzname
            and prev.cache_start <= w.read_start
            and w.read_end <= prev.cache_end
        )
        before = self.state.objects(self.name, ref.url) if prev is not None else []
        if usable and prev is not None:
            cal = _Calendar(
                ref, role, {o.href: o for o in before}, prev.cache_start, prev.cache_end
            )
            if prev.token is None:  # the server has no sync tokens: a time-range read
                objects = self.store.fetch_range(ref, cal.cache_start, cal.cache_end)
                self._replace(cal, objects, None)
                self._guard_empty(cal, before)
                return cal
            try:
                changes = self.store.changes_since(ref, prev.token, w.read_start, w.read_end)
            except SyncTokenError as exc:
                log.info("%s: falling back to a time-range read", exc.message)
            else:
                for href in map(canonical_href, changes.deleted):
                    if cal.objects.pop(href, None) is not None:
                        self.state.drop_object(self.name, ref.url, href)
                for obj in changes.changed:
                    self._store_object(cal, obj)
                log.info(
                    "calendar %r: %d changed, %d removed since the last sync",
                    ref.name,
                    len(changes.changed),
                    len(changes.deleted),
                )
                self._save(cal, changes.token)
                self._guard_empty(cal, before)
                return cal
        start, end = w.read_start, w.read_end + CACHE_AHEAD
        cal = _Calendar(ref, role, {}, start, end)
        log.info(
            "calendar %r: reading %s to %s (a full read: it can take a while on a big calendar)",
            ref.name,
            start.date(),
            end.date(),
        )
        try:
            full = self.store.changes_since(ref, None, start, end)
            token, objects = full.token, full.changed
        except SyncTokenError:
            token, objects = None, self.store.fetch_range(ref, start, end)
        self._replace(cal, objects, token)
        log.info("calendar %r: %d objects read", ref.name, len(objects))
        self._guard_empty(cal, before)
        return cal

    def _replace(self, cal: _Calendar, objects: Sequence[RemoteObject], token: str | None) -> None:
        self.state.clear_objects(self.name, cal.ref.url)
        cal.objects = {}
        for obj in objects:
            self._store_object(cal, obj)
        self._save(cal, token)

    def _save(self, cal: _Calendar, token: str | None) -> None:
        self.state.save_collection(
            self.name,
            Collection(cal.ref.url, cal.role, str(self.tz), token, cal.cache_start, cal.cache_end),
        )

    def _store_object(self, cal: _Calendar, obj: RemoteObject) -> None:
        """Parse one object over the cached window and cache its occurrences (if any)."""
        obj = RemoteObject(canonical_href(obj.href), obj.etag, obj.data)
        events = self._parse(cal, obj.data)
        if not events:
            if cal.objects.pop(obj.href, None) is not None:
                self.state.drop_object(self.name, cal.ref.url, obj.href)
            return
        keep_data = cal.role == "target" or any(e.managed for e in events)
        cached = CachedObject(obj.href, obj.etag, obj.data if keep_data else None, tuple(events))
        cal.objects[obj.href] = cached
        self.state.put_object(self.name, cal.ref.url, cached)

    def _parse(self, cal: _Calendar, data: bytes) -> list[Event]:
        from calsync import ical

        try:
            events, problems = ical.parse_events(
                data,
                source=cal.ref.name,
                start=cal.cache_start,
                end=cal.cache_end,
                tz=self.tz,
                runs_source=cal.role == "runs",
            )
        except CalendarDataError as exc:
            self.warnings.append(f"skipped an object of {cal.ref.name!r}: {exc.message}")
            return []
        if cal.role == "runs" and not self.config.timezone_set:
            self._count_zones(data)
        for problem in problems:
            message = problem.message.removeprefix("skipped: ")
            where = f"{problem.source}" + (f" (UID {problem.uid})" if problem.uid else "")
            what = "skipped an event of" if problem.skipped else "read"
            self.warnings.append(f"{what} {where}: {message}")
        return events

    def _guard_empty(self, cal: _Calendar, before: Sequence[CachedObject]) -> None:
        """A runs calendar that suddenly reads as empty: refuse (vdirsyncer's guard)."""
        if cal.role != "runs" or self.force:
            return
        had = sum(1 for o in before for e in o.events if self._inside(e) and not e.managed)
        has = sum(
            1 for o in cal.objects.values() for e in o.events if self._inside(e) and not e.managed
        )
        if had >= EMPTY_GUARD_MIN and has == 0:
            raise SafetyStopError(
                f"calendar {cal.ref.name!r} had {had} events in the plan window and now has "
                "none: refusing to re-plan from an empty calendar",
                hint="check the calendar (a wrong URL or account?); if it is right, run "
                "`calsync sync --force`",
            )

    def _inside(self, event: Event) -> bool:
        return event.end > self.window.read_start and event.start < self.window.read_end

    # -- deciding -----------------------------------------------------------------------------

    def _decide(
        self, calendars: Sequence[_Calendar]
    ) -> tuple[list[Action], tuple[WeekReport, ...], _Calendar | None]:
        from calsync.core.classify import classify_all
        from calsync.core.plan import plan
        from calsync.core.plan import week_label

        target = next(
            (c for c in calendars if self.target_ref and c.ref.url == self.target_ref.url), None
        )
        labels = [
            week_label(self.window.first_day + dt.timedelta(days=7 * i))
            for i in range(self.window.weeks)
        ]
        self.copies = self._copies(target)
        existing = self._existing(target)
        noticed = self._note_user_deletions(target, labels)
        user_events = [
            e for c in calendars for e in _occurrences(c, self.copies) if self._inside(e)
        ]
        user_events.sort(key=lambda e: (e.start, e.uid))
        classified: list[Classified] = list(classify_all(user_events, self.config.classify))
        week_set = set(labels)
        for block in existing:
            why = fixed_reason(block, self.now)
            if why is None or block.week not in week_set:
                continue
            # A block that stays (past, moved or edited by the user) counts as the user's own
            # strength session: quota and spacing see it.
            own = Event(
                uid=block.uid,
                start=block.start,
                end=block.end,
                summary=block.summary,
                source=self.account.target,
                runs_source=False,
            )
            classified.append(Classified(own, Kind.STRENGTH, f"calsync block: {why}"))
        result = plan(
            classified, self.window.first_day, self.window.weeks, self.config.rules, self.now
        )
        deleted = self.state.deletions(self.name)
        if self.dry_run:  # not recorded in a dry run: count them here
            for week, n in noticed.items():
                deleted[week] = deleted.get(week, 0) + n
        actions = reconcile(result.blocks, existing, labels, deleted, self.now)
        removes = sum(1 for a in actions if a.kind == "remove")
        limit = self.config.sync.max_deletes
        if removes > limit and not self.force:
            message = (
                f"this sync would remove {removes} blocks (more than max_deletes = {limit}): "
                "refusing"
            )
            if not self.dry_run:
                raise SafetyStopError(
                    message,
                    hint="check with `calsync sync --dry-run`; if it is right, run "
                    "`calsync sync --force` or raise [sync] max_deletes",
                )
            self.warnings.append(message)
        return actions, result.weeks, target

    def _existing(self, target: _Calendar | None) -> list[Existing]:
        if target is None:
            return []
        out = []
        seen: set[str] = set()
        for href, obj in target.objects.items():
            for event in obj.events:
                if not ours(event, self.copies) or event.uid in seen:
                    continue
                seen.add(event.uid)
                props = event.calsync
                written = props.get("HASH")
                out.append(
                    Existing(
                        uid=event.uid,
                        href=href,
                        week=props.get("WEEK", ""),
                        slot=props.get("SLOT", ""),
                        start=event.start,
                        end=event.end,
                        planned_start=parse_stamp(props.get("PLANNED-START")),
                        planned_end=parse_stamp(props.get("PLANNED-END")),
                        edited=bool(written)
                        and content_hash(event.summary, event.description) != written,
                        summary=event.summary,
                    )
                )
        return out

    def _copies(self, target: _Calendar | None) -> frozenset[str]:
        """Marked events under a calsync-style UID that calsync never issued, while the block
        it did issue for that week and slot is there: copies kept in calsync's UID style (a
        script, a hand edit). A lost state knows no block: nothing is a copy, nothing doubles.
        Copies under an app's UID need no state: `ours` never takes them."""
        if target is None:
            return frozenset()
        marked = [e for o in target.objects.values() for e in o.events if is_own_block(e)]
        issued = {r.uid for r in self.state.blocks(self.name)}
        held = {_week_slot(e) for e in marked if e.uid in issued}
        return frozenset(e.uid for e in marked if e.uid not in issued and _week_slot(e) in held)

    def _note_user_deletions(
        self, target: _Calendar | None, labels: Sequence[str]
    ) -> dict[str, int]:
        """Blocks calsync wrote that are gone from the server: the user deleted them.

        Recorded in the state (not in a dry run); returns week -> how many were noticed now.
        """
        noticed: dict[str, int] = {}
        if target is None:
            return noticed
        present = {e.uid for o in target.objects.values() for e in o.events if ours(e, self.copies)}
        hrefs = set(target.objects)
        first = labels[0] if labels else ""
        if first and not self.dry_run:
            self.state.forget_deletions_before(self.name, first)
        folder = urllib.parse.urlsplit(canonical_href(target.ref.url)).path.rstrip("/") + "/"
        for record in self.state.blocks(self.name):
            elsewhere = not urllib.parse.urlsplit(record.href).path.startswith(folder)
            if record.week < first or elsewhere:  # an old week, or another calendar: forget it
                if not self.dry_run:
                    self.state.drop_block(self.name, record.uid)
                continue
            if record.week not in labels:
                continue
            if record.uid in present or record.href in hrefs:
                continue
            noticed[record.week] = noticed.get(record.week, 0) + 1
            if not self.dry_run:
                self.state.record_deletion(self.name, record.uid, record.week)
            self.warnings.append(
                f"a block of {record.week} ({record.start.astimezone(self.tz):%a %d %b %H:%M}) "
                "was deleted in the calendar: not recreated for that week"
            )
        return noticed

    # -- writing ------------------------------------------------------------------------------

    def _apply(self, actions: Sequence[Action], target: _Calendar | None) -> list[SyncAction]:
        order = {"keep": 0, "skip": 0, "move": 1, "create": 2, "remove": 3}
        done: list[SyncAction] = []
        for action in sorted(actions, key=lambda a: order[a.kind]):
            line = self._one(action, target)
            if line.kind in ("create", "move", "update", "remove") and line.uid:
                self.written[line.uid] = line
            elif line.kind == "keep" and line.uid in self.written:
                line = self.written[line.uid]  # written before a re-plan: report the write
            done.append(line)
        done.sort(key=lambda a: (a.week, a.start or a.old_start or self.now, a.kind))
        return done

    def _one(self, action: Action, target: _Calendar | None) -> SyncAction:
        block, found = action.block, action.existing
        if action.kind == "create" and block is not None:
            uid = self._new_uid()
            if not self.dry_run and target is not None:
                self._create(target, block, uid)
            return SyncAction(
                "create",
                action.week,
                block.start,
                None,
                block.summary,
                uid,
                action.reason,
                end=block.end,
            )
        if action.kind == "skip" and block is not None:
            return SyncAction(
                "skip",
                action.week,
                block.start,
                None,
                block.summary,
                None,
                action.reason,
                end=block.end,
            )
        assert found is not None and target is not None  # move / keep / remove act on a block
        cached = target.objects[found.href]
        if action.kind == "remove":
            if not self.dry_run:
                self._delete(target, cached, found)
            return SyncAction(
                "remove", action.week, None, found.start, found.summary, found.uid, action.reason
            )
        # No planned block: it stays as it is (past, moved or edited by the user).
        if block is None or (action.kind == "keep" and self._says_the_same(cached, found, block)):
            self._adopt(found)
            return SyncAction(
                "keep",
                action.week,
                found.start,
                None,
                found.summary,
                found.uid,
                action.reason,
                end=found.end,
                fixed=block is None,
            )
        kind = "move" if action.kind == "move" else "update"
        reason = action.reason if kind == "move" else f"text refreshed: {action.reason}"
        if not self.dry_run:
            data = self._render(block, found.uid, _sequence(cached.data) + 1)
            self._update(target, cached, found, block, data)
        return SyncAction(
            kind, action.week, block.start, found.start, block.summary, found.uid, reason, block.end
        )

    def _says_the_same(self, cached: CachedObject, found: Existing, block: Block) -> bool:
        """Whether the server's copy already says what calsync would write (same time known).

        Cheap first: the X-CALSYNC-HASH of the text calsync would write now and the busy flag;
        otherwise a full comparison (ignoring DTSTAMP, PRODID, SEQUENCE and the like).
        """
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
            if not self.state.is_retired(self.name, uid):
                return uid

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
        }
        settings = self.config.sync
        return ical.render_block(
            block,
            uid=uid,
            dtstamp=self.now.astimezone(dt.UTC).replace(microsecond=0),
            tz=self.tz,
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

    def _create(self, target: _Calendar, block: Block, uid: str) -> None:
        data = self._render(block, uid, 0)
        try:
            written = self.store.create(target.ref, uid, data)
        except AlreadyExistsError as exc:  # a re-run after a crash: adopt what is there
            got = self.store.get(exc.href)
            if got is None or not MANAGED_LINE.search(got.data):
                raise
            written = got
        self._cache_write(target, written)
        href = canonical_href(written.href)
        self.state.put_block(self.name, BlockRecord(uid, href, block.week, block.slot, block.start))

    def _update(
        self, target: _Calendar, cached: CachedObject, found: Existing, block: Block, data: bytes
    ) -> None:
        _assert_managed(cached)
        try:
            written = self.store.update(
                RemoteObject(cached.href, cached.etag, cached.data or b""), data
            )
        except ConflictError:
            self._reread(target, cached.href)
            raise _ReplanError from None
        self._cache_write(target, written)
        self.state.put_block(
            self.name, BlockRecord(found.uid, cached.href, block.week, block.slot, block.start)
        )

    def _delete(self, target: _Calendar, cached: CachedObject, found: Existing) -> None:
        _assert_managed(cached)
        try:
            self.store.delete(RemoteObject(cached.href, cached.etag, cached.data or b""))
        except ConflictError:
            self._reread(target, cached.href)
            raise _ReplanError from None
        target.objects.pop(cached.href, None)
        self.state.drop_object(self.name, target.ref.url, cached.href)
        self.state.drop_block(self.name, found.uid)
        self.state.retire(self.name, found.uid)

    def _adopt(self, found: Existing) -> None:
        """A managed block on the server that the state does not know (a lost state)."""
        if self.dry_run:
            return
        start = found.planned_start or found.start
        self.state.put_block(
            self.name, BlockRecord(found.uid, found.href, found.week, found.slot, start)
        )

    def _reread(self, target: _Calendar, href: str) -> None:
        """After a 412: the object as the server has it now, into the cache."""
        href = canonical_href(href)
        got = self.store.get(href)
        if got is None:
            target.objects.pop(href, None)
            self.state.drop_object(self.name, target.ref.url, href)
        else:
            self._store_object(target, got)
        self.warnings.append(
            "a block changed on the server during the sync: read again and re-planned"
        )

    def _cache_write(self, target: _Calendar, written: RemoteObject) -> None:
        self._store_object(target, written)


def ours(event: Event, copies: frozenset[str] = frozenset()) -> bool:
    """A block calsync wrote: X-CALSYNC-MANAGED and a UID calsync made (`…@calsync`).

    A copy the user made of a block in a calendar app keeps the X-CALSYNC-* properties but
    gets a UID of the app's (or is one of `copies`): it is the user's own event (a strength
    session that counts toward its week), never touched.
    """
    return event.managed and is_own_block(event) and event.uid not in copies


def _week_slot(event: Event) -> tuple[str, str]:
    return event.calsync.get("WEEK", ""), event.calsync.get("SLOT", "")


def _occurrences(cal: _Calendar, copies: frozenset[str] = frozenset()) -> list[Event]:
    """The user's occurrences of one calendar, each instance of a series once.

    Some servers (Stalwart) store a series' master and a moved instance as separate objects
    with the same UID; each object is parsed alone, so the master still gives the moved
    instance at its old time. Two occurrences of one UID and RECURRENCE-ID from different
    objects: the one from the object with fewer occurrences of that UID (the exception, not
    the master) is kept. A copy of a block comes as the user's own event (`managed` off).
    """
    count: dict[tuple[str, str], int] = {}
    for href, obj in cal.objects.items():
        for event in obj.events:
            count[(href, event.uid)] = count.get((href, event.uid), 0) + 1
    chosen: dict[tuple[str, str], tuple[int, Event]] = {}
    out: list[Event] = []
    for href, obj in cal.objects.items():
        for raw in obj.events:
            if ours(raw, copies):
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


def _assert_managed(cached: CachedObject) -> None:
    """The last line of defence: calsync writes only to objects that say they are its own."""
    if cached.data is None or not MANAGED_LINE.search(cached.data):
        raise SafetyStopError(
            f"refusing to change {cached.href}: it is not a calsync block",
            hint="this is a bug in calsync; please report it",
        )


def canonical_href(href: str) -> str:
    """One spelling per object: servers and clients quote paths differently (`@`, `%40`)."""
    parts = urllib.parse.urlsplit(href)
    path = urllib.parse.quote(urllib.parse.unquote(parts.path), safe="/@:+,;=!$&'()*~")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _sequence(data: bytes | None) -> int:
    found = SEQUENCE_LINE.search(data or b"")
    return int(found.group(1)) if found else 0


def _unique(lines: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(lines))


__all__ = ["SyncAction", "SyncReport", "sync_once"]
