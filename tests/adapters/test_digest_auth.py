"""Authentication negotiated from the server's challenge: Digest (RFC 7616), Basic and Bearer.

Digest runs against a real challenge: `tests/digest_proxy.py` verifies every answer (HA1, HA2,
nc, cnonce, nonce, uri) and forwards to a real Radicale with htpasswd authentication, so a wrong
password fails for real and a right one reaches real calendars. The proxy records every request
and Authorization header: the tests count round trips and check no password went out in clear.
"""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import niquests
import pytest
from click.testing import CliRunner
from click.testing import Result

from calsync.adapters.caldav_store import CaldavStore
from calsync.adapters.credentials import Credentials
from calsync.adapters.http_auth import NegotiatedAuth
from calsync.adapters.http_auth import best_digest_challenge
from calsync.adapters.http_auth import challenge_schemes
from calsync.adapters.http_auth import may_send_unasked
from calsync.cli import cli
from calsync.config import Account
from calsync.errors import AuthError
from calsync.errors import CalsyncError
from calsync.errors import ExitCode
from tests.digest_proxy import DigestProxy
from tests.servers import AuthServer
from tests.servers import DavServer
from tests.sync.conftest import CANONICAL
from tests.sync.conftest import ics

pytestmark = pytest.mark.server

PROPFIND_BODY = (
    '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/></D:prop>'
    "</D:propfind>"
)


def account(url: str) -> Account:
    return Account(name="home", url=url, timeout_seconds=10.0)


@pytest.fixture(params=[(None,), ("MD5",), ("SHA-256",), ("SHA-256", "MD5")], ids=str)
def proxy(request: pytest.FixtureRequest, radicale_auth: AuthServer) -> Iterator[DigestProxy]:
    """Digest in front of the htpasswd Radicale; one challenge per algorithm in the param."""
    user, password = radicale_auth.username, radicale_auth.password
    server = DigestProxy(
        radicale_auth.url, user, password, algorithms=request.param, upstream_auth=(user, password)
    ).start()
    yield server
    server.stop()


@pytest.fixture
def md5_proxy(radicale_auth: AuthServer) -> Iterator[DigestProxy]:
    """Baikal's own challenge: Digest, realm BaikalDAV, no algorithm parameter (MD5)."""
    user, password = radicale_auth.username, radicale_auth.password
    server = DigestProxy(
        radicale_auth.url, user, password, algorithms=(None,), upstream_auth=(user, password)
    ).start()
    yield server
    server.stop()


@pytest.fixture
def as_if_remote(monkeypatch: pytest.MonkeyPatch) -> None:
    """The proxy is on 127.0.0.1; make the store treat it as a plain-http host elsewhere (the
    Baikal-over-http case): credentials then wait for the challenge. The wire stays real."""
    import calsync.adapters.caldav_store as caldav_store

    monkeypatch.setattr(caldav_store, "may_send_unasked", lambda url: False)


def no_secret_on_the_wire(proxy: DigestProxy, *secrets: str) -> None:
    """No Basic header at all, and no secret in any header the proxy saw, even encoded."""
    assert proxy.authorizations, "the client never answered a challenge"
    for header in proxy.authorizations:
        assert header.startswith("Digest "), header.split()[0]
        for secret in secrets:
            assert secret not in header
            assert base64.b64encode(secret.encode()).decode() not in header


def statuses(proxy: DigestProxy) -> list[int]:
    return [status for _, _, status in proxy.seen]


# --- the store against a real Digest challenge ----------------------------------------------


def test_digest_lists_calendars_with_one_401_round_trip(proxy, radicale_auth):
    upstream = DavServer(
        "radicale", radicale_auth.url, radicale_auth.username, radicale_auth.password
    )
    made = upstream.new_calendar(f"Runs {uuid.uuid4().hex[:6]}")
    creds = Credentials(username=radicale_auth.username, password=radicale_auth.password)
    with CaldavStore(account(proxy.url), creds) as store:
        assert made in [c.url.replace(proxy.url, radicale_auth.url) for c in store.calendars()]
        assert store.requests == len(proxy.seen)  # the counter counts the 401 answers too
    # Basic went out first (loopback), was refused with the challenge, then Digest for good.
    assert statuses(proxy).count(401) == 1 and statuses(proxy)[0] == 401
    assert proxy.authorizations[0].startswith("Basic ")
    assert all(h.startswith("Digest ") for h in proxy.authorizations[1:])
    upstream.close()


