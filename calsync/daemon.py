"""The long-running shell's parts: backoff, signals, sd_notify, the feed refresher.

- The sync loop over every account is `calsync.daemon_accounts` (`run_accounts`): each account
  syncs every `[daemon] interval_minutes` and polls every `poll_seconds`. A `TransientError`
  (server down, conflict, lock held) and unreadable calendar data are retried with
  `backoff_seconds` (exponential, jitter, capped at `max_backoff_minutes`). Config, auth and
  safety-stop errors (`is_fatal`: exit codes 78, 77, 3) do not fix themselves: with one
  account the daemon exits with their code, which the systemd units list in
  `RestartPreventExitStatus`; with several, that account waits for SIGHUP.
- SIGTERM/SIGINT set a stop flag: a sync in flight finishes its writes, then the process exits
  0. SIGHUP reloads the configuration (a bad new one is logged and the old one kept) and
  replans at once.
- `run_feed_loop` refreshes the feed (`calsync.app.feed.FeedPublisher`, the use case) on the
  same interval (used by `calsync serve` and by `calsync daemon --feed`).
- `Notifier` speaks the sd_notify protocol on `$NOTIFY_SOCKET` with a plain datagram socket:
  READY=1, STATUS=..., WATCHDOG=1 (when `$WATCHDOG_USEC` asks), STOPPING=1.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import random
import signal
import socket
import threading
import time
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from types import FrameType
from typing import Any

from calsync.app.feed import FeedPublisher
from calsync.config import Config
from calsync.errors import CalsyncError
from calsync.errors import ExitCode

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]

MIN_INTERVAL_SECONDS = 3.0  # the config allows 0.05 min; never spin faster than that
MIN_BACKOFF_BASE_SECONDS = 60.0  # first retry after a failure: min(interval, this)
# These do not fix themselves: exit so systemd's RestartPreventExitStatus stops the loop.
FATAL_EXIT_CODES = frozenset({ExitCode.USAGE, ExitCode.REFUSED, ExitCode.AUTH, ExitCode.CONFIG})


def real_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def fixed_clock(moment: dt.datetime) -> Clock:
    """A clock stuck at `moment` (the global --now)."""
    return lambda: moment


def interval_seconds(config: Config) -> float:
    return max(MIN_INTERVAL_SECONDS, config.daemon.interval_minutes * 60.0)


def backoff_seconds(
    failures: int, interval: float, cap: float, rand: Callable[[], float] = random.random
) -> float:
    """Delay before retry number `failures` (1..): base x 2^(n-1), capped, "equal jitter"
    (between half and all of it), so many clients do not retry in step."""
    base = max(MIN_INTERVAL_SECONDS, min(interval, MIN_BACKOFF_BASE_SECONDS))
    ceiling = max(cap, MIN_INTERVAL_SECONDS)
    delay = min(ceiling, base * 2.0 ** min(max(failures, 1) - 1, 32))
    return delay / 2.0 + rand() * delay / 2.0


def is_fatal(err: CalsyncError) -> bool:
    """Errors the daemon exits on: config, auth, a safety stop (a person must act)."""
    return err.exit_code in FATAL_EXIT_CODES


# --- sd_notify ------------------------------------------------------------------------------


class Notifier:
    """sd_notify over $NOTIFY_SOCKET (no dependency); silent when not run by systemd."""

    def __init__(self, env: Mapping[str, str]) -> None:
        address = env.get("NOTIFY_SOCKET", "")
        self._address: str | None = None
        if address.startswith("/"):
            self._address = address
        elif address.startswith("@"):
            self._address = "\0" + address[1:]  # abstract namespace
        self.watchdog_seconds: float | None = None
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        if usec.isdigit() and int(usec) > 0 and (not pid or pid == str(os.getpid())):
            self.watchdog_seconds = int(usec) / 1_000_000
        self._last_ping = 0.0

    @property
    def enabled(self) -> bool:
        return self._address is not None

    def send(self, *fields: str) -> None:
        if self._address is None:
            return
        message = "\n".join(fields).encode("utf-8")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.sendto(message, self._address)
        except OSError as exc:
            log.debug("sd_notify failed: %s", exc)

    def status(self, text: str) -> None:
        self.send(f"STATUS={text[:200]}")

    def ping(self, *, force: bool = False) -> None:
        """WATCHDOG=1, at most every half watchdog period (or when forced)."""
        if self.watchdog_seconds is None:
            return
        now = time.monotonic()
        if force or now - self._last_ping >= self.watchdog_seconds / 2:
            self._last_ping = now
            self.send("WATCHDOG=1")

    def wait(self, event: threading.Event, seconds: float) -> bool:
        """`event.wait(seconds)`, waking to ping the watchdog in time. True when set."""
        deadline = time.monotonic() + max(0.0, seconds)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return event.is_set()
            step = left if self.watchdog_seconds is None else min(left, self.watchdog_seconds / 3)
            if event.wait(step):
                return True
            self.ping()


# --- signals and the configuration ----------------------------------------------------------


class Controls:
    """What signal handlers touch: a stop flag, a reload flag, and wake-ups for the loops."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.reload = threading.Event()
        self.stop_signal: str | None = None
        self._wakes: list[threading.Event] = []

    def wake_event(self) -> threading.Event:
        event = threading.Event()
        self._wakes.append(event)
        if self.stop.is_set():
            event.set()
        return event

    def request_stop(self) -> None:
        self.stop.set()
        for event in self._wakes:
            event.set()

    def request_reload(self) -> None:
        self.reload.set()
        for event in self._wakes:
            event.set()


