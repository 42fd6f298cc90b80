"""`calsync daemon` as a real process against the test Radicale on 127.0.0.1.

The Radicale checks passwords, and the daemon gets its password only as a systemd credential
file in $CREDENTIALS_DIRECTORY (what `LoadCredential=` provides): every sync that works proves
the credential was read, and the password must never show up in the output.

Waits count the daemon's own log lines ("sync started", "sync done") instead of timing it: a
sync that started after a change must see that change, which is what "within one interval"
means. Every wait is bounded.
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import socket
import uuid
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import icalendar
import pytest

from calsync.adapters.caldav_store import CaldavStore
from calsync.adapters.caldav_store import CalendarRef
from calsync.adapters.credentials import Credentials
from calsync.config import Account
from tests.feed import procs
from tests.servers import AuthServer

pytestmark = pytest.mark.server

LONDON = zoneinfo.ZoneInfo("Europe/London")
WINDOW = (dt.datetime(2026, 11, 29, tzinfo=LONDON), dt.datetime(2026, 12, 29, tzinfo=LONDON))

# The canonical week, every week from 2026-W49: Mon easy, Tue intervals, Thu easy, Sat long.
RUNS = {
    "mon-easy": ("20261130T070000", "20261130T074500", "MO", "Easy run 8 km"),
    "tue-intervals": ("20261201T183000", "20261201T193000", "TU", "Intervals: 6 x 800m"),
    "thu-easy": ("20261203T070000", "20261203T075000", "TH", "Easy run + strides"),
    "sat-long": ("20261205T080000", "20261205T100000", "SA", "Long run 24 km"),
}

CONFIG = """\
timezone = "Europe/London"

[plan]
weeks = 4

[sync]
state_dir = "{state}"

[daemon]
interval_minutes = 0.05
max_backoff_minutes = 0.1

