"""Calendar objects as calendar apps write them (UTC times, CRLF), for the server tests."""

from __future__ import annotations

import datetime as dt


def vevent_ics(
    uid: str,
    start: dt.datetime,
    minutes: int = 60,
    summary: str = "Easy run",
    *,
    extra: tuple[str, ...] = (),
    overrides: tuple[str, ...] = (),
) -> bytes:
    """One VEVENT (with `extra` property lines, then any override VEVENT lines) in a VCALENDAR."""
    fmt = "%Y%m%dT%H%M%SZ"
    end = start + dt.timedelta(minutes=minutes)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//calsync tests//EN",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20261101T120000Z",
        f"DTSTART:{start.astimezone(dt.UTC).strftime(fmt)}",
        f"DTEND:{end.astimezone(dt.UTC).strftime(fmt)}",
        f"SUMMARY:{summary}",
        *extra,
        "END:VEVENT",
        *overrides,
        "END:VCALENDAR",
        "",
    ]
    return "\r\n".join(lines).encode()
