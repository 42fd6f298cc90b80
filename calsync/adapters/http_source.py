"""Read-only ICS feeds over http(s): a training platform's feed or Google's secret address.

Feed URLs are secrets (the token is in the path), so messages name only scheme and host.
A feed is read within calsync's bounds (`adapters.bounded`): at most MAX_BYTES (after gzip),
within DEADLINE_SECONDS in all (urllib's timeout is per socket read), and only whole: an answer
cut short is an error, never a calendar read as having no runs.
"""

from __future__ import annotations

import http.client
import re
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Iterator

from calsync import __version__
from calsync.adapters.bounded import MIB
from calsync.adapters.bounded import CutShortError
from calsync.adapters.bounded import Deadline
from calsync.adapters.bounded import DeadlineError
from calsync.adapters.bounded import Limits
from calsync.adapters.bounded import OverLimitError
from calsync.adapters.bounded import TooLargeError
from calsync.adapters.bounded import finish_within
from calsync.adapters.bounded import read_capped
from calsync.errors import AuthError
from calsync.errors import CalendarDataError
from calsync.errors import RemoteUnavailableError
from calsync.errors import SourceNotFoundError

MAX_BYTES = 64 * MIB  # a ten-year Google export is ~10 MB; refuse absurd answers
DEADLINE_SECONDS = 60.0  # the whole download, however slowly the bytes come
_CHUNK = 64 * 1024
_BEGIN = re.compile(rb"(?im)^BEGIN:VCALENDAR\s*$")
_END = re.compile(rb"(?im)^END:VCALENDAR\s*$")


def is_feed_url(source: str) -> bool:
    """True for http://, https:// and webcal:// sources."""
    return source.lower().startswith(("http://", "https://", "webcal://", "webcals://"))


def redact(url: str) -> str:
    """scheme://host/… : enough to tell feeds apart, never the secret path or credentials."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or "?"
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}/…"


def _http_url(url: str) -> str:
    lower = url.lower()
    if lower.startswith("webcals://"):
        return "https://" + url[len("webcals://") :]
    if lower.startswith("webcal://"):
        return "https://" + url[len("webcal://") :]
    return url


def fetch_feed(
    url: str,
    *,
    timeout: float = 30.0,
    max_bytes: int = MAX_BYTES,
    deadline_seconds: float = DEADLINE_SECONDS,
) -> bytes:
    """GET the whole feed; raise a calsync error that never contains the secret part of the URL.

    `timeout` bounds each read, `deadline_seconds` the whole download, `max_bytes` the body
    (after gzip). Too large, too slow or cut short: RemoteUnavailableError (exit 69).
    """
    shown = redact(url)
    request = urllib.request.Request(
        _http_url(url),
        headers={
            "User-Agent": f"calsync/{__version__}",
            "Accept": "text/calendar, */*;q=0.5",
            "Accept-Encoding": "gzip",
        },
    )
    deadline = Limits(max_bytes, deadline_seconds, None).next_request()
    read_timeout = min(timeout, deadline_seconds)
    try:
        body = finish_within(
            deadline, lambda: _download(request, read_timeout, max_bytes, deadline)
        )
    except urllib.error.HTTPError as exc:
        raise _http_error(shown, exc.code) from None
    except OverLimitError as exc:
        raise _over_limit(shown, exc) from None
    except zlib.error as exc:
        raise CalendarDataError(f"reading the feed {shown}: broken gzip body") from exc
    except (urllib.error.URLError, TimeoutError, OSError, http.client.HTTPException) as exc:
        if deadline.passed():  # a read that timed out at the deadline: say which
            raise _over_limit(shown, deadline.error()) from None
        reason = getattr(exc, "reason", exc)
        raise RemoteUnavailableError(
            f"reading the feed {shown}: cannot reach the server ({_reason(reason)})",
            hint="check the URL and the network; calsync retries on the next run",
        ) from None
    if len(_BEGIN.findall(body)) > len(_END.findall(body)):
        raise _over_limit(shown, CutShortError())  # a clean close after half a calendar
    return body


def _download(
    request: urllib.request.Request, timeout: float, max_bytes: int, deadline: Deadline
) -> bytes:
    with urllib.request.urlopen(request, timeout=timeout) as response:
        chunks = _whole(response)
        if response.headers.get("Content-Encoding", "").lower() == "gzip":
            chunks = _gunzip(chunks)
        return read_capped(chunks, max_bytes, deadline)


def _whole(response: http.client.HTTPResponse) -> Iterator[bytes]:
    """The body as it arrives (`read1`: a trickle cannot block past the deadline check);
    CutShortError when fewer bytes came than Content-Length promised."""
    expected = response.headers.get("Content-Length")
    got = 0
    try:
        while chunk := response.read1(_CHUNK):
            got += len(chunk)
            yield chunk
    except http.client.IncompleteRead:  # a chunked body that stopped mid-chunk
        raise CutShortError() from None
    if expected is not None and expected.strip().isdigit() and got < int(expected):
        raise CutShortError()


def _gunzip(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Decompress as it comes, in bounded pieces: a gzip bomb stops at the size cap."""
    inflate = zlib.decompressobj(wbits=31)
    for chunk in chunks:
        data = chunk
        while data:
            yield inflate.decompress(data, _CHUNK)
            data = inflate.unconsumed_tail
    yield inflate.flush()
    if not inflate.eof:
        raise CutShortError()


def _over_limit(shown: str, exc: OverLimitError) -> RemoteUnavailableError:
    what = f"reading the feed {shown}"
    if isinstance(exc, TooLargeError):
        return RemoteUnavailableError(
            f"{what}: the server sent more than {exc.max_bytes // MIB} MiB; calsync stopped "
            "reading there",
            hint="a calendar feed that large means a broken server or a wrong URL",
        )
    if isinstance(exc, DeadlineError):
        return RemoteUnavailableError(
            f"{what}: the server sent no complete answer within {exc.seconds:g} s",
            hint="calsync tries again on the next run",
        )
    return RemoteUnavailableError(
        f"{what}: the server closed the connection before the feed was complete",
        hint="nothing was planned from the partial feed; calsync tries again on the next run",
    )


def _reason(reason: object) -> str:
    text = str(reason)
    # socket errors can quote the URL; keep only the part that says why
    return text.split(":", 1)[-1].strip() if "://" in text else text


def _http_error(shown: str, code: int) -> Exception:
    what = f"reading the feed {shown}"
    if code in (401, 403):
        return AuthError(
            f"{what}: the server refused access (HTTP {code})",
            hint="the feed's secret address may have been reset: copy the new one",
        )
    if code in (404, 410):
        return SourceNotFoundError(
            f"{what}: no feed at that address (HTTP {code})",
            hint="check the feed URL; secret addresses change when they are reset",
        )
    return RemoteUnavailableError(f"{what}: the server answered HTTP {code}")
