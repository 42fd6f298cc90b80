"""Every caldav and transport exception, translated once into calsync's own errors.

`_ErrorTranslation` is the part of `CaldavStore` that runs a request (`_call`: translated,
throttled requests retried), turns a failed status into an exception (`_check`) and words each
error for the user: which account, which server (redacted), which setting to look at.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
from typing import TypeVar

from caldav.lib import error as dav_error
from caldav.response import DAVResponse

from calsync.adapters.bounded import MIB
from calsync.adapters.bounded import DeadlineError
from calsync.adapters.bounded import OverLimitError
from calsync.adapters.bounded import TooLargeError
from calsync.adapters.caldav_urls import _is_url
from calsync.adapters.caldav_values import CalendarRef
from calsync.adapters.caldav_values import redact_url
from calsync.adapters.caldav_wire import MAX_TRIES
from calsync.adapters.caldav_wire import _backoff
from calsync.adapters.caldav_wire import _Client
from calsync.adapters.caldav_wire import _duration
from calsync.adapters.caldav_wire import _ThrottledError
from calsync.adapters.credentials import Credentials
from calsync.config import Account
from calsync.errors import AuthError
from calsync.errors import CalendarDataError
from calsync.errors import CalendarNotFoundError
from calsync.errors import ConflictError
from calsync.errors import RemoteUnavailableError

T = TypeVar("T")


class _ErrorTranslation:
    """Errors of one CalDAV account, in calsync's words. Mixed into `CaldavStore`."""

    _account: Account
    _credentials: Credentials
    _client: _Client
    _shown: str  # the account URL, redacted
    _sleep: Callable[[float], None]

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        """Run `fn` with errors translated; retry 429/503 at most MAX_TRIES times in all."""
        for attempt in range(1, MAX_TRIES + 1):
            try:
                with self._translated(what):
                    return fn()
            except _ThrottledError as throttled:
                if attempt == MAX_TRIES:
                    raise RemoteUnavailableError(
                        f"{what}: the server is still busy or rate limiting "
                        f"(HTTP {throttled.status}) after {MAX_TRIES} tries",
                        hint="try again later; the daemon backs off by itself",
                    ) from None
                self._sleep(_backoff(attempt, throttled.retry_after))
        raise AssertionError("unreachable")  # pragma: no cover

    @contextlib.contextmanager
    def _translated(self, what: str) -> Iterator[None]:
        """Turn caldav and transport exceptions into calsync's own, once, here."""
        try:
            yield
        except dav_error.RateLimitError as exc:
            raise _ThrottledError(exc.status or 429, exc.retry_after_seconds) from None
        except dav_error.AuthorizationError as exc:
            raise self._auth_error(what, exc.status) from None
        except dav_error.NotFoundError:
            raise CalendarNotFoundError(
                f"{what}: not found on the server (or this account may not read it)",
                hint=f"check url in [accounts.{self._account.name}], or run `calsync calendars`",
            ) from None
        except dav_error.ETagMismatchError:
            raise ConflictError(f"{what}: the event changed on the server meanwhile") from None
        except dav_error.DAVError as exc:
            status = f" (HTTP {exc.status})" if exc.status else ""
            raise RemoteUnavailableError(
                f"{what}: the server answered with an error{status}"
            ) from None
        except SyntaxError:  # lxml's XMLSyntaxError: an answer that is not XML
            raise RemoteUnavailableError(
                f"{what}: the answer of the server at {self._shown} is not valid WebDAV XML "
                "(cut short, or not a CalDAV server)",
                hint="is url the CalDAV address (not the web interface)?",
            ) from None
        except OverLimitError as exc:
            raise self._over_limit(what, exc) from None
        except OSError as exc:  # niquests connection errors and timeouts subclass OSError
            raise RemoteUnavailableError(
                f"{what}: cannot reach {self._shown} ({self._why_unreachable(exc)})"
            ) from None

    def _over_limit(self, what: str, exc: OverLimitError) -> RemoteUnavailableError:
        """A bound of `bounded.Limits` was hit: exit 69, naming the server and the bound."""
        server = f"the server at {self._shown}"
        where = f"[accounts.{self._account.name}]"
        if isinstance(exc, TooLargeError):
            return RemoteUnavailableError(
                f"{what}: {server} sent more than {exc.max_bytes // MIB} MiB; calsync "
                "stopped reading there",
                hint=f"a calendar answer that large means a broken server; if it is real, "
                f"raise max_response_mib in {where}",
            )
        if isinstance(exc, DeadlineError) and exc.whole_run:
            return RemoteUnavailableError(
                f"{what}: stopped after {_duration(exc.seconds)}: {server} is too slow to "
                "finish a run",
                hint=f"calsync tries again on the next run (the limit is sync_deadline_minutes "
                f"in {where})",
            )
        if isinstance(exc, DeadlineError):
            return RemoteUnavailableError(
                f"{what}: {server} sent no complete answer within {exc.seconds:g} s",
                hint="calsync tries again on the next run (the limit is "
                f"request_deadline_seconds in {where})",
            )
        return RemoteUnavailableError(
            f"{what}: {server} closed the connection before its answer was complete",
            hint="nothing was read from the partial answer; calsync tries again on the next run",
        )

    def _auth_error(self, what: str, status: int | None) -> AuthError:
        code = status or 401
        source = self._credentials.source
        if self._credentials.token:
            renew = "renew the OAuth token (token_command)"
        elif self._credentials.password is not None:
            renew = f"renew the app password ({source})"
        else:
            renew = "configure a password (password_env, password_command or keyring)"
        hint = f"check username and the password source in [accounts.{self._account.name}]"
        if code == 403:
            hint += "; a 403 can also mean this user may not open that calendar"
        return AuthError(
            f"{what}: the server refused the credentials for account "
            f"{self._account.name!r} (HTTP {code}): {renew}",
            hint=hint,
        )

    def _no_calendar(self, wanted: str, calendars: Sequence[CalendarRef]) -> CalendarNotFoundError:
        """`find` found nothing: name what exists, never a secret part of a URL."""
        names = ", ".join(repr(c.name) for c in calendars) or "none"
        shown = redact_url(wanted) if _is_url(wanted) else repr(wanted)
        return CalendarNotFoundError(
            f"account {self._account.name!r} has no calendar {shown} (calendars: {names})",
            hint="run `calsync calendars` to list them, then fix runs / busy / target in "
            f"[accounts.{self._account.name}]",
        )

    def _why_unreachable(self, exc: OSError) -> str:
        name = type(exc).__name__
        if "Timeout" in name or isinstance(exc, TimeoutError):
            return f"no answer within {self._account.timeout_seconds:g} s"
        if "SSL" in name or "Certificate" in name:
            return "TLS certificate not accepted; see verify_tls and ca_file"
        return f"connection failed: {name}"

    def _check(self, response: DAVResponse, *, writing: bool = False) -> None:
        """Raise for a failed status the caller did not handle itself."""
        status = int(response.status)
        if 200 <= status < 300:
            return
        if status in (429, 503):
            retry = response.headers.get("Retry-After")
            raise _ThrottledError(status, dav_error.parse_retry_after(retry) if retry else None)
        if status in (401, 403):
            raise dav_error.AuthorizationError(status=status)
        if status in (404, 410):
            raise dav_error.NotFoundError(status=status)
        if writing and status in (400, 415, 422):
            raise CalendarDataError(f"the server refused the event data (HTTP {status})")
        raise dav_error.DAVError(status=status)
