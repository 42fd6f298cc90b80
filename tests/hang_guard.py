"""A hang guard for tests that call code with outside data: SIGALRM raises `Hang` after
`seconds`. A guard, not a timing assertion: what it protects takes milliseconds."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class Hang(BaseException):
    """The call ran past its time (a BaseException: calsync's `except Exception` lets it by)."""


@contextmanager
def hang_guard(seconds: float) -> Iterator[None]:
    """Raise `Hang` in the main thread if the body runs longer than `seconds`."""

    def alarm(signum: int, frame: FrameType | None) -> None:
        raise Hang

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
