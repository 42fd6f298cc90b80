"""Which run: long, interval or easy, from the markers and the figures.

Pure: no I/O, no clock, no logging. The rules are documented once, in `calsync.core.classify`.
"""

from __future__ import annotations

from calsync.core.keywords import EASY
from calsync.core.markers import named_long
from calsync.core.markers import race_title
from calsync.core.markers import speed_marker
from calsync.core.measures import Measures
from calsync.core.measures import figures_text
from calsync.core.measures import long_by_numbers
from calsync.core.text import WHERE
from calsync.core.text import Fields
from calsync.core.text import Text
from calsync.model import ClassifyRules
from calsync.model import Kind


def run_kind(f: Fields, m: Measures, rules: ClassifyRules) -> tuple[Kind, str]:
    """Long, interval or easy, with the reason: the first rule of step 4 that applies."""
    easy_title = EASY.find(f.summary) is not None
    names = ["summary", "categories"] + ([] if easy_title else ["description"])
    for name in names:
        text: Text = getattr(f, name)
        why = named_long(text)
        if why is not None:
            return Kind.LONG, why + WHERE[name]
        # "parkrun, easy with a friend": a race run easy is an easy run
        why = speed_marker(text, races=not easy_title)
        if why is not None:
            return Kind.INTERVAL, why + WHERE[name]
    why = race_title(f.summary)
    if why is not None:
        return Kind.INTERVAL, why
    why = long_by_numbers(m, rules)
    if why is not None:
        return Kind.LONG, why
    for name in ("summary", "categories", "description"):
        hit = EASY.find(getattr(f, name))
        if hit is not None:
            return Kind.EASY, f'"{hit.quote}"{WHERE[name]} marks an easy run{figures_text(m)}'
    return Kind.EASY, f"a run with no speed or long marker{figures_text(m)}"