def test_digest_carries_every_method_with_its_body(md5_proxy, radicale_auth):
    creds = Credentials(username=radicale_auth.username, password=radicale_auth.password)
    name = f"Strength {uuid.uuid4().hex[:6]}"
    start = CANONICAL["mon-easy"][0]
    with CaldavStore(account(md5_proxy.url), creds) as store:
        cal = store.ensure(name)
        created = store.create(cal, "block-1", ics("block-1", start, 45, "Strength"))
        fetched = store.get(created.href)
        assert fetched is not None and b"UID:block-1" in fetched.data
        updated = store.update(fetched, ics("block-1", start, 45, "Strength (lighter)"))
        assert updated.href == created.href
        window = store.fetch_range(cal, start - dt.timedelta(days=1), start + dt.timedelta(days=1))
        (again,) = window
        assert b"Strength (lighter)" in again.data
        store.delete(again)
        assert store.get(created.href) is None
        assert store.requests == len(md5_proxy.seen)
    assert {"PROPFIND", "MKCALENDAR", "PUT", "GET", "DELETE", "REPORT"} <= set(md5_proxy.methods)
    assert statuses(md5_proxy).count(401) == 1


def test_wrong_password_through_digest_is_an_auth_error(md5_proxy, radicale_auth):
    wrong = f"wrong-{uuid.uuid4().hex}"
    creds = Credentials(username=radicale_auth.username, password=wrong, source="password_env")
    with CaldavStore(account(md5_proxy.url), creds) as store, pytest.raises(AuthError) as info:
        store.calendars()
    assert "refused the credentials" in info.value.message and "HTTP 401" in info.value.message
    assert wrong not in info.value.message + (info.value.hint or "")
    # Basic (refused, challenge), then one Digest answer (refused): no retry loop.
    assert statuses(md5_proxy) == [401, 401]
    assert md5_proxy.authorizations[1].startswith("Digest ")


def test_a_stale_nonce_is_answered_with_the_new_one(radicale_auth):
    user, password = radicale_auth.username, radicale_auth.password
    proxy = DigestProxy(
        radicale_auth.url, user, password, upstream_auth=(user, password), nonce_uses=2
    ).start()
    creds = Credentials(username=user, password=password)
    try:
        with CaldavStore(account(proxy.url), creds) as store:
            for _ in range(3):
                store._calendars = None  # list again: several authenticated requests
                assert store.calendars() is not None
            assert store.requests == len(proxy.seen)
    finally:
        proxy.stop()
    # Each nonce serves two requests, then a 401 with stale=true hands out the next one.
    assert statuses(proxy).count(401) >= 2 and len(statuses(proxy)) >= 6


def test_digest_never_sees_basic_when_the_host_is_not_trusted(md5_proxy, radicale_auth):
    """The same auth object as for a plain-http remote host: it waits for the challenge."""
    auth = _auth(radicale_auth.username, radicale_auth.password, unasked=False)
    with niquests.Session() as session:
        for _ in range(2):
            answer = propfind(session, md5_proxy.url + f"{radicale_auth.username}/", auth)
            assert answer.status_code == 207
    assert auth.scheme == "digest"
    assert statuses(md5_proxy)[0] == 401 and statuses(md5_proxy).count(401) == 1
    no_secret_on_the_wire(md5_proxy, radicale_auth.password)


def test_the_proxy_refuses_replays_other_uris_and_basic(md5_proxy, radicale_auth):
    """The test server is strict: what it accepts above is a correct RFC 7616 answer."""
    auth = _auth(radicale_auth.username, radicale_auth.password, unasked=False)
    home = md5_proxy.url + f"{radicale_auth.username}/"
    with niquests.Session() as session:
        assert propfind(session, home, auth).status_code == 207
        header = md5_proxy.authorizations[-1]
        replay = session.request("PROPFIND", home, headers={"Depth": "0", "Authorization": header})
        other_uri = session.request(
            "PROPFIND", md5_proxy.url, headers={"Depth": "0", "Authorization": header}
        )
        basic = session.request(
            "PROPFIND", home, auth=(radicale_auth.username, radicale_auth.password)
        )
    assert replay.status_code == other_uri.status_code == basic.status_code == 401


class _EndlessChallenge(http.server.BaseHTTPRequestHandler):
    """Every request: 401 with a Digest challenge and a 256 MiB body, written until the client
    hangs up. `written` holds the bytes each answer got out."""

    protocol_version = "HTTP/1.1"
    written: ClassVar[list[int]] = []

    def do_PROPFIND(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        chunk = b"x" * (64 * 1024)
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Digest realm="BaikalDAV", qop="auth", nonce="n1"')
        self.send_header("Content-Length", str(4096 * len(chunk)))
        self.end_headers()
        sent = 0
        try:
            for _ in range(4096):  # bounded: 256 MiB at most
                self.wfile.write(chunk)
                sent += len(chunk)
        except OSError:
            pass  # the client hung up: what the test wants
        type(self).written.append(sent)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_an_endless_401_body_is_not_read_whole(radicale_auth):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _EndlessChallenge)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    creds = Credentials(username="alice", password=radicale_auth.password)
    big = Account(name="home", url=url, timeout_seconds=10.0, max_response_mib=1)
    try:
        with CaldavStore(big, creds) as store, pytest.raises(CalsyncError):
            store.calendars()
    finally:
        server.shutdown()
        server.server_close()
    # The challenge's body was cut after 64 KiB (plus what the socket buffers held): never
    # the 256 MiB on offer, and the answer to it was capped by max_response_mib.
    assert _EndlessChallenge.written, "no request reached the server"
    assert max(_EndlessChallenge.written) < 32 * 1024 * 1024


