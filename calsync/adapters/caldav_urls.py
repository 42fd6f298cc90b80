"""URLs and hrefs of a CalDAV account: absolute and quoted, without userinfo, short for messages.

Plain string work for the caldav_* modules (no caldav import, no I/O).
"""

from __future__ import annotations

import re
import urllib.parse
import uuid


def _without_userinfo(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _is_url(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


def _slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _absolute(base: str, href: str) -> str:
    """An href from a response (caldav gives unquoted paths) as an absolute, quoted URL."""
    if _is_url(href):
        return href
    return urllib.parse.urljoin(base, urllib.parse.quote(href, safe="/@:+,;=!$&'()*~%"))


def _last_segment(url: str) -> str:
    path = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
    return path.rstrip("/").rsplit("/", 1)[-1]


def _short(href: str) -> str:
    """An object's name for messages: its last path segment."""
    return repr(_last_segment(href))


def _slug(name: str) -> str:
    text = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")
    return text or f"calendar-{uuid.uuid4().hex[:8]}"
