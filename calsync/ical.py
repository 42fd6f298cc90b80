"""The one iCalendar codec of calsync: read occurrences, write blocks, compare objects.

Reading (`parse_events`) works in three steps, so that one broken event never costs the others
and a long history costs little:

1. a cheap scan of the unfolded text splits the data into calendar properties, VTIMEZONEs and
   VEVENTs grouped by UID, and drops single events that cannot touch the window (recurring
   series always stay in);
2. icalendar parses what is left, once;
3. each UID is expanded by recurring-ical-events on its own, inside its own `try`: a missing or
   garbled DTSTART, a bad RRULE, anything that raises, becomes a `Problem` for that UID.

Writing (`render_calendar`, `render_block`) is done by hand: the bytes depend only on the input
(sorted events, given DTSTAMP), lines are folded at 75 octets between UTF-8 characters, CRLF.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import re
import warnings
import zoneinfo
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from calsync.errors import CalendarDataError
from calsync.model import Block
from calsync.model import Event
from calsync.model import Problem

log = logging.getLogger(__name__)

PRODID = "-//calsync//calsync//EN"
CATEGORY = "Strength"
_UTC = dt.UTC
_DAY = dt.timedelta(days=1)
_SLACK = dt.timedelta(days=2)  # any zone is within ±14 h of UTC; dates are compared loosely
# Python's calendar ends at years 1 and 9999: a time there cannot move by a zone offset or a
# day without OverflowError. Times read are kept inside these bounds (a DTEND in 9999 means
# "for ever" and still does), so no later date arithmetic on them can overflow.
_EARLIEST = dt.datetime(2, 1, 1, tzinfo=_UTC)
_LATEST = dt.datetime(9998, 12, 31, tzinfo=_UTC)

# Properties that say nothing about what an event is (servers and clients rewrite them).
_NOISE = frozenset({"DTSTAMP", "PRODID", "LAST-MODIFIED", "CREATED", "SEQUENCE"})
_NOISE_PREFIXES = ("X-MOZ-", "X-APPLE-", "X-LIC-", "X-RADICALE-", "X-EVOLUTION-")
_TIME_PROPS = frozenset({"DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE"})
_TIME_PROPS_ALL = _TIME_PROPS | {"RECURRENCE-ID"}
# What parse_events reads from a VEVENT; everything else is dropped before icalendar parses it.
_READ = frozenset(
    {
        "UID",
        "DTSTART",
        "DTEND",
        "DURATION",
        "RRULE",
        "RDATE",
        "EXDATE",
        "EXRULE",
        "RECURRENCE-ID",
        "SEQUENCE",
        "SUMMARY",
        "DESCRIPTION",
        "CATEGORIES",
        "STATUS",
        "TRANSP",
    }
)
_UNFOLD = re.compile(r"\r?\n[ \t]")
_LINES = re.compile(r"\r\n|\n|\r")
_NAME = re.compile(r"[A-Za-z0-9-]+")
_DATE8 = re.compile(r"(\d{4})(\d{2})(\d{2})")
_DURATION = re.compile(r"([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


# --- reading ---------------------------------------------------------------------------------


@dataclass
class _Chunk:
    """One VEVENT's unfolded lines and what the quick scan found in them."""

    lines: list[str]
    uid: str = ""
    dtstart: str | None = None
    dtend: str | None = None
    duration: str | None = None
    recurring: bool = False  # RRULE, RDATE or RECURRENCE-ID


@dataclass
class _Scan:
    """The calendar split into its parts, before any real parsing."""

    props: list[str] = field(default_factory=list)
    timezones: list[list[str]] = field(default_factory=list)
    groups: dict[str, list[_Chunk]] = field(default_factory=dict)
    truncated: int = 0
    notes: list[str] = field(default_factory=list)  # what the scan had to repair, in words


def parse_events(
    data: bytes | str,
    *,
    source: str,
    start: dt.datetime,
    end: dt.datetime,
    tz: dt.tzinfo,
    runs_source: bool = True,
) -> tuple[list[Event], list[Problem]]:
    """Occurrences overlapping `[start, end)`, expanded, and the events that had to be skipped.

    All-day occurrences start and end at local midnight in `tz`; floating times are read in the
    calendar's X-WR-TIMEZONE when it has one, else in `tz`. Cancelled events and occurrences are
    left out; TRANSP:TRANSPARENT gives `busy=False`. Raises `CalendarDataError` only when `data`
    is not an iCalendar object at all.
    """
    scan = _scan(_text(data, source), source)
    problems = [Problem(source, None, f"{scan.truncated} unterminated VEVENT(s) skipped")]
    problems = problems if scan.truncated else []
    problems += [Problem(source, None, note, skipped=False) for note in scan.notes]
    kept = _preselect(scan, start, end)
    unknown = _name_zones(scan, kept)
    xwr, bad_xwr = _xwr_zone(scan.props)
    floating_tz = xwr or tz
    if bad_xwr is not None:
        problems.append(Problem(source, None, _xwr_note(bad_xwr, tz), skipped=False))
    problems += [
        Problem(source, None, note, skipped=False) for note in _zone_notes(unknown, floating_tz)
    ]
    # icalendar warns (Python warnings, with source paths, on stderr) where it guesses: those
    # become calsync's own one-line problems. catch_warnings is process-wide, not per thread;
    # at worst a warning of another thread lands here, where it is still reported once.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        components = _parse_groups(scan, kept, source, problems)
        events: list[Event] = []
        for uid, group in components.items():
            try:
                problems += [Problem(source, uid, why, skipped=False) for why in _clamp_ends(group)]
                events += _expand(group, uid, start, end, tz, floating_tz, xwr, source, runs_source)
                problems += [Problem(source, uid, why) for why in _broken_overrides(group)]
            except _SkipError as skip:
                problems.append(Problem(source, uid, skip.why))
            except Exception as exc:  # a library error in one series must not stop the others
                problems.append(Problem(source, uid, _plain_failure(exc, source)))
    problems += [
        Problem(source, None, note, skipped=False) for note in _warning_notes(caught, source)
    ]
    events.sort(key=lambda e: (e.start, e.uid, e.recurrence_id or ""))
    return events, problems


def _xwr_note(name: str, tz: dt.tzinfo) -> str:
    home = getattr(tz, "key", None) or str(tz)
    return f"X-WR-TIMEZONE {_shown(name)} is not a known time zone; floating times read as {home}"


def _warning_notes(caught: Sequence[warnings.WarningMessage], source: str) -> list[str]:
    """One plain line per kind of library warning; the warning's own text, which names
    Python files and internals, goes to the debug log only."""
    kinds: dict[str, None] = {}
    for warning in caught:
        # Only the libraries' words about the data: a ResourceWarning of some unrelated object
        # collected meanwhile, or a DeprecationWarning, says nothing about this file.
        if issubclass(warning.category, UserWarning):
            kinds[warning.category.__name__] = None
    notes = []
    for kind in kinds:
        log.debug("%s: the iCalendar library warned: %s", source, kind)
        if kind == "GloballyUniqueTZIDGuessed":
            notes.append("a vendor-prefixed TZID was read as the time zone its name ends with")
        else:
            notes.append("the iCalendar library found something odd in this file (-vv for more)")
    return notes