# --- plain http to a host that is not loopback: Basic only when asked ------------------------


@pytest.mark.parametrize(
    ("url", "unasked"),
    [
        ("https://baikal.example.org/dav.php/", True),
        ("HTTPS://caldav.icloud.com/", True),
        ("http://127.0.0.1:5232/", True),
        ("http://127.8.9.10/", True),
        ("http://[::1]:5232/", True),
        ("http://localhost:5232/", True),
        ("http://cal.localhost/", True),
        ("http://baikal.example.org/dav.php/", False),
        ("http://192.168.1.20:5232/", False),
        ("http://10.0.0.1/", False),
        ("http://[fe80::1]/", False),
        ("http://localhost.example.org/", False),
        ("http://127.0.0.1.example.org/", False),
    ],
)
def test_credentials_go_unasked_only_over_tls_or_to_loopback(url, unasked):
    assert may_send_unasked(url) is unasked


def test_basic_is_sent_only_after_the_server_asks_for_it(radicale_auth):
    auth = _auth(radicale_auth.username, radicale_auth.password, unasked=False)
    with niquests.Session() as session:
        url = radicale_auth.url + f"{radicale_auth.username}/"
        first, second = propfind(session, url, auth), propfind(session, url, auth)
    assert first.status_code == second.status_code == 207
    # The first request went out bare; Radicale's 401 asked for Basic; Basic answered it.
    (refused,) = first.history
    assert refused.status_code == 401 and authorization(refused) is None
    assert (authorization(first) or "").startswith("Basic ")
    # Asked once: from then on Basic goes with each request, no more 401 round trips.
    assert second.history == [] and (authorization(second) or "").startswith("Basic ")
    assert auth.scheme == "basic"


def test_basic_goes_with_the_first_request_to_a_loopback_radicale(radicale_auth):
    auth = _auth(radicale_auth.username, radicale_auth.password, unasked=True)
    with niquests.Session() as session:
        answer = propfind(session, radicale_auth.url + f"{radicale_auth.username}/", auth)
    assert answer.status_code == 207 and answer.history == []
    # And the store, built for that URL, lists calendars over Basic: no 401 at all.
    creds = Credentials(username=radicale_auth.username, password=radicale_auth.password)
    with CaldavStore(account(radicale_auth.url), creds) as store:
        assert isinstance(store.calendars(), list)
        negotiated = store._client.auth
        assert isinstance(negotiated, NegotiatedAuth) and negotiated.scheme == "basic"


def test_a_bearer_token_waits_for_a_bearer_challenge_off_loopback(md5_proxy):
    """A token configured for a server that asks for Digest is never sent at all."""
    token = f"ya29.{uuid.uuid4().hex}"
    auth = NegotiatedAuth(None, token, bearer=True, unasked=False, on_resend=lambda: None)
    with niquests.Session() as session:
        answer = propfind(session, md5_proxy.url, auth)
    assert answer.status_code == 401
    assert md5_proxy.authorizations == []


# --- the CLI through Digest -------------------------------------------------------------------


def cli_run(config: Path, env: dict[str, str], *args: str) -> Result:
    base = {"XDG_CONFIG_HOME": "/nonexistent", "CALSYNC_CONFIG": "", **env}
    result = CliRunner().invoke(cli, ["-c", str(config), *args], env=base)
    assert "Traceback" not in result.output + result.stderr
    for secret in env.values():
        assert secret not in result.output + result.stderr
    return result


def write_config(tmp_path: Path, url: str, username: str, **lines: str) -> Path:
    extra = "".join(f'{k} = "{v}"\n' for k, v in lines.items())
    config = tmp_path / "config.toml"
    config.write_text(
        'timezone = "Europe/London"\n[plan]\nweeks = 1\n'
        f'[accounts.home]\nurl = "{url}"\nusername = "{username}"\npassword_env = "CAL_PW"\n'
        f'timeout_seconds = 20\n{extra}[sync]\nstate_dir = "{tmp_path / "state"}"\n'
    )
    return config


