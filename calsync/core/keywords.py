"""The built-in vocabularies, read once at import from the package data
calsync/data/keywords.toml (through importlib.resources: data shipped with calsync, not user
input).

Pure: no I/O, no clock, no logging. The rules are documented once, in `calsync.core.classify`.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

from calsync.core.vocab import build_vocab
from calsync.core.vocab import values


def _load_vocabulary() -> dict[str, Any]:
    # Package data shipped with calsync, read once at import (not user input).
    data = resources.files("calsync").joinpath("data", "keywords.toml").read_text("utf-8")
    return tomllib.loads(data)


DATA = _load_vocabulary()

RUN = build_vocab(DATA["run"], "run")

GENERIC = build_vocab(DATA["generic"], "generic")

STRENGTH = build_vocab(DATA["strength"], "strength")

SPORTS = tuple(build_vocab(table, name) for name, table in DATA["sports"].items())

ADMIN = build_vocab(DATA["admin"], "meeting or appointment")

REST = build_vocab(DATA["rest"], "a rest day")

CONTEXTS = (
    build_vocab(DATA["context_race_help"], "helping at a race"),
    build_vocab(DATA["context_expo"], "a race expo or bib pick-up"),
)

SOCIAL = build_vocab(DATA["context_social"], "a social event")

PACING = build_vocab(DATA["pacing"], "pacing")

LONG = build_vocab(DATA["long"], "long")

# "long" alone is a long run only at the end or before these ("Long 25k", "Sunday long"),
# never in "long intervals" or "long weekend".
LONG_NEXT = frozenset(values(DATA["long_next"], "words"))

INTERVAL = build_vocab(DATA["interval"], "speed")

RACE = build_vocab(DATA["race"], "race")

EASY = build_vocab(DATA["easy"], "easy")

STRIDES = frozenset(values(DATA["strides"], "words"))

EASY_TEMPO = frozenset(values(DATA["easy_tempo"], "words"))

TRAINING_CALENDAR = build_vocab(DATA["training_calendar"], "training calendar")

SPORT_CATEGORY = build_vocab(DATA["sport_category"], "sport category")

NEUTRAL = frozenset(values(DATA["neutral"], "words"))
