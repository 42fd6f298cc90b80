"""Configs with several accounts for the sync tests (busy sources, a shared target calendar)."""

from __future__ import annotations

import datetime as dt
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tests.sync.conftest import LONDON
from tests.sync.conftest import PASSWORD_ENV
from tests.sync.conftest import World
from tests.sync.conftest import at
from tests.sync.conftest import ics

MEETING = (at(30, 7, 30), 150)  # Mon 07:30-10:00: over the Monday block (08:00-08:45)


@dataclass(frozen=True)
class Acct:
    """One `[accounts.NAME]` table."""

    name: str
    url: str
    runs: tuple[str, ...] = ()
    target: str = "Strength"
    busy: tuple[str, ...] = ()
    username: str = "user"

    def toml(self) -> str:
        def strings(items: tuple[str, ...]) -> str:
            return "[" + ", ".join(f'"{x}"' for x in items) + "]"

        return (
            f'[accounts.{self.name}]\nurl = "{self.url}"\nusername = "{self.username}"\n'
            f'password_env = "{PASSWORD_ENV}"\nruns = {strings(self.runs)}\n'
            f'busy = {strings(self.busy)}\ntarget = "{self.target}"\ntimeout_seconds = 5\n'
        )


def write_accounts(world: World, *accounts: Acct) -> None:
    """The world's config with these accounts (the world's own is `home`)."""
    world.config_path.write_text(
        'timezone = "Europe/London"\n'
        f"[plan]\nweeks = {world.weeks}\n"
        + "".join(a.toml() for a in accounts)
        + f'[sync]\nstate_dir = "{world.state_dir}"\nmax_deletes = {world.max_deletes}\n'
    )


def home(world: World, *busy: str) -> Acct:
    return Acct("home", world.server.url, (world.runs_url,), world.target, busy)


def meeting_ics(uid: str = "meeting-1") -> bytes:
    start, minutes = MEETING
    return ics(uid, start, minutes, "Quarterly review")


def overlaps(start: dt.datetime, minutes: int, starts: list[dt.datetime], length: int) -> bool:
    end = start + dt.timedelta(minutes=minutes)
    return any(s < end and start < s + dt.timedelta(minutes=length) for s in starts)


def in_london(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(LONDON)


@contextmanager
def served(path: str, body: bytes) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 serving `body` at `path`; yields the base URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != path:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:  # quiet
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_port_url(path: str) -> str:
    """A URL on 127.0.0.1 where nothing listens (a port bound, then closed)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"
