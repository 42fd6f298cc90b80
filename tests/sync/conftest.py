"""A runner's calendar on a real server, a config file and a state folder per test.

`world` gives each test its own runs calendar (the canonical week: Mon easy, Tue intervals,
Thu easy, Sat long), a target calendar name of its own, a TOML config with password_env and a
temporary state folder. Server-side reads and writes go through a real CaldavStore; a World made
by `memory_world` keeps its calendars in a MemoryStore instead (no server: milliseconds).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
import zoneinfo
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from calsync.adapters.caldav_store import CaldavStore
from calsync.adapters.caldav_store import CalendarRef
from calsync.adapters.caldav_store import RemoteObject
from calsync.adapters.credentials import resolve_credentials
from calsync.adapters.memory_store import MemoryStore
from calsync.adapters.memory_store import Quirks
from calsync.app.store import CalendarStore
from calsync.app.sync import SyncReport
from calsync.app.sync import sync_once
from calsync.config import Config
from calsync.config import load_config
from tests.ics_text import vevent_ics
from tests.servers import DavServer

LONDON = zoneinfo.ZoneInfo("Europe/London")
UTC = dt.UTC
NOW = dt.datetime(2026, 11, 30, 6, 0, tzinfo=LONDON)  # Monday 06:00
FAR_START = dt.datetime(2026, 11, 1, tzinfo=UTC)
FAR_END = dt.datetime(2027, 2, 1, tzinfo=UTC)
PASSWORD_ENV = "CALSYNC_TEST_PW"


def ics(
    uid: str,
    start: dt.datetime,
    minutes: int,
    summary: str,
    *,
    extra: tuple[str, ...] = (),
    overrides: tuple[str, ...] = (),
) -> bytes:
    """One VEVENT (plus override VEVENTs) as a calendar app writes it: UTC times, CRLF."""
    return vevent_ics(uid, start, minutes, summary, extra=extra, overrides=overrides)


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    year = 2026
    if month == 11 and day < 30:
        month = 12  # days 1..29 mean December in these tests
    return dt.datetime(year, month, day, hour, minute, tzinfo=LONDON)


CANONICAL = {
    "mon-easy": (at(30, 7), 45, "Easy run 8 km"),
    "tue-intervals": (at(1, 18), 60, "Intervals 6 x 800m"),
    "thu-easy": (at(3, 7), 45, "Easy run 8 km"),
    "sat-long": (at(5, 9), 120, "Long run 24 km"),
}


@dataclass
class MemoryServer:
    """The in-memory store, dressed as a server for `World`."""

    memory: MemoryStore
    name: str = "memory"

    @property
    def url(self) -> str:
        return self.memory.base_url

    def new_calendar(self, name: str | None = None) -> str:
        return self.memory.add_calendar(name or f"cal-{uuid.uuid4().hex[:8]}").url

    def close(self) -> None:
        self.memory.close()


@dataclass
class World:
    """One test's calendars, config and state folder on one server (or in memory)."""

    server: DavServer | MemoryServer
    tmp: Path
    runs_url: str
    target: str
    state_dir: Path
    weeks: int = 1
    max_deletes: int = 6
    store: CalendarStore | None = None
    _stores: list[CaldavStore] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {PASSWORD_ENV: "anything", "HOME": str(self.tmp)}

    @property
    def config_path(self) -> Path:
        return self.tmp / "config.toml"

    def write_config(self, **sync: object) -> Path:
        extra = "".join(f"{k} = {_toml(v)}\n" for k, v in sync.items())
        self.config_path.write_text(
            'timezone = "Europe/London"\n'
            f"[plan]\nweeks = {self.weeks}\n"
            f'[accounts.home]\nurl = "{self.server.url}"\nusername = "user"\n'
            f'password_env = "{PASSWORD_ENV}"\nruns = ["{self.runs_url}"]\n'
            f'target = "{self.target}"\ntimeout_seconds = 20\n'
            f'[sync]\nstate_dir = "{self.state_dir}"\nmax_deletes = {self.max_deletes}\n{extra}'
        )
        return self.config_path

    def config(self) -> Config:
        if not self.config_path.exists():
            self.write_config()
        return load_config(self.config_path, LONDON, env=self.env)

    def sync(
        self,
        now: dt.datetime = NOW,
        *,
        store_factory: Callable[..., Any] | None = None,
        **kw: Any,
    ) -> SyncReport:
        if store_factory is None and isinstance(self.server, MemoryServer):
            memory = self.server.memory
            store_factory = lambda account, env: memory  # noqa: E731
        return sync_once(
            self.config(), "home", now, env=self.env, store_factory=store_factory, **kw
        )

    def new_store(self) -> CalendarStore:
        """A client of the world's server (the MemoryStore itself, in memory)."""
        if isinstance(self.server, MemoryServer):
            return self.server.memory
        account = self.config().account("home")
        store = CaldavStore(account, resolve_credentials(account, self.env))
        self._stores.append(store)
        return store

    def side(self) -> CalendarStore:
        """A second client: the user's phone, or another program."""
        if self.store is None:
            self.store = self.new_store()
        return self.store

    def runs(self) -> CalendarRef:
        return CalendarRef("runs", self.runs_url)

    def target_ref(self) -> CalendarRef:
        return self.new_store().find(self.target)  # a fresh listing: sync may have created it

    def put(self, cal: CalendarRef, name: str, data: bytes) -> RemoteObject:
        if isinstance(self.server, MemoryServer) and self.server.memory.quirks.create_412:
            # the quirk is on calsync's line (its answers get lost); the phone's are not
            return self.server.memory.get_after_create(cal, name, data)
        return self.side().create(cal, name, data)

    def objects(self, cal: CalendarRef) -> dict[str, RemoteObject]:
        return {o.href: o for o in self.side().fetch_range(cal, FAR_START, FAR_END)}

    def blocks(self) -> dict[str, RemoteObject]:
        """The managed blocks in the target calendar, by href."""
        return {
            h: o
            for h, o in self.objects(self.target_ref()).items()
            if b"X-CALSYNC-MANAGED" in o.data
        }

    def close(self) -> None:
        for store in self._stores:
            store.close()


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def block_starts(world: World) -> list[dt.datetime]:
    """DTSTART of each managed block, sorted, in London time."""
    out = []
    for obj in world.blocks().values():
        out.append(dtstart(obj.data))
    return sorted(out)


