"""CalDAV calendars: discovery, time-range reads, RFC 6578 sync and conditional writes.

The only module that imports caldav. Every caldav and transport exception is translated once,
in `_translated_errors`, into calsync's own errors; no caldav object leaves this module. Objects
are addressed by the href the server gave (iCloud hrefs are not UIDs).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import time
import urllib.parse
import uuid
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from types import TracebackType
from typing import Any
from typing import TypeVar
from xml.sax.saxutils import escape as xml_escape

from caldav.davclient import DAVClient
from caldav.lib import error as dav_error
from caldav.lib.python_utilities import WireBytes
from caldav.lib.url import URL
from caldav.response import DAVResponse
from niquests import Response
from niquests import Session
from niquests.exceptions import ChunkedEncodingError
from niquests.exceptions import RequestException

from calsync.adapters.bounded import MIB
from calsync.adapters.bounded import CutShortError
from calsync.adapters.bounded import Deadline
from calsync.adapters.bounded import DeadlineError
from calsync.adapters.bounded import Limits
from calsync.adapters.bounded import OverLimitError
from calsync.adapters.bounded import TooLargeError
from calsync.adapters.bounded import finish_within
from calsync.adapters.bounded import read_capped
from calsync.adapters.http_auth import NegotiatedAuth
from calsync.adapters.http_auth import may_send_unasked
from calsync.config import Account
from calsync.credentials import Credentials
from calsync.errors import AuthError
from calsync.errors import CalendarDataError
from calsync.errors import CalendarNotFoundError
from calsync.errors import ConfigError
from calsync.errors import ConflictError
from calsync.errors import RemoteUnavailableError
from calsync.errors import TransientError
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

T = TypeVar("T")

MAX_TRIES = 3  # a throttled (429/503) request is tried at most this often
BACKOFF_SECONDS = 1.0  # first wait when the server sends no Retry-After; doubles
MAX_RETRY_AFTER_SECONDS = 30.0  # cap on any one wait, whatever Retry-After says
MAX_SYNC_ROUNDS = 20  # truncated sync-collection answers followed at most this often
MULTIGET_BATCH = 200  # hrefs per calendar-multiget


class SyncTokenError(TransientError):
    """The server refused the sync token (expired, unknown, or sync unsupported).

    The sync engine catches it and falls back to `CaldavStore.fetch_range`.
    """


class AlreadyExistsError(ConflictError):
    """A create found an object at that href already (`If-None-Match: *` → 412)."""

    def __init__(self, message: str, *, href: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.href = href


@dataclass(frozen=True, slots=True)
class CalendarRef:
    """One calendar collection: its display name and absolute URL."""

    name: str
    url: str
    components: tuple[str, ...] = ()  # supported components, e.g. ("VEVENT", "VTODO")
    timezone: str | None = None  # TZID of its calendar-timezone property (RFC 4791 §5.2.2)


@dataclass(frozen=True, slots=True)
class RemoteObject:
    """One calendar object resource as stored: absolute href, ETag and the raw iCalendar bytes."""

    href: str
    etag: str | None
    data: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class Changes:
    """What changed since a sync token.

    `full` is True for the initial state (token None): `changed` then holds the objects of the
    requested window (not the whole collection) and `deleted` is empty. Otherwise `changed`
    holds every object changed since the token, whatever its dates, and `deleted` the hrefs
    removed since. `token` is the token to store for next time.
    """

    token: str | None
    changed: list[RemoteObject]
    deleted: list[str]  # absolute hrefs
    full: bool


class _ThrottledError(Exception):
    """429, or 503: the server asks us to come back later. Retried in `CaldavStore._call`."""

    def __init__(self, status: int, retry_after: float | None) -> None:
        super().__init__(status)
        self.status = status
        self.retry_after = retry_after


class _BoundedSession(Session):
    """niquests' session, reading every answer within calsync's `Limits` (adapters.bounded).

    Why: caldav hands this session's answers on whole, and niquests' timeout is per read. Each
    answer is streamed and read here, capped in size and time, before caldav sees it.
    """

    limits: Limits | None = None

    def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> Response:
        limits = self.limits
        if limits is None:
            return super().request(method, url, *args, **kwargs)
        deadline = limits.next_request()
        kwargs["stream"] = True
        kwargs["timeout"] = min(float(kwargs.get("timeout") or 60.0), deadline.left())
        send = super().request

        def fetch() -> Response:
            response = send(method, url, *args, **kwargs)
            _read_body(response, limits.max_bytes, deadline)
            return response

        # A helper stuck in a trickle of headers is freed by closing the session's sockets.
        return finish_within(deadline, fetch, abandon=self.close)


def _read_body(response: Response, max_bytes: int, deadline: Deadline) -> None:
    """Read a streamed answer into `response.content`, within the cap and the deadline."""
    try:
        body = read_capped(response.iter_content(64 * 1024), max_bytes, deadline)
    except RequestException as exc:
        response.close()
        if deadline.passed():  # a read that timed out at the deadline: say so
            raise deadline.error() from None
        if isinstance(exc, ChunkedEncodingError):  # fewer bytes than promised, or a cut chunk
            raise CutShortError() from None
        raise
    except OverLimitError:
        response.close()
        raise
    response._content = body
    response._content_consumed = True


class _Client(DAVClient):
    """caldav's client, counting every HTTP request it sends (auth negotiation included), and
    reading every answer within calsync's bounds (`bound`)."""

    sent = 0

    def bound(self, limits: Limits) -> None:
        """Read every later answer within `limits` (size cap, request and run deadlines)."""
        bounded = _BoundedSession()
        bounded.limits = limits
        plain, self.session = self.session, bounded
        plain.close()

    def _sync_request(
        self,
        url: str,
        method: str = "GET",
        body: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> DAVResponse:
        self.sent += 1
        return super()._sync_request(url, method, body, headers)  # type: ignore[arg-type]


class CaldavStore:
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
        verify: bool | str = account.ca_file or account.verify_tls
        if credentials.password is not None and not credentials.username:
            raise ConfigError(
                f"[accounts.{account.name}]",
                ["a password is configured but no username"],
                hint="add username = ... (often your e-mail address)",
            )
        with self._translated("connecting to"):
            self._client = _Client(
                url=_without_userinfo(account.url),
                # calsync negotiates itself (`NegotiatedAuth`): caldav's own negotiation would
                # cost a bare request per session and cannot switch from Basic to Digest.
                username=None,
                password=None,
                auth=self._auth_for(account.url, credentials),
                timeout=account.timeout_seconds,  # type: ignore[arg-type]
                ssl_verify_cert=verify,
                enable_rfc6764=False,
            )
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
        names = ", ".join(repr(c.name) for c in calendars) or "none"
        shown = redact_url(name_or_url) if _is_url(name_or_url) else repr(name_or_url)
        raise CalendarNotFoundError(
            f"account {self._account.name!r} has no calendar {shown} (calendars: {names})",
            hint="run `calsync calendars` to list them, then fix runs / busy / target in "
            f"[accounts.{self._account.name}]",
        )

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

    # -- internals ------------------------------------------------------------------------

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        """Run `fn` with errors translated; retry 429/503 at most MAX_TRIES times in all."""
        for attempt in range(1, MAX_TRIES + 1):
            try:
                with self._translated(what):
                    return fn()
            except _ThrottledError as throttled:
                if attempt == MAX_TRIES:
                    raise RemoteUnavailableError(
                        f"{what}: the server is still busy or rate limiting "
                        f"(HTTP {throttled.status}) after {MAX_TRIES} tries",
                        hint="try again later; the daemon backs off by itself",
                    ) from None
                self._sleep(_backoff(attempt, throttled.retry_after))
        raise AssertionError("unreachable")  # pragma: no cover

    @contextlib.contextmanager
    def _translated(self, what: str) -> Iterator[None]:
        """Turn caldav and transport exceptions into calsync's own, once, here."""
        try:
            yield
        except dav_error.RateLimitError as exc:
            raise _ThrottledError(exc.status or 429, exc.retry_after_seconds) from None
        except dav_error.AuthorizationError as exc:
            raise self._auth_error(what, exc.status) from None
        except dav_error.NotFoundError:
            raise CalendarNotFoundError(
                f"{what}: not found on the server (or this account may not read it)",
                hint=f"check url in [accounts.{self._account.name}], or run `calsync calendars`",
            ) from None
        except dav_error.ETagMismatchError:
            raise ConflictError(f"{what}: the event changed on the server meanwhile") from None
        except dav_error.DAVError as exc:
            status = f" (HTTP {exc.status})" if exc.status else ""
            raise RemoteUnavailableError(
                f"{what}: the server answered with an error{status}"
            ) from None
        except SyntaxError:  # lxml's XMLSyntaxError: an answer that is not XML
            raise RemoteUnavailableError(
                f"{what}: the answer of the server at {self._shown} is not valid WebDAV XML "
                "(cut short, or not a CalDAV server)",
                hint="is url the CalDAV address (not the web interface)?",
            ) from None
        except OverLimitError as exc:
            raise self._over_limit(what, exc) from None
        except OSError as exc:  # niquests connection errors and timeouts subclass OSError
            raise RemoteUnavailableError(
                f"{what}: cannot reach {self._shown} ({self._why_unreachable(exc)})"
            ) from None

    def _over_limit(self, what: str, exc: OverLimitError) -> RemoteUnavailableError:
        """A bound of `bounded.Limits` was hit: exit 69, naming the server and the bound."""
        server = f"the server at {self._shown}"
        where = f"[accounts.{self._account.name}]"
        if isinstance(exc, TooLargeError):
            return RemoteUnavailableError(
                f"{what}: {server} sent more than {exc.max_bytes // MIB} MiB; calsync "
                "stopped reading there",
                hint=f"a calendar answer that large means a broken server; if it is real, "
                f"raise max_response_mib in {where}",
            )
        if isinstance(exc, DeadlineError) and exc.whole_run:
            return RemoteUnavailableError(
                f"{what}: stopped after {_duration(exc.seconds)}: {server} is too slow to "
                "finish a run",
                hint=f"calsync tries again on the next run (the limit is sync_deadline_minutes "
                f"in {where})",
            )
        if isinstance(exc, DeadlineError):
            return RemoteUnavailableError(
                f"{what}: {server} sent no complete answer within {exc.seconds:g} s",
                hint="calsync tries again on the next run (the limit is "
                f"request_deadline_seconds in {where})",
            )
        return RemoteUnavailableError(
            f"{what}: {server} closed the connection before its answer was complete",
            hint="nothing was read from the partial answer; calsync tries again on the next run",
        )

    def _auth_error(self, what: str, status: int | None) -> AuthError:
        code = status or 401
        source = self._credentials.source
        if self._credentials.token:
            renew = "renew the OAuth token (token_command)"
        elif self._credentials.password is not None:
            renew = f"renew the app password ({source})"
        else:
            renew = "configure a password (password_env, password_command or keyring)"
        hint = f"check username and the password source in [accounts.{self._account.name}]"
        if code == 403:
            hint += "; a 403 can also mean this user may not open that calendar"
        return AuthError(
            f"{what}: the server refused the credentials for account "
            f"{self._account.name!r} (HTTP {code}): {renew}",
            hint=hint,
        )

    def _why_unreachable(self, exc: OSError) -> str:
        name = type(exc).__name__
        if "Timeout" in name or isinstance(exc, TimeoutError):
            return f"no answer within {self._account.timeout_seconds:g} s"
        if "SSL" in name or "Certificate" in name:
            return "TLS certificate not accepted; see verify_tls and ca_file"
        return f"connection failed: {name}"

    def _check(self, response: DAVResponse, *, writing: bool = False) -> None:
        """Raise for a failed status the caller did not handle itself."""
        status = int(response.status)
        if 200 <= status < 300:
            return
        if status in (429, 503):
            retry = response.headers.get("Retry-After")
            raise _ThrottledError(status, dav_error.parse_retry_after(retry) if retry else None)
        if status in (401, 403):
            raise dav_error.AuthorizationError(status=status)
        if status in (404, 410):
            raise dav_error.NotFoundError(status=status)
        if writing and status in (400, 415, 422):
            raise CalendarDataError(f"the server refused the event data (HTTP {status})")
        raise dav_error.DAVError(status=status)

    def _list(self) -> list[CalendarRef]:
        found = self._discover()
        if found is None and self._follow_well_known():
            found = self._discover()
        if found is None:
            raise dav_error.NotFoundError(status=404)
        return sorted(found, key=lambda c: (c.name.casefold(), c.url))

    def _discover(self) -> list[CalendarRef] | None:
        """The principal's calendars; else the account URL as a calendar; None: neither."""
        try:
            home = self._home_url()
        except (dav_error.NotFoundError, dav_error.PropfindError, dav_error.ResponseError):
            home = None
        found = self._propfind_calendars(home, depth=1) if home else None
        if not found:
            # The account URL may be a calendar itself (a shared calendar's address).
            direct = self._propfind_calendars(str(self._client.url), depth=0)
            found = direct or found
        return found

    def _follow_well_known(self) -> bool:
        """RFC 6764 §5: follow /.well-known/caldav on the same host; True if it moved us."""
        if self._well_known_tried:
            return False
        self._well_known_tried = True
        current = str(self._client.url)
        probe = urllib.parse.urljoin(current, "/.well-known/caldav")
        self._client.sent += 1
        response = self._client.session.request(
            "GET",
            probe,
            allow_redirects=False,
            auth=self._client.auth,
            timeout=self._account.timeout_seconds,
            verify=self._client.ssl_verify_cert,
        )
        location = response.headers.get("Location")
        if response.status_code not in (301, 302, 303, 307, 308) or not location:
            return False
        target = urllib.parse.urljoin(probe, location)
        if urllib.parse.urlsplit(target).hostname != urllib.parse.urlsplit(current).hostname:
            return False  # RFC 6764 §8: never follow discovery to another host
        if target.rstrip("/") == current.rstrip("/"):
            return False
        self._client.url = URL.objectify(target)
        self._client._principal = None
        self._principal = None
        return True

    def _home_url(self) -> str | None:
        principal = self._client.get_principal()
        self._principal = principal
        return _home_of(principal)

    def _propfind_calendars(self, url: str, *, depth: int) -> list[CalendarRef] | None:
        """Calendars among `url` (depth 0) or its members (depth 1); None if not readable."""
        response = self._client.propfind(url, props=_LIST_PROPS, depth=depth)
        if not 200 <= int(response.status) < 300:
            return None
        out = []
        for result in response.results or []:
            props: dict[str, Any] = getattr(result, "properties", {})
            if _CALENDAR_TYPE not in (props.get("{DAV:}resourcetype") or []):
                continue
            absolute = _absolute(url, result.href)
            name = props.get("{DAV:}displayname") or _last_segment(absolute)
            components = tuple(props.get(_COMPONENTS) or ())
            zone = _tzid_of(props.get(_TIMEZONE))
            out.append(CalendarRef(str(name), absolute, components, zone))
        return out

    def _probe_calendar(self, url: str) -> CalendarRef | None:
        try:
            found = self._propfind_calendars(url, depth=0)
        except dav_error.NotFoundError:
            return None
        return found[0] if found else None

    def _make_calendar(self, name: str) -> None:
        """One MKCALENDAR (RFC 4791 §5.3.1) setting the display name and events only.

        Not caldav's `make_calendar`: it sends a PROPPATCH after the MKCALENDAR, and without
        `supported-calendar-component-set` sabre/dav (Nextcloud, Baikal) makes a calendar that
        takes tasks too.
        """
        home = self._home_url() if self._principal is None else _home_of(self._principal)
        refused: int | None = None
        # The plain slug may be taken by a calendar with another display name: then a
        # unique one.
        for cal_id in (_slug(name), f"{_slug(name)}-{uuid.uuid4().hex[:8]}"):
            if home is None:
                break
            url = urllib.parse.urljoin(_slash(home), urllib.parse.quote(cal_id) + "/")
            refused = self._mkcalendar(url, name)
            if refused is None:
                return
        status = f"HTTP {refused}" if refused else "refused"
        raise CalendarNotFoundError(
            f"calendar {name!r} does not exist and the server does not let calsync "
            f"create it ({status})",
            hint="create it in your calendar app (or pick an existing one with "
            f"target in [accounts.{self._account.name}])",
        )

    def _mkcalendar(self, url: str, name: str) -> int | None:
        """MKCALENDAR at `url`: None when created, else the refusing status (403, 405, 409...)."""
        headers = {"Content-Type": 'application/xml; charset="utf-8"'}
        try:
            response = self._client.request(url, "MKCALENDAR", _mkcalendar_body(name), headers)
        except dav_error.AuthorizationError as exc:
            if exc.status == 403:
                return 403  # this user may not create a collection there
            raise
        status = int(response.status)
        if 200 <= status < 300:
            return None
        if status in (429, 503) or status >= 500:
            self._check(response)  # throttled or broken: retried or reported as such
        return status

    def _sync(self, cal: CalendarRef, token: str | None) -> tuple[str | None, list[str], list[str]]:
        """Sync-collection REPORTs until the answer is complete (bounded); hrefs absolute."""
        changed: dict[str, None] = {}
        deleted: dict[str, None] = {}
        current = token
        for _ in range(MAX_SYNC_ROUNDS):
            try:
                response = self._client.report(cal.url, _sync_collection(current), depth=0)
            except dav_error.AuthorizationError as exc:
                if exc.status == 403 and (token is not None or exc.preconditions):
                    raise self._token_error(cal, exc.status) from None
                raise
            if int(response.status) in _TOKEN_STATUSES or (
                token is None and int(response.status) in (400, 403, 404, 405, 501)
            ):
                raise self._token_error(cal, int(response.status))
            self._check(response)
            result = response.parse_sync_collection()
            for href in [r.href for r in result.changed]:
                if href.rstrip("/") == urllib.parse.urlsplit(cal.url).path.rstrip("/"):
                    continue  # the collection itself
                changed[_absolute(cal.url, href)] = None
            for href in result.deleted:
                deleted[_absolute(cal.url, href)] = None
            current = result.sync_token or current
            if not result.truncated:
                break
        for href in deleted:
            changed.pop(href, None)
        return current, list(changed), list(deleted)

    def _token_error(self, cal: CalendarRef, status: int) -> SyncTokenError:
        return SyncTokenError(
            f"reading changes of {cal.name!r}: the server refused the sync token (HTTP {status})",
            hint="calsync reads the whole window instead",
        )

    def _multiget(self, cal: CalendarRef, hrefs: list[str]) -> list[RemoteObject]:
        out: list[RemoteObject] = []
        for first in range(0, len(hrefs), MULTIGET_BATCH):
            batch = hrefs[first : first + MULTIGET_BATCH]
            body = _calendar_multiget(batch)

            def run(body: str = body) -> list[RemoteObject]:
                response = self._client.report(cal.url, body, depth=None)
                self._check(response)
                return self._objects(cal.url, response.parse_calendar_query())

            out.extend(self._call(f"reading changed events from {cal.name!r}", run))
        return out

    def _objects(self, base: str, results: Sequence[Any]) -> list[RemoteObject]:
        out = []
        for result in results:
            if result.status in (404, 410) or result.calendar_data is None:
                continue
            data = result.calendar_data
            raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
            out.append(RemoteObject(_absolute(base, result.href), result.etag, raw))
        return out

    def _put(self, href: str, data: bytes, headers: dict[str, str]) -> DAVResponse:
        headers = {"Content-Type": "text/calendar; charset=utf-8", **headers}
        return self._client.request(href, "PUT", WireBytes(data), headers)  # type: ignore[arg-type]


# --- helpers -----------------------------------------------------------------------------

_CALENDAR_TYPE = "{urn:ietf:params:xml:ns:caldav}calendar"
_COMPONENTS = "{urn:ietf:params:xml:ns:caldav}supported-calendar-component-set"
_TIMEZONE = "{urn:ietf:params:xml:ns:caldav}calendar-timezone"
# calendar-timezone is the zone the owner's calendar app set (iCloud, Nextcloud, Thunderbird):
# asked in the same PROPFIND, so the runner's zone costs no request.
_LIST_PROPS = ["{DAV:}resourcetype", "{DAV:}displayname", _COMPONENTS, _TIMEZONE]
_TZID_LINE = re.compile(r"^TZID(?:;[^:\r\n]*)?:([^\r\n]{1,200})", re.MULTILINE)


def _tzid_of(value: object) -> str | None:
    """The TZID of a calendar-timezone property (a VCALENDAR holding one VTIMEZONE)."""
    if not isinstance(value, str):
        return None
    found = _TZID_LINE.search(value[:65536])
    return found.group(1).strip() if found else None


# A refused or expired token: Radicale 403, Xandikos 412, Nextcloud 418, others 415/500/507.
_TOKEN_STATUSES = frozenset({403, 409, 410, 412, 415, 418, 500, 507})


def redact_url(url: str) -> str:
    """The URL fit for a message: never user:password@, nor a secret path or query.

    Google's secret iCal addresses (`/private-…/`) and any query string are cut to
    `scheme://host/…`; other paths are kept (a calendar's path helps, and is no secret).
    """
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or "?"
    if parts.port:
        host = f"{host}:{parts.port}"
    if parts.query or "private-" in parts.path or "token" in parts.path.lower():
        return f"{parts.scheme}://{host}/…"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))


