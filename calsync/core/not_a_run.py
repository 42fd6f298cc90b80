"""Is it a run? The verdict for events that are not one: helping at a race or its expo, a
social event, strength, another sport, a meeting, a rest day, or no marker at all.

Pure: no I/O, no clock, no logging. The rules are documented once, in `calsync.core.classify`.
"""

from __future__ import annotations

from calsync.core.keywords import CONTEXTS
from calsync.core.keywords import GENERIC
from calsync.core.keywords import NEUTRAL
from calsync.core.keywords import PACING
from calsync.core.keywords import REST
from calsync.core.keywords import SOCIAL
from calsync.core.markers import has_marker
from calsync.core.markers import other_activity
from calsync.core.markers import run_word
from calsync.core.measures import Measures
from calsync.core.text import DIGIT
from calsync.core.text import WHERE
from calsync.core.text import Fields
from calsync.core.text import Text
from calsync.core.vocab import Hit
from calsync.core.vocab import first_hit
from calsync.model import Kind


def helping_context(summary: Text) -> tuple[Kind, str] | None:
    """Helping at a race, its expo or bib pick-up: not a run, unless pacing someone."""
    hit = first_hit(summary, CONTEXTS)
    if hit is None or PACING.find(summary) is not None:
        return None
    return Kind.OTHER, f'not a run ("{hit.quote}": {hit.label})'


def social_event(summary: Text, run: Hit, m: Measures) -> tuple[Kind, str] | None:
    """ "Run club breakfast", "Lauftreff Weihnachtsfeier": a social event after the run word,
    with no figure and no training marker in the title ("Breakfast run" stays a run)."""
    hit = SOCIAL.find(summary)
    if hit is None or hit.start < run.start or figures_in_title(m) or has_marker(summary):
        return None
    return Kind.OTHER, f'not a run ("{hit.quote}": {hit.label})'


# The reason of an event with nothing that makes it a run (then `unread` asks whether it
# still looks like training).
FALLBACK = "no run, strength or training marker"


def verdict_if_not_run(f: Fields, m: Measures) -> tuple[Kind, str] | None:
    """None for a run; otherwise its kind (strength or other) and the reason."""
    verdict = helping_context(f.summary)
    if verdict is not None:
        return verdict
    for name in ("summary", "categories"):
        text: Text = getattr(f, name)
        run = run_word(text)
        if run:
            return social_event(text, run, m) if name == "summary" else None
        verdict = other_activity(text, WHERE[name])
        if verdict is not None:
            return verdict
    return _without_run_word(f, m)


def _without_run_word(f: Fields, m: Measures) -> tuple[Kind, str] | None:
    """A title with no run word: a marker, a figure (runs calendar) or a vague word."""
    rest = REST.find(f.summary)
    if rest is not None and not has_marker(f.summary):
        return Kind.OTHER, f'not a run ("{rest.quote}": {rest.label})'
    social = SOCIAL.find(f.summary)
    if has_marker(f.summary) or (social is None and figures_in_title(m, f.summary)):
        return None  # in a runs calendar, "Base 8 km" or "Sunday 2h" is a run
    if social is not None:
        return Kind.OTHER, f'not a run ("{social.quote}": {social.label})'
    described = run_word(f.description)
    if described is None:
        verdict = other_activity(f.description, WHERE["description"], meetings=False)
        if verdict is not None:
            return verdict
    generic = GENERIC.find(f.summary) or GENERIC.find(f.categories)
    if generic is not None or described is not None:
        planned = m.minutes_where.startswith("planned")
        if m.distances or planned or has_marker(f.categories) or has_marker(f.description):
            return None
    return Kind.OTHER, FALLBACK


def figures_in_title(m: Measures, summary: Text | None = None) -> bool:
    """A distance in the title, or a planned duration (with `summary`: in a title of words
    with no meaning of their own, "Sunday 2h", not "Focus time 2h")."""
    if m.distances and m.distance_where == "in the title":
        return True
    if m.minutes_where != "planned":
        return False
    return summary is None or all(w in NEUTRAL or DIGIT.search(w) for w in summary.words)
