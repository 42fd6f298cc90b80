"""The sync engine: `sync_once` reads the calendars, plans, and applies the plan.

One run, in order:
  1. lock (fcntl on a file in the state folder; a second process gets LockedError);
  2. read (calsync.app.sync_read): the calendars' URLs remembered in the state (no discovery on a
     no-change run), the target created when missing (MKCALENDAR), each calendar read
     incrementally into the state's cache;
  3. decide (calsync.app.sync_decide): the whole plan as data (calsync.core.sync_plan), then the
     guards on it (a runs calendar suddenly empty, more removals than max_deletes). Reading
     and deciding are one transaction: a plan refused by a guard leaves the state as it was
     (the sync token is not advanced, so the next sync is refused too);
  4. apply (calsync.app.sync_exec): the executor writes the plan and records it in the state; a
     412 re-reads that object and plans once more; nothing is overwritten blindly. A dry run
     shows the plan's lines instead (the same lines the executor would report).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import logging
import os
import re
import sqlite3
import zoneinfo
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from pathlib import Path

from calsync.adapters.state import State
from calsync.adapters.state import StateDamagedError
from calsync.adapters.state import default_state_dir
from calsync.adapters.state import unusable_folder
from calsync.app.store import CalendarStore
from calsync.app.sync_busy import BusyReader
from calsync.app.sync_decide import Planner
from calsync.app.sync_decide import ours
from calsync.app.sync_exec import Executor
from calsync.app.sync_read import Calendar
from calsync.app.sync_read import Reader
from calsync.app.sync_read import canonical_href
from calsync.app.sync_report import SyncAction
from calsync.app.sync_report import SyncReport
from calsync.app.sync_report import lines_of
from calsync.config import Account
from calsync.config import Config
from calsync.core import sync_plan as sp
from calsync.errors import CalendarNotFoundError
from calsync.errors import ConflictError
from calsync.errors import LockedError
from calsync.errors import SafetyStopError
from calsync.errors import TransientError
from calsync.model import WeekReport

log = logging.getLogger(__name__)

StoreFactory = Callable[[Account, Mapping[str, str]], CalendarStore]


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
            busy = BusyReader(config, acct, env, factory)  # other accounts use the same factory
            engine = _Engine(config, acct, now, state, store, dry_run=dry_run, force=force)
            return engine.run(busy)

    # A dry run takes the lock too: it would otherwise wait on the state file of a running sync.
    with _lock(folder, acct.name):
        try:
            return _with_state(folder, state_file_name(acct), now, run)
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


def state_file_name(account: Account) -> str:
    """The account's state file in the state folder."""
    return f"{_safe(account.name)}.sqlite3"


def state_key(account: Account) -> str:
    """The state's key for an account: its name and where it points, so a config that moves
    the account to another server or user never reuses the old server's state."""
    where = f"{account.url}\n{account.username or ''}"
    return f"{account.name}:{hashlib.sha256(where.encode()).hexdigest()[:12]}"


