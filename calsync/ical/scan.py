"""The cheap first pass over the unfolded text, before icalendar parses anything.

It splits the calendar into its properties, VTIMEZONEs and VEVENTs grouped by UID; drops lines
that cannot be content lines (no colon, megabytes long), naming their line numbers; recovers
from a component never closed or closed with a mistyped END; keeps of each VEVENT only the
properties calsync reads; and pre-selects the UIDs that may touch the window (every series,
and single events whose loose dates say they may).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from dataclasses import field

from calsync.ical.instants import SLACK
from calsync.ical.instants import UTC
from calsync.ical.text import LINES
from calsync.ical.text import UNFOLD
from calsync.ical.text import value_of

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


_NAME = re.compile(r"[A-Za-z0-9-]+")
_DATE8 = re.compile(r"(\d{4})(\d{2})(\d{2})")
_DURATION = re.compile(r"([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


@dataclass
class Chunk:
    """One VEVENT's unfolded lines and what the quick scan found in them."""

    lines: list[str]
    uid: str = ""
    dtstart: str | None = None
    dtend: str | None = None
    duration: str | None = None
    recurring: bool = False  # RRULE, RDATE or RECURRENCE-ID

    def keep(self, name: str, line: str) -> None:
        """Keep a content line (of property `name`), noting what the pre-selection reads."""
        self.lines.append(line)
        if name == "UID":
            self.uid = value_of(line).strip()
        elif name == "DTSTART":
            self.dtstart = value_of(line)
        elif name == "DTEND":
            self.dtend = value_of(line)
        elif name == "DURATION":
            self.duration = value_of(line).strip()
        elif name in ("RRULE", "RDATE", "RECURRENCE-ID", "EXRULE"):
            self.recurring = True


@dataclass
class Scan:
    """The calendar split into its parts, before any real parsing."""

    props: list[str] = field(default_factory=list)
    timezones: list[list[str]] = field(default_factory=list)
    groups: dict[str, list[Chunk]] = field(default_factory=dict)
    truncated: int = 0
    notes: list[str] = field(default_factory=list)  # what the scan had to repair, in words


# Components that only ever sit directly inside VCALENDAR (RFC 5545 §3.6): a BEGIN of one of
# them deeper down means an earlier component was never closed.
_TOP_LEVEL = frozenset({"VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY", "VTIMEZONE", "VAVAILABILITY"})


def scan_calendar(text: str, source: str) -> Scan:
    """Split unfolded text into calendar properties, VTIMEZONEs and VEVENTs grouped by UID.

    A component that is never closed, or closed with a mistyped END (`BEGIN:VTODO` ...
    `END:VTOOD`), would swallow every event after it: the scan reads on from the next
    top-level BEGIN and says so, with the line numbers.
    """
    scanner = _Scanner()
    for index, line in enumerate(LINES.split(UNFOLD.sub("", text))):
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
    """What `scan_calendar` knows part-way: the open components, the one being collected."""

    def __init__(self) -> None:
        self.scan = Scan()
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
    for number, line in enumerate(LINES.split(text), 1):
        if not numbers or line[:1] not in (" ", "\t"):
            numbers.append(number)
    return numbers


def _add_chunk(scan: Scan, lines: list[str]) -> None:
    """Record one VEVENT, keeping only the properties calsync reads (less for icalendar to do)."""
    chunk = Chunk([lines[0]])
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
        chunk.keep(name, line)
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


def _might_touch(chunk: Chunk, first: dt.date, last: dt.date) -> bool:
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


def preselect(scan: Scan, start: dt.datetime, end: dt.datetime) -> list[str]:
    """The UIDs worth parsing: every series, and single events that may touch the window."""
    first = start.astimezone(UTC).date() - SLACK
    last = end.astimezone(UTC).date() + SLACK
    kept: list[str] = []
    for uid, chunks in scan.groups.items():
        if any(c.recurring for c in chunks) or any(_might_touch(c, first, last) for c in chunks):
            kept.append(uid)
    return kept
