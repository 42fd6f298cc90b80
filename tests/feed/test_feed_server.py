"""The feed server's HTTP behaviour, over real sockets on 127.0.0.1 (server in a thread)."""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import http.client
import logging
import re
import select
import socket
from collections.abc import Iterator

import pytest

from calsync.adapters import feed_server
from calsync.adapters import http_cache
from calsync.adapters.feed_server import FeedServer
from calsync.adapters.feed_server import FeedState
from calsync.adapters.feed_server import Published

TOKEN = "Zq3kT0nX1bE8wY5pL2aR7c"
NOW = dt.datetime(2026, 11, 30, 6, 0, 0, tzinfo=dt.UTC)
ICS = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//calsync//test//EN\r\n"
    b"X-WR-CALNAME:Strength\r\nEND:VCALENDAR\r\n"
)
PAGE = b"<!DOCTYPE html><html><body>week</body></html>"


@pytest.fixture(scope="module")
def _running() -> Iterator[tuple[FeedServer, FeedState]]:
    state = FeedState()
    running = FeedServer(state, "127.0.0.1", 0, lambda: NOW).start()
    yield running, state
    running.stop()


@pytest.fixture
def server(_running: tuple[FeedServer, FeedState]) -> tuple[FeedServer, FeedState]:
    """The module's server, with nothing published yet."""
    running, state = _running
    state.withdraw()
    return running, state


@pytest.fixture
def published(server: tuple[FeedServer, FeedState]) -> FeedServer:
    running, state = server
    ics = http_cache.make_document(ICS, http_cache.ICS_TYPE, NOW - dt.timedelta(hours=1))
    page = http_cache.make_document(PAGE, http_cache.HTML_TYPE)
    state.publish(Published(TOKEN, ics, page))
    return running


def request(
    srv: FeedServer, path: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()


def test_feed_is_served_with_calendar_type_etag_and_last_modified(published):
    status, headers, body = request(published, f"/feed/{TOKEN}.ics")
    assert status == 200
    assert body == ICS
    assert headers["content-type"] == "text/calendar; charset=utf-8"
    assert headers["etag"] == http_cache.etag_of(ICS)
    assert headers["last-modified"] == http_cache.http_date(NOW - dt.timedelta(hours=1))
    assert "max-age" in headers["cache-control"]
    assert headers["vary"] == "Accept-Encoding"


def test_if_none_match_gives_304_without_body(published):
    etag = request(published, f"/feed/{TOKEN}.ics")[1]["etag"]
    for value in (etag, f"W/{etag}", f'"nope", {etag}', "*"):
        status, headers, body = request(
            published, f"/feed/{TOKEN}.ics", headers={"If-None-Match": value}
        )
        assert (status, body) == (304, b""), value
        assert headers["etag"] == etag


def test_if_modified_since_gives_304_and_garbage_gives_200(published):
    last = request(published, f"/feed/{TOKEN}.ics")[1]["last-modified"]
    path = f"/feed/{TOKEN}.ics"
    assert request(published, path, headers={"If-Modified-Since": last})[0] == 304
    assert request(published, path, headers={"If-Modified-Since": "yesterday-ish"})[0] == 200
    older = http_cache.http_date(NOW - dt.timedelta(days=1))
    assert request(published, path, headers={"If-Modified-Since": older})[0] == 200
    # If-None-Match wins: a stale ETag with a fresh date is a full response.
    both = {"If-None-Match": '"stale"', "If-Modified-Since": last}
    assert request(published, path, headers=both)[0] == 200


def test_head_has_the_headers_and_no_body(published):
    _, get_headers, _ = request(published, f"/feed/{TOKEN}.ics")
    status, headers, body = request(published, f"/feed/{TOKEN}.ics", "HEAD")
    assert (status, body) == (200, b"")
    assert headers["etag"] == get_headers["etag"]
    assert headers["content-length"] == str(len(ICS))


def test_gzip_when_asked_with_its_own_etag(published):
    status, headers, body = request(
        published, f"/feed/{TOKEN}.ics", headers={"Accept-Encoding": "gzip"}
    )
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == ICS
    assert headers["etag"] != http_cache.etag_of(ICS)
    again = {"Accept-Encoding": "gzip", "If-None-Match": headers["etag"]}
    assert request(published, f"/feed/{TOKEN}.ics", headers=again)[0] == 304


@pytest.mark.parametrize(
    "path",
    [
        "/feed/wrongtoken0000000000000.ics",
        f"/feed/{TOKEN[:-1]}.ics",
        f"/feed/{TOKEN}x.ics",
        "/",
        "/feed/",
        f"/{TOKEN}.ics",
        f"/feed/{TOKEN}.ics/../x",
    ],
)
def test_wrong_token_or_path_is_404(published, path):
    status, _, body = request(published, path)
    assert status == 404
    assert TOKEN.encode() not in body


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PROPFIND", "OPTIONS"])
def test_other_methods_are_405_with_allow(published, method):
    status, headers, _ = request(published, f"/feed/{TOKEN}.ics", method)
    assert status == 405
    assert headers["allow"] == "GET, HEAD"


def test_week_page_is_behind_the_same_token(published):
    for path in (f"/week/{TOKEN}", f"/feed/{TOKEN}.html"):
        status, headers, body = request(published, path)
        assert status == 200
        assert headers["content-type"] == "text/html; charset=utf-8"
        assert "default-src 'none'" in headers["content-security-policy"]
        assert body == PAGE
    assert request(published, "/week/not-the-token-at-all000")[0] == 404


def test_503_until_the_first_plan_is_ready(server):
    running, _ = server
    status, headers, _ = request(running, f"/feed/{TOKEN}.ics")
    assert status == 503
    assert "retry-after" in headers


def test_the_token_never_reaches_the_logs(published, caplog):
    with caplog.at_level(logging.DEBUG, logger="calsync"):
        request(published, f"/feed/{TOKEN}.ics")
        request(published, "/feed/wrong.ics", "POST")
    assert caplog.records, "the request was not logged at all"
    assert TOKEN not in caplog.text


def test_a_client_dripping_its_request_is_dropped_at_the_deadline(published, monkeypatch):
    # The real server and socket; only the deadline is shortened (30 s by default).
    monkeypatch.setattr(feed_server, "REQUEST_DEADLINE_SECONDS", 1.0)
    line = f"GET /feed/{TOKEN}.ics HTTP/1.1\r\nHost: x\r\n".encode() + b"X-Slow: " + b"z" * 400
    sent = 0
    address = ("127.0.0.1", published.port)
    with socket.create_connection(address, timeout=10) as sock, contextlib.suppress(OSError):
        for byte in line:  # one byte each 20 ms: 8 s in all, were it never cut
            sock.send(bytes([byte]))
            sent += 1
            if sock_closed(sock, 0.02):
                break
    assert sent < len(line)  # the server hung up long before the client was done
    assert request(published, f"/feed/{TOKEN}.ics")[0] == 200


def sock_closed(sock: socket.socket, wait: float) -> bool:
    """Whether the peer closed (or reset) the connection, waiting at most `wait` seconds."""
    readable, _, _ = select.select([sock], [], [], wait)
    if not readable:
        return False
    try:
        return sock.recv(4096) == b""
    except ConnectionError:
        return True


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        (f"/feed/{TOKEN}.ics?x=1", "/feed/<token>.ics"),
        (f"/week/{TOKEN}/../..", "/week/<token>/../.."),
        (f"/feed/%5A{TOKEN[1:]}.ics", "/feed/<token>"),
        (f"/{TOKEN[:9]}%{TOKEN[9:]}", "/<token>"),
        ("/x/aB3dE5fG7hJ9kL1mN", "/x/<redacted>"),  # an old token, or somebody else's
        ("/feed/\x1b[2Jx.ics", "/feed/?[2Jx.ics"),  # no terminal escapes into the log
        ("/" + "a/" * 200, "/" + "a/" * 59 + "a"),
    ],
)
def test_logged_paths_are_redacted(path, logged):
    assert feed_server._redact(path, TOKEN) == logged


