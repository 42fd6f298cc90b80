"""TZIDs and the zones they mean: IANA names in any letter case, Windows names (CLDR), Outlook
display names ("(UTC+01:00) Amsterdam, Berlin, ..."), Lotus Notes offsets ("GMT-05.00/-04.00")
and vendor-prefixed names ("/mozilla.org/20050126_1/Europe/Berlin"), the calendar's
X-WR-TIMEZONE, and the zone a calendar's owner lives in (`calendar_zones`)."""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from collections.abc import Iterable
from collections.abc import Sequence

from calsync.ical.scan import Scan
from calsync.ical.text import decode
from calsync.ical.text import shown
from calsync.ical.text import value_of


def xwr_zone(props: Sequence[str]) -> tuple[zoneinfo.ZoneInfo | None, str | None]:
    """The calendar's X-WR-TIMEZONE, and its name when it is not a zone calsync knows."""
    for line in props:
        if line[:14].upper() in ("X-WR-TIMEZONE:", "X-WR-TIMEZONE;"):
            name = value_of(line).strip()
            key = _zone_key(name) if name else None
            return (None, name or None) if key is None else (zoneinfo.ZoneInfo(key), None)
    return None, None


def xwr_note(name: str, tz: dt.tzinfo) -> str:
    home = getattr(tz, "key", None) or str(tz)
    return f"X-WR-TIMEZONE {shown(name)} is not a known time zone; floating times read as {home}"


@functools.lru_cache(maxsize=512)  # names come from outside: a bounded cache
def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    """A zone by IANA or Windows name; None when unknown."""
    from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

    name = WINDOWS_TO_OLSON.get(name, name)
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return None


_TZID_PARAM = re.compile(r'(;TZID=)("[^"]*"|[^;:]*)', re.IGNORECASE)
_ZONED = ("DTSTART", "DTEND", "EXDATE", "RDATE", "RECURRENCE-ID")
_OFFSET = r"([+-])\s*(\d{1,2})(?:[:.]?(\d{2}))?"
_UTC_NAME = re.compile(r"\(?\s*(?:UTC|GMT)\s*(?:" + _OFFSET + r")?\s*\)?\s*(.*)$", re.I)


# Lotus Notes and some exports: "GMT-05.00/-04.00", "GMT +0100 (Standard) / GMT +0200 (Daylight)".
_PAIR_NAME = re.compile(
    r"\s*(?:UTC|GMT)\s*" + _OFFSET + r"\s*(?:\(standard\))?\s*/\s*(?:(?:UTC|GMT)\s*)?"
    + _OFFSET + r"\s*(?:\(daylight\))?\s*$",
    re.I,
)  # fmt: skip


_MAX_ZONE_NAME = 200
_MAX_ZONE_NOTES = 5  # distinct unknown TZIDs named per file; a hostile file may have thousands


def name_zones(scan: Scan, uids: Iterable[str]) -> list[str]:
    """Give a TZID that has no VTIMEZONE and no IANA or Windows name the zone it means, and
    return (in order, once each) the TZIDs that mean no zone calsync knows.

    Outlook writes display names such as "(UTC+01:00) Amsterdam, Berlin, Bern, Rome,
    Stockholm, Vienna", Lotus Notes "GMT-05.00/-04.00", libical and Mozilla
    "/mozilla.org/20050126_1/Europe/Berlin", often without a VTIMEZONE; icalendar would read
    those times as floating (the home zone), or guess with a Python warning on stderr.
    """
    lines = (line for zone in scan.timezones for line in zone)
    defined = {line[5:].strip() for line in lines if line[:5].upper() == "TZID:"}
    unknown: dict[str, None] = {}
    for uid in uids:
        for chunk in scan.groups[uid]:
            for i, line in enumerate(chunk.lines):
                if ";TZID=" in line.upper() and line.upper().startswith(_ZONED):
                    chunk.lines[i] = _named_line(line, defined, unknown)
    return list(unknown)


