"""CalDAV calendars: discovery, time-range reads, RFC 6578 sync and conditional writes.

The caldav_* modules are the only ones that import caldav. Every caldav and transport exception
is translated once, in `_ErrorTranslation._translated` (caldav_errors), into calsync's own
errors; no caldav object leaves them. Objects are addressed by the href the server gave (iCloud
hrefs are not UIDs).

`CaldavStore` is made of parts, each in its own module: `_ErrorTranslation` (caldav_errors),
`_Discovery` (caldav_discovery) and `_Reports` (caldav_reports), over the HTTP/XML plumbing in
caldav_wire; the values it hands out are in caldav_values. This module keeps the public
methods and re-exports what other code imports from it.
"""

from __future__ import annotations

import datetime as dt
import time
import urllib.parse
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from caldav.lib.python_utilities import WireBytes
from caldav.response import DAVResponse

from calsync.adapters.caldav_discovery import _Discovery
from calsync.adapters.caldav_reports import _Reports
from calsync.adapters.caldav_urls import _is_url
from calsync.adapters.caldav_urls import _short
from calsync.adapters.caldav_urls import _slash
from calsync.adapters.caldav_values import AlreadyExistsError
from calsync.adapters.caldav_values import CalendarRef
from calsync.adapters.caldav_values import Changes
from calsync.adapters.caldav_values import RemoteObject
from calsync.adapters.caldav_values import SyncTokenError
from calsync.adapters.caldav_values import match_calendar
from calsync.adapters.caldav_values import redact_url
from calsync.adapters.caldav_wire import _body
from calsync.adapters.caldav_wire import _calendar_query
from calsync.adapters.caldav_wire import _Client as _Client
from calsync.adapters.caldav_wire import _connect
from calsync.adapters.caldav_wire import _etag
from calsync.adapters.caldav_wire import _limits
from calsync.adapters.credentials import Credentials
from calsync.adapters.http_auth import NegotiatedAuth
from calsync.adapters.http_auth import may_send_unasked
from calsync.config import Account
from calsync.errors import CalendarNotFoundError
from calsync.errors import ConfigError
from calsync.errors import ConflictError
from calsync.errors import RemoteUnavailableError
from calsync.model import Event
from calsync.model import Problem

__all__ = [
    "AlreadyExistsError",
    "CaldavStore",
    "CalendarNotFoundError",
    "CalendarRef",
    "Changes",
    "RemoteObject",
    "SyncTokenError",
    "match_calendar",
    "open_store",
    "redact_url",
]