class _SkipError(Exception):
    """One UID cannot be read; `why` says it in words."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def _plain_failure(exc: Exception, source: str) -> str:
    """What went wrong, in words for a person: never a library's exception text, which quotes
    Python internals ("'list' object has no attribute 'dt'"). The detail goes to the debug log,
    without event data (the exception's class and where it was raised)."""
    frame = exc.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    where = f"{frame.tb_frame.f_code.co_name}:{frame.tb_lineno}" if frame is not None else "?"
    log.debug("%s: an event was skipped after %s in %s", source, type(exc).__name__, where)
    if isinstance(exc, OverflowError):
        return _BEYOND
    if type(exc).__name__ in ("BadRuleStringFormat", "InvalidRRule"):
        return "skipped: its recurrence rule (RRULE) is not valid"
    return "skipped: its dates or its recurrence rule could not be read"


_BEYOND = "skipped: its dates lie beyond what calsync can plan (before year 2 or after 9998)"


def _decode(data: bytes) -> str:
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


def _text(data: bytes | str, source: str) -> str:
    text = _decode(data) if isinstance(data, bytes) else data
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


def _value(line: str) -> str:
    """The value of a content line: everything after the first colon outside quotes."""
    quoted = False
    for i, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            return line[i + 1 :]
    return ""


# Components that only ever sit directly inside VCALENDAR (RFC 5545 §3.6): a BEGIN of one of
# them deeper down means an earlier component was never closed.
_TOP_LEVEL = frozenset({"VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY", "VTIMEZONE", "VAVAILABILITY"})


def _scan(text: str, source: str) -> _Scan:
    """Split unfolded text into calendar properties, VTIMEZONEs and VEVENTs grouped by UID.

    A component that is never closed, or closed with a mistyped END (`BEGIN:VTODO` ...
    `END:VTOOD`), would swallow every event after it: the scan reads on from the next
    top-level BEGIN and says so, with the line numbers.
    """
    scanner = _Scanner()
    for index, line in enumerate(_LINES.split(_UNFOLD.sub("", text))):
        if not line.strip():
            continue
        why = _not_a_content_line(line)
        if why is not None:  # broken on its own: without it the rest still parses
            scanner.dropped.setdefault(why, []).append(index)
            continue
        head = line[:6].upper()
        if head == "BEGIN:":
            scanner.begin(line[6:].strip().upper(), line, index)
        elif head[:4] == "END:":
            scanner.end(line[4:].strip().upper(), line, index)
        elif scanner.current is not None:
            scanner.current.append(line)
        elif len(scanner.stack) == 1:
            scanner.scan.props.append(line)
    if scanner.current is not None:
        scanner.scan.truncated += 1
    for why, dropped in scanner.dropped.items():
        scanner.notes.append(_dropped_note(why, dropped))
    if scanner.notes:
        numbers = _line_numbers(text)
        for message, indexes in scanner.notes:
            found = [numbers[min(i, len(numbers) - 1)] if numbers else i + 1 for i in indexes]
            scanner.scan.notes.append(message.format(*found))
    return scanner.scan


class _Scanner:
    """What `_scan` knows part-way: the open components and the component being collected."""

    def __init__(self) -> None:
        self.scan = _Scan()
        self.stack: list[tuple[str, int]] = []  # open components, with the index of the BEGIN
        self.current: list[str] | None = None  # the VEVENT or VTIMEZONE being collected
        self.reported: set[int] = set()  # BEGINs already named in a note
        self.notes: list[tuple[str, tuple[int, ...]]] = []  # message, line indexes in it
        self.dropped: dict[str, list[int]] = {}  # why a line was dropped: its indexes

    def begin(self, name: str, line: str, index: int) -> None:
        if name in _TOP_LEVEL and len(self.stack) > 1:
            self._recover(index)
        self.stack.append((name, index))
        if len(self.stack) == 2 and name in ("VEVENT", "VTIMEZONE"):
            self.current = [line]
        elif self.current is not None:
            self.current.append(line)

    def end(self, name: str, line: str, index: int) -> None:
        names = [open_name for open_name, _ in self.stack]
        if name in names:
            while self.stack and self.stack.pop()[0] != name:
                pass
        elif len(self.stack) > 1:  # a typo such as END:VTOOD for BEGIN:VTODO
            open_name, at = self.stack[-1]
            self.reported.add(at)
            found, wanted = _name_in(name), _name_in(open_name)
            self.notes.append(
                (f"line {{0}}: END:{found} does not match BEGIN:{wanted} on line {{1}}",
                 (index, at))
            )  # fmt: skip
        if self.current is None:
            return
        self.current.append(line)
        if len(self.stack) == 1:
            self._file(self.current)
            self.current = None
        elif not self.stack:  # END:VCALENDAR inside an event: the event has no end
            self.scan.truncated += 1
            self.current = None

    def _recover(self, index: int) -> None:
        """A top-level BEGIN inside an open component: close what is open, read on from here."""
        top, at = self.stack[1]
        if not any(i in self.reported for _, i in self.stack[1:]):
            shown = _name_in(top)
            self.notes.append(
                (f"line {{0}}: BEGIN:{shown} is never closed (no END:{shown}); read on from "
                 "line {1}", (at, index))
            )  # fmt: skip
        if self.current is not None:  # the event itself is whole: only its END is wrong
            self._file([*self.current, f"END:{top}"])
            self.current = None
        del self.stack[1:]

    def _file(self, lines: list[str]) -> None:
        if lines[0][6:].strip().upper() == "VTIMEZONE":
            self.scan.timezones.append(lines)
        else:
            _add_chunk(self.scan, lines)


# One content line longer than this is no calendar's data (a 2 MB line cost icalendar seconds
# of regex work per command); a whole event of normal text is a few KB.
_MAX_LINE = 1 << 20
_MAX_LINES_NAMED = 5  # line numbers named per kind of dropped line; a hostile file has 100k
# A property name, parameters (a quoted value may hold ":"), then the ":" before the value.
# Possessive, so a long line without a colon fails in one pass, never by backtracking.
_CONTENT_LINE = re.compile(r'(?:[^":]++|"[^"]*+")*+:')


def _not_a_content_line(line: str) -> str | None:
    """Why a line cannot be an iCalendar content line (RFC 5545 §3.1), or None."""
    if len(line) > _MAX_LINE:
        return f"longer than {_MAX_LINE // (1 << 20)} MiB"
    if _CONTENT_LINE.match(line) is None:
        return "without a colon"
    return None


def _dropped_note(why: str, indexes: list[int]) -> tuple[str, tuple[int, ...]]:
    """One note for every line dropped for the same reason: the first few line numbers."""
    named = tuple(indexes[:_MAX_LINES_NAMED])
    numbers = ", ".join(f"{{{i}}}" for i in range(len(named)))
    more = f" and {len(indexes) - len(named)} more" if len(indexes) > len(named) else ""
    word = "line" if len(indexes) == 1 else "lines"
    return f"{word} {numbers}{more}: a line {why} is not iCalendar data; skipped", named


def _name_in(name: str) -> str:
    """A component name from the file, short, for a note that is `str.format`ted later."""
    return name[:20].replace("{", "{{").replace("}", "}}")


def _line_numbers(text: str) -> list[int]:
    """The physical line number on which each unfolded line starts (for messages only)."""
    numbers: list[int] = []
    for number, line in enumerate(_LINES.split(text), 1):
        if not numbers or line[:1] not in (" ", "\t"):
            numbers.append(number)
    return numbers


def _add_chunk(scan: _Scan, lines: list[str]) -> None:
    """Record one VEVENT, keeping only the properties calsync reads (less for icalendar to do)."""
    chunk = _Chunk([lines[0]])
    depth = 0
    for line in lines[1:-1]:
        upper = line[:12].upper()
        if upper.startswith("BEGIN:"):
            depth += 1
            continue
        if upper.startswith("END:"):
            depth -= 1
            continue
        if depth:
            continue  # VALARM and the like
        match = _NAME.match(line)
        name = match.group(0).upper() if match else ""
        if name not in _READ and not name.startswith("X-CALSYNC-"):
            continue
        chunk.lines.append(line)
        if name == "UID":
            chunk.uid = _value(line).strip()
        elif name == "DTSTART":
            chunk.dtstart = _value(line)
        elif name == "DTEND":
            chunk.dtend = _value(line)
        elif name == "DURATION":
            chunk.duration = _value(line).strip()
        elif name in ("RRULE", "RDATE", "RECURRENCE-ID", "EXRULE"):
            chunk.recurring = True
    chunk.lines.append(lines[-1])
    if not chunk.uid:
        digest = hashlib.sha1("\n".join(lines).encode("utf-8")).hexdigest()
        chunk.uid = f"nouid-{digest}"
        chunk.lines.insert(1, f"UID:{chunk.uid}")
    scan.groups.setdefault(chunk.uid, []).append(chunk)


def _date8(value: str | None) -> dt.date | None:
    if not value:
        return None
    match = _DATE8.match(value.strip())
    if not match:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _duration_days(value: str) -> int | None:
    match = _DURATION.match(value.upper())
    if not match or match[1] == "-":
        return None
    weeks, days, hours = (int(match[i] or 0) for i in (2, 3, 4))
    return weeks * 7 + days + hours // 24 + 1


def _might_touch(chunk: _Chunk, first: dt.date, last: dt.date) -> bool:
    """False only when a single event surely lies outside `[first, last]` (loose dates)."""
    begins = _date8(chunk.dtstart)
    if begins is None:
        return True  # let the real parser say what is wrong
    if begins > last:
        return False
    if chunk.dtend is not None:
        ends = _date8(chunk.dtend)
    elif chunk.duration is not None:
        days = _duration_days(chunk.duration)
        ends = None if days is None else _days_after(begins, days)
    else:
        ends = _days_after(begins, 1)
    if ends is not None and ends < begins:  # an end before the start is read as none
        ends = _days_after(begins, 1)
    return ends is None or ends >= first


def _days_after(day: dt.date, days: int) -> dt.date | None:
    """`day` plus `days`, or None past the end of the calendar (a DURATION:P99999999D)."""
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return None


def _preselect(scan: _Scan, start: dt.datetime, end: dt.datetime) -> list[str]:
    """The UIDs worth parsing: every series, and single events that may touch the window."""
    first = start.astimezone(_UTC).date() - _SLACK
    last = end.astimezone(_UTC).date() + _SLACK
    kept: list[str] = []
    for uid, chunks in scan.groups.items():
        if any(c.recurring for c in chunks) or any(_might_touch(c, first, last) for c in chunks):
            kept.append(uid)
    return kept


def _xwr_zone(props: Sequence[str]) -> tuple[zoneinfo.ZoneInfo | None, str | None]:
    """The calendar's X-WR-TIMEZONE, and its name when it is not a zone calsync knows."""
    for line in props:
        if line[:14].upper() in ("X-WR-TIMEZONE:", "X-WR-TIMEZONE;"):
            name = _value(line).strip()
            key = _zone_key(name) if name else None
            return (None, name or None) if key is None else (zoneinfo.ZoneInfo(key), None)
    return None, None


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


def _name_zones(scan: _Scan, uids: Iterable[str]) -> list[str]:
    """Give a TZID that has no VTIMEZONE and no IANA or Windows name the zone it means, and
    return (in order, once each) the TZIDs that mean no zone calsync knows.

    Outlook writes display names such as "(UTC+01:00) Amsterdam, Berlin, Bern, Rome,
    Stockholm, Vienna", Lotus Notes "GMT-05.00/-04.00", libical and Mozilla
    "/mozilla.org/20050126_1/Europe/Berlin", often without a VTIMEZONE; icalendar would read
    those times as floating (the home zone), or guess with a Python warning on stderr.
    """
    defined = set()
    for lines in scan.timezones:
        for line in lines:
            if line[:5].upper() == "TZID:":
                defined.add(line[5:].strip())
    unknown: dict[str, None] = {}
    for uid in uids:
        for chunk in scan.groups[uid]:
            for i, line in enumerate(chunk.lines):
                if ";TZID=" not in line.upper() or not line.upper().startswith(_ZONED):
                    continue
                match = _TZID_PARAM.search(line)
                if match is None:
                    continue
                name = match.group(2).strip('"')
                if name in defined:
                    continue
                key = _zone_key(name)
                if key is None:
                    unknown[name] = None
                    if len(name) > _MAX_ZONE_NAME:  # icalendar fails on it (a file name too
                        # long for the OS); without it the time is floating, as for any other
                        # unknown TZID
                        chunk.lines[i] = line[: match.start()] + line[match.end() :]
                elif key != name:
                    chunk.lines[i] = line[: match.start(2)] + key + line[match.end(2) :]
    return list(unknown)


def _zone_notes(unknown: Sequence[str], floating_tz: dt.tzinfo) -> list[str]:
    """One plain line per unknown TZID (a few at most)."""
    home = getattr(floating_tz, "key", None) or str(floating_tz)
    notes = [
        f"TZID {_shown(name)} is not a known time zone; read as {home}"
        for name in unknown[:_MAX_ZONE_NOTES]
    ]
    if len(unknown) > _MAX_ZONE_NOTES:
        notes.append(f"{len(unknown) - _MAX_ZONE_NOTES} more unknown TZIDs; read as {home}")
    return notes


def _one_line(text: str, limit: int = 120) -> str:
    """icalendar's words about a bad value quote the value: one line, cut short."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _shown(name: str) -> str:
    """A name from the file, quoted and cut short for a one-line message."""
    name = " ".join(name.split())
    return repr(name if len(name) <= 60 else name[:57] + "...")


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


def _calendar_text(scan: _Scan, uids: Iterable[str]) -> str:
    lines = ["BEGIN:VCALENDAR", *scan.props]
    for tz_lines in scan.timezones:
        lines += tz_lines
    for uid in uids:
        for chunk in scan.groups[uid]:
            lines += chunk.lines
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


def _parse_groups(
    scan: _Scan, uids: list[str], source: str, problems: list[Problem]
) -> dict[str, list[Any]]:
    """Parse the kept UIDs with icalendar: all at once, else (if that fails) one by one."""
    from icalendar import Calendar

    if not uids:
        return {}
    try:
        parsed = [Calendar.from_ical(_calendar_text(scan, uids))]
    except Exception:
        parsed = []
        for uid in uids:
            try:
                parsed.append(Calendar.from_ical(_calendar_text(scan, [uid])))
            except Exception as exc:
                _plain_failure(exc, source)  # the detail, to the debug log
                problems.append(Problem(source, uid, "skipped: it is not valid iCalendar text"))
    groups: dict[str, list[Any]] = {}
    for cal in parsed:
        for component in cal.subcomponents:
            if component.name == "VEVENT":
                groups.setdefault(str(component.get("UID", "")), []).append(component)
    return groups


def _check(component: Any) -> str | None:
    """Why this VEVENT cannot be used, or None."""
    if "DTSTART" not in component:
        return "no DTSTART"
    for name, why in getattr(component, "errors", ()):
        if str(name).upper() in _TIME_PROPS_ALL:
            return f"bad {str(name).upper()}: {_one_line(str(why))}"
    for name in _SINGLE:
        value = component.get(name)
        if isinstance(value, list):
            return f"it has {len(value)} {name} lines (only one is allowed)"
        if name != "DURATION" and value is not None and not _is_date(getattr(value, "dt", None)):
            return f"its {name} is not a date or a date-time"
    begins = component["DTSTART"].dt
    duration = getattr(component.get("DURATION"), "dt", None)
    too_long = _too_long(begins, duration) if isinstance(duration, dt.timedelta) else None
    return too_long or _unsupported_rule(component)


def _word(value: object) -> str:
    """A rule part's first value as an upper-case word (icalendar gives enums for some)."""
    first = value[0] if isinstance(value, list) and value else value
    return str(getattr(first, "value", first)).upper()


# Properties a VEVENT has at most once (RFC 5545 §3.6.1); icalendar gives a list for two.
_SINGLE = ("DTSTART", "DTEND", "DURATION", "RECURRENCE-ID")


def _is_date(value: object) -> bool:
    return isinstance(value, dt.date)  # a datetime is a date too; not a time or a period


def _unsupported_rule(component: Any) -> str | None:
    """Why a rule cannot be expanded by dateutil, or None. RFC 7529's RSCALE (Chinese, Hebrew,
    ... calendars) is not supported; RSCALE=GREGORIAN without SKIP is the plain rule, so it is
    expanded without RSCALE."""
    for rule in _rules_of(component):
        scale = rule.get("RSCALE")
        if scale is None:
            continue
        name, skip_name = _word(scale), _word(rule.get("SKIP") or "OMIT")
        if name == "GREGORIAN" and skip_name == "OMIT" and isinstance(rule, dict):
            rule.pop("RSCALE", None)
            rule.pop("SKIP", None)
            continue
        what = "a non-Gregorian calendar" if name != "GREGORIAN" else f"SKIP={skip_name[:20]}"
        return f"its recurrence rule uses RSCALE ({what}), which calsync cannot expand"
    return None


def _expand(
    group: list[Any],
    uid: str,
    start: dt.datetime,
    end: dt.datetime,
    tz: dt.tzinfo,
    floating_tz: dt.tzinfo,
    xwr: dt.tzinfo | None,
    source: str,
    runs_source: bool,
) -> list[Event]:
    good = []
    for component in group:
        why = _check(component)
        if why is not None:
            if "RECURRENCE-ID" not in component or len(group) == 1:
                raise _SkipError(f"skipped: {why}")
            continue  # a broken override: the series keeps its original occurrence
        good.append(component)
    for component in good:
        _drop_rule_ending_before_start(component)
    series = any(
        name in component for component in good for name in ("RRULE", "RDATE", "RECURRENCE-ID")
    )
    occurrences: list[Any] = good  # single events are their own occurrence
    if series:
        _guard_series(good, start, end)
        _newer_overrides_win(good)
        import recurring_ical_events
        from icalendar import Calendar

        cal = Calendar()
        cal.subcomponents.extend(good)
        if xwr is not None:
            import x_wr_timezone

            cal = x_wr_timezone.to_standard(cal, timezone=xwr)
        occurrences = recurring_ical_events.of(cal).between(start - _SLACK, end + _SLACK)
    events: list[Event] = []
    for occurrence in occurrences:
        if str(occurrence.get("STATUS", "")).upper() == "CANCELLED":
            continue
        event = _event(occurrence, uid, tz, floating_tz, source, runs_source, series)
        if event.start < end and (event.end > start or event.start == event.end >= start):
            events.append(event)
    return events


# Seconds per FREQ period, for estimating how much work a rule asks of the expansion.
_PERIOD = {
    "SECONDLY": 1,
    "MINUTELY": 60,
    "HOURLY": 3600,
    "DAILY": 86400,
    "WEEKLY": 7 * 86400,
    "MONTHLY": 28 * 86400,
    "YEARLY": 365 * 86400,
}
_MAX_STEPS = 200_000  # about a second of dateutil: more is a broken or hostile rule
_MAX_OCCURRENCES = 10_000  # in the window: an hourly event for a year is 8,760


def _rules_of(component: Any) -> list[Mapping[str, Any]]:
    found: list[Mapping[str, Any]] = []
    for name in ("RRULE", "EXRULE"):
        value = component.get(name)
        if value is None:
            continue
        for rule in value if isinstance(value, list) else [value]:
            if isinstance(rule, Mapping):
                found.append(rule)
    return found


def _number(rule: Mapping[str, Any], key: str) -> int | None:
    values = rule.get(key)
    if not values:
        return None
    value = values[0] if isinstance(values, list) else values
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _aware_utc(value: object) -> dt.datetime | None:
    """A rule's UNTIL as an aware instant, loosely (floating and dates read as UTC)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=_UTC) if value.tzinfo is None else value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), tzinfo=_UTC)
    return None


def _guard_series(good: list[Any], start: dt.datetime, end: dt.datetime) -> None:
    """Bound the work of expanding a series, or raise `_SkipError` saying why it is skipped."""
    widen = _widening(good)
    if widen > _LONG_SPAN:
        raise _SkipError(f"skipped: {_long_span_note(widen)}")
    before = start - min(widen + 2 * _SLACK, start - _EARLIEST)  # never before year 2
    for component in good:
        _rebase(component, before)
    for component in good:
        why = _runaway(component, start, end, widen)
        if why is not None:
            raise _SkipError(f"skipped: {why}")


def _widening(group: list[Any]) -> dt.timedelta:
    """How far recurring-ical-events widens its query around the window: by the span of the
    master and of each RANGE=THISANDFUTURE override, and by how far such an override moved."""
    widest = dt.timedelta()
    for component in group:
        rid = component.get("RECURRENCE-ID")
        if rid is not None and str(rid.params.get("RANGE", "")).upper() != "THISANDFUTURE":
            continue
        widest = max(widest, _span(component) or widest)
        moved, begins = _loose_utc(getattr(rid, "dt", None)), _loose_utc(component["DTSTART"].dt)
        if moved is not None and begins is not None:
            widest = max(widest, abs(moved - begins))
    return widest


_REBASE_DAYS = {"DAILY": 1, "WEEKLY": 7}
_REBASE_AFTER = dt.timedelta(days=3 * 366)  # a series begun less long ago is left as it is


def _rebase(component: Any, before: dt.datetime) -> None:
    """Move the DTSTART of a daily or weekly rule without COUNT that began long before the
    window (say in year 1) forward by whole periods, to shortly before `before`.

    dateutil walks every occurrence from DTSTART, so a weekly run since year 1 costs 100,000
    steps before the window. Whole days or weeks keep the wall time, the weekday and the
    INTERVAL's phase, so the rule gives the same occurrences from there on; UNTIL, EXDATE,
    RDATE and RECURRENCE-IDs are absolute and stay. DTEND moves with DTSTART. Only the first
    occurrence, DTSTART itself, is lost, and it lies years before the window.
    """
    rules = _rules_of(component)
    if len(rules) != 1 or "EXRULE" in component or "RECURRENCE-ID" in component:
        return
    rule = rules[0]
    days = _REBASE_DAYS.get(_word(rule.get("FREQ") or ""))
    begins = component["DTSTART"].dt
    first = _loose_utc(begins)
    if days is None or rule.get("COUNT") or first is None or before - first < _REBASE_AFTER:
        return
    interval = _number(rule, "INTERVAL") or 1
    if interval < 1:
        return  # _runaway says the rule is bad
    step = days * interval
    shift = dt.timedelta(days=(before - first).days // step * step)
    component["DTSTART"].dt = begins + shift
    if "DTEND" in component and isinstance(component["DTEND"].dt, dt.date):
        component["DTEND"].dt = component["DTEND"].dt + shift


def _runaway(
    component: Any, start: dt.datetime, end: dt.datetime, widen: dt.timedelta
) -> str | None:
    """Why a recurrence rule cannot be expanded in reasonable time, or None.

    dateutil loops forever on INTERVAL=0 and walks every period from DTSTART: a rule every
    second (or minute) since years ago would take hours, and one every minute fills the
    window with tens of thousands of occurrences. Such a series is skipped, reported.
    """
    begins = component["DTSTART"].dt
    if not isinstance(begins, dt.datetime):
        begins = dt.datetime.combine(begins, dt.time())
    if begins.tzinfo is None:
        begins = begins.replace(tzinfo=_UTC)
    # recurring-ical-events widens its query back by one occurrence's span: every occurrence
    # that began up to that long before the window overlaps it, and is built and returned.
    span = max(_span(component) or dt.timedelta(), widen)
    walked, inside = _reach(begins, start, end, span.total_seconds())
    for rule in _rules_of(component):
        text = rule.to_ical().decode() if hasattr(rule, "to_ical") else str(rule)
        interval, count = _number(rule, "INTERVAL"), _number(rule, "COUNT")
        if interval is not None and interval < 1:
            return f"bad recurrence rule: INTERVAL must be 1 or more: {text}"
        if count is not None and count < 1:
            return f"bad recurrence rule: COUNT must be 1 or more: {text}"
        freq = rule.get("FREQ")
        name = str(freq[0] if isinstance(freq, list) and freq else freq or "").upper()
        period = _PERIOD.get(name)
        if period is None:
            continue  # dateutil reports it
        per_period = 1.0
        for key in ("BYSECOND", "BYMINUTE", "BYHOUR"):
            values = rule.get(key)
            if values and period < {"BYSECOND": 60, "BYMINUTE": 3600, "BYHOUR": 86400}[key]:
                continue  # a filter, not an expansion, at this frequency
            per_period *= max(1, len(values)) if isinstance(values, list) else 1
        walk, within = walked, inside
        stop = _aware_utc(rule.get("UNTIL"))
        if stop is not None and stop < end - _DAY:  # the rule stops early: less to walk
            walk, within = _reach(begins, start, stop, span.total_seconds())
        steps = walk / (period * (interval or 1)) * per_period
        found = within / (period * (interval or 1)) * per_period
        if count is not None:
            steps, found = min(steps, count), min(found, count)
        if steps > _MAX_STEPS or found > _MAX_OCCURRENCES:
            return f"recurrence rule repeats too often to expand ({name.lower()}): {text}"
    return None


def _reach(
    begins: dt.datetime, start: dt.datetime, end: dt.datetime, span: float
) -> tuple[float, float]:
    """Seconds the rule is walked from DTSTART, and seconds of it whose occurrences are built:
    those that start up to `span` before the window (and after it, for a moved override).
    In seconds, not dates: DTSTART in year 2 plus a span of 9,000 years leaves the calendar."""
    walked = (end - begins).total_seconds()
    built = min(walked, (end - start).total_seconds() + span)
    return max(0.0, walked + span) + 86400, max(0.0, built + span) + 86400


# recurring-ical-events builds every occurrence that began up to one occurrence's span before
# the window, walking the rule back that far (2,025 years: 211,000 weekly occurrences, 19 s) and
# past year 1 into OverflowError. An occurrence of a series lasting over a year overlaps the
# next ones: such data is broken, not a plan; a single event may last any time.
_LONG_SPAN = dt.timedelta(days=366)


def _long_span_note(span: dt.timedelta) -> str:
    length = f"{span.days} days" if span.days < 730 else f"{round(span.days / 365.2425)} years"
    return (
        f"each occurrence of this series lasts about {length} (from its start to its end); "
        "calsync reads series whose occurrences last up to a year"
    )


def _ends_before(until: object, begins: object) -> bool:
    """True when a rule's UNTIL lies before DTSTART (floating values read in the other's zone)."""
    if isinstance(begins, dt.datetime):
        if isinstance(until, dt.datetime):
            if until.tzinfo is None and begins.tzinfo is not None:
                until = until.replace(tzinfo=begins.tzinfo)
            elif until.tzinfo is not None and begins.tzinfo is None:
                begins = begins.replace(tzinfo=until.tzinfo)
            return until < begins
        return isinstance(until, dt.date) and until <= begins.date()  # a date UNTIL: its day
    if isinstance(begins, dt.date):
        if isinstance(until, dt.datetime):
            return until.date() < begins
        return isinstance(until, dt.date) and until < begins
    return False


def _drop_rule_ending_before_start(component: Any) -> None:
    """RFC 5545: DTSTART always counts as the first occurrence. A rule whose UNTIL lies
    before DTSTART (a client's bad edit) still leaves that one; dateutil would give none."""
    value = component.get("RRULE")
    if value is None or "RECURRENCE-ID" in component:
        return
    begins = component["DTSTART"].dt
    for rule in value if isinstance(value, list) else [value]:
        until = rule.get("UNTIL") if isinstance(rule, Mapping) else None
        if not _ends_before(until[0] if isinstance(until, list) and until else until, begins):
            return
    del component["RRULE"]


def _sequence(component: Any) -> int:
    try:
        return int(component.get("SEQUENCE", 0))
    except (TypeError, ValueError):
        return 0


def _same_instant(a: object, b: object) -> bool:
    if not (isinstance(a, dt.datetime) and isinstance(b, dt.datetime)):
        return a == b
    if (a.tzinfo is None) != (b.tzinfo is None):  # floating against zoned: the wall clock
        return a.replace(tzinfo=None) == b.replace(tzinfo=None)
    return a == b


def _newer_overrides_win(group: list[Any]) -> None:
    """An override newer (higher SEQUENCE) than its master beats the master's EXDATE for it.

    Some clients exclude a moved occurrence and add the override for it; without this the
    moved occurrence would vanish.
    """
    masters = [c for c in group if "RECURRENCE-ID" not in c and "EXDATE" in c]
    overrides = [c for c in group if "RECURRENCE-ID" in c]
    for master in masters:
        newer = [o["RECURRENCE-ID"].dt for o in overrides if _sequence(o) > _sequence(master)]
        if not newer:
            continue
        exdates = master["EXDATE"] if isinstance(master["EXDATE"], list) else [master["EXDATE"]]
        for exdate in exdates:
            exdate.dts[:] = [
                d for d in exdate.dts if not any(_same_instant(d.dt, r) for r in newer)
            ]


def _broken_overrides(group: list[Any]) -> list[str]:
    """Why each broken override of a readable series was left out."""
    if len(group) == 1:
        return []
    found = []
    for component in group:
        why = _check(component)
        if why is not None and "RECURRENCE-ID" in component:
            found.append(f"override skipped: {why}")
    return found


def _aware(value: dt.datetime, floating_tz: dt.tzinfo) -> dt.datetime:
    return value.replace(tzinfo=floating_tz) if value.tzinfo is None else value


def _loose_utc(value: object) -> dt.datetime | None:
    """A DTSTART or DTEND as an aware instant, loosely (floating times and dates read as UTC),
    or None when it is not a date."""
    if isinstance(value, dt.datetime):
        try:
            return value.replace(tzinfo=_UTC) if value.tzinfo is None else value.astimezone(_UTC)
        except OverflowError:  # within a zone offset of year 1 or 9999
            return value.replace(tzinfo=_UTC)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), tzinfo=_UTC)
    return None


