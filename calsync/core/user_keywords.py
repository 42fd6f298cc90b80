"""The user's own keywords (`[classify.keywords]`): they win over everything built in.

Pure: no I/O, no clock, no logging. The rules are documented once, in `calsync.core.classify`.
"""

from __future__ import annotations

import re
from functools import lru_cache

from calsync.core.markers import has_marker
from calsync.core.markers import other_activity
from calsync.core.markers import run_word
from calsync.core.text import WHERE
from calsync.core.text import Fields
from calsync.core.text import Text
from calsync.core.text import fold
from calsync.model import Kind

_USER_ORDER = (Kind.OTHER, Kind.STRENGTH, Kind.INTERVAL, Kind.LONG, Kind.EASY)

Keywords = tuple[tuple[str, tuple[str, ...]], ...]


def _keyword_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    parts = []
    for word in words:
        folded = "".join(fold(c) for c in word.strip())
        if not folded:
            continue
        body = r"[\s\-_]*".join(re.escape(piece) for piece in folded.split())
        before = r"(?<!\w)" if re.match(r"\w", folded) else ""
        after = r"(?!\w)" if re.search(r"\w$", folded) else ""
        parts.append(before + body + after)
    return re.compile("|".join(parts)) if parts else None


@lru_cache(maxsize=64)
def _user_patterns(keywords: Keywords) -> tuple[tuple[Kind, re.Pattern[str]], ...]:
    by_kind = dict(keywords)
    out = []
    for kind in _USER_ORDER:
        pattern = _keyword_pattern(by_kind.get(kind.value, ()))
        if pattern is not None:
            out.append((kind, pattern))
    return tuple(out)


def user_kind(keywords: Keywords, f: Fields) -> tuple[Kind, str] | None:
    """The kind a user keyword gives: title, then categories, then (vague titles) description."""
    patterns = _user_patterns(keywords)
    for name in ("summary", "categories", "description"):
        text: Text = getattr(f, name)
        if name == "description" and (
            run_word(f.summary) or other_activity(f.summary) or has_marker(f.summary)
        ):
            return None  # the title speaks for itself
        for kind, pattern in patterns:
            m = pattern.search(text.norm)
            if m is not None:
                return kind, f'your keyword "{text.quote(*m.span())}"{WHERE[name]}'
    return None
