"""HTTP caching rules for the prepared feed documents (RFC 9110): strong ETags over the exact
bytes, a deterministic gzip variant, If-None-Match / If-Modified-Since, Accept-Encoding.

Used by `calsync.adapters.feed_server` to answer, and by `calsync.app.feed` to prepare the
documents it publishes. No I/O: values in, values out.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import gzip
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from calsync.core.feed_record import whole_seconds

ICS_TYPE = "text/calendar; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Variant:
    """One representation's exact bytes and strong ETag."""

    body: bytes
    etag: str


@dataclass(frozen=True, slots=True)
class Document:
    """A prepared HTTP resource: identity and gzip bytes, ETags, Last-Modified."""

    content_type: str
    identity: Variant
    gzipped: Variant
    last_modified: dt.datetime | None = None


def etag_of(body: bytes) -> str:
    """Strong ETag: a hash of the exact bytes."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def make_document(
    body: bytes, content_type: str, last_modified: dt.datetime | None = None
) -> Document:
    """Prepare both encodings once; gzip with mtime 0 so it is deterministic too."""
    packed = gzip.compress(body, compresslevel=6, mtime=0)
    return Document(
        content_type=content_type,
        identity=Variant(body, etag_of(body)),
        gzipped=Variant(packed, etag_of(packed)),
        last_modified=last_modified,
    )


_ETAG = re.compile(r'\s*(?:W/)?("[^"]*")\s*(?:,|$)')


def etag_list_matches(header: str, etags: Iterable[str]) -> bool:
    """If-None-Match: `*`, or any listed tag equal to ours by weak comparison."""
    if header.strip() == "*":
        return True
    ours = set(etags)
    return any(m.group(1) in ours for m in _ETAG.finditer(header))


def parse_http_date(text: str) -> dt.datetime | None:
    """An HTTP date as UTC; None when it is not one (then the full response is sent)."""
    try:
        moment = email.utils.parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def http_date(moment: dt.datetime) -> str:
    """`Tue, 01 Dec 2026 06:00:00 GMT`."""
    return email.utils.format_datetime(whole_seconds(moment), usegmt=True)


def is_not_modified(
    document: Document,
    if_none_match: str | None,
    if_modified_since: str | None,
    now: dt.datetime,
) -> bool:
    """304 or not: If-None-Match takes precedence (and matches either encoding's ETag, since
    both are the same content); If-Modified-Since counts only when it is a valid date that is
    not in the future."""
    if if_none_match is not None:
        etags = (document.identity.etag, document.gzipped.etag)
        return etag_list_matches(if_none_match, etags)
    if if_modified_since is None or document.last_modified is None:
        return False
    since = parse_http_date(if_modified_since)
    if since is None or since > whole_seconds(now):
        return False
    return document.last_modified <= since


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether Accept-Encoding allows gzip (`gzip`, `x-gzip` or `*`, with q > 0)."""
    if not accept_encoding:
        return False
    best: dict[str, float] = {}
    for part in accept_encoding.split(","):
        name, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        best[name.strip().lower()] = quality
    for name in ("gzip", "x-gzip"):
        if name in best:
            return best[name] > 0
    return best.get("*", 0.0) > 0