def dtstart(data: bytes) -> dt.datetime:
    from calsync import ical

    events, _ = ical.parse_events(data, source="t", start=FAR_START, end=FAR_END, tz=LONDON)
    return events[0].start.astimezone(LONDON)


def summary(data: bytes) -> str:
    found = re.search(rb"(?m)^SUMMARY:([^\r\n]*)", data)
    assert found is not None
    return found.group(1).decode()


def set_time(data: bytes, start: dt.datetime, minutes: int) -> bytes:
    """The same object with DTSTART/DTEND rewritten (as a calendar app moving it would)."""
    fmt = "%Y%m%dT%H%M%SZ"
    end = start + dt.timedelta(minutes=minutes)
    data = re.sub(rb"(?m)^DTSTART[^\r\n]*", f"DTSTART:{start.astimezone(UTC):{fmt}}".encode(), data)
    return re.sub(rb"(?m)^DTEND[^\r\n]*", f"DTEND:{end.astimezone(UTC):{fmt}}".encode(), data)


@pytest.fixture
def world(dav_server: DavServer, tmp_path: Path) -> Iterator[World]:
    yield from make_world(dav_server, tmp_path)


def memory_world(tmp_path: Path, quirks: Quirks | None = None) -> Iterator[World]:
    """A World whose calendars live in a MemoryStore with `quirks`."""
    yield from make_world(MemoryServer(MemoryStore(quirks or Quirks())), tmp_path)


def make_world(server: DavServer | MemoryServer, tmp_path: Path) -> Iterator[World]:
    """The canonical week in a fresh runs calendar on `server`."""
    tag = uuid.uuid4().hex[:8]
    runs_url = server.new_calendar(f"Training {tag}")
    w = World(server, tmp_path, runs_url, f"Strength {tag}", tmp_path / "state")
    for name, (start, minutes, title) in CANONICAL.items():
        w.put(w.runs(), f"{name}-{tag}", ics(f"{name}-{tag}", start, minutes, title))
    yield w
    w.close()


CLI_NOW = "2026-11-30T06:00"


def radicale_world(radicale_url: str, tmp_path: Path) -> Iterator[World]:
    """The canonical week on the shared Radicale, for tests that run the `calsync sync` CLI."""
    server = DavServer("radicale", radicale_url, "user", "")
    tag = uuid.uuid4().hex[:8]
    w = World(
        server,
        tmp_path,
        server.new_calendar(f"Training {tag}"),
        f"Strength {tag}",
        tmp_path / "state",
    )
    for name, (start, minutes, title) in CANONICAL.items():
        w.put(w.runs(), f"{name}-{tag}", ics(f"{name}-{tag}", start, minutes, title))
    yield w
    w.close()
    server.close()


def run_sync(world: World, *args: str) -> Result:
    """`calsync sync ARGS` in-process on the world's config: no traceback, no password shown."""
    from click.testing import CliRunner

    from calsync.cli import cli

    env = {"XDG_CONFIG_HOME": "/nonexistent", "CALSYNC_CONFIG": "", **world.env}
    result = CliRunner().invoke(
        cli, ["-c", str(world.config_path), "--now", CLI_NOW, "sync", *args], env=env
    )
    assert "Traceback" not in result.output + result.stderr
    assert world.env[PASSWORD_ENV] not in result.output + result.stderr
    return result