BUSY_TOKEN = "Vb8nR2xQ5mK1tY7wZ3cL9d"
BUSY_ICS = ICS.replace(b"Strength", b"Busy")


@pytest.fixture
def with_busy(server: tuple[FeedServer, FeedState]) -> FeedServer:
    running, state = server
    ics = http_cache.make_document(ICS, http_cache.ICS_TYPE, NOW - dt.timedelta(hours=1))
    page = http_cache.make_document(PAGE, http_cache.HTML_TYPE)
    busy = http_cache.make_document(BUSY_ICS, http_cache.ICS_TYPE, NOW - dt.timedelta(hours=1))
    state.publish(Published(TOKEN, ics, page, 300, BUSY_TOKEN, busy))
    return running


def test_the_busy_feed_is_behind_its_own_token_only(with_busy):
    status, headers, body = request(with_busy, f"/feed/busy/{BUSY_TOKEN}.ics")
    assert (status, body) == (200, BUSY_ICS)
    assert headers["content-disposition"] == 'inline; filename="busy.ics"'
    assert "content-security-policy" not in headers
    assert (
        request(
            with_busy, f"/feed/busy/{BUSY_TOKEN}.ics", headers={"If-None-Match": headers["etag"]}
        )[0]
        == 304
    )
    for path in (
        f"/feed/busy/{TOKEN}.ics",  # the training token opens no busy feed
        f"/feed/{BUSY_TOKEN}.ics",  # nor the busy token the training feed or the page
        f"/week/{BUSY_TOKEN}",
        f"/feed/{BUSY_TOKEN}.html",
    ):
        assert request(with_busy, path)[0] == 404, path
    assert request(with_busy, f"/feed/{TOKEN}.ics")[2] == ICS


def test_without_a_busy_feed_its_path_is_404(published):
    assert request(published, f"/feed/busy/{TOKEN}.ics")[0] == 404


def test_both_tokens_are_redacted_in_the_logs(with_busy, caplog):
    with caplog.at_level(logging.DEBUG, logger="calsync"):
        request(with_busy, f"/feed/busy/{BUSY_TOKEN}.ics")
        request(with_busy, f"/week/{BUSY_TOKEN}")
    assert "GET /feed/busy/<token>.ics -> 200" in caplog.text
    assert "GET /week/<token> -> 404" in caplog.text
    assert BUSY_TOKEN not in caplog.text and TOKEN not in caplog.text


def test_the_page_policy_allows_no_inline_style_but_the_pages_own(published):
    headers = request(published, f"/week/{TOKEN}")[1]
    policy = headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy
    assert re.search(r"style-src 'sha256-[A-Za-z0-9+/]{43}=';", policy), policy
    assert policy.startswith("default-src 'none';")
