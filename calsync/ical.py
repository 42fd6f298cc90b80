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
import re
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

PRODID = "-//calsync//calsync//EN"
CATEGORY = "Strength"
_UTC = dt.UTC
_DAY = dt.timedelta(days=1)
_SLACK = dt.timedelta(days=2)  # any zone is within ±14 h of UTC; dates are compared loosely

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
    problems: list[Problem] = []
    if scan.truncated:
        problems.append(Problem(source, None, f"{scan.truncated} unterminated VEVENT(s) skipped"))
    kept = _preselect(scan, start, end)
    _name_zones(scan, kept)
    xwr = _xwr_zone(scan.props)
    floating_tz = xwr or tz
    components = _parse_groups(scan, kept, source, problems)
    events: list[Event] = []
    for uid, group in components.items():
        try:
            events += _expand(group, uid, start, end, tz, floating_tz, xwr, source, runs_source)
            problems += [Problem(source, uid, why) for why in _broken_overrides(group)]
        except _SkipError as skip:
            problems.append(Problem(source, uid, skip.why))
        except Exception as exc:  # a library error in one series must not stop the others
            problems.append(Problem(source, uid, f"skipped: {_describe(exc)}"))
    events.sort(key=lambda e: (e.start, e.uid, e.recurrence_id or ""))
    return events, problems