def _without_userinfo(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _is_url(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


def _slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _absolute(base: str, href: str) -> str:
    """An href from a response (caldav gives unquoted paths) as an absolute, quoted URL."""
    if _is_url(href):
        return href
    return urllib.parse.urljoin(base, urllib.parse.quote(href, safe="/@:+,;=!$&'()*~%"))


def _last_segment(url: str) -> str:
    path = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
    return path.rstrip("/").rsplit("/", 1)[-1]


def _short(href: str) -> str:
    """An object's name for messages: its last path segment."""
    return repr(_last_segment(href))


def _slug(name: str) -> str:
    text = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")
    return text or f"calendar-{uuid.uuid4().hex[:8]}"


def match_calendar(calendars: Sequence[CalendarRef], wanted: str) -> CalendarRef | None:
    """The calendar `wanted` names: its URL, display name (exact, then any case) or last path
    segment. None when nothing matches; CalendarNotFoundError when a name is ambiguous."""
    if _is_url(wanted):
        target = _slash(_without_userinfo(wanted))
        for cal in calendars:
            if _slash(cal.url) == target:
                return cal
        return None
    for test in (
        lambda c: c.name == wanted,
        lambda c: c.name.casefold() == wanted.casefold(),
        lambda c: _last_segment(c.url) == wanted,
    ):
        hits = [c for c in calendars if test(c)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            urls = ", ".join(c.url for c in hits)
            raise CalendarNotFoundError(
                f"several calendars are called {wanted!r} ({urls})",
                hint="use the calendar's URL instead of its name",
            )
    return None


def _duration(seconds: float) -> str:
    return f"{seconds:g} s" if seconds < 120 else f"{seconds / 60:g} min"


def _limits(account: Account) -> Limits:
    return Limits(
        max_bytes=account.max_response_mib * MIB,
        request_seconds=account.request_deadline_seconds,
        run_seconds=account.sync_deadline_minutes * 60,
    )


def _etag(response: DAVResponse) -> str | None:
    value = response.headers.get("ETag")
    return str(value) if value else None


def _body(response: DAVResponse) -> bytes:
    raw = getattr(response, "_raw_body", b"") or getattr(response, "_raw", b"")
    return raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)


def _backoff(attempt: int, retry_after: float | None) -> float:
    wanted = retry_after if retry_after is not None else BACKOFF_SECONDS * 2 ** (attempt - 1)
    return max(0.0, min(wanted, MAX_RETRY_AFTER_SECONDS))


def _utc(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("time-range bounds must be timezone-aware")
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _calendar_query(start: dt.datetime, end: dt.datetime) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
        "<D:prop><D:getetag/><C:calendar-data/></D:prop>"
        '<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
        f'<C:time-range start="{_utc(start)}" end="{_utc(end)}"/>'
        "</C:comp-filter></C:comp-filter></C:filter>"
        "</C:calendar-query>"
    )


def _calendar_multiget(hrefs: Sequence[str]) -> str:
    refs = "".join(f"<D:href>{xml_escape(urllib.parse.urlsplit(h).path)}</D:href>" for h in hrefs)
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
        f"<D:prop><D:getetag/><C:calendar-data/></D:prop>{refs}"
        "</C:calendar-multiget>"
    )


def _mkcalendar_body(name: str) -> str:
    """RFC 4791 §5.3.1: the display name and VEVENT as the only component, in one request."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
        f"<D:set><D:prop><D:displayname>{xml_escape(name)}</D:displayname>"
        '<C:supported-calendar-component-set><C:comp name="VEVENT"/>'
        "</C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>"
    )


def _home_of(principal: Any) -> str | None:
    home = principal.calendar_home_set
    return str(home.url) if home is not None and home.url is not None else None


def _sync_collection(token: str | None) -> str:
    element = f"<D:sync-token>{xml_escape(token)}</D:sync-token>" if token else "<D:sync-token/>"
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<D:sync-collection xmlns:D="DAV:">{element}<D:sync-level>1</D:sync-level>'
        "<D:prop><D:getetag/></D:prop></D:sync-collection>"
    )


def open_store(account: Account, env: Mapping[str, str]) -> CaldavStore:
    """Resolve the account's credentials and build its store (close it when done)."""
    from calsync.credentials import resolve_credentials

    return CaldavStore(account, resolve_credentials(account, env))
