"""Reading the parts of a VEVENT's RRULE and EXRULE as icalendar gives them (lists, enums)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from calsync.ical.instants import UTC


def rules_of(component: Any) -> list[Mapping[str, Any]]:
    found: list[Mapping[str, Any]] = []
    for name in ("RRULE", "EXRULE"):
        value = component.get(name)
        if value is None:
            continue
        for rule in value if isinstance(value, list) else [value]:
            if isinstance(rule, Mapping):
                found.append(rule)
    return found


def rule_number(rule: Mapping[str, Any], key: str) -> int | None:
    values = rule.get(key)
    if not values:
        return None
    value = values[0] if isinstance(values, list) else values
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def rule_word(value: object) -> str:
    """A rule part's first value as an upper-case word (icalendar gives enums for some)."""
    first = value[0] if isinstance(value, list) and value else value
    return str(getattr(first, "value", first)).upper()


def until_utc(value: object) -> dt.datetime | None:
    """A rule's UNTIL as an aware instant, loosely (floating and dates read as UTC)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), tzinfo=UTC)
    return None


def rule_text(rule: Mapping[str, Any]) -> str:
    """A rule as written in the file, for a message."""
    to_ical = getattr(rule, "to_ical", None)
    return to_ical().decode() if to_ical is not None else str(rule)


def is_plain_gregorian(rule: Mapping[str, Any]) -> bool:
    """True for RSCALE=GREGORIAN with no SKIP or SKIP=OMIT (`workarounds.plain_gregorian`)."""
    scale = rule.get("RSCALE")
    skip = rule_word(rule.get("SKIP") or "OMIT")
    return scale is not None and rule_word(scale) == "GREGORIAN" and skip == "OMIT"
