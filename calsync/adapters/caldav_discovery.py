"""Finding an account's calendars and making a missing one.

`_Discovery` is the part of `CaldavStore` that lists calendars (the principal's home set, else
the account URL as a calendar, after RFC 6764 /.well-known/caldav on the same host) and sends
the one MKCALENDAR that creates a target calendar.
"""

from __future__ import annotations

import urllib.parse
import uuid
from typing import Any

from caldav.lib import error as dav_error
from caldav.lib.url import URL

from calsync.adapters.caldav_errors import _ErrorTranslation
from calsync.adapters.caldav_urls import _absolute
from calsync.adapters.caldav_urls import _last_segment
from calsync.adapters.caldav_urls import _slash
from calsync.adapters.caldav_urls import _slug
from calsync.adapters.caldav_values import CalendarRef
from calsync.adapters.caldav_wire import _CALENDAR_TYPE
from calsync.adapters.caldav_wire import _COMPONENTS
from calsync.adapters.caldav_wire import _LIST_PROPS
from calsync.adapters.caldav_wire import _TIMEZONE
from calsync.adapters.caldav_wire import _mkcalendar_body
from calsync.adapters.caldav_wire import _tzid_of
from calsync.errors import CalendarNotFoundError


class _Discovery(_ErrorTranslation):
    """Calendar discovery and creation of one CalDAV account. Mixed into `CaldavStore`."""

    _principal: Any  # caldav's Principal once read, else None
    _well_known_tried: bool

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


def _home_of(principal: Any) -> str | None:
    home = principal.calendar_home_set
    return str(home.url) if home is not None and home.url is not None else None
