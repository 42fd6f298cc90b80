"""`MemoryStore`: a CalendarStore held in memory, for tests and what-ifs without a server.

It keeps the same contract as CaldavStore (tests/stores/test_store_contract.py runs both):
conditional writes with ETags (a stale one: ConflictError, as HTTP 412), If-None-Match on create
(AlreadyExistsError with the href), RFC 6578-style sync tokens (an unknown or expired one:
SyncTokenError), time-range reads that expand recurrences, and a request counter that counts
what a CalDAV server would be asked (one listing, one REPORT, one multiget, one PUT...).

`Quirks` switches on the server behaviours worth emulating, each seen in the wild:
  - `etags=False`: no ETag anywhere (some servers and proxies drop it; writes go If-Match: *);
  - `create_412=True`: a create is stored but answered 412, as when an earlier run's write
    landed and the answer was lost (the engine must adopt, not duplicate);
  - `opaque_hrefs=True`: the server names new objects itself (the href is not the UID);
  - `sync_tokens=False`: every sync-collection REPORT refused (time-range reads only).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import urllib.parse
import uuid
from dataclasses import dataclass
from dataclasses import field
from types import TracebackType

from calsync.adapters.caldav_store import AlreadyExistsError
from calsync.adapters.caldav_store import CalendarRef
from calsync.adapters.caldav_store import Changes
from calsync.adapters.caldav_store import RemoteObject
from calsync.adapters.caldav_store import SyncTokenError
from calsync.adapters.caldav_store import match_calendar
from calsync.errors import CalendarDataError
from calsync.errors import CalendarNotFoundError
from calsync.errors import ConflictError

BASE_URL = "http://memory.invalid/user/"  # .invalid never resolves: nothing leaves the process
TOKEN = re.compile(r"^mem:(\d+):(\d+)$")


@dataclass(frozen=True, slots=True)
class Quirks:
    """Server behaviours the store emulates (see the module docstring)."""

    etags: bool = True
    create_412: bool = False
    opaque_hrefs: bool = False
    sync_tokens: bool = True


@dataclass(slots=True)
class _Calendar:
    ref: CalendarRef
    number: int
    # Keyed by `_key(href)`: one object, however a client spells its path (`@`, `%40`).
    objects: dict[str, RemoteObject] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)  # key -> revision of its last change
    removed: dict[str, tuple[str, int]] = field(default_factory=dict)  # key -> (href, revision)
    oldest_token: int = 0  # tokens older than this are refused (expired)


class MemoryStore:
    """Calendars in a dict; `requests` counts what a CalDAV server would have been asked."""

    def __init__(self, quirks: Quirks = Quirks(), *, base_url: str = BASE_URL) -> None:
        self.quirks = quirks
        self.base_url = base_url
        self.requests = 0
        self._calendars: dict[str, _Calendar] = {}
        self._listed = False
        self._revision = itertools.count(1)
        self._now = 0  # the last revision handed out

    # -- lifecycle --------------------------------------------------------------------------

    def __enter__(self) -> MemoryStore:
        """A session, as a new CaldavStore is one: its request count starts at 0."""
        self.requests = 0
        self._listed = False
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Nothing to close; a later sync lists the calendars again, as a new session does."""
        self._listed = False

    # -- calendars --------------------------------------------------------------------------

    def calendars(self) -> list[CalendarRef]:
        if not self._listed:
            self._ask()  # PROPFIND of the calendar home
            self._listed = True
        return [c.ref for c in self._calendars.values()]

    def find(self, name_or_url: str) -> CalendarRef:
        found = match_calendar(self.calendars(), name_or_url)
        if found is not None:
            return found
        names = ", ".join(repr(c.name) for c in self.calendars()) or "none"
        raise CalendarNotFoundError(
            f"the memory store has no calendar {name_or_url!r} (calendars: {names})",
            hint="create it with `ensure`",
        )

    def ensure(self, name: str) -> CalendarRef:
        try:
            return self.find(name)
        except CalendarNotFoundError:
            if name.startswith(("http://", "https://")):
                raise
        return self.add_calendar(name)

    def add_calendar(self, name: str, *, timezone: str | None = None) -> CalendarRef:
        """A new calendar (MKCALENDAR) with display name `name`, at a path of its own."""
        self._ask()
        number = len(self._calendars) + 1
        url = urllib.parse.urljoin(self.base_url, f"cal-{number}-{uuid.uuid4().hex[:6]}/")
        ref = CalendarRef(name, url, ("VEVENT",), timezone)
        self._calendars[url] = _Calendar(ref, number)
        self._listed = False
        return ref

    def drop_calendar(self, url: str) -> None:
        """The user deletes a whole calendar."""
        self._calendars.pop(url, None)
        self._listed = False

    def expire_tokens(self, url: str) -> None:
        """Every sync token handed out for this calendar so far is refused from now on."""
        self._cal(url).oldest_token = self._tick()

    # -- reading ----------------------------------------------------------------------------

    def fetch_range(
        self, cal: CalendarRef, start: dt.datetime, end: dt.datetime
    ) -> list[RemoteObject]:
        self._ask()  # calendar-query REPORT
        return self._in_range(self._cal(cal.url), start, end)

    def changes_since(
        self, cal: CalendarRef, token: str | None, start: dt.datetime, end: dt.datetime
    ) -> Changes:
        stored = self._cal(cal.url)
        self._ask()  # sync-collection REPORT
        if not self.quirks.sync_tokens:
            raise SyncTokenError(f"reading changes of {cal.name!r}: sync tokens not supported")
        new_token = f"mem:{stored.number}:{self._now}"
        if token is None:
            objects = self.fetch_range(cal, start, end)
            return Changes(new_token, objects, [], full=True)
        since = self._since(stored, token, cal.name)
        changed = sorted(k for k, rev in stored.changed.items() if rev > since)
        deleted = sorted(h for h, rev in stored.removed.values() if rev > since)
        if changed:
            self._ask()  # calendar-multiget
        objects = [self._out(stored.objects[k]) for k in changed]
        return Changes(new_token, objects, deleted, full=False)

    def get(self, href: str) -> RemoteObject | None:
        self._ask()
        _, current = self._current(href)
        return None if current is None else self._out(current)

    # -- writing ----------------------------------------------------------------------------

    def create(self, cal: CalendarRef, name: str, data: bytes) -> RemoteObject:
        stored = self._cal(cal.url)
        self._ask()  # PUT, If-None-Match: *
        href = urllib.parse.urljoin(cal.url, urllib.parse.quote(f"{name}.ics"))
        if _key(href) in stored.objects:
            raise AlreadyExistsError(
                f"creating {name!r}: an object with that name exists", href=href
            )
        if self.quirks.opaque_hrefs:  # the server picks the name
            href = urllib.parse.urljoin(cal.url, f"{uuid.uuid4().hex}.ics")
        written = self._put(stored, href, data)
        if self.quirks.create_412:
            raise AlreadyExistsError(
                f"creating {name!r}: an object with that name exists", href=href
            )
        return self._out(written)

    def get_after_create(self, cal: CalendarRef, name: str, data: bytes) -> RemoteObject:
        """`create`, then the object as stored (a client whose answers are not lost)."""
        try:
            return self.create(cal, name, data)
        except AlreadyExistsError as exc:
            got = self.get(exc.href)
            assert got is not None  # just stored
            return got

    def update(self, obj: RemoteObject, data: bytes) -> RemoteObject:
        self._ask()  # PUT, If-Match
        stored, current = self._current(obj.href)
        if current is None or (obj.etag is not None and obj.etag != current.etag):
            raise ConflictError(
                f"updating {obj.href!r}: the event was changed or removed on the server meanwhile",
                hint="the next sync reads it again",
            )
        assert current is not None
        return self._out(self._put(stored, current.href, data))

    def delete(self, obj: RemoteObject) -> None:
        self._ask()  # DELETE, If-Match
        stored, current = self._current(obj.href)
        if current is None or stored is None:
            return  # already gone: fine
        if obj.etag is not None and obj.etag != current.etag:
            raise ConflictError(
                f"deleting {obj.href!r}: the event was changed on the server meanwhile",
                hint="the next sync reads it again",
            )
        key = _key(obj.href)
        del stored.objects[key]
        stored.changed.pop(key, None)
        stored.removed[key] = (current.href, self._tick())

    # -- internals --------------------------------------------------------------------------

    def _ask(self) -> None:
        self.requests += 1

    def _tick(self) -> int:
        self._now = next(self._revision)
        return self._now

    def _cal(self, url: str) -> _Calendar:
        stored = self._calendars.get(url)
        if stored is None:
            raise CalendarNotFoundError(f"the memory store has no calendar at {url}")
        return stored

    def _current(self, href: str) -> tuple[_Calendar | None, RemoteObject | None]:
        key = _key(href)
        for stored in self._calendars.values():
            if key in stored.objects:
                return stored, stored.objects[key]
        return None, None

    def _put(self, stored: _Calendar | None, href: str, data: bytes) -> RemoteObject:
        assert stored is not None  # callers checked the object or calendar exists
        revision = self._tick()
        written = RemoteObject(href, f'"{revision}"', data)
        key = _key(href)
        stored.objects[key] = written
        stored.changed[key] = revision
        stored.removed.pop(key, None)
        return written

    def _out(self, obj: RemoteObject) -> RemoteObject:
        """The object as a client sees it (no ETag with `etags=False`)."""
        return obj if self.quirks.etags else RemoteObject(obj.href, None, obj.data)

    def _since(self, stored: _Calendar, token: str, name: str) -> int:
        found = TOKEN.match(token)
        if found is None or int(found.group(1)) != stored.number:
            raise SyncTokenError(f"reading changes of {name!r}: not a token of this calendar")
        since = int(found.group(2))
        if since < stored.oldest_token or since > self._now:
            raise SyncTokenError(f"reading changes of {name!r}: the sync token has expired")
        return since

    def _in_range(
        self, stored: _Calendar, start: dt.datetime, end: dt.datetime
    ) -> list[RemoteObject]:
        from calsync import ical

        out = []
        for obj in stored.objects.values():
            try:
                events, problems = ical.parse_events(
                    obj.data, source=stored.ref.name, start=start, end=end, tz=dt.UTC
                )
            except CalendarDataError:
                out.append(self._out(obj))  # unreadable: the client reports it, as a server would
                continue
            if events or problems:
                out.append(self._out(obj))
        return out


def _key(href: str) -> str:
    """An object's identity: its path unquoted (servers take `%40` and `@` alike)."""
    return urllib.parse.unquote(urllib.parse.urlsplit(href).path)
