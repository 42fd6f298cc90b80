"""Bounds on what a server may do to calsync: answer size, time per request, time per run.

The HTTP stack's own timeout is per read (niquests, urllib: a server sending a byte a second
never times out) and the caldav library reads a whole answer into memory with no cap. This
module adds calsync's own bounds: `read_capped` stops reading an answer past `max_bytes` or
past its deadline, and `finish_within` gives up on a request (headers included) at the deadline.
Nothing here knows CalDAV or feeds; the adapters turn the exceptions below into messages.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from typing import TypeVar

T = TypeVar("T")

MIB = 1024 * 1024


class OverLimitError(Exception):
    """Base: a bound was hit. Caught and translated by the adapter that asked."""


class TooLargeError(OverLimitError):
    """The answer grew past the size cap (calsync stopped reading there)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(max_bytes)
        self.max_bytes = max_bytes


class DeadlineError(OverLimitError):
    """No complete answer within the request deadline, or the run's deadline passed."""

    def __init__(self, seconds: float, *, whole_run: bool) -> None:
        super().__init__(seconds)
        self.seconds = seconds
        self.whole_run = whole_run  # True: the run's (sync's) deadline, not one request's


class CutShortError(OverLimitError):
    """The connection ended before the whole answer came (Content-Length, chunking, EOF)."""


@dataclass
class Limits:
    """The bounds of one run (a sync, a plan) against one server.

    `run_seconds` counts from `started` (when the store was built): one run, one store.
    """

    max_bytes: int = 64 * MIB
    request_seconds: float = 60.0
    run_seconds: float | None = 600.0
    started: float = field(default_factory=time.monotonic)

    def next_request(self) -> Deadline:
        """The deadline of the next request: its own, or the run's when that comes first.

        Raises DeadlineError when the run's deadline has already passed.
        """
        now = time.monotonic()
        end = now + self.request_seconds
        if self.run_seconds is None:
            return Deadline(end, self.request_seconds, whole_run=False)
        run_end = self.started + self.run_seconds
        if run_end <= now:
            raise DeadlineError(self.run_seconds, whole_run=True)
        if run_end < end:
            return Deadline(run_end, self.run_seconds, whole_run=True)
        return Deadline(end, self.request_seconds, whole_run=False)


@dataclass(frozen=True)
class Deadline:
    """A point in `time.monotonic()` time, and what to say when it passes."""

    at: float
    seconds: float  # the configured allowance, for the message
    whole_run: bool = False

    def left(self) -> float:
        """Seconds left (> 0); DeadlineError when none are."""
        remaining = self.at - time.monotonic()
        if remaining <= 0:
            raise self.error()
        return remaining

    def passed(self) -> bool:
        return time.monotonic() >= self.at

    def error(self) -> DeadlineError:
        return DeadlineError(self.seconds, whole_run=self.whole_run)


def read_capped(chunks: Iterable[bytes], max_bytes: int, deadline: Deadline) -> bytes:
    """Join `chunks`, stopping with TooLargeError past `max_bytes` or DeadlineError at the
    deadline (checked after every chunk: a trickle cannot stretch a request)."""
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) > max_bytes:
            raise TooLargeError(max_bytes)
        deadline.left()
    return bytes(body)


def finish_within(
    deadline: Deadline, work: Callable[[], T], *, abandon: Callable[[], None] | None = None
) -> T:
    """Run `work` in a helper thread and wait for it until the deadline at most.

    Why a thread: the HTTP libraries cannot bound the wait for a status line and headers as a
    whole (each read has its own timeout, so headers sent a byte a second never time out).
    `work` should check the deadline itself while it reads (`read_capped`), so an abandoned
    helper stops at its next chunk; `abandon` (e.g. closing the HTTP session) is called when
    the deadline passes, to free it at once. A daemon thread: it never holds up an exit.
    """
    outcome: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as exc:  # handed to the caller's thread below
            failure.append(exc)

    helper = threading.Thread(target=run, name="calsync-request", daemon=True)
    helper.start()
    helper.join(max(0.0, deadline.at - time.monotonic()))
    if helper.is_alive():
        if abandon is not None:
            abandon()
        raise deadline.error()
    if failure:
        raise failure[0]
    return outcome[0]
