"""The daemon's loop over every account: each with its own schedule, backoff and state.

Every account has two clocks. A full `sync_once` runs every `[daemon] interval_minutes`; in
between, every `[daemon] poll_seconds`, a cheap poll (`calsync.app.poll.changed_since`: one
sync-collection REPORT per watched calendar) asks whether anything changed, and a change runs
the sync at once. A poll slower than `SLOW_POLL_SECONDS` doubles that account's poll interval
(up to the sync interval); a fast one halves it back. SIGUSR1 (`calsync nudge`) polls every
account now.

One account's failure is that account's alone: a temporary one (server down, 429/503 after
the store's own retries, a lock) backs off with jitter and retries a full sync; a fatal one
(config, auth, a safety stop: `calsync.daemon.is_fatal`) parks the account, logged with its
name, until SIGHUP. With one account (`--account`, or the only one configured) a fatal error
propagates as before, for its exit code. SIGHUP rereads the configuration: new
accounts start, removed ones stop, the others (parked ones too) sync at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
import signal
import threading
import time
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from types import FrameType
from typing import Any

from calsync.config import Config
from calsync.daemon import Clock
from calsync.daemon import ConfigHolder
from calsync.daemon import Controls
from calsync.daemon import Notifier
from calsync.daemon import backoff_seconds
from calsync.daemon import describe_report
from calsync.daemon import interval_seconds
from calsync.daemon import is_fatal
from calsync.errors import CalsyncError
from calsync.errors import ExitCode
from calsync.errors import TransientError

log = logging.getLogger("calsync.daemon")

SLOW_POLL_SECONDS = 5.0  # a poll slower than this: the server is busy, poll it less often
# In the state folder: where `calsync nudge` finds the daemons ("daemon.pid" for the daemon of
# every account, "daemon-NAME.pid" for `daemon --account NAME`, e.g. of calsync@NAME.service).
PID_GLOB = "daemon*.pid"

AccountSync = Callable[[Config, str, dt.datetime], object]
AccountPoll = Callable[[Config, str], Any]  # -> calsync.app.poll.PollResult (has .changed)
Monotonic = Callable[[], float]


@dataclass
class Slot:
    """One account's schedule (monotonic seconds)."""

    name: str
    next_sync: float = 0.0  # the first sync runs at once
    next_poll: float = float("inf")
    poll_every: float = 45.0
    failures: int = 0
    parked: str | None = None  # a fatal error's message: waits for SIGHUP
    warned: set[str] = field(default_factory=set)
    last: str = ""  # the last sync's one-line summary

    def due(self, now: float) -> str | None:
        if self.parked is not None:
            return None
        if now >= self.next_sync:
            return "sync"
        return "poll" if now >= self.next_poll else None

    def wake_at(self) -> float:
        return float("inf") if self.parked is not None else min(self.next_sync, self.next_poll)