class _SkipError(Exception):
    """One UID cannot be read; `why` says it in words."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def _describe(exc: Exception) -> str:
    text = " ".join(str(exc).split())[:200] or type(exc).__name__
    if type(exc).__name__ in ("BadRuleStringFormat", "InvalidRRule"):
        return f"bad recurrence rule: {text}"
    return text


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


def _scan(text: str, source: str) -> _Scan:
    """Split unfolded text into calendar properties, VTIMEZONEs and VEVENTs grouped by UID."""
    scan = _Scan()
    stack: list[str] = []
    current: list[str] | None = None
    for line in _LINES.split(_UNFOLD.sub("", text)):
        if not line.strip():
            continue
        head = line[:6].upper()
        if head == "BEGIN:":
            name = line[6:].strip().upper()
            stack.append(name)
            if len(stack) == 2 and name in ("VEVENT", "VTIMEZONE"):
                current = [line]
            elif current is not None:
                current.append(line)
            continue
        if head[:4] == "END:":
            name = line[4:].strip().upper()
            if name in stack:
                while stack and stack.pop() != name:
                    pass
            if current is not None:
                current.append(line)
                if len(stack) == 1:
                    if name == "VTIMEZONE":
                        scan.timezones.append(current)
                    else:
                        _add_chunk(scan, current)
                    current = None
            continue
        if current is not None:
            current.append(line)
        elif len(stack) == 1:
            scan.props.append(line)
    if current is not None:
        scan.truncated += 1
    return scan


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
        ends = None if days is None else begins + dt.timedelta(days=days)
    else:
        ends = begins + _DAY
    return ends is None or ends >= first


def _preselect(scan: _Scan, start: dt.datetime, end: dt.datetime) -> list[str]:
    """The UIDs worth parsing: every series, and single events that may touch the window."""
    first = start.astimezone(_UTC).date() - _SLACK
    last = end.astimezone(_UTC).date() + _SLACK
    kept: list[str] = []
    for uid, chunks in scan.groups.items():
        if any(c.recurring for c in chunks) or any(_might_touch(c, first, last) for c in chunks):
            kept.append(uid)
    return kept


def _xwr_zone(props: Sequence[str]) -> zoneinfo.ZoneInfo | None:
    for line in props:
        if line[:14].upper() in ("X-WR-TIMEZONE:", "X-WR-TIMEZONE;"):
            return _zone(_value(line).strip())
    return None


@functools.cache
def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    """A zone by IANA or Windows name; None when unknown."""
    from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

    name = WINDOWS_TO_OLSON.get(name, name)
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


_TZID_PARAM = re.compile(r'(;TZID=)("[^"]*"|[^;:]*)', re.IGNORECASE)
_ZONED = ("DTSTART", "DTEND", "EXDATE", "RDATE", "RECURRENCE-ID")
_UTC_NAME = re.compile(
    r"\(?\s*(?:UTC|GMT)\s*(?:([+-])(\d{1,2})(?::?(\d{2}))?)?\s*\)?\s*(.*)$", re.I
)


def _name_zones(scan: _Scan, uids: Iterable[str]) -> None:
    """Give a TZID that has no VTIMEZONE and no IANA or Windows name the zone it means.

    Outlook writes display names such as "(UTC+01:00) Amsterdam, Berlin, Bern, Rome,
    Stockholm, Vienna", often without a VTIMEZONE; icalendar would read those times as
    floating (the home zone). The first city that is an IANA zone wins, else the fixed offset.
    """
    defined = set()
    for lines in scan.timezones:
        for line in lines:
            if line[:5].upper() == "TZID:":
                defined.add(line[5:].strip())
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
                if key is not None and key != name:
                    chunk.lines[i] = line[: match.start(2)] + key + line[match.end(2) :]


_US_ZONES = {
    "eastern time": "America/New_York",
    "central time": "America/Chicago",
    "mountain time": "America/Denver",
    "pacific time": "America/Los_Angeles",
    "alaska": "America/Anchorage",
}


@functools.cache
def _zone_key(name: str) -> str | None:
    """The IANA key for a TZID (IANA, Windows or Outlook display name), or None."""
    zone = _zone(name)
    if zone is not None:
        return zone.key
    match = _UTC_NAME.match(name.strip())
    if match is None:
        return None
    sign, hours, minutes, places = match.groups()
    for phrase, us_key in _US_ZONES.items():
        if phrase in places.casefold():
            return us_key
    zones = _iana_by_city()
    for city in re.split(r"[,:]", places):
        found = zones.get(city.strip().replace(" ", "_").casefold())
        if found is not None:
            return found
    if not sign:
        return "UTC"
    if minutes not in (None, "00") or int(hours) > 14:
        return None
    # Etc/GMT-1 is UTC+01:00: POSIX signs are inverted.
    return "UTC" if int(hours) == 0 else f"Etc/GMT{'-' if sign == '+' else '+'}{int(hours)}"


@functools.cache
def _iana_by_city() -> dict[str, str]:
    found: dict[str, str] = {}
    for key in sorted(zoneinfo.available_timezones()):
        if "/" in key and not key.startswith(("Etc/", "SystemV/", "posix/", "right/")):
            found.setdefault(key.rsplit("/", 1)[1].casefold(), key)
    return found


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
                problems.append(Problem(source, uid, f"skipped: unreadable: {_describe(exc)}"))
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
            return f"bad {str(name).upper()}: {why}"
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
        for component in good:
            why = _runaway(component, start, end)
            if why is not None:
                raise _SkipError(f"skipped: {why}")
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


def _runaway(component: Any, start: dt.datetime, end: dt.datetime) -> str | None:
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
    walked = max(0.0, (end - begins).total_seconds()) + 86400
    inside = max(0.0, (end - max(start, begins)).total_seconds()) + 86400
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
        if stop is not None and stop + _DAY < end:  # the rule stops early: less to walk
            walk = max(0.0, (stop - begins).total_seconds()) + 86400
            within = max(0.0, (stop - max(start, begins)).total_seconds()) + 86400
        steps = walk / (period * (interval or 1)) * per_period
        found = within / (period * (interval or 1)) * per_period
        if count is not None:
            steps, found = min(steps, count), min(found, count)
        if steps > _MAX_STEPS or found > _MAX_OCCURRENCES:
            return f"recurrence rule repeats too often to expand ({name.lower()}): {text}"
    return None


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


def _plus(begins: dt.date, duration: dt.timedelta) -> dt.date:
    """RFC 5545 §3.3.6: days are nominal (wall clock), hours and less are exact."""
    nominal = begins + dt.timedelta(days=duration.days)
    if not isinstance(nominal, dt.datetime) or nominal.tzinfo is None or not duration.seconds:
        return nominal + dt.timedelta(seconds=duration.seconds)
    exact = nominal.astimezone(_UTC) + dt.timedelta(seconds=duration.seconds)
    return exact.astimezone(nominal.tzinfo)


def _midnight(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=tz)


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
            finish = _plus(begins, duration)
    if not isinstance(begins, dt.datetime):  # a DATE: all day
        last = finish.date() if isinstance(finish, dt.datetime) else finish
        if isinstance(finish, dt.datetime) and finish.time() != dt.time():
            last = finish.date() + _DAY
        if last is None or last <= begins:
            last = begins + _DAY
        return _midnight(begins, tz), _midnight(last, tz), True
    # Through UTC: a wall time the clock skips (RFC 5545: read with the offset before the
    # gap) comes out as the real local time, not as a time that never shows on the clock.
    first = _aware(begins, floating_tz).astimezone(_UTC).astimezone(tz)
    if isinstance(finish, dt.datetime):
        until = _aware(finish, floating_tz).astimezone(_UTC).astimezone(tz)
    elif isinstance(finish, dt.date):
        until = _midnight(finish, tz).astimezone(_UTC).astimezone(tz)
    else:
        until = first
    return first, max(first, until), False


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
        return _aware(when, floating_tz).astimezone(_UTC).isoformat()
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
        lines += _vtimezone(tz, tzid, min(years), max(years))
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
