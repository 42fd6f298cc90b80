"""The in-memory store's switchable server quirks, each as the engine will meet it."""

from __future__ import annotations

import datetime as dt

import pytest

from calsync.adapters.caldav_store import AlreadyExistsError
from calsync.adapters.caldav_store import SyncTokenError
from calsync.adapters.memory_store import MemoryStore
from calsync.adapters.memory_store import Quirks
from tests.ics_text import vevent_ics

MONDAY = dt.datetime(2026, 11, 30, 7, tzinfo=dt.UTC)
START, END = MONDAY - dt.timedelta(days=1), MONDAY + dt.timedelta(days=6)


def test_no_etag_anywhere_and_writes_still_land() -> None:
    store = MemoryStore(Quirks(etags=False))
    cal = store.ensure("Strength")
    written = store.create(cal, "a", vevent_ics("a", MONDAY))
    assert written.etag is None
    got = store.get(written.href)
    assert got is not None and got.etag is None
    assert store.update(got, vevent_ics("a", MONDAY, summary="Tempo")).etag is None
    assert [o.etag for o in store.fetch_range(cal, START, END)] == [None]


def test_a_create_is_stored_but_answered_412() -> None:
    store = MemoryStore(Quirks(create_412=True))
    cal = store.ensure("Strength")
    with pytest.raises(AlreadyExistsError) as caught:
        store.create(cal, "a", vevent_ics("a", MONDAY))
    got = store.get(caught.value.href)
    assert got is not None and b"UID:a" in got.data


def test_the_server_names_new_objects_itself() -> None:
    store = MemoryStore(Quirks(opaque_hrefs=True))
    cal = store.ensure("Strength")
    written = store.create(cal, "block-uid", vevent_ics("block-uid", MONDAY))
    assert "block-uid" not in written.href and written.href.startswith(cal.url)


def test_sync_tokens_refused_or_expired() -> None:
    store = MemoryStore(Quirks(sync_tokens=False))
    cal = store.ensure("Runs")
    with pytest.raises(SyncTokenError):
        store.changes_since(cal, None, START, END)
    plain = MemoryStore()
    cal = plain.ensure("Runs")
    token = plain.changes_since(cal, None, START, END).token
    assert token is not None
    plain.expire_tokens(cal.url)
    with pytest.raises(SyncTokenError, match="expired"):
        plain.changes_since(cal, token, START, END)
    fresh = plain.changes_since(cal, None, START, END).token
    assert fresh is not None and plain.changes_since(cal, fresh, START, END).changed == []


def test_a_session_counts_its_own_requests() -> None:
    store = MemoryStore()
    cal = store.ensure("Runs")
    with store:
        store.fetch_range(cal, START, END)
        store.fetch_range(cal, START, END)
        assert store.requests == 2
    with store as again:
        assert again.requests == 0