class _Engine:
    """One sync of one account: read and decide (one transaction), then apply."""

    def __init__(
        self,
        config: Config,
        account: Account,
        now: dt.datetime,
        state: State,
        store: CalendarStore,
        *,
        dry_run: bool,
        force: bool,
    ) -> None:
        self.config = config
        self.account = account
        self.now = now
        self.state = state
        self.dry_run = dry_run
        self.force = force
        self.reader = Reader(config, account, self.name, state, store, now=now, dry_run=dry_run)
        self.machine_tz = config.timezone  # the fallback when neither config nor calendar says
        if not config.timezone_set and (known := _zone(state.home_zone(self.name))):
            self._plan_in(known)
        self.reader.warnings.extend(state.warnings)
        self.planner = Planner(self.reader, state, now)
        self.busy: BusyReader | None = None
        self.written: dict[str, SyncAction] = {}  # uid -> write done (kept across a re-plan)

    @property
    def name(self) -> str:
        """The state's key for this account (`state_key`)."""
        return state_key(self.account)

    @property
    def warnings(self) -> list[str]:
        return self.reader.warnings

    # -- the run ------------------------------------------------------------------------------

    def run(self, busy: BusyReader | None = None) -> SyncReport:
        self.busy = busy
        window = self.reader.window
        calendars, plan, weeks = self._read_and_decide()
        report = SyncReport(
            self.account.name, self.account.target, self.dry_run, window.first_day, window.last_day
        )
        report.weeks = weeks
        if self.dry_run:
            report.actions = self._sorted(lines_of(plan))
        else:
            report.actions = self._apply(plan, calendars)
            self._read_back(calendars)
        report.requests = self.reader.store.requests
        report.warnings = _unique(self.warnings + (busy.warnings if busy else []))
        return report

    def _read_and_decide(
        self,
    ) -> tuple[list[Calendar], sp.SyncPlan, tuple[WeekReport, ...]]:
        """Read, plan and check the plan: state changes committed together, or not at all
        (never in a dry run). A remembered URL may be stale: then discover again."""
        try:
            with self._phase():
                return self._read_plan(use_cache=True)
        except CalendarNotFoundError:
            with self._phase():
                self.state.forget_calendars(self.name)
                return self._read_plan(use_cache=False)

    def _read_plan(
        self, *, use_cache: bool
    ) -> tuple[list[Calendar], sp.SyncPlan, tuple[WeekReport, ...]]:
        calendars = self.reader.calendars(use_cache=use_cache)
        if self._follow_runner_zone(calendars):
            # read again in the runner's zone (a first sync only)
            calendars = self.reader.calendars(use_cache=use_cache)
        calendars += self._busy_elsewhere()  # read-only: never cached, never a target
        plan, weeks = self._decide(calendars)
        return calendars, plan, weeks

    def _busy_elsewhere(self) -> list[Calendar]:
        """Busy time from other accounts, feeds and files (read once; see sync_busy)."""
        if self.busy is None or not self.account.busy_sources:
            return []
        window = self.reader.window
        found = self.busy.calendars(window.read_start, window.read_end, self.reader.tz)
        self.planner.hold = tuple(self.busy.failed)
        if self.busy.failed:  # see sync_decide: planning without it could hit a meeting
            self.warnings.append(
                "no block was created, moved or removed in this sync because a busy calendar "
                "could not be read (the blocks already there stay where they are)"
            )
        return found

    def _decide(self, calendars: Sequence[Calendar]) -> tuple[sp.SyncPlan, tuple[WeekReport, ...]]:
        """The plan, checked by the guards (a dry run only warns of too many removals)."""
        plan, weeks = self.planner.decide(calendars)
        self.warnings.extend(s.reason for s in plan.steps if isinstance(s, sp.RecordDeletion))
        if self.force:
            return plan, weeks
        if (empty := sp.empty_calendar_problem(plan)) is not None:
            raise SafetyStopError(
                empty,
                hint="check the calendar (a wrong URL or account?); if it is right, run "
                "`calsync sync --force`",
            )
        if (many := sp.mass_delete_problem(plan, self.config.sync.max_deletes)) is not None:
            if not self.dry_run:
                raise SafetyStopError(
                    many,
                    hint="check with `calsync sync --dry-run`; if it is right, run "
                    "`calsync sync --force` or raise [sync] max_deletes",
                )
            self.warnings.append(many)
        return plan, weeks

    @contextlib.contextmanager
    def _phase(self) -> Iterator[None]:
        """State changes of the read phase: committed together; never in a dry run."""
        if self.dry_run:
            with self.state.scratch():
                yield
        else:
            with self.state.transaction():
                yield

    def _apply(self, plan: sp.SyncPlan, calendars: Sequence[Calendar]) -> list[SyncAction]:
        """The executor applies the plan; a 412 re-reads that block and plans once more."""
        for attempt in (1, 2):
            outcome = Executor(self.reader, self.planner.target).apply(plan)
            lines = [self._noted(line) for line in outcome.lines]
            if outcome.conflict is None:
                return self._sorted(lines)
            if attempt == 2:
                break
            if self.planner.target is not None:
                with self.state.transaction():
                    self.reader.reread(self.planner.target, outcome.conflict)
            plan, _ = self._decide(calendars)
        raise ConflictError(
            "the target calendar kept changing during the sync (HTTP 412 twice)",
            hint="run `calsync sync` again",
        )

    def _noted(self, line: SyncAction) -> SyncAction:
        """Remember writes; a keep of a block written before a re-plan reports the write."""
        if line.kind in sp.WRITES and line.uid:
            self.written[line.uid] = line
        elif line.kind == "keep" and line.uid in self.written:
            return self.written[line.uid]
        return line

    def _sorted(self, lines: list[SyncAction]) -> list[SyncAction]:
        return sorted(lines, key=lambda a: (a.week, a.start or a.old_start or self.now, a.kind))

    def _read_back(self, calendars: Sequence[Calendar]) -> None:
        """Read our own writes back once, so the cache and the token agree with the server
        (a block created and deleted again before the next sync leaves no trace in
        sync-collection). The next no-change sync is then one request per calendar."""
        target = self.reader.target_ref
        if not self.written or target is None:
            return
        again = next(c for c in calendars if c.ref.url == target.url)
        with self.state.transaction():
            self.reader.read(again.ref, again.role)

    # -- the runner's zone ---------------------------------------------------------------------

    def _plan_in(self, zone: zoneinfo.ZoneInfo) -> None:
        from calsync.config import with_timezone

        self.config = with_timezone(self.config, zone)
        self.reader.plan_in(self.config, zone)

    def _follow_runner_zone(self, calendars: Sequence[Calendar]) -> bool:
        """With no `timezone` in the config, plan in the runner's zone, not the server's: the
        runs calendar's calendar-timezone, else its X-WR-TIMEZONE, else the zone most runs
        start in, else the machine's. Decided once, remembered in the state (so later syncs
        start in it and read nothing twice); True when the runs must be read again in it."""
        if self.config.timezone_set or self.state.home_zone(self.name) is not None:
            return False
        zone, why = self._runner_zone(calendars)
        log.info("planning in %s (%s)", zone.key, why)
        if not self.dry_run:
            self.state.remember_home_zone(self.name, zone.key)
        if zone.key == getattr(self.reader.tz, "key", None):
            return False
        self._plan_in(zone)
        return True

    def _runner_zone(self, calendars: Sequence[Calendar]) -> tuple[zoneinfo.ZoneInfo, str]:
        reader = self.reader
        for cal in calendars:
            if cal.role == "runs" and (zone := _zone(cal.ref.timezone)) is not None:
                return zone, "the runs calendar's own time zone"
        if reader.zone_xwr is not None:
            return reader.zone_xwr, "the runs calendar's X-WR-TIMEZONE"
        if reader.zone_counts:
            key = min(reader.zone_counts, key=lambda k: (-reader.zone_counts[k], k))
            return zoneinfo.ZoneInfo(key), "the zone most runs are written in"
        return self.machine_tz, "this machine's zone: no timezone in the config or calendar"


def _unique(lines: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(lines))


__all__ = ["SyncAction", "SyncReport", "canonical_href", "ours", "sync_once"]
