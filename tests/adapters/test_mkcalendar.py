"""The target calendar is made with one MKCALENDAR: display name and VEVENT only, no PROPPATCH.

Runs against real Radicale and Xandikos. Methods are counted on the wire by `_Client`'s
`_sync_request` (every request caldav and calsync send goes through it); the calendar's
components are read back with a PROPFIND through an independent client.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from caldav.lib.error import AuthorizationError

from calsync.adapters import caldav_store
from calsync.adapters.caldav_store import CaldavStore
from calsync.adapters.credentials import Credentials
from calsync.config import Account
from tests.servers import DavServer

pytestmark = pytest.mark.server

COMPONENTS = "{urn:ietf:params:xml:ns:caldav}supported-calendar-component-set"


@pytest.fixture
def methods(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every (method, url) the store's client sends, in order."""
    sent: list[tuple[str, str]] = []
    original = caldav_store._Client._sync_request

    def counting(self, url, method="GET", body="", headers=None):  # type: ignore[no-untyped-def]
        sent.append((method, str(url)))
        return original(self, url, method, body, headers)

    monkeypatch.setattr(caldav_store._Client, "_sync_request", counting)
    return sent


@pytest.fixture
def store(dav_server: DavServer) -> Iterator[CaldavStore]:
    creds = Credentials(username=dav_server.username, password=dav_server.password)
    account = Account(name="home", url=dav_server.url, timeout_seconds=10.0)
    with CaldavStore(account, creds) as s:
        yield s


def read_back(server: DavServer, url: str) -> tuple[str, tuple[str, ...]]:
    """Display name and supported components, by PROPFIND from another client."""
    response = server.client(url).propfind(url, props=["{DAV:}displayname", COMPONENTS], depth=0)
    assert 200 <= response.status < 300, response.status
    (result,) = response.results
    props = result.properties
    return str(props["{DAV:}displayname"]), tuple(props.get(COMPONENTS) or ())


def test_ensure_makes_an_events_only_calendar_in_one_request(dav_server, store, methods):
    name = f"Strength & Co <{uuid.uuid4().hex[:6]}>"  # XML-special characters survive
    store.calendars()  # discovery first: then only what ensure itself sends is counted
    del methods[:]
    created = store.ensure(name)
    made = [m for m in methods if m[0] in ("MKCALENDAR", "MKCOL", "PROPPATCH")]
    assert made == [("MKCALENDAR", created.url)]
    assert read_back(dav_server, created.url) == (name, ("VEVENT",))
    assert created.name == name and created.components == ("VEVENT",)


def test_a_taken_slug_gets_a_unique_one_in_one_more_request(dav_server, store, methods):
    tag = uuid.uuid4().hex[:6]
    first = store.ensure(f"Gym {tag}")
    del methods[:]
    second = store.ensure(f"GYM! {tag}")  # the same slug, gym-<tag>, another display name
    assert second.url != first.url
    made = [m[0] for m in methods if m[0] in ("MKCALENDAR", "PROPPATCH")]
    assert made == ["MKCALENDAR", "MKCALENDAR"]  # the taken slug, then a unique one
    assert read_back(dav_server, second.url) == (f"GYM! {tag}", ("VEVENT",))


def test_xandikos_refuses_a_task_in_the_new_calendar(xandikos_url):
    """VEVENT only, as a server that enforces it sees it: a VTODO is refused (403).

    (Radicale stores the component set but does not enforce it.)
    """
    server = DavServer("xandikos", xandikos_url)
    account = Account(name="home", url=xandikos_url, timeout_seconds=10.0)
    with CaldavStore(account, Credentials()) as s:
        cal = s.ensure(f"Strength {uuid.uuid4().hex[:6]}")
    todo = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VTODO\r\n"
        "UID:todo-1\r\nDTSTAMP:20261130T060000Z\r\nSUMMARY:Buy shoes\r\nEND:VTODO\r\n"
        "END:VCALENDAR\r\n"
    )
    client = server.client(cal.url)
    with pytest.raises(AuthorizationError) as refused:
        client.request(cal.url + "todo-1.ics", "PUT", todo, {"Content-Type": "text/calendar"})
    assert refused.value.status == 403
    server.close()
