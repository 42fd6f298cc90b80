"""Which compliant days of a week get the sessions: spacing, and the best spaced set.

Pure: no I/O, no clock. The rules are documented once, in `calsync.core.plan`.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

from calsync.core.plan_state import Candidate


def too_close(day: dt.date, strength: set[dt.date], rest: int) -> dt.date | None:
    """The strength day within `rest` days of `day`, if any."""
    for gap in range(1, rest + 1):
        for other in (day - dt.timedelta(days=gap), day + dt.timedelta(days=gap)):
            if other in strength:
                return other
    return None


_ChoiceKey = tuple[int, int, int, int, tuple[dt.date, ...]]


def choose(
    candidates: Sequence[Candidate],
    need: int,
    own: Sequence[dt.date],
    first: dt.date,
    rest: int,
) -> tuple[Candidate, ...]:
    """The best spaced set: most blocks, fewest activation sessions (at most one a week, in
    the taper before a race), fewest avoided days, most spread, earliest."""
    own_offsets = [(d - first).days for d in own]
    for size in range(min(need, len(candidates)), 0, -1):
        combos = itertools.combinations(candidates, size)
        keyed = [(_key(c, own_offsets, first), c) for c in combos if _possible(c, rest)]
        if keyed:
            return min(keyed, key=lambda pair: pair[0])[1]
    return ()


def _possible(combo: Sequence[Candidate], rest: int) -> bool:
    """Spaced by more than `rest` days, with at most one activation session."""
    if any((b.day - a.day).days <= rest for a, b in itertools.pairwise(combo)):
        return False
    return sum(c.activation for c in combo) <= 1


def _key(combo: Sequence[Candidate], own_offsets: Sequence[int], first: dt.date) -> _ChoiceKey:
    """The smaller the better (see `choose`)."""
    offsets = sorted([(c.day - first).days for c in combo] + list(own_offsets))
    return (
        sum(c.activation for c in combo),  # a full session where the taper allows
        sum(c.avoided for c in combo),
        sum(c.rest_day for c in combo),
        -_spread(offsets),
        tuple(c.day for c in combo),
    )


def _spread(offsets: Sequence[int]) -> int:
    """The smallest gap between strength days, the week taken as a cycle of 7 days."""
    if len(offsets) < 2:
        return 7
    gaps = [b - a for a, b in itertools.pairwise(offsets)]
    gaps.append(offsets[0] + 7 - offsets[-1])
    return min(gaps)
