"""The HTTP and XML plumbing under `CaldavStore`: caldav's client counting its requests and
reading every answer within calsync's bounds, the REPORT / PROPFIND / MKCALENDAR bodies, and
the small readers of an answer (ETag, body, Retry-After backoff).
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from caldav.davclient import DAVClient
from caldav.response import DAVResponse
from niquests import Response
from niquests import Session
from niquests.exceptions import ChunkedEncodingError
from niquests.exceptions import RequestException

from calsync.adapters.bounded import MIB
from calsync.adapters.bounded import CutShortError
from calsync.adapters.bounded import Deadline
from calsync.adapters.bounded import Limits
from calsync.adapters.bounded import OverLimitError
from calsync.adapters.bounded import finish_within
from calsync.adapters.bounded import read_capped
from calsync.adapters.caldav_urls import _without_userinfo
from calsync.adapters.http_auth import NegotiatedAuth
from calsync.config import Account

MAX_TRIES = 3  # a throttled (429/503) request is tried at most this often
BACKOFF_SECONDS = 1.0  # first wait when the server sends no Retry-After; doubles
MAX_RETRY_AFTER_SECONDS = 30.0  # cap on any one wait, whatever Retry-After says


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


def _connect(account: Account, auth: NegotiatedAuth | None) -> _Client:
    """caldav's client for the account's URL (userinfo dropped), with calsync's own `auth`."""
    return _Client(
        url=_without_userinfo(account.url),
        # calsync negotiates itself (`NegotiatedAuth`): caldav's own negotiation would
        # cost a bare request per session and cannot switch from Basic to Digest.
        username=None,
        password=None,
        auth=auth,
        timeout=account.timeout_seconds,  # type: ignore[arg-type]
        ssl_verify_cert=account.ca_file or account.verify_tls,
        enable_rfc6764=False,
    )


def _limits(account: Account) -> Limits:
    return Limits(
        max_bytes=account.max_response_mib * MIB,
        request_seconds=account.request_deadline_seconds,
        run_seconds=account.sync_deadline_minutes * 60,
    )


def _duration(seconds: float) -> str:
    return f"{seconds:g} s" if seconds < 120 else f"{seconds / 60:g} min"


# --- answers ------------------------------------------------------------------------------


def _etag(response: DAVResponse) -> str | None:
    value = response.headers.get("ETag")
    return str(value) if value else None


def _body(response: DAVResponse) -> bytes:
    raw = getattr(response, "_raw_body", b"") or getattr(response, "_raw", b"")
    return raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)


def _backoff(attempt: int, retry_after: float | None) -> float:
    wanted = retry_after if retry_after is not None else BACKOFF_SECONDS * 2 ** (attempt - 1)
    return max(0.0, min(wanted, MAX_RETRY_AFTER_SECONDS))


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


# --- request bodies -----------------------------------------------------------------------


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


def _sync_collection(token: str | None) -> str:
    element = f"<D:sync-token>{xml_escape(token)}</D:sync-token>" if token else "<D:sync-token/>"
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<D:sync-collection xmlns:D="DAV:">{element}<D:sync-level>1</D:sync-level>'
        "<D:prop><D:getetag/></D:prop></D:sync-collection>"
    )
