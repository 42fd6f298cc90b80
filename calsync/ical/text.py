"""The raw text of a calendar: decoding bytes (UTF-8, old Windows code pages, UTF-16), the
check that it is iCalendar at all, the value of a content line, and names from the file cut
short for one-line messages."""

from __future__ import annotations

import re

from calsync.errors import CalendarDataError


def decode(data: bytes) -> str:
    """UTF-8, as RFC 5545 says; lines that are not (old Outlook and Lotus exports write
    Windows-1252 or Latin-1) are read as Windows-1252, so "Über" stays "Über". A UTF-16 file
    (Windows "Unicode" exports) is known by its byte-order mark."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    lines = []
    for line in data.split(b"\n"):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            try:
                lines.append(line.decode("cp1252"))
            except UnicodeDecodeError:
                lines.append(line.decode("latin-1"))
    return "\n".join(lines)


def checked_text(data: bytes | str, source: str) -> str:
    text = decode(data) if isinstance(data, bytes) else data
    text = text.lstrip("\ufeff \t\r\n")
    if not text:
        raise CalendarDataError(
            f"{source}: the file is empty, not an iCalendar file",
            hint="export the calendar again as .ics (iCalendar) and point calsync at that file",
        )
    if not text[:15].upper().startswith("BEGIN:VCALENDAR"):
        raise CalendarDataError(
            f"{source}: not an iCalendar file (it does not start with BEGIN:VCALENDAR)",
            hint="export the calendar as .ics (iCalendar) and point calsync at that file",
        )
    return text


def value_of(line: str) -> str:
    """The value of a content line: everything after the first colon outside quotes."""
    quoted = False
    for i, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            return line[i + 1 :]
    return ""


def one_line(text: str, limit: int = 120) -> str:
    """icalendar's words about a bad value quote the value: one line, cut short."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shown(name: str) -> str:
    """A name from the file, quoted and cut short for a one-line message."""
    name = " ".join(name.split())
    return repr(name if len(name) <= 60 else name[:57] + "...")


UNFOLD = re.compile(r"\r?\n[ \t]")
LINES = re.compile(r"\r\n|\n|\r")
