"""The cheap check between syncs: "has anything changed on the server since the last sync?"

`changed_since` reads (never writes) the account's state file for the sync token of each
watched calendar (runs, busy and target) and asks the server one RFC 6578 sync-collection
REPORT per calendar with that token. An answer listing no changed and no deleted href means
nothing changed; the token is not advanced, so the sync that follows a change still sees it.

Whatever the poll cannot tell (no state yet, a calendar never read, a server without sync
tokens, a refused token, a state file another process is writing) counts as "changed": the
caller then runs the ordinary `sync_once`, which sorts it out (on a server without tokens a
no-change sync is one time-range REPORT per calendar, the same number of requests).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field

from calsync.adapters.caldav_store import CalendarRef
from calsync.adapters.caldav_store import SyncTokenError
from calsync.adapters.state import Collection
from calsync.adapters.state import State
from calsync.adapters.state import StateDamagedError
from calsync.adapters.state import default_state_dir
from calsync.app.sync import StoreFactory
from calsync.app.sync import state_file_name
from calsync.app.sync import state_key
from calsync.config import Account
from calsync.config import Config

log = logging.getLogger(__name__)


@dataclass
class PollResult:
    """What one poll found: `changed` (a sync is due), why, and the requests it cost."""

    changed: bool
    why: str
    requests: int = 0
    calendars: list[str] = field(default_factory=list)


def changed_since(
    config: Config,
    account: str,
    *,
    env: Mapping[str, str],
    store_factory: StoreFactory | None = None,
) -> PollResult:
    """One poll of `account`: see the module docstring. Raises the store's errors (AuthError,
    RemoteUnavailableError after its own retries on 429/503, ...) like a sync does."""
    from calsync.adapters.caldav_store import open_store

    acct = config.account(account)
    watched = _watched(config, acct, env)
    if isinstance(watched, str):
        return PollResult(True, watched)
    factory = store_factory or open_store
    with factory(acct, env) as store:
        for name, coll in watched:
            assert coll.token is not None  # _watched returns only calendars with a token
            try:
                changes = store.changes_since(
                    CalendarRef(name, coll.url), coll.token, coll.cache_start, coll.cache_end
                )
            except SyncTokenError:
                return PollResult(True, f"calendar {name!r}: token refused", store.requests)
            if changes.changed or changes.deleted:
                return PollResult(True, f"calendar {name!r} changed", store.requests, [name])
        return PollResult(False, "no change", store.requests, [n for n, _ in watched])


def _watched(
    config: Config, acct: Account, env: Mapping[str, str]
) -> list[tuple[str, Collection]] | str:
    """(name, remembered collection) of each watched calendar, or why the poll cannot tell."""
    folder = default_state_dir(env, config.sync.state_dir)
    path = folder / state_file_name(acct)
    if not path.exists():
        return "no state yet"
    try:
        state = State.open(folder, path.name)
    except (sqlite3.Error, StateDamagedError) as exc:
        return f"state not readable now ({type(exc).__name__})"
    try:
        return _collections(state, state_key(acct), acct)
    except sqlite3.Error as exc:  # being written by a sync in another process
        return f"state not readable now ({type(exc).__name__})"
    finally:
        state.close()


def _collections(state: State, key: str, acct: Account) -> list[tuple[str, Collection]] | str:
    out: dict[str, tuple[str, Collection]] = {}
    for name in (*acct.runs, *acct.busy, acct.target):
        url = state.calendar_url(key, name)
        coll = state.collection(key, url) if url is not None else None
        if coll is None:
            return f"calendar {name!r} not read yet"
        if coll.token is None:
            return f"calendar {name!r}: the server gives no sync token"
        out.setdefault(coll.url, (name, coll))
    return list(out.values())
