"""Serve the prepared feed and week page over HTTP: a stdlib ThreadingHTTPServer.

Request handlers only pick prepared bytes out of `FeedState` (under a lock) and answer; they
never read a calendar, plan or touch the disk. Routes, all behind the secret token:

- `/feed/<token>.ics`: the iCalendar feed (`text/calendar; charset=utf-8`)
- `/week/<token>` and `/feed/<token>.html`: the week page
- `/feed/busy/<busy token>.ics`: the busy feed (its own token: it opens nothing else; under
  /feed/ so a reverse proxy that passes the feed passes it too)

A wrong token or any other path is a 404 (the token is compared in constant time); methods
other than GET and HEAD get 405 with `Allow`. The token never appears in a log line: a logged
path has every segment that holds the token, or looks like one (long and random), redacted.

Clients are not trusted to behave: an over-long request line is a 414 and garbage a 400 (the
stdlib's answers), a client that hangs up is a debug line and never a traceback, at most
MAX_CONNECTIONS connections are served at once (more get a 503 at once), and each request has
a per-read timeout and a total deadline, so a slowloris client is dropped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import logging
import re
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from calsync.adapters.feed_token import token_matches
from calsync.adapters.http_cache import Document
from calsync.adapters.http_cache import accepts_gzip
from calsync.adapters.http_cache import http_date
from calsync.adapters.http_cache import is_not_modified
from calsync.core.week_page import STYLE_SOURCE
from calsync.errors import ConfigError
from calsync.errors import RemoteUnavailableError

log = logging.getLogger(__name__)

REQUEST_TIMEOUT_SECONDS = 15.0  # each read or write on a connection (an idle keep-alive too)
REQUEST_DEADLINE_SECONDS = 30.0  # one whole request, read and answered: slowloris is cut off
MAX_CONNECTIONS = 32  # handler threads at once; a calendar app polls, it never needs many
LINGER_SECONDS = 0.5  # reading what a client sent beyond what was read, before closing
LOGGED_PATH_CHARS = 120
ALLOW = "GET, HEAD"
ROUTES = (
    (re.compile(r"^/feed/([^/]{1,128})\.ics$"), "ics"),
    (re.compile(r"^/feed/([^/]{1,128})\.html$"), "page"),
    (re.compile(r"^/week/([^/]{1,128})/?$"), "page"),
    (re.compile(r"^/feed/busy/([^/]{1,128})\.ics$"), "busy"),
)
# No script at all, and only the page's own stylesheet (by its hash: no style attributes).
PAGE_POLICY = (
    f"default-src 'none'; style-src {STYLE_SOURCE}; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


@dataclass(frozen=True, slots=True)
class Published:
    """What is being served right now."""

    token: str
    ics: Document
    page: Document
    max_age_seconds: int = 300
    busy_token: str | None = None  # the busy feed's own token, and the feed
    busy: Document | None = None

    def document(self, route: str, given: str) -> Document | None:
        """The document `route` names when `given` is its token (constant time), else None."""
        if route == "busy":
            expected, document = self.busy_token, self.busy
        else:
            expected, document = self.token, self.ics if route == "ics" else self.page
        if expected is None or document is None or not token_matches(expected, given):
            return None
        return document

    def tokens(self) -> tuple[str, ...]:
        return (self.token, *([self.busy_token] if self.busy_token else []))


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


_TOKEN_ALPHABET = re.compile(r"[^A-Za-z0-9_-]")
_RANDOM_RUN = re.compile(r"[A-Za-z0-9_-]{16,}")  # a secret's shape: words are shorter


def _redact(path: str, *tokens: str | None) -> str:
    """`path` as it may be logged: no query, each segment that holds a token (even split by
    other characters or percent-encoded) or looks random replaced, only printable ASCII, cut."""
    secrets = [t for t in tokens if t]
    shown = "/".join(_redact_segment(part, secrets) for part in _bare_path(path).split("/"))
    printable = "".join(c if "!" <= c <= "~" else "?" for c in shown)
    return printable[:LOGGED_PATH_CHARS]


def _redact_segment(segment: str, tokens: list[str]) -> str:
    for token in tokens:
        segment = segment.replace(token, "<token>")  # keeps "/feed/<token>.ics" readable
        if any(token in _TOKEN_ALPHABET.sub("", f) for f in (segment, unquote(segment))):
            return "<token>"  # hidden behind percent-escapes or split by other characters
    if any(_RANDOM_RUN.search(f.replace("<token>", "")) for f in (segment, unquote(segment))):
        return "<redacted>"
    return segment


def _bare_path(path: str) -> str:
    # Not urlsplit: it raises on "//[" (an unclosed IPv6 literal) and would treat "//x" as a host.
    return path.split("?", 1)[0].split("#", 1)[0]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "calsync"
    sys_version = ""
    timeout = REQUEST_TIMEOUT_SECONDS
    # Set by the stdlib only once a request line parses; logging an answer to garbage (400,
    # 414) must not fail on them.
    path = ""
    command = ""
    # Garbage that does not parse as a request line is answered with a status line too (the
    # stdlib's default, HTTP/0.9, sends a bare body), in plain words, never echoing the line.
    default_request_version = "HTTP/1.0"
    error_message_format = "%(code)d %(explain)s\n"
    error_content_type = "text/plain; charset=utf-8"

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # The stdlib puts the request line, quoted, in the status line: never echo it back.
        super().send_error(code, None, explain)

    def handle_one_request(self) -> None:
        self.server.watch(self.connection)  # a fresh deadline for each request on the connection
        super().handle_one_request()

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
        document = published.document(route, given)
        if document is None:
            self._plain(404, "not found\n", head=head)
            return
        self._document(document, published, head=head, route=route)

    def _document(self, doc: Document, published: Published, *, head: bool, route: str) -> None:
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
        if route == "page":
            headers["Content-Security-Policy"] = PAGE_POLICY
        else:
            name = "busy.ics" if route == "busy" else "strength.ics"
            headers["Content-Disposition"] = f'inline; filename="{name}"'
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
        published = self.server.state.current()
        tokens = published.tokens() if published is not None else ()
        method = _redact(self.command or "-", *tokens)[:16]
        log.debug("%s %s -> %s", method, _redact(self.path or "", *tokens), code)

    def log_message(self, format: str, *args: object) -> None:
        # Errors from the stdlib (bad request lines, timeouts): never with the request line,
        # which it quotes as "... syntax ('GET /week/<token> x y')" or "...: 'line'".
        text = re.split(r"[\"'(]", format % args, maxsplit=1)[0]
        log.debug("feed server: %s", text.strip(" :,"))


def _route(path: str) -> tuple[str | None, str]:
    clean = _bare_path(path)
    for pattern, route in ROUTES:
        m = pattern.match(clean)
        if m:
            return route, m.group(1)
    return None, ""


BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Retry-After: 5\r\nConnection: close\r\nContent-Length: 21\r\n\r\ntoo many connections\n"
)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The stdlib's 5 makes a burst of clients wait seconds in SYN retries; past the cap they
    # are accepted and get a quick 503 instead.
    request_queue_size = 128

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
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._deadlines: dict[socket.socket, float] = {}
        self._deadlines_lock = threading.Lock()
        super().__init__(address, _Handler)

    # -- at most MAX_CONNECTIONS handler threads ---------------------------------------------

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            log.debug("feed server: %d connections already: 503", MAX_CONNECTIONS)
            _refuse(request)
            return
        try:
            super().process_request(request, client_address)  # starts the thread
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        # The stdlib's, plus the slot and the deadline.
        self.watch(request)
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self._unwatch(request)
            self.shutdown_request(request)
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Instead of the stdlib's traceback on stderr: a client that hung up is routine, and
        anything else is one line (the exception's type only: its text may hold the path)."""
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            log.debug("feed server: a client hung up or went quiet")
        else:
            log.error("feed server: a request failed (%s); still serving", type(exc).__name__)

    def shutdown_request(self, request: Any) -> None:
        """A lingering close: the client may have sent more than was read (a 100 KB request
        line); closing on unread bytes sends a reset, which can hide our 4xx from it."""
        with contextlib.suppress(OSError):
            request.shutdown(socket.SHUT_WR)
            end = time.monotonic() + LINGER_SECONDS
            for _ in range(64):  # at most 4 MiB read and thrown away
                left = end - time.monotonic()
                if left <= 0:
                    break
                request.settimeout(left)
                if not request.recv(65536):
                    break
        self.close_request(request)

    # -- a total deadline per request -----------------------------------------------------

    def watch(self, request: socket.socket) -> None:
        with self._deadlines_lock:
            self._deadlines[request] = time.monotonic() + REQUEST_DEADLINE_SECONDS

    def _unwatch(self, request: socket.socket) -> None:
        with self._deadlines_lock:  # after this, service_actions never touches the socket
            self._deadlines.pop(request, None)

    def service_actions(self) -> None:
        """Called by serve_forever every poll interval: cut connections past their deadline
        (their handler thread then sees the end of the stream and finishes)."""
        now = time.monotonic()
        with self._deadlines_lock:
            late = [sock for sock, end in self._deadlines.items() if end < now]
            for sock in late:
                del self._deadlines[sock]
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        if late:
            log.debug("feed server: dropped %d connection(s) past the request deadline", len(late))


def _refuse(request: socket.socket) -> None:
    """503 on a connection beyond the cap, from the accepting thread: never blocks."""
    with contextlib.suppress(OSError):
        request.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            request.recv(65536)  # what already came: unread bytes turn the close into a reset
        request.send(BUSY)
        request.shutdown(socket.SHUT_WR)
    request.close()


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
