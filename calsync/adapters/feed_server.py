"""Serve the prepared feed and week page over HTTP: a stdlib ThreadingHTTPServer.

Request handlers only pick prepared bytes out of `FeedState` (under a lock) and answer; they
never read a calendar, plan or touch the disk. Routes, all behind the secret token:

- `/feed/<token>.ics`: the iCalendar feed (`text/calendar; charset=utf-8`)
- `/week/<token>` and `/feed/<token>.html`: the week page

A wrong token or any other path is a 404 (the token is compared in constant time); methods
other than GET and HEAD get 405 with `Allow`. The token never appears in a log line.
"""

from __future__ import annotations

import datetime as dt
import errno
import logging
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from urllib.parse import urlsplit

from calsync.errors import ConfigError
from calsync.errors import RemoteUnavailableError
from calsync.feed import Document
from calsync.feed import accepts_gzip
from calsync.feed import http_date
from calsync.feed import is_not_modified
from calsync.feed_token import token_matches

log = logging.getLogger(__name__)

REQUEST_TIMEOUT_SECONDS = 15.0
ALLOW = "GET, HEAD"
ROUTES = (
    (re.compile(r"^/feed/([^/]{1,128})\.ics$"), "ics"),
    (re.compile(r"^/feed/([^/]{1,128})\.html$"), "page"),
    (re.compile(r"^/week/([^/]{1,128})/?$"), "page"),
)
PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


@dataclass(frozen=True, slots=True)
class Published:
    """What is being served right now."""

    token: str
    ics: Document
    page: Document
    max_age_seconds: int = 300


class FeedState:
    """The prepared bytes, swapped atomically by the refresher, read by the handlers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: Published | None = None

    def publish(self, published: Published) -> None:
        with self._lock:
            self._current = published

    def withdraw(self) -> None:
        """Serve 503 again (nothing ready)."""
        with self._lock:
            self._current = None

    def current(self) -> Published | None:
        with self._lock:
            return self._current


def _redact(path: str) -> str:
    for pattern, _ in ROUTES:
        m = pattern.match(urlsplit(path).path)
        if m:
            return path[: m.start(1)] + "<token>" + path[m.end(1) :].split("?")[0]
    return urlsplit(path).path[:80]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "calsync"
    sys_version = ""
    timeout = REQUEST_TIMEOUT_SECONDS

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def __getattr__(self, name: str) -> Callable[[], None]:
        # Every other method (POST, PUT, PROPFIND, ...): 405, not the stdlib's 501.
        if name.startswith("do_"):
            return self._not_allowed
        raise AttributeError(name)

    def _not_allowed(self) -> None:
        self._plain(405, "method not allowed\n", {"Allow": ALLOW})

    def _serve(self, *, head: bool) -> None:
        published = self.server.state.current()
        route, given = _route(self.path)
        if route is None:
            self._plain(404, "not found\n", head=head)
            return
        if published is None:
            self._plain(503, "the feed is being prepared\n", {"Retry-After": "10"}, head=head)
            return
        if not token_matches(published.token, given):
            self._plain(404, "not found\n", head=head)
            return
        document = published.ics if route == "ics" else published.page
        self._document(document, published, head=head, page=route == "page")

    def _document(self, doc: Document, published: Published, *, head: bool, page: bool) -> None:
        gz = accepts_gzip(self.headers.get("Accept-Encoding"))
        variant = doc.gzipped if gz else doc.identity
        headers = {
            "ETag": variant.etag,
            "Cache-Control": f"private, max-age={published.max_age_seconds}",
            "Vary": "Accept-Encoding",
        }
        if doc.last_modified is not None:
            headers["Last-Modified"] = http_date(doc.last_modified)
        now = self.server.clock()
        if is_not_modified(
            doc, self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since"), now
        ):
            self._send(304, headers, b"", head=True)
            return
        headers["Content-Type"] = doc.content_type
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        if page:
            headers["Content-Security-Policy"] = PAGE_POLICY
        else:
            headers["Content-Disposition"] = 'inline; filename="strength.ics"'
        if gz:
            headers["Content-Encoding"] = "gzip"
        self._send(200, headers, variant.body, head=head)

    def _plain(
        self, code: int, text: str, extra: dict[str, str] | None = None, *, head: bool = False
    ) -> None:
        headers = {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
        headers.update(extra or {})
        self._send(code, headers, text.encode("utf-8"), head=head)

    def _send(self, code: int, headers: dict[str, str], body: bytes, *, head: bool) -> None:
        self.send_response(code)
        for name, value in headers.items():
            self.send_header(name, value)
        if code != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and body:
            self.wfile.write(body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("%s %s -> %s", self.command, _redact(self.path or ""), code)

    def log_message(self, format: str, *args: object) -> None:
        # Errors from the stdlib (bad request lines, timeouts): never with the request line.
        log.debug("feed server: %s", (format % args).split('"')[0].strip())


def _route(path: str) -> tuple[str | None, str]:
    clean = urlsplit(path).path
    for pattern, route in ROUTES:
        m = pattern.match(clean)
        if m:
            return route, m.group(1)
    return None, ""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        state: FeedState,
        clock: Callable[[], dt.datetime],
        family: socket.AddressFamily,
    ) -> None:
        self.address_family = family
        self.state = state
        self.clock = clock
        super().__init__(address, _Handler)


class FeedServer:
    """The HTTP server in a background thread: `start()`, `url`, `stop()`."""

    def __init__(
        self,
        state: FeedState,
        host: str,
        port: int,
        clock: Callable[[], dt.datetime],
    ) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            self._server = _Server((host, port), state, clock, family)
        except OSError as exc:
            raise _bind_error(host, port, exc) from None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        port: int = self._server.server_address[1]
        return port

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    def start(self) -> FeedServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="calsync-feed-server",
            daemon=True,
        )
        self._thread.start()
        log.info("serving the feed on http://%s:%d/", _show_host(self.host), self.port)
        return self

    def stop(self) -> None:
        """Stop accepting, wait for the loop (bounded), close the socket."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()


def _show_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _bind_error(host: str, port: int, exc: OSError) -> Exception:
    where = f"{_show_host(host)}:{port}"
    why = exc.strerror or type(exc).__name__
    if exc.errno == errno.EADDRINUSE:
        return RemoteUnavailableError(
            f"serving the feed: cannot listen on {where} ({why})",
            hint="another program uses the port: set [feed] port or pass --port",
        )
    return ConfigError("[feed] host/port", [f"cannot listen on {where} ({why})"])