class Scheduler:
    """Which account does what next; runs one step at a time (one thread, no overlap)."""

    def __init__(
        self,
        sync: AccountSync,
        poll: AccountPoll,
        clock: Clock,
        *,
        only: str | None = None,
        monotonic: Monotonic = time.monotonic,
    ) -> None:
        self.sync, self.poll, self.clock, self.monotonic = sync, poll, clock, monotonic
        self.only = only
        self.slots: dict[str, Slot] = {}

    @property
    def single(self) -> bool:
        """One account (`--account`, or the only one configured): the old daemon's behaviour,
        a fatal error ends the process with its code."""
        return self.only is not None or len(self.slots) == 1

    def refresh(self, config: Config) -> None:
        """Follow the configuration (at start and on SIGHUP): start new accounts, stop removed
        ones, and sync the others at once (parked ones too: the fix may be in the new file)."""
        names = [self.only] if self.only is not None else sorted(config.accounts)
        first = not self.slots
        for gone in set(self.slots) - set(names):
            log.info("account %r: removed from the configuration, no longer synced", gone)
            del self.slots[gone]
        for name in names:
            slot = self.slots.get(name)
            if slot is None:
                if not first:
                    log.info("account %r: new in the configuration, syncing it", name)
                self.slots[name] = Slot(name, poll_every=float(config.daemon.poll_seconds))
            else:
                slot.parked, slot.next_sync = None, self.monotonic()

    def nudge(self) -> None:
        """Poll every account now (SIGUSR1)."""
        now = self.monotonic()
        for slot in self.slots.values():
            slot.next_poll = min(slot.next_poll, now)

    def wait_seconds(self) -> float:
        wake = min((s.wake_at() for s in self.slots.values()), default=float("inf"))
        return max(0.0, min(wake - self.monotonic(), 3600.0))

    def step(self, config: Config, stop: threading.Event) -> bool:
        """Run every step due now (until stopped); True when any ran."""
        ran = False
        for slot in list(self.slots.values()):
            if stop.is_set():
                break
            what = slot.due(self.monotonic())
            if what is not None:
                self._run(config, slot, what)
                ran = True
        return ran

    def _run(self, config: Config, slot: Slot, what: str) -> None:
        try:
            if what == "poll" and not self._poll(config, slot):
                return
            self._sync(config, slot)
        except CalsyncError as err:
            self._failed(config, slot, err)

    def _poll(self, config: Config, slot: Slot) -> bool:
        """The cheap check; True when a sync is due. Paces itself by the server's speed."""
        started = self.monotonic()
        result = self.poll(config, slot.name)
        took = self.monotonic() - started
        base, cap = float(config.daemon.poll_seconds), interval_seconds(config)
        if took > SLOW_POLL_SECONDS:
            slot.poll_every = min(max(cap, base), slot.poll_every * 2)
            log.info(
                "account %r: slow server (%.1f s), polling every %.0f s",
                slot.name,
                took,
                slot.poll_every,
            )
        else:
            slot.poll_every = max(base, slot.poll_every / 2)
        slot.next_poll = self.monotonic() + slot.poll_every
        changed = bool(getattr(result, "changed", True))
        log.debug("account %r: poll: %s", slot.name, getattr(result, "why", result))
        if changed:
            log.info("account %r: %s, syncing now", slot.name, getattr(result, "why", "changed"))
        return changed

    def _sync(self, config: Config, slot: Slot) -> None:
        log.info("%ssync started", self._who(slot))
        report = self.sync(config, slot.name, self.clock())
        if slot.failures:
            log.info("%ssync recovered after %d failed attempt(s)", self._who(slot), slot.failures)
        slot.failures = 0
        _log_new(report, slot.warned, self._who(slot))
        slot.last = describe_report(report)
        log.info("%ssync done: %s", self._who(slot), slot.last)
        now = self.monotonic()
        slot.next_sync = now + interval_seconds(config)
        slot.next_poll = now + slot.poll_every

    def _failed(self, config: Config, slot: Slot, err: CalsyncError) -> None:
        if is_fatal(err):
            if self.single:
                raise err
            slot.parked = err.message
            log.error(
                "account %r: stopped until the configuration is reloaded (SIGHUP), exit code "
                "%d: %s",
                slot.name,
                int(err.exit_code),
                err.message,
            )
            return
        slot.failures += 1
        delay = backoff_seconds(
            slot.failures, interval_seconds(config), config.daemon.max_backoff_minutes * 60
        )
        kind = "failed (temporary)" if isinstance(err, TransientError) else "failed"
        log.warning(
            "%ssync %s, attempt %d, retrying in %.0f s: %s",
            self._who(slot),
            kind,
            slot.failures,
            delay,
            err.message,
        )
        slot.next_sync = self.monotonic() + delay
        slot.next_poll = float("inf")

    def _who(self, slot: Slot) -> str:
        return "" if self.single else f"account {slot.name!r}: "

    def status(self) -> str:
        """STATUS= for systemd: the last sync (one account), else counts of accounts."""
        slots = list(self.slots.values())
        if self.single and slots:
            one = slots[0]
            if one.failures:
                return f"sync failed {one.failures}x, retrying"
            return f"last sync ok: {one.last}" if one.last else "starting the first sync"
        parked = sum(1 for s in slots if s.parked is not None)
        failing = sum(1 for s in slots if s.failures)
        ok = len(slots) - parked - failing
        return f"{len(slots)} account(s): {ok} ok, {failing} retrying, {parked} stopped"


