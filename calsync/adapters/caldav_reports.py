"""The REPORTs that read a calendar's objects: RFC 6578 sync-collection and calendar-multiget.

`_Reports` is the part of `CaldavStore` that follows a (possibly truncated) sync-collection
answer, reads changed hrefs in multiget batches and turns a REPORT answer into `RemoteObject`s.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence
from typing import Any

from caldav.lib import error as dav_error

from calsync.adapters.caldav_errors import _ErrorTranslation
from calsync.adapters.caldav_urls import _absolute
from calsync.adapters.caldav_values import CalendarRef
from calsync.adapters.caldav_values import RemoteObject
from calsync.adapters.caldav_values import SyncTokenError
from calsync.adapters.caldav_wire import _TOKEN_STATUSES
from calsync.adapters.caldav_wire import _calendar_multiget
from calsync.adapters.caldav_wire import _sync_collection

MAX_SYNC_ROUNDS = 20  # truncated sync-collection answers followed at most this often
MULTIGET_BATCH = 200  # hrefs per calendar-multiget


class _Reports(_ErrorTranslation):
    """Sync-collection and multiget REPORTs of one CalDAV account. Mixed into `CaldavStore`."""

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
