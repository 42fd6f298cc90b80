"""`calsync serve -vv` as a real process against clients that misbehave, over raw sockets.

A 100 KB request line, random bytes, clients that hang up mid-answer, a path that hides the
token, a hundred idle connections: each gets a 4xx (or a closed connection), never a traceback,
the token never reaches the log, the thread count stays bounded and the server keeps answering.
"""

from __future__ import annotations

import contextlib
import random
import re
import socket
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from calsync.adapters.feed_server import MAX_CONNECTIONS
from calsync.adapters.feed_server import REQUEST_TIMEOUT_SECONDS
from tests.feed import procs
from tests.feed.serving import EXAMPLE
from tests.feed.serving import Served
from tests.feed.serving import start_serve

SEED = 7
IDLE = 100


def start_verbose(workdir: Path) -> Served:
    """`calsync -vv serve` (debug logging: every request and error is logged)."""
    return start_serve(workdir, EXAMPLE, "serve-vv", verbose=True)


@pytest.fixture(scope="module")
def loud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    running = start_verbose(tmp_path_factory.mktemp("serve-vv"))
    yield running
    code = running.proc.stop()
    assert code == 0, running.proc.stderr()
    assert "Traceback" not in running.proc.stderr()
    assert running.token not in running.proc.stderr()


def raw(served: Served, data: bytes) -> bytes:
    """Send `data` on a fresh connection; what comes back before the server closes (bounded)."""
    with socket.create_connection((procs.HOST, served.port), timeout=10) as sock:
        with contextlib.suppress(OSError):  # the server may have answered and closed already
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)  # nothing more comes: no waiting for a timeout
        got = b""
        with contextlib.suppress(ConnectionError, TimeoutError):
            for _ in range(64):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                got += chunk
        return got


def status(answer: bytes) -> int:
    found = re.match(rb"HTTP/1\.[01] (\d{3}) ", answer)
    return int(found.group(1)) if found else 0


def healthy(served: Served) -> None:
    response = procs.fetch(served.feed)
    assert response.status == 200 and b"BEGIN:VCALENDAR" in response.body
    assert served.proc.alive()


def test_a_100_kb_request_line_is_414(loud: Served) -> None:
    answer = raw(loud, b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status(answer) == 414, answer[:200]
    answer = raw(loud, b"GET /feed/x.ics HTTP/1.1\r\nX-Big: " + b"b" * 100_000 + b"\r\n\r\n")
    assert 400 <= status(answer) < 500, answer[:200]
    healthy(loud)
    assert "Traceback" not in loud.proc.stderr()


def test_garbage_bytes_are_400_or_closed_never_a_traceback(loud: Served) -> None:
    rng = random.Random(SEED)
    cases = [rng.randbytes(rng.randint(1, 3000)) + b"\r\n\r\n" for _ in range(40)]
    cases += [
        b"GET //[ HTTP/1.1\r\n\r\n",  # urlsplit raises on an unclosed IPv6 literal
        b"GET / HTTP/9.x\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + rng.randbytes(64),  # TLS hello
        b"GET /feed/\xff\xfe.ics HTTP/1.1\r\n\r\n",
        b"GET /week/%00%ff/ HTTP/1.1\r\nHost: \x00\r\n\r\n",
    ]
    for data in cases:
        answer = raw(loud, data)
        assert answer == b"" or 400 <= status(answer) < 500, (data[:40], answer[:200])
    healthy(loud)
    assert "Traceback" not in loud.proc.stderr()


def test_clients_that_hang_up_mid_answer_leave_no_traceback(loud: Served) -> None:
    path = loud.feed.split(str(loud.port), 1)[1]
    request = f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    for i in range(60):
        with socket.create_connection((procs.HOST, loud.port), timeout=10) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
            sock.sendall(request * (1 + i % 3))
            if i % 2:
                sock.recv(10)
            # SO_LINGER 0: close with a reset, as a phone losing its network does.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    healthy(loud)
    stderr = loud.proc.stderr()
    assert "Traceback" not in stderr
    assert "BrokenPipe" not in stderr and "ConnectionReset" not in stderr


def test_a_path_that_hides_the_token_is_logged_redacted(loud: Served) -> None:
    token = loud.token
    for path in (
        f"/week/{token}/../..",
        f"/feed/{token}.ics/x",
        f"/x/{token[:20]}",  # a piece of it, or an old token: long and random-looking
        f"/feed/{token}.ics%2F..",
        f"/{token[:11]}%{token[11:]}",
    ):
        answer = raw(loud, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert status(answer) == 404, (path, answer[:200])
    for line in (f"GET /week/{token} x HTTP/1.1", f"GET /feed/{token}.ics HTTP/{token}"):
        answer = raw(loud, f"{line}\r\nHost: x\r\n\r\n".encode())  # the stdlib quotes these
        assert status(answer) == 400 and token.encode() not in answer, answer[:200]
    healthy(loud)
    stderr = loud.proc.stderr()
    assert "GET /week/<token>/../.. -> 404" in stderr  # logged, with the secret redacted
    assert token not in stderr and token[:20] not in stderr and token[11:] not in stderr


def threads(pid: int) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"^Threads:\s+(\d+)$", text, re.M)
    assert found is not None
    return int(found.group(1))


def test_idle_connections_cannot_hold_unbounded_threads(loud: Served) -> None:
    before = threads(loud.proc.pid)
    idle = [socket.create_connection((procs.HOST, loud.port), timeout=10) for _ in range(IDLE)]
    try:
        procs.until(lambda: threads(loud.proc.pid) >= before + 8, "threads for the first clients")
        most = max(threads(loud.proc.pid) for _ in range(20))
        # Still answered, within the per-connection timeout (idle clients are dropped by then).
        answered = procs.until(
            lambda: _answered(loud), "a normal request answered", REQUEST_TIMEOUT_SECONDS * 4
        )
        assert answered == 200
    finally:
        for sock in idle:
            sock.close()
    assert most <= before + MAX_CONNECTIONS + 2, (before, most)  # capped, not one per client
    healthy(loud)


def _answered(served: Served) -> int:
    path = served.feed.split(str(served.port), 1)[1]
    answer = raw(served, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    return status(answer) if status(answer) == 200 else 0
