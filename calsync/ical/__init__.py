"""The one iCalendar codec of calsync: read occurrences, write blocks, compare objects.

The package holds the raw-text scan (`scan`, `text`), the TZID to zone mapping (`zones`), the
checks, guards and expansion of recurring series (`checks`, `rules`, `expand`, `workarounds`,
`occurrences`, `instants`), the reader that ties them together (`read`), the writer (`write`) and
the comparer (`compare`). It may import only itself, `calsync.model`, `calsync.errors`, the
standard library and the iCalendar libraries (icalendar, recurring-ical-events, x-wr-timezone),
the last only inside functions so that importing calsync stays cheap: never the settings, the
core, an adapter, the use cases or the shell (`tests/test_layout.py` enforces it). Other code
uses just the names below.
"""

from __future__ import annotations

from calsync.ical.compare import same_content
from calsync.ical.read import parse_events
from calsync.ical.write import CATEGORY
from calsync.ical.write import default_uid
from calsync.ical.write import fold
from calsync.ical.write import render_block
from calsync.ical.write import render_calendar
from calsync.ical.zones import calendar_zones
from calsync.ical.zones import zone_named

__all__ = [
    "CATEGORY",
    "calendar_zones",
    "default_uid",
    "fold",
    "parse_events",
    "render_block",
    "render_calendar",
    "same_content",
    "zone_named",
]
