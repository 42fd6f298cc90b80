"""Reading for a sync: the calendars, incrementally, into the state's cache.

Each calendar is read with an RFC 6578 sync-collection REPORT and the stored token (one request
when nothing changed), applied to the cached occurrences of the window; no token, a refused
token or a window past the cache: a time-range read of the window, and a new token. Sync-token
trouble is corrected silently. Nothing here decides what to write.
"""

from __future__ import annotations

import datetime as dt
import logging
import urllib.parse
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

from calsync.adapters.caldav_store import CalendarRef
from calsync.adapters.caldav_store import RemoteObject
from calsync.adapters.caldav_store import SyncTokenError
from calsync.adapters.state import CachedObject
from calsync.adapters.state import Collection
from calsync.adapters.state import State
from calsync.app.planning import Window
from calsync.app.planning import plan_window
from calsync.app.store import CalendarStore
from calsync.config import Account
from calsync.config import Config
from calsync.errors import CalendarDataError
from calsync.errors import CalendarNotFoundError
from calsync.model import Event

log = logging.getLogger("calsync.app.sync")

CACHE_AHEAD = dt.timedelta(days=28)  # the cache reads this far past the window: fewer re-reads


@dataclass(slots=True)
class Calendar:
    """One calendar as read for this run (`had`: the runs occurrences cached before)."""

    ref: CalendarRef
    role: str  # runs, busy, target
    objects: dict[str, CachedObject]
    cache_start: dt.datetime
    cache_end: dt.datetime
    had: int = 0


def canonical_href(href: str) -> str:
    """One spelling per object: servers and clients quote paths differently (`@`, `%40`)."""
    parts = urllib.parse.urlsplit(href)
    path = urllib.parse.quote(urllib.parse.unquote(parts.path), safe="/@:+,;=!$&'()*~")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


