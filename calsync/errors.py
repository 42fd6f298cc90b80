"""The one exception hierarchy of calsync, and the exit codes it maps to.

Imports nothing from calsync, so every layer can raise from it.
"""

from __future__ import annotations

from enum import IntEnum
from typing import ClassVar


class ExitCode(IntEnum):
    """Process exit codes (sysexits-style); documented in the README."""

    OK = 0
    INTERNAL = 1  # a bug: unexpected exception
    USAGE = 2  # bad command line (click's own UsageError)
    REFUSED = 3  # a safety check stopped the run; see --force
    DATAERR = 65  # calendar data calsync cannot read
    NOINPUT = 66  # a calendar file or folder that does not exist or cannot be read
    UNAVAILABLE = 69  # server unreachable, timeout, 5xx
    TEMPFAIL = 75  # conflict, lock held, rate limited: retry later
    AUTH = 77  # credentials refused, expired or revoked: renew them
    CONFIG = 78  # configuration missing or invalid
    INTERRUPTED = 130


class CalsyncError(Exception):
    """Base class: an error calsync can explain to the user without a traceback."""

    exit_code: ClassVar[ExitCode] = ExitCode.INTERNAL

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ConfigError(CalsyncError):
    """The configuration file is missing, unreadable or invalid."""

    exit_code = ExitCode.CONFIG

    def __init__(self, source: str, problems: list[str], *, hint: str | None = None) -> None:
        self.source = source
        self.problems = list(problems)
        if len(problems) == 1:
            message = f"invalid configuration in {source}: {problems[0]}"
        else:
            lines = "".join(f"\n  - {p}" for p in problems)
            message = f"invalid configuration in {source}:{lines}"
        super().__init__(message, hint=hint)


class SourceNotFoundError(CalsyncError):
    """A calendar file or folder does not exist or cannot be read."""

    exit_code = ExitCode.NOINPUT


class CalendarDataError(CalsyncError):
    """Calendar data that cannot be read at all (a single broken event is a Problem instead)."""

    exit_code = ExitCode.DATAERR


class CalendarNotFoundError(CalsyncError):
    """A configured calendar does not exist on the server."""

    exit_code = ExitCode.CONFIG


class AuthError(CalsyncError):
    """The server refused the credentials, or they expired or were revoked."""

    exit_code = ExitCode.AUTH


class SafetyStopError(CalsyncError):
    """A safety check refused the run (mass deletion, suddenly empty calendar)."""

    exit_code = ExitCode.REFUSED


class TransientError(CalsyncError):
    """A failure that may go away by itself: retry later."""

    exit_code = ExitCode.TEMPFAIL


class RemoteUnavailableError(TransientError):
    """The server cannot be reached, timed out or answered 5xx."""

    exit_code = ExitCode.UNAVAILABLE


class ConflictError(TransientError):
    """Someone else changed an object between our read and our write (HTTP 412)."""

    exit_code = ExitCode.TEMPFAIL


class LockedError(TransientError):
    """Another calsync process holds the lock."""

    exit_code = ExitCode.TEMPFAIL


class NoDaemonError(CalsyncError):
    """`calsync nudge` found no running daemon to wake."""

    exit_code = ExitCode.UNAVAILABLE
