"""`same_content`: whether two calendar objects say the same about their events, whatever the
server or a client rewrote (stamps, order, folding, how a time is written)."""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

from calsync.ical.instants import UTC

# Properties that say nothing about what an event is (servers and clients rewrite them).
_NOISE = frozenset({"DTSTAMP", "PRODID", "LAST-MODIFIED", "CREATED", "SEQUENCE"})
_NOISE_PREFIXES = ("X-MOZ-", "X-APPLE-", "X-LIC-", "X-RADICALE-", "X-EVOLUTION-")


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
        return value.astimezone(UTC).isoformat()
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
