"""Run calsync as a real process on 127.0.0.1 and wait for it with deadlines (no sleeps).

Shared by the feed, browser and daemon process tests. Output goes to files (a full pipe would
block the process); `until` polls a condition with a short interval, bounded by a deadline.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
DEADLINE = 30.0  # seconds: generous for a loaded 2-core CI machine; normally far less
NOW = "2026-11-30T06:00:00+00:00"  # Monday of 2026-W49, before the first run
_POLL = threading.Event()  # never set: wait(t) is the poll interval


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def until(check: Callable[[], T | None], what: str, deadline: float = DEADLINE) -> T:
    """Poll `check` until it returns something truthy; fail after `deadline` seconds."""
    end = time.monotonic() + deadline
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {deadline} s waiting for {what}")
        _POLL.wait(0.02)


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """A minimal environment: no user config, state or systemd variables leak in."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": str(ROOT),  # the checkout under test, whatever is installed
    }
    env.update(extra)
    return env


@dataclass
class Proc:
    """A calsync process with its output in files."""

    popen: subprocess.Popen[bytes]
    out: Path
    err: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def stderr(self) -> str:
        return self.err.read_text(encoding="utf-8", errors="replace")

    def stdout(self) -> str:
        return self.out.read_text(encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal(self, signum: signal.Signals) -> None:
        self.popen.send_signal(signum)

    def wait(self, timeout: float = DEADLINE) -> int:
        return self.popen.wait(timeout=timeout)

    def stop(self) -> int:
        """SIGTERM, a bounded wait, SIGKILL if it did not go."""
        if self.alive():
            self.popen.terminate()
        try:
            return self.popen.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            return self.popen.wait(timeout=10)

    def lines(self, needle: str) -> int:
        """How many stderr lines contain `needle`."""
        return sum(needle in line for line in self.stderr().splitlines())


def start(args: Sequence[str], env: Mapping[str, str], workdir: Path, name: str) -> Proc:
    """`python -m calsync ARGS` in the background."""
    out, err = workdir / f"{name}.out", workdir / f"{name}.err"
    with out.open("wb") as o, err.open("wb") as e:
        popen = subprocess.Popen(
            [sys.executable, "-m", "calsync", *args],
            stdout=o,
            stderr=e,
            stdin=subprocess.DEVNULL,
            env=dict(env),
            cwd=workdir,
        )
    return Proc(popen, out, err)


def run(
    args: Sequence[str], env: Mapping[str, str], workdir: Path
) -> subprocess.CompletedProcess[str]:
    """`python -m calsync ARGS` to completion (bounded)."""
    return subprocess.run(
        [sys.executable, "-m", "calsync", *args],
        capture_output=True,
        text=True,
        env=dict(env),
        cwd=workdir,
        timeout=120,
        check=False,
    )


def wait_listening(proc: Proc, port: int) -> None:
    """Until the process accepts connections on `port`; fail early if it exits."""

    def ready() -> bool:
        if not proc.alive():
            raise AssertionError(f"calsync exited with {proc.popen.returncode}: {proc.stderr()}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
            return True
        return False

    until(ready, f"calsync to listen on {HOST}:{port}")


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes


def fetch(url: str, method: str = "GET", headers: Mapping[str, str] | None = None) -> Response:
    """One HTTP request with urllib (errors are responses too). 127.0.0.1 only."""
    assert url.startswith(f"http://{HOST}:"), url
    request = urllib.request.Request(url, method=method, headers=dict(headers or {}))
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            return Response(
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as exc:
        body = exc.read()
        return Response(exc.code, {k.lower(): v for k, v in exc.headers.items()}, body)


def ensure_stopped(procs: list[Proc]) -> None:
    for proc in procs:
        with contextlib.suppress(Exception):
            proc.stop()