def test_calendars_cli_through_digest_and_a_wrong_password_exits_77(
    tmp_path, md5_proxy, radicale_auth, as_if_remote
):
    config = write_config(tmp_path, md5_proxy.url, radicale_auth.username)
    good = cli_run(config, {"CAL_PW": radicale_auth.password}, "calendars")
    assert good.exit_code == 0, good.stderr
    wrong = f"wrong-{uuid.uuid4().hex}"
    bad = cli_run(config, {"CAL_PW": wrong}, "calendars")
    assert bad.exit_code == ExitCode.AUTH
    assert "calsync: error:" in bad.stderr and "refused the credentials" in bad.stderr
    no_secret_on_the_wire(md5_proxy, radicale_auth.password, wrong)


def test_sync_cli_through_digest_costs_one_401_per_run(
    tmp_path, md5_proxy, radicale_auth, as_if_remote
):
    upstream = DavServer(
        "radicale", radicale_auth.url, radicale_auth.username, radicale_auth.password
    )
    tag = uuid.uuid4().hex[:8]
    runs_url = upstream.new_calendar(f"Training {tag}")
    client = upstream.client(runs_url)
    for name, (start, minutes, title) in CANONICAL.items():
        data = ics(f"{name}-{tag}", start, minutes, title).decode()
        response = client.request(f"{runs_url}{name}.ics", "PUT", data, {})
        assert response.status in (201, 204)
    upstream.close()
    runs = runs_url.replace(radicale_auth.url, md5_proxy.url)
    config = write_config(tmp_path, md5_proxy.url, radicale_auth.username, target=f"Strength {tag}")
    config.write_text(config.read_text().replace("[sync]", f'runs = ["{runs}"]\n[sync]'))
    env = {"CAL_PW": radicale_auth.password, "HOME": str(tmp_path)}
    args = ("--now", "2026-11-30T06:00", "sync", "--format", "json")
    first = cli_run(config, env, *args)
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout)["counts"]["create"] == 2
    before = len(md5_proxy.seen)
    second = cli_run(config, env, *args)
    assert second.exit_code == 0, second.stderr
    report = json.loads(second.stdout)
    assert report["counts"]["keep"] == 2 and report["counts"]["create"] == 0
    this_run = md5_proxy.seen[before:]
    assert report["requests"] == len(this_run)  # calsync's count is the wire's count
    assert [s for _, _, s in this_run].count(401) == 1  # Digest costs one round trip a run
    assert report["requests"] <= 5  # a Basic server's no-change sync costs at most 4
    no_secret_on_the_wire(md5_proxy, radicale_auth.password)


# --- parsing challenges (pure) ---------------------------------------------------------------


def test_challenge_schemes_reads_every_scheme_and_no_parameter():
    header = 'Digest realm="BaikalDAV", qop="auth", nonce="a, Basic b", Basic realm="x"'
    assert challenge_schemes(header) == {"digest", "basic"}
    assert challenge_schemes('Bearer realm="calendar"') == {"bearer"}
    assert challenge_schemes("Negotiate") == {"negotiate"}
    assert challenge_schemes("") == set()


def test_best_digest_challenge_prefers_sha256_and_skips_unknown_algorithms():
    header = (
        'Digest realm="r", nonce="1", algorithm=MD5, '
        'Digest realm="r", nonce="2", algorithm=SHA-256, '
        'Digest realm="r", nonce="3", algorithm=SHA-512-256'
    )
    best = best_digest_challenge(header)
    assert best is not None and 'nonce="2"' in best and "MD5" not in best
    assert best_digest_challenge('Digest realm="r", nonce="9", algorithm=SHA-512-256') is None
    assert best_digest_challenge('Basic realm="r"') is None
    assert best_digest_challenge('Digest realm="r", nonce="5", qop="auth-int"') is None
    both = best_digest_challenge('Digest realm="r", nonce="6", qop="auth-int, auth"')
    assert both is not None and 'nonce="6"' in both
    assert 'nonce="4"' in (best_digest_challenge('Digest realm="BaikalDAV", nonce="4"') or "")


# --- helpers -------------------------------------------------------------------------------


def _auth(username: str, password: str, *, unasked: bool) -> NegotiatedAuth:
    return NegotiatedAuth(username, password, bearer=False, unasked=unasked, on_resend=lambda: None)


def propfind(session: niquests.Session, url: str, auth: NegotiatedAuth) -> niquests.Response:
    return session.request(
        "PROPFIND", url, data=PROPFIND_BODY, headers={"Depth": "0"}, auth=auth, timeout=10
    )


def authorization(response: niquests.Response) -> str | None:
    """The Authorization header the request behind `response` carried."""
    assert response.request is not None and response.request.headers is not None
    value = response.request.headers.get("Authorization")
    return value.decode() if isinstance(value, bytes) else value