def _span(component: Any) -> dt.timedelta | None:
    """How long one occurrence lasts (DTEND or DURATION after DTSTART), loosely; None if
    neither is there or readable."""
    begins = _loose_utc(getattr(component.get("DTSTART"), "dt", None))
    if begins is None:
        return None
    if "DTEND" in component:
        finish = _loose_utc(getattr(component.get("DTEND"), "dt", None))
        return None if finish is None else finish - begins
    duration = getattr(component.get("DURATION"), "dt", None)
    return duration if isinstance(duration, dt.timedelta) else None


def _clamp_ends(group: list[Any]) -> list[str]:
    """Drop an end that lies before the start, and say so.

    RFC 5545 §3.6.1: DTEND must be later than DTSTART. Such an end (a typo, or a DTEND in
    year 1) is read as no end at all, so the event lasts no time (one day when all-day), as
    RFC 5545 reads an event without DTEND, and as `_times` already read a single such event.
    Kept rather than skipped: a run with a mistyped end is still a run that counts toward its
    week, and the warning says what was wrong. A negative span must not reach recurring-ical-events,
    which widens its query by the span and then walks the rule for minutes.
    """
    notes = []
    for component in group:
        if _check(component) is not None:
            continue  # _expand says what is wrong with it
        span = _span(component)
        # Mixed kinds (floating against zoned, date against time) compare loosely: only an
        # end surely before the start is dropped.
        if span is None or span >= (dt.timedelta() if _same_kind(component) else -_SLACK):
            continue
        name = "DTEND" if "DTEND" in component else "DURATION"
        del component[name]
        what = "its end (DTEND)" if name == "DTEND" else "its DURATION is negative, so its end"
        notes.append(f"{what} lies before its start: read as having none (no length)")
    return notes


