"""Which marked events are calsync's blocks and which are the user's copies (pure)."""

from __future__ import annotations

import datetime as dt

from calsync.core.classify import classify_all
from calsync.core.copies import is_copy
from calsync.core.copies import is_own_block
from calsync.core.copies import users_copies
from calsync.model import ClassifyRules
from calsync.model import Event
from calsync.model import Kind

START = dt.datetime(2026, 12, 3, 8, tzinfo=dt.UTC)
MARKS = {"MANAGED": "1", "WEEK": "2026-W49", "SLOT": "2026-W49/2"}


def marked(uid: str) -> Event:
    end = START + dt.timedelta(minutes=45)
    return Event(uid, START, end, "Strength", managed=True, calsync=MARKS, runs_source=False)


def test_the_uid_decides_block_or_copy() -> None:
    for uid in ("1b4e28ba-2fa1-41d2-883f-0016d3cca427@calsync", "2026-W49-2@calsync",
                "2026-W49-1@feed.calsync"):  # fmt: skip
        assert is_own_block(marked(uid)) and not is_copy(marked(uid))
    for uid in ("6F1C2B9E-4D3A-4C1B-9E27-83A5D0C4F1B2", "x@google.com", "a@calsync.test"):
        assert is_copy(marked(uid)) and not is_own_block(marked(uid))
    plain = Event("gym", START, START + dt.timedelta(hours=1), "Gym")
    assert not is_copy(plain) and not is_own_block(plain)


def test_a_copy_is_the_users_strength_session_and_a_block_stays_calsyncs() -> None:
    block, copy = users_copies([marked("2026-W49-2@calsync"), marked("ABC-123")])
    assert block.managed and not copy.managed and dict(copy.calsync) == MARKS
    kinds = [(c.kind, c.reason) for c in classify_all([block, copy], ClassifyRules())]
    assert kinds[0] == (Kind.STRENGTH, "strength: a calsync strength block")
    assert kinds[1][0] is Kind.STRENGTH and "your copy of a calsync block" in kinds[1][1]