def _log_new(report: object, warned: set[str], who: str) -> None:
    """A report's warnings, each logged once while it lasts."""
    current = [str(w) for w in getattr(report, "warnings", None) or ()]
    for warning in current:
        if warning not in warned:
            log.warning("%s%s", who, warning)
    warned.clear()
    warned.update(current)


def run_accounts(
    holder: ConfigHolder,
    scheduler: Scheduler,
    controls: Controls,
    notifier: Notifier,
    *,
    wake: threading.Event,
    nudged: threading.Event,
    on_reload: Callable[[], None] | None = None,
) -> ExitCode:
    """Sync every account until stopped (see the module docstring). Returns OK after
    SIGTERM; with `scheduler.single` a fatal error propagates for its exit code. `wake` is
    this loop's `controls.wake_event()`; `nudged` is set by SIGUSR1 (`nudge_handler`)."""
    scheduler.refresh(holder.current())
    notifier.send("READY=1", "STATUS=starting the first syncs")
    while not controls.stop.is_set():
        if controls.reload.is_set():
            controls.reload.clear()
            notifier.send("RELOADING=1", f"MONOTONIC_USEC={time.monotonic_ns() // 1000}")
            log.info("SIGHUP: reloading the configuration")
            holder.reload()
            scheduler.refresh(holder.current())
            if on_reload is not None:
                on_reload()
            notifier.send("READY=1")
        if nudged.is_set():
            nudged.clear()
            log.info("SIGUSR1: checking every account for changes now")
            scheduler.nudge()
        notifier.ping(force=True)
        try:
            scheduler.step(holder.current(), controls.stop)
        except CalsyncError as err:
            notifier.send("STOPPING=1", f"STATUS=stopped: {err.message}"[:200])
            raise
        notifier.status(scheduler.status())
        wake.clear()
        if controls.stop.is_set() or controls.reload.is_set() or nudged.is_set():
            continue
        notifier.wait(wake, scheduler.wait_seconds())
    log.info("stopping (%s): no sync in flight", controls.stop_signal or "stop requested")
    notifier.send("STOPPING=1", "STATUS=stopped")
    return ExitCode.OK


@contextlib.contextmanager
def nudge_handler(wake: threading.Event) -> Iterator[threading.Event]:
    """SIGUSR1 sets the returned event and `wake` (the loop's); the old handler comes back."""
    nudged = threading.Event()

    # Only flags in a handler (no logging: it takes locks).
    def handler(signum: int, frame: FrameType | None) -> None:
        nudged.set()
        wake.set()

    old = signal.signal(signal.SIGUSR1, handler)
    try:
        yield nudged
    finally:
        signal.signal(signal.SIGUSR1, old)


@contextlib.contextmanager
def pid_file(folder: Path, account: str | None) -> Iterator[Path]:
    """The daemon's pid file in the state folder while it runs (for `calsync nudge`)."""
    safe = "" if account is None else "-" + re.sub(r"[^A-Za-z0-9_.-]", "_", account)
    path = folder / f"daemon{safe}.pid"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(f"{os.getpid()}\n", encoding="utf-8")
    try:
        yield path
    finally:
        with contextlib.suppress(OSError):
            if path.read_text(encoding="utf-8").strip() == str(os.getpid()):
                path.unlink()


def nudge_daemons(folder: Path) -> list[int]:
    """SIGUSR1 to every running daemon with a pid file in `folder`; their pids."""
    sent: list[int] = []
    for path in sorted(folder.glob(PID_GLOB)):
        try:
            pid = int(path.read_text(encoding="utf-8").strip())
            # A stale file's pid may belong to another program by now, and SIGUSR1 ends most
            # programs: signal only a process whose command line names calsync.
            if b"calsync" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                continue
            os.kill(pid, signal.SIGUSR1)
        except (OSError, ValueError):
            continue  # a stale file (the daemon died) or not ours to signal
        sent.append(pid)
    return sent
