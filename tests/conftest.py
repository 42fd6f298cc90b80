"""Shared fixtures: real CalDAV servers (Radicale, Xandikos) on 127.0.0.1 for the session.

`dav_server` runs a test once per server; `new_calendar(name)` gives each test its own calendar
instead of restarting anything. `radicale_auth` is a Radicale that checks passwords (htpasswd,
plain), for real authentication failures.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

# `tests.servers` must import under a plain `pytest` too (not only `python -m pytest`, which puts
# the working directory on sys.path). pyproject's `pythonpath = ["."]` would make this moot.
ROOT = str(Path(__file__).resolve().parents[1])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.servers import AuthServer  # noqa: E402
from tests.servers import DavServer  # noqa: E402
from tests.servers import RadicaleServer  # noqa: E402
from tests.servers import XandikosServer  # noqa: E402


@pytest.fixture(scope="session")
def _radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RadicaleServer]:
    server = RadicaleServer(tmp_path_factory.mktemp("radicale")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _xandikos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[XandikosServer]:
    server = XandikosServer(tmp_path_factory.mktemp("xandikos")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def radicale_url(_radicale: RadicaleServer) -> str:
    """Root URL of a real Radicale (auth none: any user name, any password, e.g. "user")."""
    return _radicale.url


@pytest.fixture(scope="session")
def xandikos_url(_xandikos: XandikosServer) -> str:
    """Root URL of a real Xandikos (single user, principal /user/, no authentication)."""
    return _xandikos.url


@pytest.fixture(scope="session")
def radicale_auth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthServer]:
    """A real Radicale with htpasswd (plain) authentication: user alice."""
    user, password = "alice", f"pw-{uuid.uuid4().hex}"
    server = RadicaleServer(tmp_path_factory.mktemp("radicale-auth"), users={user: password})
    server.start()
    yield AuthServer(server.url, user, password)
    server.stop()


@pytest.fixture(params=["radicale", "xandikos"])
def dav_server(request: pytest.FixtureRequest) -> Iterator[DavServer]:
    """Each real server in turn."""
    if request.param == "radicale":
        # Radicale with auth none still wants a user name for the principal /user/.
        server = DavServer("radicale", request.getfixturevalue("radicale_url"), "user", "")
    else:
        server = DavServer("xandikos", request.getfixturevalue("xandikos_url"))
    yield server
    server.close()
