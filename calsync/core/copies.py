"""Which events are calsync's own blocks, and which are the user's copies of one. Pure.

No I/O, no clock, no logging. calsync marks what it writes with X-CALSYNC-* properties and a
UID of its own making: `<uuid4>@calsync` (sync), `2026-W49-1@calsync` (`plan --format ics`),
`2026-W49-1@feed.calsync` (the feed). A calendar app's "duplicate" (or copy and paste, or
"save as new") keeps the X-CALSYNC-* lines but gives the copy a UID of the app's making: that
copy is the user's own strength session. It counts toward its week, the spacing rule sees it,
and calsync never moves, edits or removes it. An export and re-import keeps the UID: that is
the block itself, not a copy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from calsync.model import Event

UID_SUFFIXES = ("@calsync", "@feed.calsync")
OWNER = "ACCOUNT"  # X-CALSYNC-ACCOUNT: the account a sync block belongs to
COPY_REASON = "strength: your copy of a calsync block (counts as your own session)"


def calsync_uid(uid: str) -> bool:
    """Whether calsync could have made this UID."""
    return uid.endswith(UID_SUFFIXES)


def marked(event: Event) -> bool:
    """Whether the event carries calsync's X-CALSYNC-MANAGED marker (a block or a copy)."""
    return event.managed or "MANAGED" in event.calsync


def is_own_block(event: Event) -> bool:
    """A block calsync wrote: the marker and a UID calsync made."""
    return marked(event) and calsync_uid(event.uid)


@dataclasses.dataclass(frozen=True, slots=True)
class Owner:
    """Who a sync's blocks belong to, when two accounts write into one calendar.

    A block carries X-CALSYNC-ACCOUNT (the account's name) since it was added; a block written
    before has none: it is this account's when this account's state issued its UID, or when
    this is the only account configured (nobody else could have written it: an upgrade with a
    lost state keeps its blocks). Otherwise it is another runner's.
    """

    account: str
    issued: frozenset[str] = frozenset()
    sole: bool = True

    def owns(self, event: Event) -> bool:
        marker = event.calsync.get(OWNER)
        if marker is not None:
            return marker == self.account
        return self.sole or event.uid in self.issued


def foreign(event: Event, owner: Owner) -> bool:
    """A block another account (another plan) wrote: busy time here, never moved or removed."""
    return is_own_block(event) and not owner.owns(event)


def is_copy(event: Event) -> bool:
    """The user's copy of a block: the marker under a UID calsync never makes."""
    return marked(event) and not calsync_uid(event.uid)


def copied(event: Event) -> bool:
    """A copy already turned into the user's own event by `as_users`."""
    return "MANAGED" in event.calsync and not event.managed


def as_users(event: Event) -> Event:
    """The copy as the user's own event (`managed` off; its X-CALSYNC-* values kept)."""
    return dataclasses.replace(event, managed=False) if event.managed else event


def users_copies(events: Iterable[Event]) -> list[Event]:
    """`events` with every copy of a block turned into the user's own event."""
    return [as_users(e) if is_copy(e) else e for e in events]