def _same_kind(component: Any) -> bool:
    """True when DTSTART and DTEND are both dates, both floating or both zoned times."""
    kinds = []
    for name in ("DTSTART", "DTEND"):
        value = getattr(component.get(name), "dt", None)
        kinds.append((isinstance(value, dt.datetime), getattr(value, "tzinfo", None) is None))
    return "DTEND" not in component or kinds[0] == kinds[1]


def _plus(begins: dt.date, duration: dt.timedelta) -> dt.date:
    """RFC 5545 §3.3.6: days are nominal (wall clock), hours and less are exact."""
    nominal = begins + dt.timedelta(days=duration.days)
    if not isinstance(nominal, dt.datetime) or nominal.tzinfo is None or not duration.seconds:
        return nominal + dt.timedelta(seconds=duration.seconds)
    exact = nominal.astimezone(_UTC) + dt.timedelta(seconds=duration.seconds)
    return exact.astimezone(nominal.tzinfo)


def _too_long(begins: dt.date, duration: dt.timedelta) -> str | None:
    """Why a DURATION cannot be planned (its end lies past the calendar's end), or None."""
    try:
        _plus(begins, duration)
    except OverflowError:
        return f"its duration ({duration.days} days) is beyond what calsync can plan"
    return None


def _midnight(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """Local midnight of `day`, the day kept inside calsync's calendar (see _EARLIEST)."""
    day = min(max(day, _EARLIEST.date()), _LATEST.date())
    return dt.datetime.combine(day, dt.time(), tzinfo=tz)


def _in_zone(value: dt.datetime, floating_tz: dt.tzinfo, tz: dt.tzinfo) -> dt.datetime:
    """The instant `value` in `tz`, kept inside `[_EARLIEST, _LATEST]`.

    Through UTC: a wall time the clock skips (RFC 5545: read with the offset before the gap)
    comes out as the real local time, not as a time that never shows on the clock.
    """
    try:
        moment = _aware(value, floating_tz).astimezone(_UTC)
    except OverflowError:  # within a zone offset of year 1 or 9999
        moment = _EARLIEST if value.year < _EARLIEST.year else _LATEST
    return min(max(moment, _EARLIEST), _LATEST).astimezone(tz)


def _times(
    component: Any, tz: dt.tzinfo, floating_tz: dt.tzinfo
) -> tuple[dt.datetime, dt.datetime, bool]:
    """Aware start and end in `tz`, and whether the event is all-day."""
    begins = component["DTSTART"].dt
    finish: dt.date | None = None
    if "DTEND" in component:
        finish = component["DTEND"].dt
    elif "DURATION" in component:
        duration = component["DURATION"].dt
        if isinstance(duration, dt.timedelta):
            why = _too_long(begins, duration)
            if why is not None:
                raise _SkipError(f"skipped: {why}")
            finish = _plus(begins, duration)
    if not isinstance(begins, dt.datetime):  # a DATE: all day
        return (*_all_day(begins, finish, tz), True)
    first = _in_zone(begins, floating_tz, tz)
    if isinstance(finish, dt.datetime):
        until = _in_zone(finish, floating_tz, tz)
    elif isinstance(finish, dt.date):
        until = _in_zone(_midnight(finish, tz), floating_tz, tz)
    else:
        until = first
    return first, max(first, until), False


def _all_day(
    begins: dt.date, finish: dt.date | None, tz: dt.tzinfo
) -> tuple[dt.datetime, dt.datetime]:
    """Midnight of the first day and midnight after the last, for an all-day event."""
    first = _midnight(begins, tz)
    last = finish.date() if isinstance(finish, dt.datetime) else finish
    if isinstance(finish, dt.datetime) and finish.time() != dt.time():
        last = _midnight(finish.date(), tz).date() + _DAY
    if last is None or last <= begins:
        last = first.date() + _DAY
    return first, _midnight(last, tz)


def _text_of(component: Any, name: str) -> str:
    value = component.get(name)
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value)


