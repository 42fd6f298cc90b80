"""The writer: a VCALENDAR of blocks (the feed, `calsync plan --format ics`) or one block (a
CalDAV PUT). The bytes depend only on the input (sorted events, the given DTSTAMP, a fixed
property order); lines are folded at 75 octets between UTF-8 characters, CRLF.

Written by hand rather than with icalendar 7's `Event.new`, `Calendar.new` and `to_ical`
(tried on icalendar 7.3): `Calendar.new` adds a random UID unless given one and writes NAME and
REFRESH-INTERVAL:PT1H where clients read X-WR-CALNAME and X-PUBLISHED-TTL; `Event.new` puts the
properties in its own order (SUMMARY first, UID last); and `to_ical` folds one octet earlier.
So the bytes, and with them the feed's ETag, would follow icalendar's release rather than the
plan. `Calendar.add_missing_timezones` builds its VTIMEZONE with `Timezone.from_tzinfo`, which
`vtimezone` below calls directly over the blocks' years and five more.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping
from collections.abc import Sequence

from calsync.ical.instants import LATEST
from calsync.ical.instants import UTC
from calsync.ical.text import LINES
from calsync.ical.text import UNFOLD
from calsync.model import Block

PRODID = "-//calsync//calsync//EN"
CATEGORY = "Strength"


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
        value = value.replace(tzinfo=UTC)
    return f"{value.astimezone(UTC):%Y%m%dT%H%M%S}Z"


def _tzid(tz: dt.tzinfo) -> str | None:
    """The TZID to write for `tz`, or None when times are written in UTC."""
    key = getattr(tz, "key", None)
    if not isinstance(key, str) or key.upper() in ("UTC", "ETC/UTC", "Z"):
        return None
    return key


_VTIMEZONE_YEARS_AFTER = 5  # a written VTIMEZONE covers the blocks' years and 5 more


@functools.lru_cache(maxsize=32)
def vtimezone(tz: dt.tzinfo, tzid: str, first_year: int, last_year: int) -> tuple[str, ...]:
    """The unfolded lines of a VTIMEZONE for `tz` over the given years."""
    from icalendar import Timezone

    component = Timezone.from_tzinfo(
        tz, tzid=tzid, first_date=dt.date(first_year, 1, 1), last_date=dt.date(last_year + 1, 1, 1)
    )
    text = UNFOLD.sub("", component.to_ical().decode("utf-8"))
    return tuple(x for x in LINES.split(text) if x)


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
        last = min(max(years) + _VTIMEZONE_YEARS_AFTER, LATEST.year - 1)
        lines += vtimezone(tz, tzid, min(years), last)
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
    named.sort(key=lambda item: (item[1].start.astimezone(UTC), item[0]))
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
