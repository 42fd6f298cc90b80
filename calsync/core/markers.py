"""Training markers in text: run words, named long runs, speed sessions (repeats, paces,
speed words), races, and strength, other sports or meetings.

Pure: no I/O, no clock, no logging. The rules are documented once, in `calsync.core.classify`.
"""

from __future__ import annotations

from functools import lru_cache

from calsync.core.keywords import ADMIN
from calsync.core.keywords import EASY
from calsync.core.keywords import EASY_TEMPO
from calsync.core.keywords import INTERVAL
from calsync.core.keywords import LONG
from calsync.core.keywords import LONG_NEXT
from calsync.core.keywords import PACING
from calsync.core.keywords import RACE
from calsync.core.keywords import RUN
from calsync.core.keywords import SPORTS
from calsync.core.keywords import STRENGTH
from calsync.core.keywords import STRIDES
from calsync.core.measures import PACE
from calsync.core.measures import RACE_DISTANCE
from calsync.core.measures import may_pace
from calsync.core.measures import repeats
from calsync.core.text import Text
from calsync.core.text import as_text
from calsync.core.text import word_set
from calsync.core.vocab import Hit
from calsync.core.vocab import first_hit
from calsync.model import Kind

# "School run", "dry run", "run through the slides", "running late": not runs.
_RUN_NOT_AFTER = word_set(
    "school dry test trial supply coffee beer food shopping errand errands milk grocery "
    "airport print production pilot bank aqua pool water"
)

_RUN_NOT_BEFORE = word_set("through errands late behind")


def _not_really_run(text: Text, i: int) -> bool:
    word = text.tokens[i][0]
    if word not in ("run", "runs", "running", "jog", "jogging"):
        return False
    before = text.tokens[i - 1][0] if i > 0 else ""
    after = text.tokens[i + 1][0] if i + 1 < len(text.tokens) else ""
    return before in _RUN_NOT_AFTER or after in _RUN_NOT_BEFORE


def run_word(text: Text) -> Hit | None:
    """An explicit run word, not in "school run", "dry run" or "running late"."""
    return RUN.find(text, _not_really_run)


def _long_alone(text: Text) -> Hit | None:
    if "long" not in text.words:
        return None
    tokens = text.tokens
    for i, (word, start, end) in enumerate(tokens):
        if word != "long":
            continue
        nxt = tokens[i + 1][0] if i + 1 < len(tokens) else None
        if nxt is None or nxt[0].isdigit() or nxt in LONG_NEXT:
            return Hit("long", text.quote(start, end), start)
    return None


def named_long(text: Text) -> str | None:
    hit = LONG.find(text) or _long_alone(text)
    return None if hit is None else f'"{hit.quote}" names a long run'


def speed_marker(text: Text, *, races: bool = True) -> str | None:
    """Why `text` describes a speed session (with `races`: or a race), or None."""
    return _speed_of(text.raw, races)


def _not_speed(text: Text, i: int) -> bool:
    """ "tempo" that means a pace ("lugnt tempo", "ruhiges Tempo", "tempo libero"), and a
    numbered work sprint ("Sprint 24")."""
    word = text.tokens[i][0]
    if word not in ("tempo", "sprint"):
        return False
    before = text.tokens[i - 1][0] if i > 0 else ""
    after = text.tokens[i + 1][0] if i + 1 < len(text.tokens) else ""
    if word == "sprint":
        return after.isdigit()
    return before in EASY_TEMPO or after in EASY_TEMPO


@lru_cache(maxsize=1024)
def _speed_of(raw: str, races: bool) -> str | None:
    text = as_text(raw)
    for rep in repeats(text):
        if not rep.strides:
            return f'"{rep.quote}" matches a repeat pattern'
    pace = PACE.search(text.norm) if may_pace(text.norm) else None
    if pace is not None:
        return f'"{text.quote(*pace.span())}" is a race or threshold pace'
    hit = INTERVAL.find(text, _not_speed)
    if hit is not None:
        return f'"{hit.quote}" is a speed-session word'
    hit = RACE.find(text) if races else None
    return None if hit is None else f'"{hit.quote}" is a race'


def has_marker(text: Text) -> bool:
    """A training marker: a named long run, a speed marker, an easy-run word, strides, pacing
    or a race distance ("Berlin Marathon")."""
    found = named_long(text) or speed_marker(text) or EASY.find(text) or PACING.find(text)
    if found or not text.words.isdisjoint(STRIDES):  # "Strides": an easy day's session
        return True
    return "mara" in text.norm and RACE_DISTANCE.search(text.norm) is not None


def race_title(text: Text) -> str | None:
    """A title that is a race ("Berlin Marathon", "Semi-marathon de Paris"): the hardest
    session of all, so the day before it is treated as the day before intervals. Not when
    the title says easy ("Recovery run after the marathon")."""
    if "mara" not in text.norm or EASY.find(text) is not None:
        return None
    match = RACE_DISTANCE.search(text.norm)
    if match is None:
        return None
    return f'"{text.quote(*match.span()).strip(" -")}" is a race'


def other_activity(
    text: Text, where: str = "", *, meetings: bool = True
) -> tuple[Kind, str] | None:
    """Strength, another sport or (with `meetings`) a meeting named in `text`."""
    hit = STRENGTH.find(text)
    if hit is not None:
        return Kind.STRENGTH, f'"{hit.quote}"{where} is a strength session'
    hit = first_hit(text, SPORTS)
    if hit is not None:
        label = f'"{hit.quote}"' if hit.label == "another sport" else hit.label
        return Kind.OTHER, f"not a run ({label}{where})"
    hit = ADMIN.find(text) if meetings else None
    if hit is not None:
        return Kind.OTHER, f'not a run ("{hit.quote}"{where}: {hit.label})'
    return None
