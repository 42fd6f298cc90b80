"""A user's copy of a block on a real server: it counts toward its week and is never touched.

A calendar app's "duplicate" keeps every X-CALSYNC-* line of the block it copies and gives the
copy a UID of its own. The copies here are PUT over raw HTTP, the way a calendar app writes
them, and read back the same way, so the test sees the server's bytes, not calsync's view.
"""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import itertools
import re
import urllib.parse
import uuid

import pytest

from tests.sync.conftest import LONDON
from tests.sync.conftest import World
from tests.sync.conftest import at
from tests.sync.conftest import dtstart
from tests.sync.conftest import set_time

pytestmark = pytest.mark.server

UID_LINE = re.compile(rb"(?m)^UID:([^\r\n]+)")


def _http(method: str, url: str, body: bytes | None = None) -> tuple[int, bytes]:
    """One plain HTTP request to the loopback test server, as a calendar app sends it."""
    parts = urllib.parse.urlsplit(url)
    assert parts.hostname == "127.0.0.1"
    headers = {"Authorization": "Basic " + base64.b64encode(b"user:").decode()}
    if body is not None:
        headers["Content-Type"] = "text/calendar; charset=utf-8"
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
    try:
        conn.request(method, parts.path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _uid(data: bytes) -> str:
    found = UID_LINE.search(data)
    assert found is not None
    return found.group(1).decode()


def _app_copy(block: bytes, new_uid: str, start: dt.datetime | None) -> bytes:
    """What a calendar app's "duplicate" writes: a new UID, every X-CALSYNC-* line kept,
    SEQUENCE, DTSTAMP and LAST-MODIFIED its own, maybe another time."""
    data = block.replace(_uid(block).encode(), new_uid.encode())
    data = re.sub(rb"(?m)^SEQUENCE:\d+", b"SEQUENCE:3", data)
    data = re.sub(
        rb"(?m)^DTSTAMP:[^\r\n]*",
        b"DTSTAMP:20261130T071500Z\r\nLAST-MODIFIED:20261130T071500Z",
        data,
    )
    return set_time(data, start, 45) if start is not None else data


def _put_copy(world: World, data: bytes) -> str:
    """PUT the copy into the target calendar; its URL."""
    url = world.target_ref().url.rstrip("/") + f"/{uuid.uuid4().hex}.ics"
    status, _ = _http("PUT", url, data)
    assert status in (200, 201, 204), status
    return url


def _week_sessions(world: World) -> dict[str, dt.date]:
    """UID -> day of every object in the target calendar carrying calsync's markers."""
    return {_uid(o.data): dtstart(o.data).date() for o in world.blocks().values()}


def _assert_spaced(days: list[dt.date]) -> None:
    ordered = sorted(days)
    gaps = [(b - a).days for a, b in itertools.pairwise(ordered)]
    assert all(gap >= 2 for gap in gaps), f"strength on consecutive days: {ordered}"


def _thursday_block(world: World) -> bytes:
    return next(o.data for o in world.blocks().values() if dtstart(o.data).day == 3)


def test_a_copy_the_day_after_a_block_fills_a_slot_and_keeps_its_bytes(world: World) -> None:
    """The copy of Thursday's block, dragged to Friday: Thursday would now be the day before
    another strength day, so the week is Mon (calsync) + Fri (the user's copy)."""
    world.sync()
    copy_uid = str(uuid.uuid4()).upper()  # Apple Calendar's style
    copy = _app_copy(_thursday_block(world), copy_uid, at(4, 18))
    url = _put_copy(world, copy)
    before = _http("GET", url)
    report = world.sync()
    assert all(a.uid != copy_uid for a in report.actions)
    sessions = _week_sessions(world)
    assert sessions.pop(copy_uid) == dt.date(2026, 12, 4)
    assert len(sessions) <= 1  # at most one calsync block beside the copy
    assert len(sessions) + 1 == 2  # and the week still gets its two sessions
    _assert_spaced([*sessions.values(), dt.date(2026, 12, 4)])
    assert _http("GET", url) == before  # never touched: byte for byte
    assert world.sync().writes == 0


def test_a_same_day_duplicate_replaces_the_block_it_copies(world: World) -> None:
    """Google's "Duplicate" leaves the copy on top of the original: one session, not two."""
    world.sync()
    copy_uid = f"{uuid.uuid4().hex[:26]}@google.com"
    url = _put_copy(world, _app_copy(_thursday_block(world), copy_uid, None))
    before = _http("GET", url)
    world.sync()
    sessions = _week_sessions(world)
    assert sessions.pop(copy_uid) == dt.date(2026, 12, 3)
    assert list(sessions.values()) == [dt.date(2026, 11, 30)]  # Mon, plus the user's Thu
    assert _http("GET", url) == before
    assert world.sync().writes == 0


def test_a_copy_under_a_calsync_style_uid_calsync_never_issued_is_the_users(
    world: World,
) -> None:
    """A copy made by a script or by hand, UID in calsync's style but never issued (the state
    knows the block of that week and slot): still the user's, never moved or removed."""
    world.sync()
    copy_uid = f"{uuid.uuid4()}@calsync"
    url = _put_copy(world, _app_copy(_thursday_block(world), copy_uid, at(4, 18)))
    before = _http("GET", url)
    report = world.sync()
    assert all(a.uid != copy_uid for a in report.actions)
    assert _http("GET", url) == before
    sessions = _week_sessions(world)
    assert sessions.pop(copy_uid) == dt.date(2026, 12, 4)
    assert list(sessions.values()) == [dt.date(2026, 11, 30)]
    assert world.sync().writes == 0


def test_an_import_that_keeps_the_uid_is_the_block_not_a_copy(world: World) -> None:
    """Export the Strength calendar and import it into the runs calendar: same UIDs, the same
    blocks. The week stays at its two blocks (a guard: the UID, not the markers, decides)."""
    world.sync()
    for obj in world.blocks().values():
        world.put(world.runs(), f"import-{uuid.uuid4().hex[:8]}", obj.data)
    report = world.sync()
    assert report.writes == 0
    days = sorted(d.strftime("%a") for d in _week_sessions(world).values())
    assert days == ["Mon", "Thu"]
    assert {dtstart(o.data).astimezone(LONDON).day for o in world.blocks().values()} == {30, 3}
