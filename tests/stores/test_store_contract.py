"""One contract for every CalendarStore: the in-memory store, Radicale and Xandikos.

vdirsyncer's storage test suite is the model: each test states a behaviour the sync engine relies
on, and the `store` fixture runs it over every store. Conflicts are real (a stale ETag), tokens
are real (one the store handed out, or one it never did).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from calsync.adapters.caldav_store import AlreadyExistsError
from calsync.adapters.caldav_store import CaldavStore
from calsync.adapters.caldav_store import CalendarRef
from calsync.adapters.caldav_store import SyncTokenError
from calsync.adapters.credentials import Credentials
from calsync.adapters.memory_store import MemoryStore
from calsync.app.store import CalendarStore
from calsync.app.sync_read import canonical_href
from calsync.config import Account
from calsync.errors import CalendarNotFoundError
from calsync.errors import ConflictError
from tests.ics_text import vevent_ics
from tests.servers import DavServer

UTC = dt.UTC
MONDAY = dt.datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
WEEK_START = dt.datetime(2026, 11, 30, tzinfo=UTC)
WEEK_END = dt.datetime(2026, 12, 7, tzinfo=UTC)


@dataclass
class Subject:
    """A store and a fresh, empty calendar of its own."""

    store: CalendarStore
    cal: CalendarRef
    kind: str


def _server_store(server: DavServer) -> Iterator[Subject]:
    url = server.new_calendar(f"Contract {uuid.uuid4().hex[:8]}")
    account = Account(name="home", url=server.url, timeout_seconds=10.0)
    store = CaldavStore(account, Credentials(username=server.username, password=server.password))
    try:
        yield Subject(store, store.find(url), server.name)
    finally:
        store.close()
        server.close()


@pytest.fixture(params=["memory", "radicale", "xandikos"])
def subject(request: pytest.FixtureRequest) -> Iterator[Subject]:
    if request.param == "memory":
        store = MemoryStore()
        yield Subject(store, store.ensure(f"Contract {uuid.uuid4().hex[:8]}"), "memory")
        return
    if request.param == "radicale":
        server = DavServer("radicale", request.getfixturevalue("radicale_url"), "user", "")
    else:
        server = DavServer("xandikos", request.getfixturevalue("xandikos_url"))
    yield from _server_store(server)


def event(uid: str, start: dt.datetime = MONDAY, summary: str = "Easy run") -> bytes:
    return vevent_ics(uid, start, 45, summary)


def hrefs(objects: object) -> set[str]:
    return {canonical_href(o.href) for o in objects}  # type: ignore[attr-defined]


def test_created_object_reads_back(subject: Subject) -> None:
    store, cal = subject.store, subject.cal
    written = store.create(cal, "a", event("a"))
    assert canonical_href(written.href).startswith(canonical_href(cal.url))
    got = store.get(written.href)
    assert got is not None and b"UID:a" in got.data
    assert got.etag is None or written.etag is None or got.etag == written.etag


def test_create_of_an_existing_name_is_refused_with_its_href(subject: Subject) -> None:
    store, cal = subject.store, subject.cal
    first = store.create(cal, "dup", event("dup"))
    with pytest.raises(AlreadyExistsError) as caught:
        store.create(cal, "dup", event("dup", summary="Other"))
    assert canonical_href(caught.value.href) == canonical_href(first.href)
    got = store.get(first.href)
    assert got is not None and b"Easy run" in got.data  # not overwritten


def test_update_with_the_current_etag_succeeds(subject: Subject) -> None:
    store, cal = subject.store, subject.cal
    written = store.create(cal, "u", event("u"))
    current = store.get(written.href)
    assert current is not None
    updated = store.update(current, event("u", summary="Tempo"))
    got = store.get(written.href)
    assert got is not None and b"Tempo" in got.data
    if current.etag is not None and updated.etag is not None:
        assert updated.etag != current.etag


def test_update_with_a_stale_etag_is_a_conflict(subject: Subject) -> None:
    store, cal = subject.store, subject.cal
    written = store.create(cal, "s", event("s"))
    stale = store.get(written.href)
    assert stale is not None and stale.etag is not None
    fresh = store.update(stale, event("s", summary="Phone edit"))  # someone else's write
    assert fresh.href == stale.href
    with pytest.raises(ConflictError):
        store.update(stale, event("s", summary="calsync"))
    got = store.get(written.href)
    assert got is not None and b"Phone edit" in got.data


def test_update_of_a_deleted_object_is_a_conflict(subject: Subject) -> None:
    store, cal = subject.store, subject.cal
    written = store.create(cal, "gone", event("gone"))
    current = store.get(written.href)
    assert current is not None
    store.delete(current)
    with pytest.raises(ConflictError):
        store.update(current, event("gone", summary="again"))
    assert store.get(written.href) is None


def test_delete_with_a_stale_etag_is_a_conflict_and_twice_is_fine(subject: Subject) -> None:
    store, cal = subject.store, subject.cal
    written = store.create(cal, "d", event("d"))
    stale = store.get(written.href)
    assert stale is not None
    current = store.update(stale, event("d", summary="changed"))
    with pytest.raises(ConflictError):
        store.delete(stale)
    assert store.get(written.href) is not None
    store.delete(current)
    assert store.get(written.href) is None
    store.delete(current)  # already gone: no error


def test_fetch_range_gives_objects_overlapping_the_window_only(subject: Subject) -> None:
    store, cal = subject.store, subject.cal
    inside = store.create(cal, "in", event("in"))
    store.create(cal, "out", event("out", MONDAY + dt.timedelta(days=30)))
    series = store.create(
        cal,
        "series",
        vevent_ics("series", MONDAY - dt.timedelta(days=14), 45, extra=("RRULE:FREQ=WEEKLY",)),
    )
    got = hrefs(store.fetch_range(cal, WEEK_START, WEEK_END))
    assert got == {canonical_href(inside.href), canonical_href(series.href)}


def test_changes_since_none_is_the_window_and_a_token(subject: Subject) -> None:
    store, cal = subject.store, subject.cal
    inside = store.create(cal, "in", event("in"))
    store.create(cal, "out", event("out", MONDAY + dt.timedelta(days=30)))
    full = store.changes_since(cal, None, WEEK_START, WEEK_END)
    assert full.full and full.token and full.deleted == []
    assert hrefs(full.changed) == {canonical_href(inside.href)}


def test_changes_since_a_token_lists_changes_and_deletions(subject: Subject) -> None:
    store, cal = subject.store, subject.cal
    kept = store.create(cal, "kept", event("kept"))
    doomed = store.create(cal, "doomed", event("doomed"))
    token = store.changes_since(cal, None, WEEK_START, WEEK_END).token
    assert token is not None
    nothing = store.changes_since(cal, token, WEEK_START, WEEK_END)
    assert not nothing.full and nothing.changed == [] and nothing.deleted == []
    current = store.get(kept.href)
    assert current is not None
    store.update(current, event("kept", summary="Tempo"))
    added = store.create(cal, "far", event("far", MONDAY + dt.timedelta(days=60)))
    gone = store.get(doomed.href)
    assert gone is not None
    store.delete(gone)
    changes = store.changes_since(cal, nothing.token, WEEK_START, WEEK_END)
    # Every change since the token, whatever its dates (the caller filters while parsing).
    assert hrefs(changes.changed) == {canonical_href(kept.href), canonical_href(added.href)}
    assert {canonical_href(h) for h in changes.deleted} == {canonical_href(doomed.href)}
    assert changes.token and changes.token != nothing.token


def test_a_token_the_store_never_gave_is_refused(subject: Subject) -> None:
    with pytest.raises(SyncTokenError):
        subject.store.changes_since(subject.cal, "fake-token", WEEK_START, WEEK_END)


def test_find_by_name_and_url_and_a_missing_name_lists_the_calendars(subject: Subject) -> None:
    store, cal = subject.store, subject.cal
    assert store.find(cal.name).url == cal.url
    assert store.find(cal.url).url == cal.url
    with pytest.raises(CalendarNotFoundError) as caught:
        store.find(f"nowhere {uuid.uuid4().hex[:6]}")
    assert repr(cal.name) in caught.value.message


def test_ensure_creates_a_missing_calendar_once(subject: Subject) -> None:
    store = subject.store
    name = f"Strength {uuid.uuid4().hex[:8]}"
    made = store.ensure(name)
    assert made.name == name
    assert store.ensure(name).url == made.url
    assert store.fetch_range(made, WEEK_START, WEEK_END) == []


def test_requests_are_counted(subject: Subject) -> None:
    store, cal = subject.store, subject.cal
    before = store.requests
    store.create(cal, "r", event("r"))
    store.fetch_range(cal, WEEK_START, WEEK_END)
    assert store.requests - before >= 2
