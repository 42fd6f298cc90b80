"""The per-account scheduler of `calsync daemon` (calsync.daemon_accounts), without a server.

The sync and poll steps are plain functions that record calls; the clock is a counter the
test moves. The same loop runs against real servers in test_multi_account.py.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import zoneinfo
from pathlib import Path

import pytest

from calsync.app.poll import PollResult
from calsync.config import Config
from calsync.config import load_config
from calsync.daemon_accounts import SLOW_POLL_SECONDS
from calsync.daemon_accounts import Scheduler
from calsync.errors import AuthError
from calsync.errors import RemoteUnavailableError

NOW = dt.datetime(2026, 11, 30, 6, tzinfo=dt.UTC)
NEVER = threading.Event()

CONFIG = """\
[daemon]
interval_minutes = 10
poll_seconds = 30
"""


def config_with(tmp_path: Path, *names: str) -> Config:
    text = CONFIG + "".join(
        f'\n[accounts.{n}]\nurl = "http://127.0.0.1:1/"\nruns = ["R"]\n' for n in names
    )
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, zoneinfo.ZoneInfo("UTC"), env={})


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class World:
    """Sync and poll steps that record what ran and fail on demand."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.synced: list[str] = []
        self.polled: list[str] = []
        self.fail: dict[str, Exception] = {}
        self.changed: set[str] = set()
        self.poll_takes = 0.1

    def sync(self, config: Config, name: str, now: dt.datetime) -> object:
        if name in self.fail:
            raise self.fail[name]
        self.synced.append(name)
        return "ok"

    def poll(self, config: Config, name: str) -> PollResult:
        self.polled.append(name)
        self.clock.t += self.poll_takes
        return PollResult(name in self.changed, "test")

    def scheduler(self, *, only: str | None = None) -> Scheduler:
        return Scheduler(self.sync, self.poll, lambda: NOW, only=only, monotonic=self.clock)


def test_a_fatal_error_parks_that_account_only_until_a_reload(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    world = World()
    config = config_with(tmp_path, "home", "bad")
    sched = world.scheduler()
    sched.refresh(config)
    world.fail["bad"] = AuthError("credentials refused")
    sched.step(config, NEVER)
    assert world.synced == ["home"]
    assert "new in the configuration" not in caplog.text, "not at start"
    assert sched.slots["bad"].parked == "credentials refused"
    assert "account 'bad': stopped until the configuration is reloaded" in caplog.text
    world.clock.t += 600
    sched.step(config, NEVER)
    assert world.synced == ["home", "home"], "home goes on; bad waits for SIGHUP"
    del world.fail["bad"]
    sched.refresh(config)  # SIGHUP: every account syncs at once, bad too
    sched.step(config, NEVER)
    assert world.synced[-2:] == ["bad", "home"]


def test_with_one_account_a_fatal_error_still_ends_the_daemon(tmp_path):
    world = World()
    config = config_with(tmp_path, "home")
    sched = world.scheduler()
    sched.refresh(config)
    assert sched.single
    world.fail["home"] = AuthError("credentials refused")
    with pytest.raises(AuthError):
        sched.step(config, NEVER)


def test_a_temporary_failure_backs_off_for_that_account_alone(tmp_path, caplog):
    world = World()
    config = config_with(tmp_path, "home", "down")
    sched = world.scheduler()
    sched.refresh(config)
    world.fail["down"] = RemoteUnavailableError("server down")
    sched.step(config, NEVER)
    slot = sched.slots["down"]
    assert slot.failures == 1
    assert world.clock.t + 1 < slot.next_sync <= world.clock.t + 60
    assert "account 'down': sync failed (temporary), attempt 1" in caplog.text
    del world.fail["down"]
    world.clock.t = slot.next_sync
    sched.step(config, NEVER)
    assert world.synced == ["home", "down"]
    assert sched.slots["down"].failures == 0


def test_polls_between_syncs_and_syncs_only_on_a_change(tmp_path):
    world = World()
    config = config_with(tmp_path, "a", "b")
    sched = world.scheduler()
    sched.refresh(config)
    sched.step(config, NEVER)
    assert world.synced == ["a", "b"]
    world.clock.t += 30
    sched.step(config, NEVER)
    assert world.polled == ["a", "b"]
    assert world.synced == ["a", "b"], "no change: no sync"
    world.changed.add("b")
    world.clock.t += 30
    sched.step(config, NEVER)
    assert world.synced == ["a", "b", "b"]
    world.clock.t += 600  # the interval: a full sync whatever the poll says
    sched.step(config, NEVER)
    assert world.synced[-2:] == ["a", "b"]


def test_a_slow_server_is_polled_less_often_and_a_nudge_polls_now(tmp_path):
    world = World()
    config = config_with(tmp_path, "a")
    sched = world.scheduler()
    sched.refresh(config)
    sched.step(config, NEVER)
    world.poll_takes = SLOW_POLL_SECONDS + 1
    for expected in (60, 120, 240, 480, 600, 600):
        world.clock.t = sched.slots["a"].next_poll
        sched.step(config, NEVER)
        assert sched.slots["a"].poll_every == expected
        sched.slots["a"].next_sync = float("inf")  # keep the full sync out of the way
    world.poll_takes = 0.1
    sched.nudge()
    polled = len(world.polled)
    sched.step(config, NEVER)
    assert len(world.polled) == polled + 1
    assert sched.slots["a"].poll_every == 300, "a fast answer halves it back"


def test_a_reload_adds_and_removes_accounts(tmp_path):
    world = World()
    sched = world.scheduler()
    sched.refresh(config_with(tmp_path, "a", "b"))
    config = config_with(tmp_path, "b", "c")
    sched.refresh(config)
    assert sorted(sched.slots) == ["b", "c"]
    sched.step(config, NEVER)
    assert world.synced == ["b", "c"]


def test_only_one_account_with_account_option(tmp_path):
    world = World()
    config = config_with(tmp_path, "a", "b")
    sched = world.scheduler(only="b")
    sched.refresh(config)
    sched.step(config, NEVER)
    assert world.synced == ["b"]


def test_nudge_never_signals_a_stranger_behind_a_stale_pid_file(tmp_path):
    """SIGUSR1 ends most programs: a pid file whose pid now belongs to another program (here
    `sleep`) is skipped, not signalled."""
    import subprocess

    from calsync.daemon_accounts import nudge_daemons

    stranger = subprocess.Popen(["sleep", "30"])
    try:
        (tmp_path / "daemon.pid").write_text(f"{stranger.pid}\n")
        (tmp_path / "daemon-home.pid").write_text("not a pid\n")
        assert nudge_daemons(tmp_path) == []
        assert stranger.poll() is None, "the stranger was signalled"
    finally:
        stranger.kill()
        stranger.wait(timeout=10)
