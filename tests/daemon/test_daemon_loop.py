"""The daemon loop without a server: backoff, fatal errors, stop, reload, sd_notify on a real
datagram socket. The sync itself is a plain function here; the real one runs in
test_daemon_process.py against Radicale. The loop is `calsync.daemon_accounts.run_accounts`
with one account (the behaviour of a one-account daemon); test_accounts_loop.py has more."""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import zoneinfo
from collections.abc import Callable

import pytest

from calsync import daemon
from calsync import daemon_accounts
from calsync.app.feed import feed_links
from calsync.config import Config
from calsync.config import load_config
from calsync.config import parse_config
from calsync.errors import AuthError
from calsync.errors import CalendarDataError
from calsync.errors import ConfigError
from calsync.errors import ExitCode
from calsync.errors import RemoteUnavailableError
from calsync.errors import SafetyStopError

UTC = zoneinfo.ZoneInfo("UTC")
NOW = dt.datetime(2026, 11, 30, 6, tzinfo=dt.UTC)


ACCOUNT = {"home": {"url": "http://127.0.0.1:1/", "runs": ["Training"]}}


def config(interval: float = 0.05, backoff: float = 0.1) -> Config:
    raw = {
        "daemon": {"interval_minutes": interval, "max_backoff_minutes": backoff},
        "accounts": ACCOUNT,
    }
    return parse_config(raw, "test", UTC)


Tick = Callable[[Config, dt.datetime], object]


def run_daemon(
    holder: daemon.ConfigHolder, tick: Tick, controls: daemon.Controls, notifier: daemon.Notifier
) -> ExitCode:
    """The daemon's loop over the one account, with `tick` as its sync (polls never come:
    the interval is shorter than any poll_seconds)."""

    def sync(current: Config, name: str, now: dt.datetime) -> object:
        return tick(current, now)

    def poll(current: Config, name: str) -> object:
        raise AssertionError("no poll expected")

    scheduler = daemon_accounts.Scheduler(sync, poll, lambda: NOW)
    wake = controls.wake_event()
    return daemon_accounts.run_accounts(
        holder, scheduler, controls, notifier, wake=wake, nudged=threading.Event()
    )


@pytest.mark.parametrize("failures", [1, 2, 3, 10, 100])
def test_backoff_doubles_with_jitter_and_stays_under_the_cap(failures):
    interval, cap = 900.0, 3600.0
    low = daemon.backoff_seconds(failures, interval, cap, rand=lambda: 0.0)
    high = daemon.backoff_seconds(failures, interval, cap, rand=lambda: 1.0)
    full = min(cap, 60.0 * 2 ** (failures - 1))
    assert (low, high) == (full / 2, full)


def test_backoff_never_spins_faster_than_the_minimum():
    assert daemon.backoff_seconds(1, 0.0, 0.0, rand=lambda: 0.0) >= daemon.MIN_INTERVAL_SECONDS / 2


@pytest.mark.parametrize(
    ("error", "fatal"),
    [
        (ConfigError("x", ["bad"]), True),
        (AuthError("refused"), True),
        (SafetyStopError("too many deletions"), True),
        (RemoteUnavailableError("down"), False),
        (CalendarDataError("garbage"), False),
    ],
)
def test_which_errors_stop_the_daemon(error, fatal):
    assert daemon.is_fatal(error) is fatal


class Ticks:
    """A stand-in sync: fails with the given errors, then succeeds; stops after `stop_after`."""

    def __init__(self, controls: daemon.Controls, errors: list[Exception], stop_after: int) -> None:
        self.controls = controls
        self.errors = list(errors)
        self.stop_after = stop_after
        self.calls = 0

    def __call__(self, config: Config, now: dt.datetime) -> object:
        self.calls += 1
        if self.calls >= self.stop_after:
            self.controls.request_stop()
        if self.errors:
            self.controls.request_reload()  # skip the backoff wait: keeps the test fast
            raise self.errors.pop(0)
        return "2 created, 0 updated, 0 deleted"


def test_transient_failures_are_retried_then_the_loop_stops_cleanly(caplog):
    controls = daemon.Controls()
    ticks = Ticks(controls, [RemoteUnavailableError("server down")], stop_after=2)
    holder = daemon.ConfigHolder(config(), lambda: config())
    with caplog.at_level("INFO", logger="calsync"):
        code = run_daemon(holder, ticks, controls, daemon.Notifier({}))
    assert code == ExitCode.OK
    assert ticks.calls == 2
    assert "retrying in" in caplog.text
    assert "sync recovered after 1 failed attempt" in caplog.text


def test_a_fatal_error_propagates_for_its_exit_code():
    controls = daemon.Controls()
    ticks = Ticks(controls, [AuthError("credentials refused")], stop_after=99)
    holder = daemon.ConfigHolder(config(), lambda: config())
    with pytest.raises(AuthError):
        run_daemon(holder, ticks, controls, daemon.Notifier({}))
    assert ticks.calls == 1


