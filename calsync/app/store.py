"""`CalendarStore`: what the sync engine asks of a calendar server (CaldavStore, MemoryStore).

Every store keeps the same contract (tests/stores/test_store_contract.py runs it over each):
`find` names a calendar or raises CalendarNotFoundError; `ensure` creates it when missing;
`create` refuses an existing object with AlreadyExistsError (carrying its href); `update` and
`delete` with a stale ETag raise ConflictError (HTTP 412); `changes_since` raises SyncTokenError
for a token it does not accept; `requests` counts the requests sent.
"""

from __future__ import annotations

import datetime as dt
from types import TracebackType
from typing import Protocol
from typing import Self

from calsync.adapters.caldav_store import CalendarRef
from calsync.adapters.caldav_store import Changes
from calsync.adapters.caldav_store import RemoteObject


class CalendarStore(Protocol):
    """The calendar operations the sync engine uses."""

    @property
    def requests(self) -> int: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def calendars(self) -> list[CalendarRef]: ...

    def find(self, name_or_url: str) -> CalendarRef: ...

    def ensure(self, name: str) -> CalendarRef: ...

    def fetch_range(
        self, cal: CalendarRef, start: dt.datetime, end: dt.datetime
    ) -> list[RemoteObject]: ...

    def changes_since(
        self, cal: CalendarRef, token: str | None, start: dt.datetime, end: dt.datetime
    ) -> Changes: ...

    def get(self, href: str) -> RemoteObject | None: ...

    def create(self, cal: CalendarRef, name: str, data: bytes) -> RemoteObject: ...

    def update(self, obj: RemoteObject, data: bytes) -> RemoteObject: ...

    def delete(self, obj: RemoteObject) -> None: ...