def _categories(component: Any) -> tuple[str, ...]:
    value = component.get("CATEGORIES")
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    found: list[str] = []
    for item in items:
        cats = getattr(item, "cats", None)
        if cats is None:
            found += [c.strip() for c in str(item).split(",")]
        else:
            found += [str(c).strip() for c in cats]
    return tuple(c for c in found if c)


def _calsync_props(component: Any) -> dict[str, str]:
    props: dict[str, str] = {}
    for name in component:
        upper = str(name).upper()
        if upper.startswith("X-CALSYNC-"):
            props[upper[len("X-CALSYNC-") :]] = _text_of(component, name)
    return props


def _recurrence_id(component: Any, floating_tz: dt.tzinfo) -> str | None:
    value = component.get("RECURRENCE-ID")
    if value is None:
        return None
    when = value.dt
    if isinstance(when, dt.datetime):
        return _in_zone(when, floating_tz, _UTC).isoformat()
    if isinstance(when, dt.date):
        return when.isoformat()
    return None


def _event(
    occurrence: Any,
    uid: str,
    tz: dt.tzinfo,
    floating_tz: dt.tzinfo,
    source: str,
    runs_source: bool,
    series: bool,
) -> Event:
    first, last, all_day = _times(occurrence, tz, floating_tz)
    props = _calsync_props(occurrence)
    return Event(
        uid=uid,
        start=first,
        end=last,
        summary=_text_of(occurrence, "SUMMARY"),
        description=_text_of(occurrence, "DESCRIPTION"),
        categories=_categories(occurrence),
        all_day=all_day,
        busy=_text_of(occurrence, "TRANSP").upper() != "TRANSPARENT",
        recurrence_id=_recurrence_id(occurrence, floating_tz) if series else None,
        source=source,
        runs_source=runs_source,
        managed="MANAGED" in props,
        calsync=props,
    )


