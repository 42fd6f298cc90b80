"""A hostile or broken HTTP server on 127.0.0.1, for the tests and the hostile benchmark.

`HostileServer(mode, upstream=...)` answers every request whose method is in `hostile_on` badly
(see MODES) and forwards every other request to `upstream` (a real Radicale), so a sync gets
through discovery and meets the bad answer where a real broken server would send it. Without
an upstream every request gets the bad answer (an ICS feed). Every loop is bounded in bytes and
in seconds, so the server stops by itself even when nobody closes it.
"""

from __future__ import annotations

import contextlib
import http.client
import http.server
import socket
import socketserver
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field

HOST = "127.0.0.1"
MODES = (
    "endless",  # 200/207 with no length and a body that never ends
    "drip",  # an honest Content-Length, then one byte per `drip_seconds`
    "drip_headers",  # the status line and headers themselves, one byte per `drip_seconds`
    "short",  # Content-Length larger than what is sent, then the connection is closed
    "cut_chunked",  # chunked encoding, closed in the middle of a chunk
    "unfinished",  # no length, a clean close after half a calendar (no END:VCALENDAR)
)
_POLL = threading.Event()  # never set: wait(t) is a bounded pause


def _xml_body(size: int) -> bytes:
    head = b'<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">\n'
    item = b"<D:response><D:href>/junk</D:href><D:status>HTTP/1.1 200 OK</D:status></D:response>\n"
    return head + item * max(1, size // len(item))


def _ics_body(size: int) -> bytes:
    head = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//hostile//EN\r\n"
    item = b"X-FILLER:" + b"x" * 60 + b"\r\n"
    return head + item * max(1, size // len(item))


@dataclass
class HostileServer:
    """One bad server. `url` is its root; `port` is known after `start()`."""

    mode: str
    upstream: str | None = None  # e.g. a Radicale root: requests not in hostile_on go there
    hostile_on: frozenset[str] = frozenset({"REPORT"})
    max_bytes: int = 1 << 30  # an "endless" body stops here ...
    max_seconds: float = 30.0  # ... or after this long, whichever comes first
    drip_seconds: float = 1.0
    hostile_answers: int = 0  # how many bad answers were sent (tests check they were met)
    _server: socketserver.ThreadingTCPServer | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def port(self) -> int:
        assert self._server is not None, "start() first"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def start(self) -> HostileServer:
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r}")
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                outer._handle(self.connection, self.rfile)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server((HOST, 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- one connection: one request, then close ----------------------------------------------

    def _handle(self, conn: socket.socket, rfile: object) -> None:
        conn.settimeout(self.max_seconds)
        try:
            method, target, headers, body = _read_request(rfile)
        except (OSError, ValueError):
            return
        try:
            if self.upstream is not None and method not in self.hostile_on:
                conn.sendall(self._forward(method, target, headers, body))
                return
            with self._lock:
                self.hostile_answers += 1
            self._misbehave(conn, method)
        except OSError:
            return  # the client gave up: that is what we want it to do

    def _forward(self, method: str, target: str, headers: dict[str, str], body: bytes) -> bytes:
        assert self.upstream is not None
        up = urllib.parse.urlsplit(self.upstream)
        client = http.client.HTTPConnection(up.hostname or HOST, up.port, timeout=30)
        try:
            keep = {k: v for k, v in headers.items() if k.lower() not in ("host", "connection")}
            client.request(method, target, body=body or None, headers=keep)
            answer = client.getresponse()
            data = answer.read()
            lines = [f"HTTP/1.1 {answer.status} {answer.reason}"]
            for name, value in answer.getheaders():
                if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                    lines.append(f"{name}: {value}")
            lines += [f"Content-Length: {len(data)}", "Connection: close", "", ""]
            return "\r\n".join(lines).encode("latin-1") + data
        finally:
            client.close()

    def _misbehave(self, conn: socket.socket, method: str) -> None:
        xml = method in ("PROPFIND", "REPORT")
        ctype = "text/xml; charset=utf-8" if xml else "text/calendar; charset=utf-8"
        status = "207 Multi-Status" if xml else "200 OK"
        body = (_xml_body if xml else _ics_body)(64 * 1024)
        head = f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nConnection: close\r\n"
        if self.mode == "endless":
            conn.sendall(f"{head}\r\n".encode())
            self._endless(conn, body)
        elif self.mode == "drip":
            conn.sendall(f"{head}Content-Length: {len(body)}\r\n\r\n".encode())
            self._drip(conn, body)
        elif self.mode == "drip_headers":
            self._drip(conn, f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
        elif self.mode == "short":
            conn.sendall(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body[:2000])
        elif self.mode == "cut_chunked":
            chunk = f"{len(body):x}\r\n".encode() + body[:2000]
            conn.sendall(f"{head}Transfer-Encoding: chunked\r\n\r\n".encode() + chunk)
        else:  # unfinished: a clean end of a body that is only half a calendar
            conn.sendall(f"{head}\r\n".encode() + body[:2000])

    def _endless(self, conn: socket.socket, block: bytes) -> None:
        filler = block[block.index(b"\n") + 1 :] or block
        sent, stop = 0, time.monotonic() + self.max_seconds
        while sent < self.max_bytes and time.monotonic() < stop:
            conn.sendall(filler)
            sent += len(filler)

    def _drip(self, conn: socket.socket, data: bytes) -> None:
        stop = time.monotonic() + self.max_seconds
        for i in range(len(data)):
            if time.monotonic() >= stop:
                return
            conn.sendall(data[i : i + 1])
            _POLL.wait(self.drip_seconds)


def _read_request(rfile: object) -> tuple[str, str, dict[str, str], bytes]:
    """Request line, headers and a Content-Length body (bounded: 1 MiB, 100 headers)."""
    readline = rfile.readline  # type: ignore[attr-defined]
    line = readline(65536).decode("latin-1").strip()
    method, target, _ = line.split(" ", 2)
    headers: dict[str, str] = {}
    for _ in range(100):
        raw = readline(65536).decode("latin-1")
        if raw in ("\r\n", "\n", ""):
            break
        name, _, value = raw.partition(":")
        headers[name.strip()] = value.strip()
    length = min(int(headers.get("Content-Length", "0") or 0), 1 << 20)
    body = rfile.read(length) if length else b""  # type: ignore[attr-defined]
    return method, target, headers, body


@contextlib.contextmanager
def serve_once(body: bytes, headers: dict[str, str]) -> Iterator[str]:
    """A well-behaved server with one fixed answer (e.g. a gzip bomb): yields its URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(OSError):  # the client may stop reading early
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer((HOST, 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}/feed.ics"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
