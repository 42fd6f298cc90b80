"""Read-only ICS feeds over http(s): a training platform's feed or Google's secret address.

Feed URLs are secrets (the token is in the path), so messages name only scheme and host.
"""

from __future__ import annotations

import gzip
import urllib.error
import urllib.parse
import urllib.request

from calsync import __version__
from calsync.errors import AuthError
from calsync.errors import CalendarDataError
from calsync.errors import RemoteUnavailableError
from calsync.errors import SourceNotFoundError

MAX_BYTES = 64 * 1024 * 1024  # a ten-year Google export is ~10 MB; refuse absurd answers


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


def fetch_feed(url: str, *, timeout: float = 30.0) -> bytes:
    """GET the feed; raise a calsync error that never contains the secret part of the URL."""
    shown = redact(url)
    request = urllib.request.Request(
        _http_url(url),
        headers={
            "User-Agent": f"calsync/{__version__}",
            "Accept": "text/calendar, */*;q=0.5",
            "Accept-Encoding": "gzip",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body: bytes = response.read(MAX_BYTES + 1)
            encoding = response.headers.get("Content-Encoding", "")
    except urllib.error.HTTPError as exc:
        raise _http_error(shown, exc.code) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise RemoteUnavailableError(
            f"reading the feed {shown}: cannot reach the server ({_reason(reason)})",
            hint="check the URL and the network; calsync retries on the next run",
        ) from None
    if len(body) > MAX_BYTES:
        raise CalendarDataError(f"reading the feed {shown}: larger than {MAX_BYTES >> 20} MiB")
    if encoding.lower() == "gzip":
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError) as exc:
            raise CalendarDataError(f"reading the feed {shown}: broken gzip body") from exc
    return body


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