@contextlib.contextmanager
def signal_handlers(controls: Controls) -> Iterator[None]:
    """SIGTERM/SIGINT stop, SIGHUP reloads; the old handlers come back afterwards."""

    # Handlers only set flags (no logging: it takes locks); the loops log what they do.
    def stop(signum: int, frame: FrameType | None) -> None:
        controls.stop_signal = _name(signum)
        controls.request_stop()

    def reload(signum: int, frame: FrameType | None) -> None:
        controls.request_reload()

    wanted: dict[signal.Signals, Callable[[int, FrameType | None], None]] = {
        signal.SIGTERM: stop,
        signal.SIGINT: stop,
        signal.SIGHUP: reload,
    }
    old: dict[signal.Signals, Any] = {}
    for signum, handler in wanted.items():
        old[signum] = signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, handler in old.items():
            signal.signal(signum, handler)


def _name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return str(signum)


class ConfigHolder:
    """The configuration in use; `reload()` swaps it only when the new one is valid."""

    def __init__(self, initial: Config, load: Callable[[], Config]) -> None:
        self._lock = threading.Lock()
        self._config = initial
        self._load = load

    def current(self) -> Config:
        with self._lock:
            return self._config

    def reload(self) -> bool:
        try:
            config = self._load()
        except CalsyncError as err:
            log.error("keeping the previous configuration: %s", err.message)
            return False
        with self._lock:
            self._config = config
        log.info("configuration reloaded from %s", config.source)
        return True


# --- reporting a sync ----------------------------------------------------------------------

PAST = {
    "create": "created",
    "move": "moved",
    "update": "updated",
    "keep": "kept",
    "remove": "removed",
    "skip": "skipped",
}


def describe_report(report: object) -> str:
    """One short line from a SyncReport (`counts()`: "8 created, 2 kept"), without relying on
    its exact shape; never event descriptions."""
    counter = getattr(report, "counts", None)
    if callable(counter):
        counted = counter()
        if isinstance(counted, Mapping):
            parts = [f"{n} {PAST.get(str(k), str(k))}" for k, n in counted.items() if n]
            return ", ".join(parts) or "nothing to do"
    summary = getattr(report, "summary", None)
    if callable(summary):
        return str(summary())
    if isinstance(summary, str):
        return summary
    counts = []
    for name in ("created", "updated", "deleted", "skipped", "unchanged"):
        value = getattr(report, name, None)
        if value is None:
            continue
        number = value if isinstance(value, int) else len(value) if hasattr(value, "__len__") else 0
        counts.append(f"{number} {name}")
    return ", ".join(counts) if counts else str(report)[:200]


# --- the feed refresher ---------------------------------------------------------------------


def run_feed_loop(
    publisher: FeedPublisher,
    holder: ConfigHolder,
    controls: Controls,
    notifier: Notifier | None = None,
    *,
    wake: threading.Event | None = None,
    reload_config: bool = False,
) -> None:
    """Replan every interval until stopped; a failure keeps the old feed and backs off.

    With `reload_config` this loop also handles SIGHUP (when it is the main loop, in `serve`);
    otherwise it replans when woken (the daemon wakes it after its own reload).
    """
    wake = wake or controls.wake_event()
    waiter = notifier or Notifier({})
    failures = 0
    while not controls.stop.is_set():
        config = holder.current()
        delay = interval_seconds(config) if failures == 0 else _feed_backoff(failures, config)
        waiter.wait(wake, delay)
        wake.clear()
        if controls.stop.is_set():
            break
        if reload_config and controls.reload.is_set():
            controls.reload.clear()
            log.info("SIGHUP: reloading the configuration")
            holder.reload()
        try:
            publisher.refresh(holder.current())
            failures = 0
        except CalsyncError as err:
            failures += 1
            log.warning("feed not refreshed, serving the previous one: %s", err.message)
    log.info("stopping (%s)", controls.stop_signal or "stop requested")


def _feed_backoff(failures: int, config: Config) -> float:
    return backoff_seconds(
        failures, interval_seconds(config), config.daemon.max_backoff_minutes * 60
    )


def start_feed_thread(
    publisher: FeedPublisher, holder: ConfigHolder, controls: Controls, wake: threading.Event
) -> threading.Thread:
    """The refresher in a background thread (for `calsync daemon --feed`)."""
    thread = threading.Thread(
        target=run_feed_loop,
        args=(publisher, holder, controls),
        kwargs={"wake": wake},
        name="calsync-feed-refresh",
        daemon=True,
    )
    thread.start()
    return thread


__all__: Sequence[str] = (
    "ConfigHolder",
    "Controls",
    "Notifier",
    "backoff_seconds",
    "run_feed_loop",
    "signal_handlers",
)