def _named_line(line: str, defined: set[str], unknown: dict[str, None]) -> str:
    """`line` with its TZID replaced by the IANA key it means; an unknown TZID is added to
    `unknown`, and dropped from the line when it is too long to be any zone's name."""
    match = _TZID_PARAM.search(line)
    if match is None:
        return line
    name = match.group(2).strip('"')
    if name in defined:
        return line
    key = _zone_key(name)
    if key is None:
        unknown[name] = None
        if len(name) > _MAX_ZONE_NAME:
            # icalendar fails on it (a file name too long for the OS); without it the time is
            # floating, as for any other unknown TZID
            return line[: match.start()] + line[match.end() :]
        return line
    return line if key == name else line[: match.start(2)] + key + line[match.end(2) :]


def zone_notes(unknown: Sequence[str], floating_tz: dt.tzinfo) -> list[str]:
    """One plain line per unknown TZID (a few at most)."""
    home = getattr(floating_tz, "key", None) or str(floating_tz)
    notes = [
        f"TZID {shown(name)} is not a known time zone; read as {home}"
        for name in unknown[:_MAX_ZONE_NOTES]
    ]
    if len(unknown) > _MAX_ZONE_NOTES:
        notes.append(f"{len(unknown) - _MAX_ZONE_NOTES} more unknown TZIDs; read as {home}")
    return notes


_US_ZONES = {
    "eastern time": "America/New_York",
    "central time": "America/Chicago",
    "mountain time": "America/Denver",
    "pacific time": "America/Los_Angeles",
    "alaska": "America/Anchorage",
}


@functools.lru_cache(maxsize=512)  # names come from outside: a bounded cache
def _zone_key(name: str) -> str | None:
    """The IANA key for a TZID (IANA, Windows, Outlook, Lotus or vendor-prefixed), or None."""
    name = name.strip()
    if name.upper() in ("Z", "UTC", "GMT", "ZULU"):
        return "UTC"
    if len(name) > _MAX_ZONE_NAME:  # no zone's name, display name or vendor prefix is this long
        return None
    for candidate in _spellings(name):
        zone = _zone(candidate)
        if zone is not None:
            return zone.key
    for phrase, us_key in _US_ZONES.items():  # "Eastern Time (US & Canada)", any prefix
        if phrase in name.casefold():
            return us_key
    pair = _PAIR_NAME.match(name)
    if pair is not None:
        std, dst = _minutes(*pair.group(1, 2, 3)), _minutes(*pair.group(4, 5, 6))
        return _zone_for_offsets(std, dst)
    match = _UTC_NAME.match(name)
    return None if match is None else _display_zone(*match.groups())


def _spellings(name: str) -> list[str]:
    """The ways a TZID may spell an IANA name: itself, without a vendor prefix
    ("/mozilla.org/20050126_1/Europe/Berlin", RFC 5545 §3.2.19: longest suffix first), with
    underscores for spaces, without a trailing "(GMT)", in any letter case."""
    found = [name]
    parts = name.strip("/").split("/")
    if name.startswith("/"):  # an IANA name has at most three parts
        found += ["/".join(parts[i:]) for i in range(max(1, len(parts) - 3), len(parts))]
    bare = re.sub(r"\s*\([^)]*\)\s*$", "", name).strip()
    found += [bare, bare.replace(" ", "_")]
    by_case = _iana_by_case()
    found += [by_case[f.casefold()] for f in list(found) if f.casefold() in by_case]
    return found


def _minutes(sign: str, hours: str, minutes: str | None) -> int:
    value = int(hours) * 60 + int(minutes or 0)
    return -value if sign == "-" else value


