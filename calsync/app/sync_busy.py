"""Busy time from outside the account: another account's calendar, an ICS feed, a file.

`[accounts.NAME] busy` entries that are not this account's own calendars (config.BusySource).
Each is read once per sync (a time-range read of the window; nothing cached, nothing written)
and comes back as a read-only "busy" Calendar whose events only ever count as busy time: never
runs, never blocks to move. A source that cannot be read is a warning naming it (a feed only
by its host: its path is a secret) and its name in `failed`: the planner then holds the blocks
where they are (see sync_decide), because planning without it could put a block on a meeting.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence

from calsync.adapters.caldav_store import CalendarRef
from calsync.adapters.state import CachedObject
from calsync.app.store import CalendarStore
from calsync.app.sync_read import Calendar
from calsync.config import Account
from calsync.config import BusySource
from calsync.config import Config
from calsync.errors import CalendarDataError
from calsync.errors import CalsyncError
from calsync.model import Event
from calsync.model import Problem

StoreFactory = Callable[[Account, Mapping[str, str]], CalendarStore]
MAX_PROBLEMS_SHOWN = 5  # a broken feed's skipped events: a few lines, not hundreds


def shown_name(source: BusySource) -> str:
    """How a source is named in the report: never a feed's secret path."""
    from calsync.adapters import http_source

    if source.kind == "feed":
        return f"feed {http_source.redact(source.where)}"
    if source.kind == "account":
        return f"{source.where}:{source.calendar}"
    return source.where


@dataclasses.dataclass(slots=True)
class BusyReader:
    """Reads an account's outside busy sources, once per sync and zone."""

    config: Config
    account: Account
    env: Mapping[str, str]
    factory: StoreFactory
    warnings: list[str] = dataclasses.field(default_factory=list)
    failed: list[str] = dataclasses.field(default_factory=list)
    _read: dict[str, tuple[list[Calendar], list[str]]] = dataclasses.field(default_factory=dict)

    def calendars(self, start: dt.datetime, end: dt.datetime, tz: dt.tzinfo) -> list[Calendar]:
        """One read-only busy Calendar per source that could be read, over `[start, end)`."""
        key = f"{start}/{end}/{tz}"
        if key not in self._read:  # a re-plan in the same zone reads nothing twice
            self.failed.clear()
            found = [
                cal
                for number, source in enumerate(self.account.busy_sources)
                if (cal := self._one(number, source, start, end, tz)) is not None
            ]
            self._read[key] = (found, list(self.failed))
        found, failed = self._read[key]
        self.failed[:] = failed
        return found

    def _one(
        self, number: int, source: BusySource, start: dt.datetime, end: dt.datetime, tz: dt.tzinfo
    ) -> Calendar | None:
        name = shown_name(source)
        try:
            events, problems = self._events(source, start, end, tz)
        except CalsyncError as exc:  # calsync's messages never hold a feed's secret path
            self.failed.append(name)
            self.warnings.append(f"busy calendar {name} could not be read: {exc.message}")
            return None
        self._note(name, problems)
        href = f"calsync-busy:{number}"
        busy = tuple(_only_busy(e, name) for e in events)
        obj = CachedObject(href, None, None, busy)
        return Calendar(CalendarRef(name, href), "busy", {href: obj}, start, end)

    def _events(
        self, source: BusySource, start: dt.datetime, end: dt.datetime, tz: dt.tzinfo
    ) -> tuple[list[Event], list[Problem]]:
        from calsync import ical
        from calsync.adapters import http_source
        from calsync.adapters import ics_file

        if source.kind == "file":
            return ics_file.load_events(
                [source.where], start=start, end=end, tz=tz, runs_source=False
            )
        if source.kind == "feed":
            data = http_source.fetch_feed(  # the account's bounds: a hostile feed ends early
                source.where,
                timeout=self.account.timeout_seconds,
                max_bytes=self.account.max_response_mib * 1024 * 1024,
                deadline_seconds=self.account.request_deadline_seconds,
            )
            shown = http_source.redact(source.where)
            return ical.parse_events(
                data, source=shown, start=start, end=end, tz=tz, runs_source=False
            )
        other = self.config.account(source.where)
        with self.factory(other, self.env) as store:  # its own server and credentials
            objects = store.fetch_range(store.find(source.calendar), start, end)
        events: list[Event] = []
        problems: list[Problem] = []
        for obj in objects:
            try:
                found, bad = ical.parse_events(
                    obj.data,
                    source=shown_name(source),
                    start=start,
                    end=end,
                    tz=tz,
                    runs_source=False,
                )
            except CalendarDataError as exc:  # one broken object: skipped, the rest count
                problems.append(Problem(shown_name(source), None, exc.message))
                continue
            events += found
            problems += bad
        return events, problems

    def _note(self, name: str, problems: Sequence[Problem]) -> None:
        skipped = [p for p in problems if p.skipped]
        for problem in skipped[:MAX_PROBLEMS_SHOWN]:
            self.warnings.append(f"skipped an event of busy calendar {name}: {problem.message}")
        if len(skipped) > MAX_PROBLEMS_SHOWN:
            more = len(skipped) - MAX_PROBLEMS_SHOWN
            self.warnings.append(f"skipped {more} more events of busy calendar {name}")


def _only_busy(event: Event, name: str) -> Event:
    """Busy time only: never a run, never a block (another account's blocks included)."""
    return dataclasses.replace(event, runs_source=False, managed=False, calsync={}, source=name)
