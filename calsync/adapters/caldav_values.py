"""What a CalDAV store hands out: calendar and object values, the changes since a sync token,
the two errors a caller acts on, and the calendar lookup and URL redaction for messages.

No caldav import: the in-memory store and the sync engine use these values too.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field

from calsync.adapters.caldav_urls import _is_url
from calsync.adapters.caldav_urls import _last_segment
from calsync.adapters.caldav_urls import _slash
from calsync.adapters.caldav_urls import _without_userinfo
from calsync.errors import CalendarNotFoundError
from calsync.errors import ConflictError
from calsync.errors import TransientError

__all__ = [
    "AlreadyExistsError",
    "CalendarRef",
    "Changes",
    "RemoteObject",
    "SyncTokenError",
    "match_calendar",
    "redact_url",
]


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
