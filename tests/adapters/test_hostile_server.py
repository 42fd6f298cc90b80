"""A hostile or broken server cannot eat memory, hang the run, or pass a cut answer as a calendar.

Each test runs `calsync` as a subprocess against a real bad HTTP server on 127.0.0.1
(tests/hostile_server.py): for `sync` it sits in front of a real Radicale and forwards
everything but the REPORT it spoils, so calsync meets the bad answer where a real broken
server would give it. Small configured caps and deadlines keep the tests fast.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from calsync.adapters.caldav_store import CaldavStore
from calsync.adapters.caldav_store import CalendarRef
from calsync.adapters.credentials import Credentials
from calsync.adapters.http_source import fetch_feed
from calsync.config import Account
from calsync.errors import ExitCode
from calsync.errors import RemoteUnavailableError
from tests.hostile_server import HostileServer
from tests.servers import DavServer
from tests.sync.conftest import CANONICAL
from tests.sync.conftest import ics

NOW = "2026-11-30T06:00"
PASSWORD_ENV = "CALSYNC_TEST_PW"
RUN_TIMEOUT = 60  # a subprocess that runs longer than this is a hang: the test fails
# Runs `argv`, then prints the peak RSS (KiB) of that child alone: ru_maxrss of this wrapper's
# children, in a fresh process, so no other test's subprocess counts.
_PEAK = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "print('peak-rss-kib', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,"
    " file=sys.stderr)\n"
    "sys.exit(code)\n"
)


class Run:
    def __init__(self, done: subprocess.CompletedProcess[str]) -> None:
        self.code = done.returncode
        lines = done.stderr.splitlines()
        peak = [line for line in lines if line.startswith("peak-rss-kib ")]
        self.peak_mib = int(peak[-1].split()[1]) / 1024 if peak else 0.0
        self.stderr = "\n".join(line for line in lines if not line.startswith("peak-rss-kib "))
        self.stdout = done.stdout


def calsync(tmp: Path, *args: str) -> Run:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp),
        "XDG_CONFIG_HOME": str(tmp / "no-config"),
        "XDG_STATE_HOME": str(tmp / "state"),
        PASSWORD_ENV: "anything",
    }
    if "PYTHONPATH" in os.environ:  # e.g. to check these tests against an older calsync
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    argv = [sys.executable, "-c", _PEAK, sys.executable, "-m", "calsync", *args]
    done = subprocess.run(
        argv, capture_output=True, text=True, env=env, timeout=RUN_TIMEOUT, check=False
    )
    return Run(done)


def assert_clear(run: Run, *words: str) -> None:
    """Exit 69, one message that names the server, no Python traceback."""
    assert run.code == ExitCode.UNAVAILABLE, run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    assert re.search(r"[A-Z]\w*Error\b", run.stderr) is None, run.stderr  # no Python names
    assert len(run.stderr.splitlines()) <= 2, run.stderr  # the message and its hint
    for word in words:
        assert word in run.stderr, run.stderr


# -- CalDAV: a real Radicale behind a server that spoils its REPORT answers ---------------------


@pytest.fixture
def runs_path(radicale_url: str) -> Iterator[str]:
    """A runs calendar with the canonical week on the shared Radicale: its path."""
    server = DavServer("radicale", radicale_url, "user", "")
    tag = uuid.uuid4().hex[:8]
    url = server.new_calendar(f"Training {tag}")
    account = Account(name="setup", url=radicale_url, username="user")
    with CaldavStore(account, Credentials(username="user", password="")) as store:
        runs = CalendarRef("runs", url)
        for name, (start, minutes, title) in CANONICAL.items():
            store.create(runs, f"{name}-{tag}", ics(f"{name}-{tag}", start, minutes, title))
    yield "/" + url.split("/", 3)[3]
    server.close()


def sync_config(tmp: Path, proxy: HostileServer, runs_path: str, **limits: float) -> Path:
    extra = "".join(f"{k} = {v}\n" for k, v in limits.items())
    path = tmp / "config.toml"
    path.write_text(
        'timezone = "Europe/London"\n[plan]\nweeks = 1\n'
        f'[accounts.home]\nurl = "{proxy.url}"\nusername = "user"\n'
        f'password_env = "{PASSWORD_ENV}"\nruns = ["{proxy.url.rstrip("/")}{runs_path}"]\n'
        f'target = "Strength {uuid.uuid4().hex[:8]}"\ntimeout_seconds = 20\n{extra}'
        f'[sync]\nstate_dir = "{tmp / "state"}"\n'
    )
    return path


def hostile(mode: str, upstream: str, **kw: float) -> HostileServer:
    return HostileServer(mode, upstream=upstream, **kw)  # type: ignore[arg-type]


@pytest.mark.server
def test_an_endless_report_stops_at_the_cap_with_bounded_memory(
    radicale_url: str, runs_path: str, tmp_path: Path
) -> None:
    # The body would go on for 768 MiB; before the cap calsync held all of it.
    with hostile("endless", radicale_url, max_bytes=768 << 20, max_seconds=20) as proxy:
        config = sync_config(tmp_path, proxy, runs_path, max_response_mib=2)
        run = calsync(tmp_path, "-c", str(config), "--now", NOW, "sync")
        assert proxy.hostile_answers >= 1, run.stderr
    assert_clear(run, f"the server at {proxy.url}", "more than 2 MiB")
    assert "reading changes of" in run.stderr
    assert 0 < run.peak_mib < 250, f"peak RSS {run.peak_mib:.0f} MiB"


@pytest.mark.server
@pytest.mark.parametrize("mode", ["drip", "drip_headers"])
def test_a_dripping_report_meets_the_request_deadline(
    radicale_url: str, runs_path: str, tmp_path: Path, mode: str
) -> None:
    with hostile(mode, radicale_url, drip_seconds=1.0, max_seconds=40) as proxy:
        config = sync_config(tmp_path, proxy, runs_path, request_deadline_seconds=2)
        run = calsync(tmp_path, "-c", str(config), "--now", NOW, "sync")
    assert_clear(run, f"the server at {proxy.url}", "no complete answer within 2 s")


@pytest.mark.server
def test_a_slow_server_meets_the_sync_deadline(
    radicale_url: str, runs_path: str, tmp_path: Path
) -> None:
    with hostile("drip", radicale_url, drip_seconds=1.0, max_seconds=40) as proxy:
        config = sync_config(tmp_path, proxy, runs_path, sync_deadline_minutes=0.05)
        run = calsync(tmp_path, "-c", str(config), "--now", NOW, "sync")
    assert_clear(run, f"the server at {proxy.url}", "stopped after 3 s", "sync_deadline_minutes")


@pytest.mark.server
@pytest.mark.parametrize("mode", ["short", "cut_chunked"])
def test_a_report_cut_short_is_an_error(
    radicale_url: str, runs_path: str, tmp_path: Path, mode: str
) -> None:
    with hostile(mode, radicale_url) as proxy:
        config = sync_config(tmp_path, proxy, runs_path)
        run = calsync(tmp_path, "-c", str(config), "--now", NOW, "sync")
    assert_clear(run, f"the server at {proxy.url}", "closed the connection before")


@pytest.mark.server
def test_a_report_that_ends_cleanly_in_the_middle_is_an_error(
    radicale_url: str, runs_path: str, tmp_path: Path
) -> None:
    with hostile("unfinished", radicale_url) as proxy:
        config = sync_config(tmp_path, proxy, runs_path)
        run = calsync(tmp_path, "-c", str(config), "--now", NOW, "sync")
    assert_clear(run, f"the server at {proxy.url}", "not valid WebDAV XML")


# -- ICS feeds: `calsync plan URL` ----------------------------------------------------------------


def feed_url(server: HostileServer) -> str:
    return f"{server.url}private-5f3c9a1b2e/basic.ics"


def test_an_endless_feed_stops_at_the_default_cap(tmp_path: Path) -> None:
    with HostileServer("endless", max_bytes=1 << 30, max_seconds=20) as server:
        run = calsync(tmp_path, "--now", NOW, "plan", feed_url(server))
    assert_clear(run, f"reading the feed http://127.0.0.1:{server.port}/…", "more than 64 MiB")
    assert "private-5f3c9a1b2e" not in run.stderr
    assert 0 < run.peak_mib < 400, f"peak RSS {run.peak_mib:.0f} MiB"


@pytest.mark.parametrize("mode", ["short", "cut_chunked", "unfinished"])
def test_a_feed_cut_short_is_an_error_not_an_empty_plan(tmp_path: Path, mode: str) -> None:
    with HostileServer(mode) as server:
        run = calsync(tmp_path, "--now", NOW, "plan", feed_url(server))
    assert_clear(run, f"reading the feed http://127.0.0.1:{server.port}/…", "before the feed")
    assert run.stdout == ""  # no plan from half a feed


@pytest.mark.parametrize("mode", ["drip", "drip_headers"])
def test_a_dripping_feed_meets_its_deadline(mode: str) -> None:
    server = HostileServer(mode, drip_seconds=1.0, max_seconds=40)
    with server, pytest.raises(RemoteUnavailableError) as info:
        fetch_feed(feed_url(server), timeout=20, deadline_seconds=2)
    assert info.value.exit_code == ExitCode.UNAVAILABLE
    assert "no complete answer within 2 s" in info.value.message
    assert f"127.0.0.1:{server.port}" in info.value.message


def test_a_gzip_bomb_stops_at_the_cap() -> None:
    import gzip

    from tests.hostile_server import serve_once

    bomb = gzip.compress(b"BEGIN:VCALENDAR\r\n" + b"X" * (40 << 20), compresslevel=9)
    with (
        serve_once(bomb, {"Content-Encoding": "gzip"}) as url,
        pytest.raises(RemoteUnavailableError) as info,
    ):
        fetch_feed(url, max_bytes=8 << 20)
    assert "more than 8 MiB" in info.value.message


@pytest.mark.parametrize(
    ("key", "value"),
    [("max_response_mib", 0), ("request_deadline_seconds", 0.5), ("sync_deadline_minutes", 0)],
)
def test_a_limit_out_of_range_is_a_config_error(key: str, value: float) -> None:
    import zoneinfo

    from calsync.config import parse_config
    from calsync.errors import ConfigError

    raw = {"accounts": {"home": {"url": "http://127.0.0.1:1/", key: value}}}
    with pytest.raises(ConfigError) as info:
        parse_config(raw, "t.toml", zoneinfo.ZoneInfo("UTC"))
    assert f"[accounts.home] {key} = {value}: expected a" in info.value.message


def test_a_gzip_bomb_from_a_caldav_server_stops_at_the_cap() -> None:
    """The cap counts bytes after Content-Encoding is undone: 40 KiB on the wire, 40 MiB out."""
    import gzip

    from tests.hostile_server import serve_once

    bomb = gzip.compress(b"BEGIN:VCALENDAR\r\n" + b"X" * (40 << 20), compresslevel=9)
    with serve_once(bomb, {"Content-Encoding": "gzip"}) as url:
        account = Account(name="home", url=url, max_response_mib=8)
        with (
            CaldavStore(account, Credentials()) as store,
            pytest.raises(RemoteUnavailableError) as info,
        ):
            store.get(url)
    assert "more than 8 MiB" in info.value.message
    assert "the server at http://127.0.0.1:" in info.value.message