# --- writing ---------------------------------------------------------------------------------


def fold(line: str) -> bytes:
    """One content line as CRLF-terminated bytes, folded at 75 octets between characters."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return data + b"\r\n"
    out = bytearray()
    limit = 75
    pos = 0
    while len(data) - pos > limit:
        cut = pos + limit
        while cut > pos and (data[cut] & 0xC0) == 0x80:  # never inside a UTF-8 sequence
            cut -= 1
        out += data[pos:cut] + b"\r\n "
        pos = cut
        limit = 74  # the leading space counts
    out += data[pos:] + b"\r\n"
    return bytes(out)


def escape_text(value: str) -> str:
    """TEXT escaping of RFC 5545 §3.3.11."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _utc_stamp(value: dt.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=_UTC)
    return f"{value.astimezone(_UTC):%Y%m%dT%H%M%S}Z"


def _tzid(tz: dt.tzinfo) -> str | None:
    """The TZID to write for `tz`, or None when times are written in UTC."""
    key = getattr(tz, "key", None)
    if not isinstance(key, str) or key.upper() in ("UTC", "ETC/UTC", "Z"):
        return None
    return key


_VTIMEZONE_YEARS_AFTER = 5  # a written VTIMEZONE covers the blocks' years and 5 more


@functools.lru_cache(maxsize=32)
def _vtimezone(tz: dt.tzinfo, tzid: str, first_year: int, last_year: int) -> tuple[str, ...]:
    """The unfolded lines of a VTIMEZONE for `tz` over the given years."""
    from icalendar import Timezone

    component = Timezone.from_tzinfo(
        tz, tzid=tzid, first_date=dt.date(first_year, 1, 1), last_date=dt.date(last_year + 1, 1, 1)
    )
    text = _UNFOLD.sub("", component.to_ical().decode("utf-8"))
    return tuple(x for x in _LINES.split(text) if x)