def _display_zone(
    sign: str | None, hours: str | None, minutes: str | None, places: str
) -> str | None:
    """The zone of an Outlook display name: the first city that is an IANA zone, else the
    fixed offset."""
    zones = _iana_by_city()
    for city in re.split(r"[,:/]", places):
        found = zones.get(city.strip().replace(" ", "_").casefold())
        if found is not None:
            return found
    if not sign or hours is None:
        return "UTC" if not places.strip() or "coordinated" in places.casefold() else None
    offset = _minutes(sign, hours, minutes)
    if offset % 60 == 0 and abs(offset) <= 14 * 60:
        # Etc/GMT-1 is UTC+01:00: POSIX signs are inverted.
        hours_east = offset // 60
        return (
            "UTC"
            if hours_east == 0
            else f"Etc/GMT{'-' if hours_east > 0 else '+'}{abs(hours_east)}"
        )
    return _zone_for_offsets(offset, offset)


# Where several zones share a pair of offsets, the most used one stands for them.
_PREFERRED = (
    "Europe/London", "Europe/Berlin", "Europe/Athens", "America/New_York", "America/Chicago",
    "America/Denver", "America/Los_Angeles", "America/Anchorage", "America/Halifax",
    "America/St_Johns", "Australia/Sydney", "Australia/Adelaide", "Pacific/Auckland",
    "Asia/Kolkata",
)  # fmt: skip


@functools.lru_cache(maxsize=64)
def _zone_for_offsets(std: int, dst: int) -> str | None:
    """A zone whose offsets (minutes east of UTC) are `std` in winter and `dst` in summer,
    in either hemisphere: the preferred zones first, then CLDR's Windows zones."""
    from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

    for key in (*_PREFERRED, *sorted(set(WINDOWS_TO_OLSON.values()))):
        zone = _zone(key)
        if zone is None:
            continue
        jan, jul = (_offset_on(zone, month) for month in (1, 7))
        if (jan, jul) in ((std, dst), (dst, std)):
            return key
    return None


def _offset_on(zone: dt.tzinfo, month: int) -> int:
    offset = dt.datetime(2026, month, 15, 12, tzinfo=zone).utcoffset() or dt.timedelta()
    return int(offset.total_seconds() // 60)


@functools.cache
def _iana_by_city() -> dict[str, str]:
    found: dict[str, str] = {}
    for key in sorted(zoneinfo.available_timezones()):
        if "/" in key and not key.startswith(("Etc/", "SystemV/", "posix/", "right/")):
            found.setdefault(key.rsplit("/", 1)[1].casefold(), key)
    return found


@functools.cache
def _iana_by_case() -> dict[str, str]:
    return {key.casefold(): key for key in zoneinfo.available_timezones()}


_ZONE_HINT = re.compile(
    r"^(?:X-WR-TIMEZONE[;:](?:[^:\r\n]*:)?(?P<xwr>[^\r\n]*)"
    r'|DTSTART;(?:[^:\r\n]*;)?TZID=(?P<tzid>"[^"\r\n]*"|[^;:\r\n]*))',
    re.IGNORECASE | re.MULTILINE,
)


def calendar_zones(data: bytes | str) -> tuple[zoneinfo.ZoneInfo | None, dict[str, int]]:
    """Where the calendar's owner lives: its X-WR-TIMEZONE (None when absent or unknown), and
    how many events start in each zone (IANA keys of their DTSTART TZIDs; not counted once a
    known X-WR-TIMEZONE is found, which wins). Pure; one regex pass, no parsing."""
    text = decode(data) if isinstance(data, bytes) else data
    counts: dict[str, int] = {}
    for match in _ZONE_HINT.finditer(text):
        if match["xwr"] is not None:
            xwr = _zone(match["xwr"].strip())
            if xwr is not None:
                return xwr, counts  # it wins over the TZIDs: no need to count them
            continue
        key = _zone_key(match["tzid"].strip().strip('"'))
        if key is not None:
            counts[key] = counts.get(key, 0) + 1
    return None, counts


def zone_named(tzid: str) -> zoneinfo.ZoneInfo | None:
    """The zone a TZID names (IANA, Windows, Outlook display, Lotus or vendor-prefixed), or
    None when it names none calsync knows."""
    key = _zone_key(tzid)
    return zoneinfo.ZoneInfo(key) if key else None