[accounts.home]
url = "{url}"
username = "{user}"
runs = ["{runs}"]
target = "{target}"
timeout_seconds = 20
"""


def run_ics(uid: str, start: str, end: str, day: str, summary: str) -> bytes:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//calsync tests//EN",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20261101T120000Z",
        f"DTSTART;TZID=Europe/London:{start}",
        f"DTEND;TZID=Europe/London:{end}",
        f"RRULE:FREQ=WEEKLY;BYDAY={day}",
        f"SUMMARY:{summary}",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    return "\r\n".join(lines).encode()


@dataclass
class Setup:
    workdir: Path
    config: Path
    env: dict[str, str]
    store: CaldavStore
    runs: CalendarRef
    target: str
    password: str
    store_account: Account
    credentials: Credentials

    def blocks(self) -> dict[str, dt.datetime]:
        """The strength blocks in the target calendar: UID -> local start."""
        # A fresh store: a store caches the calendar list, and the daemon creates the target.
        with CaldavStore(self.store_account, self.credentials) as store:
            cal = store.find(self.target)
            objects = store.fetch_range(cal, *WINDOW)
        out: dict[str, dt.datetime] = {}
        for obj in objects:
            for event in icalendar.Calendar.from_ical(obj.data).walk("VEVENT"):
                assert str(event["UID"]) not in out, "a duplicate UID in the target calendar"
                out[str(event["UID"])] = event.decoded("DTSTART").astimezone(LONDON)
        return out

    def move_thursday_run(self, start: str, end: str) -> None:
        (obj,) = [o for o in self.store.fetch_range(self.runs, *WINDOW) if b"thu-easy" in o.data]
        fresh = self.store.get(obj.href)
        assert fresh is not None
        self.store.update(fresh, run_ics("thu-easy", start, end, "TH", "Easy run + strides"))

    def daemon(self, name: str, *extra: str, env: dict[str, str] | None = None) -> procs.Proc:
        args = ["--config", str(self.config), *extra, "--now", procs.NOW, "daemon"]
        return procs.start(args, env or self.env, self.workdir, name)


@pytest.fixture
def setup(radicale_auth: AuthServer, tmp_path: Path) -> Iterator[Setup]:
    tag = uuid.uuid4().hex[:8]
    runs_name, target = f"runs-{tag}", f"strength-{tag}"
    user, password, url = radicale_auth.username, radicale_auth.password, radicale_auth.url
    account = Account(name="home", url=url, username=user, timeout_seconds=20)
    credentials = Credentials(username=user, password=password)
    store = CaldavStore(account, credentials)
    runs = store.ensure(runs_name)
    for uid, (start, end, day, summary) in RUNS.items():
        store.create(runs, uid, run_ics(uid, start, end, day, summary))
    config = tmp_path / "config.toml"
    config.write_text(
        CONFIG.format(state=tmp_path / "state", url=url, user=user, runs=runs_name, target=target),
        encoding="utf-8",
    )
    creds = tmp_path / "credentials"
    creds.mkdir()
    (creds / "home").write_text(password + "\n", encoding="utf-8")
    env = procs.clean_env(tmp_path / "home", CREDENTIALS_DIRECTORY=str(creds))
    yield Setup(tmp_path, config, env, store, runs, target, password, account, credentials)
    store.close()


def done_syncs(proc: procs.Proc) -> int:
    if not proc.alive():
        raise AssertionError(f"the daemon exited ({proc.popen.returncode}): {proc.stderr()}")
    return proc.lines("sync done")


def wait_syncs(proc: procs.Proc, count: int) -> None:
    procs.until(lambda: done_syncs(proc) >= count, f"{count} finished syncs")


def by_day(blocks: dict[str, dt.datetime]) -> list[str]:
    return sorted(start.strftime("%a %d %b") for start in blocks.values())


def test_a_moved_run_moves_its_block_in_the_next_sync(setup: Setup):
    proc = setup.daemon("daemon")
    try:
        wait_syncs(proc, 1)
        first = setup.blocks()
        assert len(first) == 8
        assert {s.strftime("%a") for s in first.values()} == {"Mon", "Thu"}
        thursdays = {uid for uid, s in first.items() if s.strftime("%a") == "Thu"}
        assert all(first[uid].hour < 12 for uid in thursdays)

        started = proc.lines("sync started")
        setup.move_thursday_run("20261203T170000", "20261203T175000")
        # The first sync that starts after the change must move the blocks.
        wait_syncs(proc, started + 1)
        after = setup.blocks()
        assert set(after) == set(first), "blocks are moved in place, not duplicated"
        assert all(after[uid].hour >= 17 for uid in thursdays)
        assert all(after[uid] == first[uid] for uid in set(first) - thursdays)
    finally:
        code = proc.stop()
    assert code == 0, proc.stderr()
    assert setup.password not in proc.stderr() + proc.stdout()


def test_sigterm_during_a_sync_leaves_a_consistent_calendar(setup: Setup):
    proc = setup.daemon("daemon")
    try:
        procs.until(lambda: proc.lines("sync started") >= 1, "the first sync to start")
        proc.signal(signal.SIGTERM)  # 8 blocks to create: the sync is under way
        code = proc.wait()
    finally:
        proc.stop()
    log = proc.stderr()
    assert code == 0, log
    assert "Traceback" not in log
    assert proc.lines("sync done") == 1, "the sync in flight was finished, not cut short"
    blocks = setup.blocks()
    assert len(blocks) == 8
    assert len(set(by_day(blocks))) == 8
    assert {s.strftime("%a") for s in blocks.values()} == {"Mon", "Thu"}

    # A new daemon finds nothing to fix: the same blocks, none added or removed.
    again = setup.daemon("daemon-again")
    try:
        wait_syncs(again, 1)
    finally:
        assert again.stop() == 0, again.stderr()
    assert setup.blocks() == blocks


def test_sighup_with_a_broken_config_keeps_running_json_logs_and_sd_notify(setup: Setup):
    address = setup.workdir / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(address))
        sock.settimeout(procs.DEADLINE)
        env = {**setup.env, "NOTIFY_SOCKET": str(address)}
        proc = setup.daemon("daemon", "--log-format", "json", env=env)
        try:
            assert "READY=1" in sock.recv(4096).decode()
            wait_syncs(proc, 1)
            good = setup.config.read_text(encoding="utf-8")
            broken = good.replace("interval_minutes = 0.05", "interval_minutes = 'often'")
            assert broken != good
            setup.config.write_text(broken, encoding="utf-8")
            proc.signal(signal.SIGHUP)
            procs.until(lambda: proc.lines("keeping the previous configuration") >= 1, "the reload")
            count = done_syncs(proc)
            wait_syncs(proc, count + 1)  # still syncing, with the old configuration
            assert proc.alive()
        finally:
            code = proc.stop()
        messages = []
        sock.settimeout(0.2)
        try:
            while True:
                messages.append(sock.recv(4096).decode())
        except TimeoutError:
            pass
    assert code == 0, proc.stderr()
    assert any("STATUS=last sync ok" in m for m in messages)
    assert any("STOPPING=1" in m for m in messages)
    lines = [json.loads(line) for line in proc.stderr().splitlines() if line.strip()]
    assert lines, "no log lines"
    assert all({"level", "logger", "msg"} <= set(line) for line in lines)
    reload_line = next(line for line in lines if "keeping the previous" in line["msg"])
    assert reload_line["level"] == "error"
    assert "interval_minutes" in reload_line["msg"]
    assert setup.password not in proc.stderr()


def test_an_unreachable_server_is_retried_and_sigterm_ends_the_wait(tmp_path: Path):
    """Nothing listens on the account's port: the daemon logs a retry and keeps running; a
    SIGTERM during the backoff wait ends it at once with 0."""
    config = tmp_path / "config.toml"
    url = f"http://127.0.0.1:{procs.free_port()}/"
    text = CONFIG.format(state=tmp_path / "state", url=url, user="u", runs="runs", target="t")
    config.write_text(text, encoding="utf-8")
    env = procs.clean_env(tmp_path / "home")
    args = ["--config", str(config), "--now", procs.NOW, "daemon"]
    proc = procs.start(args, env, tmp_path, "daemon")
    try:
        procs.until(lambda: proc.lines("retrying in") >= 1 or not proc.alive(), "a retry")
        assert proc.alive(), proc.stderr()
        assert proc.lines("sync failed (temporary), attempt 1") == 1, proc.stderr()
        proc.signal(signal.SIGTERM)
        code = proc.wait()
    finally:
        proc.stop()
    assert code == 0, proc.stderr()
    assert "Traceback" not in proc.stderr()


def test_daemon_with_feed_serves_the_same_plan(setup: Setup):
    port = procs.free_port()
    with setup.config.open("a", encoding="utf-8") as f:
        f.write(f"\n[feed]\nport = {port}\n")
    args = ["--config", str(setup.config), "--now", procs.NOW, "daemon", "--feed"]
    proc = procs.start(args, setup.env, setup.workdir, "daemon-feed")
    try:
        procs.wait_listening(proc, port)
        wait_syncs(proc, 1)
        done = procs.run(["--config", str(setup.config), "feed-url"], setup.env, setup.workdir)
        assert done.returncode == 0, done.stderr
        feed = next(
            line.split()[1] for line in done.stdout.splitlines() if line.startswith("feed:")
        )
        response = procs.fetch(feed)
        assert response.status == 200
        calendar = icalendar.Calendar.from_ical(response.body)
        feed_days = sorted(e.decoded("DTSTART").astimezone(LONDON) for e in calendar.walk("VEVENT"))
        assert sorted(setup.blocks().values()) == feed_days
    finally:
        code = proc.stop()
    assert code == 0, proc.stderr()
    assert setup.password not in proc.stderr()