def _when(name: str, value: dt.datetime, tz: dt.tzinfo, tzid: str | None) -> str:
    if tzid is None:
        return f"{name}:{_utc_stamp(value)}"
    return f"{name};TZID={tzid}:{value.astimezone(tz):%Y%m%dT%H%M%S}"


def _vevent_lines(
    block: Block,
    *,
    uid: str,
    dtstamp: dt.datetime,
    tz: dt.tzinfo,
    tzid: str | None,
    props: Mapping[str, str],
    transparent: bool,
    private_title: str | None,
    sequence: int,
) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{_utc_stamp(dtstamp)}",
        _when("DTSTART", block.start, tz, tzid),
        _when("DTEND", block.end, tz, tzid),
        f"SEQUENCE:{int(sequence)}",
        f"SUMMARY:{escape_text(private_title if private_title is not None else block.summary)}",
    ]
    if private_title is None and block.description:
        lines.append(f"DESCRIPTION:{escape_text(block.description)}")
    lines.append(f"CATEGORIES:{CATEGORY}")
    lines.append(f"TRANSP:{'TRANSPARENT' if transparent else 'OPAQUE'}")
    for key in sorted(props):
        name = re.sub(r"[^A-Z0-9-]", "-", key.upper())
        lines.append(f"X-CALSYNC-{name}:{escape_text(str(props[key]))}")
    lines.append("END:VEVENT")
    return lines


