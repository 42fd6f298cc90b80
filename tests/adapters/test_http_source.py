"""Reading ICS feeds over HTTP from a real server on 127.0.0.1; secrets stay out of errors."""

from __future__ import annotations

import gzip
import http.server
import socket
import threading
from collections.abc import Iterator

import pytest

from calsync.adapters.http_source import fetch_feed
from calsync.adapters.http_source import is_feed_url
from calsync.adapters.http_source import redact
from calsync.errors import AuthError
from calsync.errors import ExitCode
from calsync.errors import RemoteUnavailableError
from calsync.errors import SourceNotFoundError

BODY = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nEND:VCALENDAR\r\n"
SECRET = "private-5f3c9a1b2e/basic.ics"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = {"/missing/" + SECRET: 404, "/auth/" + SECRET: 401, "/boom/" + SECRET: 503}
        code = status.get(self.path, 200)
        if code != 200:
            self.send_error(code)
            return
        body = BODY
        gz = "gzip" in self.headers.get("Accept-Encoding", "") and self.path.startswith("/gz/")
        if gz:
            body = gzip.compress(BODY)
        self.send_response(200)
        self.send_header("Content-Type", "text/calendar; charset=utf-8")
        if gz:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join(timeout=10)


def test_feed_is_fetched(base_url):
    assert fetch_feed(f"{base_url}/ok/{SECRET}") == BODY


def test_gzip_feed_is_decompressed(base_url):
    assert fetch_feed(f"{base_url}/gz/{SECRET}") == BODY


@pytest.mark.parametrize(
    ("prefix", "error", "code"),
    [
        ("missing", SourceNotFoundError, ExitCode.NOINPUT),
        ("auth", AuthError, ExitCode.AUTH),
        ("boom", RemoteUnavailableError, ExitCode.UNAVAILABLE),
    ],
)
def test_http_errors_map_to_exit_codes_without_the_secret(base_url, prefix, error, code):
    with pytest.raises(error) as info:
        fetch_feed(f"{base_url}/{prefix}/{SECRET}", timeout=5)
    assert info.value.exit_code == code
    assert "private-5f3c9a1b2e" not in info.value.message
    assert "127.0.0.1" in info.value.message


def test_nothing_listening_is_unavailable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(RemoteUnavailableError) as info:
        fetch_feed(f"http://user:pw@127.0.0.1:{port}/{SECRET}", timeout=5)
    assert ":pw@" not in info.value.message
    assert "private-5f3c9a1b2e" not in info.value.message


def test_redact_and_is_feed_url():
    assert redact(
        "https://calendar.google.com/calendar/ical/x%40gmail.com/private-abc/basic.ics"
    ) == ("https://calendar.google.com/…")
    assert redact("https://u:p@host:8443/a") == "https://host:8443/…"
    assert is_feed_url("webcal://example.com/x.ics")
    assert not is_feed_url("/home/runner/training.ics")
