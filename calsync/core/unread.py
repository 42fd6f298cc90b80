"""Events read as "no run" that still look like training, and the warning lines for them.

Pure: no I/O, no clock, no logging. The rules are documented once, in `calsync.core.classify`.
"""

from __future__ import annotations

from collections.abc import Iterable

from calsync.core.keywords import RUN
from calsync.core.keywords import SPORT_CATEGORY
from calsync.core.keywords import TRAINING_CALENDAR
from calsync.core.markers import has_marker
from calsync.core.markers import run_word
from calsync.core.measures import Measures
from calsync.core.text import Fields
from calsync.core.text import as_text
from calsync.model import Classified
from calsync.model import Kind


def looks_like_training(f: Fields, m: Measures, calendar: str) -> str:
    """Why an event read as "no run" still looks like training ("" when it does not)."""
    if m.distances:
        return f"a distance {m.distance_where}"
    if m.minutes_where == "planned in the description":  # not "Focus time 2h" in a title
        return "a duration in the description"
    if has_marker(f.description) or run_word(f.description):
        return "training words in the description"
    hit = SPORT_CATEGORY.find(f.categories) or RUN.find(f.categories)
    if hit is not None:
        return f'the category "{hit.quote}"'
    cal = as_text(calendar)
    hit = TRAINING_CALENDAR.find(cal) or RUN.find(cal)
    return "" if hit is None else f'the calendar "{calendar}"'


def unread_warnings(classified: Iterable[Classified], limit: int = 20) -> list[str]:
    """One line per title of the "no run" events that look like training, with a count:
    a season of "Base 8 km" is one line. At most `limit` lines (the most frequent first)."""
    counts: dict[str, int] = {}
    why: dict[str, str] = {}
    for item in classified:
        if item.kind is Kind.OTHER and item.suspicious:
            title = " ".join(item.event.summary.split())[:80]
            counts[title] = counts.get(title, 0) + 1
            why.setdefault(title, item.suspicious)
    lines = []
    for title, n in sorted(counts.items(), key=lambda kv: -kv[1])[:limit]:
        times = f"{n} times; " if n > 1 else ""
        lines.append(
            f"{title or '(no title)'!r} read as not a run ({times}{why[title]}): "
            "add a keyword under [classify.keywords] if it is"
        )
    if len(counts) > limit:
        lines.append(f"... and {len(counts) - limit} more titles read as not a run")
    return lines