def test_reload_with_a_broken_config_keeps_the_old_one(tmp_path, caplog):
    path = tmp_path / "config.toml"
    path.write_text("[daemon]\ninterval_minutes = 0.05\n")
    holder = daemon.ConfigHolder(load_config(path, UTC), lambda: load_config(path, UTC))
    path.write_text("[daemon]\ninterval_minutes = 'often'\n")
    assert not holder.reload()
    assert holder.current().daemon.interval_minutes == 0.05
    assert "keeping the previous configuration" in caplog.text
    path.write_text("[daemon]\ninterval_minutes = 2\n")
    assert holder.reload()
    assert holder.current().daemon.interval_minutes == 2


def test_sighup_reloads_between_syncs_and_sigterm_stops(tmp_path):
    controls = daemon.Controls()
    seen: list[float] = []
    path = tmp_path / "config.toml"
    account = '[accounts.home]\nurl = "http://127.0.0.1:1/"\nruns = ["Training"]\n'
    path.write_text("[daemon]\ninterval_minutes = 60\n" + account)
    holder = daemon.ConfigHolder(load_config(path, UTC), lambda: load_config(path, UTC))

    def tick(current: Config, now: dt.datetime) -> object:
        seen.append(current.daemon.interval_minutes)
        if len(seen) == 1:
            path.write_text("[daemon]\ninterval_minutes = 30\n" + account)
            controls.request_reload()  # what SIGHUP does; the 60-minute wait is skipped
        else:
            controls.request_stop()  # what SIGTERM does
        return "ok"

    with daemon.signal_handlers(controls):
        code = run_daemon(holder, tick, controls, daemon.Notifier({}))
    assert code == ExitCode.OK
    assert seen == [60, 30]


def test_sd_notify_messages_reach_the_socket(tmp_path):
    address = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(address)
        sock.settimeout(5)
        env = {
            "NOTIFY_SOCKET": address,
            "WATCHDOG_USEC": "60000000",
            "WATCHDOG_PID": str(os.getpid()),
        }
        notifier = daemon.Notifier(env)
        assert notifier.watchdog_seconds == 60
        controls = daemon.Controls()
        ticks = Ticks(controls, [], stop_after=1)
        holder = daemon.ConfigHolder(config(), lambda: config())
        run_daemon(holder, ticks, controls, notifier)
        messages = []
        sock.settimeout(0.5)
        try:
            while True:
                messages.append(sock.recv(4096).decode())
        except TimeoutError:
            pass
    text = "\n".join(messages)
    assert "READY=1" in text
    assert "WATCHDOG=1" in text
    assert "STATUS=last sync ok: 2 created" in text
    assert "STOPPING=1" in text


def test_notifier_is_silent_without_systemd():
    notifier = daemon.Notifier({})
    assert not notifier.enabled
    notifier.send("READY=1")  # no socket: nothing happens, nothing raised
    assert notifier.wait(threading.Event(), 0) is False


def test_feed_links_use_public_url_and_stay_short():
    token = "A" * 22
    plain = parse_config({}, "t", UTC)
    links, page = feed_links(plain, token, "127.0.0.1", 8765)
    assert links.feed == f"http://127.0.0.1:8765/feed/{token}.ics"
    assert links.webcal == f"webcal://127.0.0.1:8765/feed/{token}.ics"
    assert page == f"http://127.0.0.1:8765/week/{token}"
    public = parse_config({"feed": {"public_url": "https://cal.example.org/"}}, "t", UTC)
    links, _ = feed_links(public, token, "127.0.0.1", 8765)
    assert links.webcal == f"webcal://cal.example.org/feed/{token}.ics"
    assert len(links.webcal) <= 256


class Report:
    def counts(self) -> dict[str, int]:
        return {"create": 8, "move": 1, "keep": 0, "remove": 0}


def test_a_sync_report_is_described_in_one_short_line():
    assert daemon.describe_report(Report()) == "8 created, 1 moved"
    assert daemon.describe_report("3 created") == "3 created"


class Reported:
    """A sync report with warnings, as `sync_once` returns it."""

    def __init__(self, warnings: list[str]) -> None:
        self.warnings = warnings


def test_a_syncs_warnings_are_logged_once_while_they_last(caplog):
    controls = daemon.Controls()
    rounds = [["skipped event A"], ["skipped event A"], ["skipped event A", "state set aside"]]
    rounds += [[], ["skipped event A"]]
    calls = []

    def tick(config: Config, now: dt.datetime) -> object:
        calls.append(now)
        if len(calls) == len(rounds):
            controls.request_stop()
        else:
            controls.request_reload()  # skip the interval's wait: keeps the test fast
        return Reported(rounds[len(calls) - 1])

    holder = daemon.ConfigHolder(config(), lambda: config())
    with caplog.at_level("WARNING", logger="calsync"):
        code = run_daemon(holder, tick, controls, daemon.Notifier({}))
    assert code == ExitCode.OK and len(calls) == len(rounds)
    logged = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    # A once while it lasted, the new one when it came, A again after it had gone away.
    assert logged == ["skipped event A", "state set aside", "skipped event A"]