class Reader:
    """Reads the account's calendars through `store` into `state`'s cache (key `key`)."""

    def __init__(
        self,
        config: Config,
        account: Account,
        key: str,
        state: State,
        store: CalendarStore,
        *,
        now: dt.datetime,
        dry_run: bool,
    ) -> None:
        self.account = account
        self.key = key
        self.state = state
        self.store = store
        self.now = now
        self.dry_run = dry_run
        self.warnings: list[str] = []
        self.zone_counts: dict[str, int] = {}  # DTSTART zones of the runs read in this run
        self.zone_xwr: zoneinfo.ZoneInfo | None = None
        self.target_ref: CalendarRef | None = None
        self.plan_in(config, config.timezone)

    def plan_in(self, config: Config, zone: dt.tzinfo) -> None:
        """Read (and plan) in `zone` from now on."""
        self.config = config
        self.tz = zone
        self.window: Window = plan_window(config, self.now.astimezone(zone).date(), config.weeks)

    # -- the calendars ------------------------------------------------------------------------

    def calendars(self, *, use_cache: bool) -> list[Calendar]:
        """Runs, busy and target calendars, each read once (in its first role)."""
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
        out = [self.read(ref, role) for ref, role in wanted.values()]
        self.target_ref = target
        return out

    def _ref(self, name: str, *, use_cache: bool) -> CalendarRef:
        url = self.state.calendar_url(self.key, name) if use_cache else None
        if url is not None:
            return CalendarRef(name, url)
        ref = self.store.find(name)
        self.state.remember_calendar(self.key, name, ref.url)
        return ref

    def _target_ref(self, *, use_cache: bool) -> CalendarRef | None:
        name = self.account.target
        url = self.state.calendar_url(self.key, name) if use_cache else None
        if url is not None:
            return CalendarRef(name, url)
        try:
            ref = self.store.find(name)
        except CalendarNotFoundError:
            if self.dry_run:
                self.warnings.append(f"calendar {name!r} does not exist yet: a sync creates it")
                return None
            ref = self._recreate(name)
        self.state.remember_calendar(self.key, name, ref.url)
        return ref

    def _recreate(self, name: str) -> CalendarRef:
        ref = self.store.ensure(name)
        self.state.forget_collection(self.key, ref.url)  # a new calendar, maybe same URL
        # The blocks calsync remembers lived in a calendar that is gone (the user deleted
        # the whole calendar): they are not the user's deletions of single blocks, and the
        # new calendar gets them again.
        lost = self.state.blocks(self.key)
        if lost:
            self.state.forget_blocks(self.key)
            self.warnings.append(
                f"calendar {name!r} was gone from the server: created it again and placed "
                f"the blocks anew ({len(lost)} were in the old one)"
            )
        return ref

    # -- one calendar -------------------------------------------------------------------------

    def read(self, ref: CalendarRef, role: str) -> Calendar:
        """One calendar: incrementally from the cache when it covers the window."""
        prev = self.state.collection(self.key, ref.url)
        before = self.state.objects(self.key, ref.url) if prev is not None else []
        had = self.count_inside(before) if role == "runs" else 0
        if prev is not None and self._usable(prev, role):
            cal = Calendar(
                ref, role, {o.href: o for o in before}, prev.cache_start, prev.cache_end, had
            )
            if prev.token is None:  # the server has no sync tokens: a time-range read
                objects = self.store.fetch_range(ref, cal.cache_start, cal.cache_end)
                self._replace(cal, objects, None)
                return cal
            try:
                self._apply_changes(cal, prev.token)
            except SyncTokenError as exc:
                log.info("%s: falling back to a time-range read", exc.message)
            else:
                return cal
        return self._full(ref, role, had)

    def _usable(self, prev: Collection, role: str) -> bool:
        w = self.window
        return (
            prev.role == role
            and prev.tz == str(self.tz)
            and prev.cache_start <= w.read_start
            and w.read_end <= prev.cache_end
        )

    def _apply_changes(self, cal: Calendar, token: str) -> None:
        w = self.window
        changes = self.store.changes_since(cal.ref, token, w.read_start, w.read_end)
        for href in map(canonical_href, changes.deleted):
            if cal.objects.pop(href, None) is not None:
                self.state.drop_object(self.key, cal.ref.url, href)
        for obj in changes.changed:
            self.store_object(cal, obj)
        log.info(
            "calendar %r: %d changed, %d removed since the last sync",
            cal.ref.name,
            len(changes.changed),
            len(changes.deleted),
        )
        self._save(cal, changes.token)

    def _full(self, ref: CalendarRef, role: str, had: int) -> Calendar:
        start, end = self.window.read_start, self.window.read_end + CACHE_AHEAD
        cal = Calendar(ref, role, {}, start, end, had)
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
        return cal

    def _replace(self, cal: Calendar, objects: Sequence[RemoteObject], token: str | None) -> None:
        self.state.clear_objects(self.key, cal.ref.url)
        cal.objects = {}
        for obj in objects:
            self.store_object(cal, obj)
        self._save(cal, token)

    def _save(self, cal: Calendar, token: str | None) -> None:
        self.state.save_collection(
            self.key,
            Collection(cal.ref.url, cal.role, str(self.tz), token, cal.cache_start, cal.cache_end),
        )

    # -- objects ------------------------------------------------------------------------------

    def store_object(self, cal: Calendar, obj: RemoteObject) -> None:
        """Parse one object over the cached window and cache its occurrences (if any)."""
        obj = RemoteObject(canonical_href(obj.href), obj.etag, obj.data)
        events = self._parse(cal, obj.data)
        if not events:
            self.drop_object(cal, obj.href)
            return
        keep_data = cal.role == "target" or any(e.managed for e in events)
        cached = CachedObject(obj.href, obj.etag, obj.data if keep_data else None, tuple(events))
        cal.objects[obj.href] = cached
        self.state.put_object(self.key, cal.ref.url, cached)

    def drop_object(self, cal: Calendar, href: str) -> None:
        """The object is gone: out of the calendar and the cache."""
        if cal.objects.pop(href, None) is not None:
            self.state.drop_object(self.key, cal.ref.url, href)

    def reread(self, cal: Calendar, href: str) -> None:
        """After a 412: the object as the server has it now, into the cache."""
        href = canonical_href(href)
        got = self.store.get(href)
        if got is None:
            cal.objects.pop(href, None)
            self.state.drop_object(self.key, cal.ref.url, href)
        else:
            self.store_object(cal, got)
        self.warnings.append(
            "a block changed on the server during the sync: read again and re-planned"
        )

    def _parse(self, cal: Calendar, data: bytes) -> list[Event]:
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

    def _count_zones(self, data: bytes) -> None:
        from calsync import ical

        xwr, counts = ical.calendar_zones(data)
        self.zone_xwr = self.zone_xwr or xwr
        for key, n in counts.items():
            self.zone_counts[key] = self.zone_counts.get(key, 0) + n

    # -- the window ---------------------------------------------------------------------------

    def inside(self, event: Event) -> bool:
        return event.end > self.window.read_start and event.start < self.window.read_end

    def count_inside(self, objects: Sequence[CachedObject]) -> int:
        """The user's occurrences (not calsync's blocks) inside the window."""
        return sum(1 for o in objects for e in o.events if self.inside(e) and not e.managed)