class CaldavStore(_Discovery, _Reports):
    """One CalDAV account: built from its `Account` settings and resolved `Credentials`.

    Use as a context manager (or call `close()`). `requests` counts the HTTP requests sent.
    `sleep` is what waits between retries of a throttled request (tests pass their own).
    """

    def __init__(
        self,
        account: Account,
        credentials: Credentials,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._account = account
        self._credentials = credentials
        self._sleep = sleep
        self._shown = redact_url(account.url)
        if credentials.password is not None and not credentials.username:
            raise ConfigError(
                f"[accounts.{account.name}]",
                ["a password is configured but no username"],
                hint="add username = ... (often your e-mail address)",
            )
        with self._translated("connecting to"):
            self._client = _connect(account, self._auth_for(account.url, credentials))
        self._client.bound(_limits(account))  # size cap, request and run deadlines
        self._calendars: list[CalendarRef] | None = None
        self._principal: Any = None
        self._well_known_tried = False

    def _auth_for(self, url: str, credentials: Credentials) -> NegotiatedAuth | None:
        """Bearer for a token, Basic or Digest for a password, as the server's challenge asks.

        Known credentials go with the first request only over https or to a loopback host (no
        401 round trip each run); elsewhere they wait for the server to ask.
        """
        secret = credentials.token or credentials.password
        if secret is None:
            return None
        return NegotiatedAuth(
            credentials.username,
            secret,
            bearer=bool(credentials.token),
            unasked=may_send_unasked(url),
            on_resend=self._count_resend,
        )

    def _count_resend(self) -> None:
        self._client.sent += 1  # an answer to a 401, sent by the auth hook itself

    # -- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> CaldavStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP session."""
        self._client.close()

    @property
    def requests(self) -> int:
        """HTTP requests sent so far (for tests and benchmarks)."""
        return self._client.sent

    def __repr__(self) -> str:
        return f"CaldavStore(account={self._account.name!r}, url={self._shown!r})"

    # -- calendars ------------------------------------------------------------------------

    def calendars(self) -> list[CalendarRef]:
        """Every calendar of the account (or the one calendar the account URL points at)."""
        if self._calendars is None:
            self._calendars = self._call(
                f"listing the calendars of account {self._account.name!r}", self._list
            )
        return list(self._calendars)

    def find(self, name_or_url: str) -> CalendarRef:
        """The calendar with that display name (or URL / last path segment).

        CalendarNotFoundError lists the names that exist.
        """
        calendars = self.calendars()
        found = match_calendar(calendars, name_or_url)
        if found is not None:
            return found
        if _is_url(name_or_url):
            direct = self._call(
                f"reading the calendar {redact_url(name_or_url)}",
                lambda: self._probe_calendar(name_or_url),
            )
            if direct is not None:
                return direct
        raise self._no_calendar(name_or_url, calendars)

    def ensure(self, name: str) -> CalendarRef:
        """`find(name)`, creating the calendar (MKCALENDAR) when it is missing."""
        try:
            return self.find(name)
        except CalendarNotFoundError:
            if _is_url(name):
                raise
        self._call(f"creating the calendar {name!r}", lambda: self._make_calendar(name))
        self._calendars = None
        return self.find(name)

    # -- reading --------------------------------------------------------------------------

    def fetch_range(
        self, cal: CalendarRef, start: dt.datetime, end: dt.datetime
    ) -> list[RemoteObject]:
        """Objects with a VEVENT occurrence overlapping `[start, end)`: one calendar-query REPORT.

        Recurring series are returned unexpanded (their master and overrides); expand with
        `ical.parse_events`. Never fetches a whole calendar.
        """
        body = _calendar_query(start, end)

        def run() -> list[RemoteObject]:
            response = self._client.report(cal.url, body, depth=1)
            self._check(response)
            return self._objects(cal.url, response.parse_calendar_query())

        return self._call(f"reading events from {cal.name!r}", run)

    def changes_since(
        self, cal: CalendarRef, token: str | None, start: dt.datetime, end: dt.datetime
    ) -> Changes:
        """RFC 6578 sync-collection REPORT, then one calendar-multiget for the changed hrefs.

        `token=None` gives the initial state (`full=True`): a new token, then `changed` holds
        the objects of the window `[start, end)` (one time-range query, never the whole
        calendar) and `deleted` is empty. With a token, `changed` holds every object changed
        since, whatever its dates (the caller filters while parsing), and `deleted` the
        removed hrefs. A no-change sync costs one request. Any refused token (or a server
        without sync support) raises `SyncTokenError`: fall back to `fetch_range`.
        """
        if token is not None and (not token.strip() or token.startswith("fake-")):
            raise SyncTokenError(f"reading changes of {cal.name!r}: not a server sync token")
        what = f"reading changes of {cal.name!r}"
        new_token, changed_hrefs, deleted = self._call(what, lambda: self._sync(cal, token))
        if token is None:
            try:
                objects = self.fetch_range(cal, start, end)
            except RemoteUnavailableError:
                if not changed_hrefs:
                    raise
                # Xandikos answers a time-range query with HTTP 500 when one event in the
                # calendar has an unreadable DTSTART: read the listed objects instead (the
                # parser keeps the window and reports the broken event).
                objects = self._multiget(cal, changed_hrefs)
            return Changes(token=new_token, changed=objects, deleted=[], full=True)
        objects = self._multiget(cal, changed_hrefs) if changed_hrefs else []
        # Gone between the REPORT and the multiget: deleted as far as the caller is concerned.
        returned = {o.href for o in objects}
        deleted += [href for href in changed_hrefs if href not in returned]
        return Changes(token=new_token, changed=objects, deleted=deleted, full=False)

    def get(self, href: str) -> RemoteObject | None:
        """The object at `href`, or None when the server has none (404/410)."""

        def run() -> RemoteObject | None:
            response = self._client.request(href, "GET", "", {"Accept": "text/calendar"})
            if response.status in (404, 410):
                return None
            self._check(response)
            return RemoteObject(href, _etag(response), _body(response))

        return self._call(f"reading {_short(href)}", run)

    def read_events(
        self,
        runs: Sequence[str],
        busy: Sequence[str],
        target: str | None,
        start: dt.datetime,
        end: dt.datetime,
        tz: dt.tzinfo,
    ) -> tuple[list[Event], list[Problem]]:
        """Events of the runs, busy and target calendars in `[start, end)`, parsed and expanded.

        Runs calendars give `runs_source=True`, busy calendars `False`; the target calendar's
        events are read too (runs_source only if it is also a runs calendar). A calendar listed
        twice is read once (as runs if it is a runs calendar). A missing runs or busy calendar
        is an error; a missing target calendar is not (it is created on the first sync).
        """
        from calsync import ical

        wanted: dict[str, tuple[CalendarRef, bool]] = {}
        for name in runs:
            cal = self.find(name)
            wanted.setdefault(cal.url, (cal, True))
        for name in busy:
            cal = self.find(name)
            wanted.setdefault(cal.url, (cal, False))
        if target:
            try:
                cal = self.find(target)
            except CalendarNotFoundError:
                pass
            else:
                wanted.setdefault(cal.url, (cal, False))
        events: list[Event] = []
        problems: list[Problem] = []
        for cal, runs_source in wanted.values():
            for obj in self.fetch_range(cal, start, end):
                found, trouble = ical.parse_events(
                    obj.data, source=cal.name, start=start, end=end, tz=tz, runs_source=runs_source
                )
                events.extend(found)
                problems.extend(trouble)
        return events, problems

    # -- writing --------------------------------------------------------------------------

    def create(self, cal: CalendarRef, name: str, data: bytes) -> RemoteObject:
        """PUT `<cal>/<name>.ics` with `If-None-Match: *`.

        412 → `AlreadyExistsError` carrying the href, so the engine can adopt the object.
        The returned etag is None when the server sent none (fetch it later with `get`).
        """
        href = urllib.parse.urljoin(_slash(cal.url), urllib.parse.quote(f"{name}.ics"))

        def run() -> RemoteObject:
            response = self._put(href, data, {"If-None-Match": "*"})
            if response.status == 412:
                raise AlreadyExistsError(
                    f"creating {_short(href)} in {cal.name!r}: an object with that name exists",
                    href=href,
                )
            self._check(response, writing=True)
            return RemoteObject(href, _etag(response), data)

        return self._call(f"creating {_short(href)} in {cal.name!r}", run)

    def update(self, obj: RemoteObject, data: bytes) -> RemoteObject:
        """PUT with `If-Match: <obj.etag>`; 412 → `ConflictError` (someone else changed it).

        An object without a known etag is written with `If-Match: *` (it must still exist).
        """
        what = f"updating {_short(obj.href)}"

        def run() -> RemoteObject:
            response = self._put(obj.href, data, {"If-Match": obj.etag or "*"})
            if response.status in (412, 404, 410):
                raise ConflictError(
                    f"{what}: the event was changed or removed on the server meanwhile",
                    hint="the next sync reads it again",
                )
            self._check(response, writing=True)
            return RemoteObject(obj.href, _etag(response), data)

        return self._call(what, run)

    def delete(self, obj: RemoteObject) -> None:
        """DELETE with `If-Match`; 404/410 = already gone (fine); 412 → `ConflictError`."""
        what = f"deleting {_short(obj.href)}"

        def run() -> None:
            headers = {"If-Match": obj.etag} if obj.etag else {}
            response = self._client.request(obj.href, "DELETE", "", headers)
            if response.status in (404, 410):
                return
            if response.status == 412:
                raise ConflictError(
                    f"{what}: the event was changed on the server meanwhile",
                    hint="the next sync reads it again",
                )
            self._check(response)

        self._call(what, run)

    def _put(self, href: str, data: bytes, headers: dict[str, str]) -> DAVResponse:
        headers = {"Content-Type": "text/calendar; charset=utf-8", **headers}
        return self._client.request(href, "PUT", WireBytes(data), headers)  # type: ignore[arg-type]


def open_store(account: Account, env: Mapping[str, str]) -> CaldavStore:
    """Resolve the account's credentials and build its store (close it when done)."""
    from calsync.adapters.credentials import resolve_credentials

    return CaldavStore(account, resolve_credentials(account, env))