def _document(head: list[str], blocks: Sequence[Block], tz: dt.tzinfo, body: list[str]) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", *head]
    tzid = _tzid(tz)
    if tzid is not None and blocks:
        years = [b.start.astimezone(tz).year for b in blocks] + [
            b.end.astimezone(tz).year for b in blocks
        ]
        # A user may drag a block into a later year; its VTIMEZONE must still give that
        # year's DST rules (icalendar writes each transition, not an RRULE).
        last = min(max(years) + _VTIMEZONE_YEARS_AFTER, _LATEST.year - 1)
        lines += _vtimezone(tz, tzid, min(years), last)
    lines += body
    lines.append("END:VCALENDAR")
    return b"".join(fold(line) for line in lines)


def default_uid(slot: str) -> str:
    """The UID of a block when nobody chose one: `2026-W48/1` -> `2026-W48-1@calsync`."""
    return f"{slot.replace('/', '-')}@calsync"


def render_calendar(
    blocks: Sequence[Block],
    *,
    dtstamp: dt.datetime,
    tz: dt.tzinfo,
    name: str,
    uids: Mapping[str, str] | None = None,
    sequence: Mapping[str, int] | None = None,
    transparent: bool = False,
    refresh_minutes: int | None = None,
    private_title: str | None = None,
    props: Mapping[str, Mapping[str, str]] | None = None,
) -> bytes:
    """A whole calendar of blocks: deterministic CRLF bytes with a VTIMEZONE for `tz`."""
    head = [f"X-WR-CALNAME:{escape_text(name)}"]
    if refresh_minutes is not None:
        head.append(f"REFRESH-INTERVAL;VALUE=DURATION:PT{int(refresh_minutes)}M")
        head.append(f"X-PUBLISHED-TTL:PT{int(refresh_minutes)}M")
    tzid = _tzid(tz)
    named = [((uids or {}).get(b.slot) or default_uid(b.slot), b) for b in blocks]
    named.sort(key=lambda item: (item[1].start.astimezone(_UTC), item[0]))
    body: list[str] = []
    for uid, block in named:
        body += _vevent_lines(
            block,
            uid=uid,
            dtstamp=dtstamp,
            tz=tz,
            tzid=tzid,
            props=(props or {}).get(uid, {}),
            transparent=transparent,
            private_title=private_title,
            sequence=(sequence or {}).get(uid, 0),
        )
    return _document(head, blocks, tz, body)


def render_block(
    block: Block,
    *,
    uid: str,
    dtstamp: dt.datetime,
    tz: dt.tzinfo,
    props: Mapping[str, str],
    transparent: bool = False,
    private_title: str | None = None,
    sequence: int = 0,
) -> bytes:
    """One VCALENDAR with one VEVENT (and its VTIMEZONE), for a CalDAV PUT."""
    body = _vevent_lines(
        block,
        uid=uid,
        dtstamp=dtstamp,
        tz=tz,
        tzid=_tzid(tz),
        props=props,
        transparent=transparent,
        private_title=private_title,
        sequence=sequence,
    )
    return _document([], [block], tz, body)


# --- comparing -------------------------------------------------------------------------------


def same_content(a: bytes, b: bytes) -> bool:
    """True when two calendar objects say the same about their events.

    Ignores DTSTAMP, PRODID, LAST-MODIFIED, CREATED, SEQUENCE, X-MOZ-*, X-APPLE-*, X-LIC-*,
    property order, line folding, alarms and how a time is written (TZID, VTIMEZONE, UTC):
    two times agree when they are the same instant. DURATION equals the DTEND it implies, and a
    missing TRANSP equals OPAQUE. Data that does not parse equals only identical bytes.
    """
    if a == b:
        return True
    try:
        with warnings.catch_warnings():  # a comparison has nothing to tell the user
            warnings.simplefilter("ignore")
            return _normalised(a) == _normalised(b)
    except Exception:
        return False


def _normalised(data: bytes) -> list[tuple[tuple[str, str], ...]]:
    from icalendar import Calendar

    cals = Calendar.from_ical(data, multiple=True)
    events = []
    for cal in cals:
        for component in cal.walk("VEVENT"):
            events.append(_normal_event(component))
    return sorted(events)


def _instant(value: Any) -> str:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return "floating " + value.isoformat()
        return value.astimezone(_UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _normal_value(name: str, value: Any) -> str:
    items = value if isinstance(value, list) else [value]
    parts: list[str] = []
    for item in items:
        if name in ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE"):
            dts = getattr(item, "dts", None)
            values = [d.dt for d in dts] if dts is not None else [item.dt]
            parts += [_instant(v) for v in values]
        elif name == "CATEGORIES":
            parts += sorted(str(c) for c in getattr(item, "cats", [item]))
        elif hasattr(item, "to_ical"):
            raw = item.to_ical()
            parts.append(raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw))
        else:
            parts.append(str(item))
    if name in ("EXDATE", "RDATE", "CATEGORIES"):
        parts.sort()
    return "\x1f".join(parts)


def _normal_event(component: Any) -> tuple[tuple[str, str], ...]:
    props: dict[str, str] = {}
    for key in component:
        name = str(key).upper()
        if name in _NOISE or name.startswith(_NOISE_PREFIXES) or name == "DURATION":
            continue
        props[name] = _normal_value(name, component[key])
    if "DTEND" not in props and "DURATION" in component and "DTSTART" in component:
        begins = component["DTSTART"].dt
        duration = component["DURATION"].dt
        if isinstance(duration, dt.timedelta):
            props["DTEND"] = _instant(begins + duration)
    props.setdefault("TRANSP", "OPAQUE")
    return tuple(sorted(props.items()))


# --- the calendar's own zone (issue 8, item 7) -------------------------------------------------

_ZONE_HINT = re.compile(
    r"^(?:X-WR-TIMEZONE[;:](?:[^:\r\n]*:)?(?P<xwr>[^\r\n]*)"
    r'|DTSTART;(?:[^:\r\n]*;)?TZID=(?P<tzid>"[^"\r\n]*"|[^;:\r\n]*))',
    re.IGNORECASE | re.MULTILINE,
)


def calendar_zones(data: bytes | str) -> tuple[zoneinfo.ZoneInfo | None, dict[str, int]]:
    """Where the calendar's owner lives: its X-WR-TIMEZONE (None when absent or unknown), and
    how many events start in each zone (IANA keys of their DTSTART TZIDs; not counted once a
    known X-WR-TIMEZONE is found, which wins). Pure; one regex pass, no parsing."""
    text = _decode(data) if isinstance(data, bytes) else data
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
