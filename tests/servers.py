"""Real CalDAV servers on 127.0.0.1 for the tests: Radicale and Xandikos, each in a thread.

Start-up is polled with a deadline (no sleeps), every server binds 127.0.0.1 only, and `stop()`
shuts it down cleanly. Follows caldav 3.x's `caldav/testing.py` and STYLE §2.11.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
START_DEADLINE_SECONDS = 20.0
_POLL = threading.Event()  # never set: wait(t) is a bounded poll interval


def free_port() -> int:
    """A port nothing listens on right now (bound to 127.0.0.1:0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_listening(port: int, deadline_seconds: float = START_DEADLINE_SECONDS) -> None:
    """Poll connect() until the port accepts, or fail after the deadline."""
    deadline = time.monotonic() + deadline_seconds
    last: OSError | None = None
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError as exc:
            last = exc
            _POLL.wait(0.01)  # poll interval, bounded by the deadline
    raise RuntimeError(f"nothing listening on {HOST}:{port} after {deadline_seconds} s: {last}")


@dataclass
class RadicaleServer:
    """Radicale 3 in a thread (STYLE §2.11). `users` maps user → plain password (htpasswd)."""

    root: Path
    users: dict[str, str] | None = None
    port: int = 0
    _thread: threading.Thread | None = None
    _shutdown: socket.socket | None = None
    _shutdown_peer: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def start(self) -> RadicaleServer:
        import radicale.config
        import radicale.server

        self.port = free_port()
        config = radicale.config.load()
        auth: dict[str, str] = {"type": "none", "delay": "0"}
        if self.users is not None:
            htpasswd = self.root / "htpasswd"
            htpasswd.write_text("".join(f"{u}:{p}\n" for u, p in self.users.items()))
            auth = {
                "type": "htpasswd",
                "htpasswd_filename": str(htpasswd),
                "htpasswd_encryption": "plain",
                "delay": "0",
            }
        config.update(
            {
                "server": {"hosts": f"{HOST}:{self.port}", "delay_on_error": "0"},
                "auth": auth,
                "storage": {"filesystem_folder": str(self.root / "collections")},
                "logging": {"level": "warning"},
            },
            "calsync tests",
        )
        config.update({"storage": {"_filesystem_fsync": "False"}}, "calsync tests", privileged=True)
        self._shutdown, self._shutdown_peer = socket.socketpair()
        self._thread = threading.Thread(
            target=radicale.server.serve,
            args=(config, self._shutdown_peer),
            daemon=True,
            name=f"radicale-{self.port}",
        )
        self._thread.start()
        wait_until_listening(self.port)
        return self

    def stop(self) -> None:
        if self._shutdown is not None:
            self._shutdown.close()  # closing our end makes serve() return
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._shutdown_peer is not None:
            self._shutdown_peer.close()


@dataclass
class XandikosServer:
    """Xandikos (git-backed) in an aiohttp loop in a thread, one principal `/user/` with defaults.

    Calendars live under `/user/calendars/`; `/.well-known/caldav` redirects to `/`.
    """

    root: Path
    principal: str = "/user/"
    port: int = 0
    _thread: threading.Thread | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _runner: Any = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def start(self) -> XandikosServer:
        from aiohttp import web
        from xandikos.web import SingleUserFilesystemBackend
        from xandikos.web import XandikosApp

        backend = SingleUserFilesystemBackend(str(self.root), autocreate=True)
        backend.create_principal(self.principal, create_defaults=True)
        dav = XandikosApp(backend, current_user_principal=self.principal, strict=True)

        async def handler(request: web.Request) -> web.StreamResponse:
            response: web.StreamResponse = await dav.aiohttp_handler(request, "/")
            return response

        async def well_known(request: web.Request) -> web.StreamResponse:
            raise web.HTTPFound("/")

        app = web.Application()
        app.router.add_route("*", "/.well-known/caldav", well_known)
        app.router.add_route("*", "/{path_info:.*}", handler)
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)

            async def setup() -> None:
                self._runner = web.AppRunner(app, access_log=None)
                await self._runner.setup()
                site = web.TCPSite(self._runner, HOST, 0)
                await site.start()
                self.port = self._runner.addresses[0][1]

            try:
                loop.run_until_complete(setup())
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, daemon=True, name="xandikos")
        self._thread.start()
        if not ready.wait(START_DEADLINE_SECONDS) or failure:
            raise RuntimeError(f"Xandikos did not start: {failure}")
        wait_until_listening(self.port)
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)


@dataclass
class DavServer:
    """A running CalDAV server as the tests see it."""

    name: str  # "radicale" or "xandikos"
    url: str  # the server root, e.g. http://127.0.0.1:5232/
    username: str | None = None
    password: str | None = None
    _clients: list[Any] = field(default_factory=list)

    def client(self, url: str | None = None) -> Any:
        """A raw caldav client for test set-up (closed at the end of the test)."""
        from caldav.davclient import DAVClient

        client = DAVClient(
            url=url or self.url,
            username=self.username,
            password=self.password,
            auth_type="basic" if self.password is not None else None,
        )
        self._clients.append(client)
        return client

    def new_calendar(self, name: str | None = None) -> str:
        """Create a calendar (display name `name`, a unique path) and return its URL."""
        name = name or f"cal-{uuid.uuid4().hex[:8]}"
        principal = self.client().get_principal()
        calendar = principal.make_calendar(name=name, cal_id=f"t-{uuid.uuid4().hex[:12]}")
        return str(calendar.url)

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()


@dataclass(frozen=True)
class AuthServer:
    """A Radicale that checks passwords: one user with a known password."""

    url: str
    username: str
    password: str


@contextlib.contextmanager
def running(server: RadicaleServer | XandikosServer) -> Iterator[str]:
    """Start the server, yield its root URL, stop it."""
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
