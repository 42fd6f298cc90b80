"""A test-only HTTP Digest (RFC 7616) reverse proxy on 127.0.0.1, in front of a real CalDAV server.

Baikal's default is Digest (realm "BaikalDAV"); Radicale and Xandikos do no Digest themselves.
This proxy issues real challenges (`WWW-Authenticate: Digest realm=..., qop="auth", algorithm=...,
nonce=..., opaque=...`, one header per algorithm), VERIFIES each answer the way a server must
(HA1/HA2/response over nc and cnonce, a nonce it issued, an nc that only grows, the request-target
as `uri`, the opaque echoed), refuses any Basic header, and forwards what passes (every method,
headers and body) to the upstream server. It records every request and every Authorization
header it saw, so tests can count round trips and prove no password went out in the clear.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import http.server
import re
import secrets
import threading
import urllib.parse
from dataclasses import dataclass
from dataclasses import field

HOST = "127.0.0.1"
REALM = "BaikalDAV"
MAX_BODY = 16 * 1024 * 1024  # a test proxy still reads bounded bodies
UPSTREAM_TIMEOUT_SECONDS = 30.0
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host"}
)
_PARAM = re.compile(r'([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')
_HASHES = {None: hashlib.md5, "MD5": hashlib.md5, "SHA-256": hashlib.sha256}


def parse_digest(header: str) -> dict[str, str]:
    """The parameters of an `Authorization: Digest ...` header (quoted or token values)."""
    body = header.split(None, 1)[1] if " " in header else ""
    return {m.group(1).lower(): m.group(2) or m.group(3) or "" for m in _PARAM.finditer(body)}


def expected_response(
    params: dict[str, str], *, method: str, password: str, algorithm: str | None
) -> str:
    """RFC 7616 §3.4.1: KD(H(A1), nonce:nc:cnonce:qop:H(A2)) for qop=auth."""

    def h(text: str) -> str:
        return _HASHES[algorithm](text.encode("utf-8")).hexdigest()

    ha1 = h(f"{params['username']}:{params['realm']}:{password}")
    ha2 = h(f"{method}:{params['uri']}")
    return h(f"{ha1}:{params['nonce']}:{params['nc']}:{params['cnonce']}:auth:{ha2}")


@dataclass
class DigestProxy:
    """Digest in front of `upstream` (which gets `upstream_auth` as Basic, loopback only)."""

    upstream: str
    username: str
    password: str
    # One challenge per entry, in this order. None: no algorithm parameter (sabre/dav, Baikal).
    algorithms: tuple[str | None, ...] = ("MD5",)
    upstream_auth: tuple[str, str] | None = None
    nonce_uses: int | None = None  # after this many uses a nonce is stale (401, stale=true)
    seen: list[tuple[str, str, int]] = field(default_factory=list)  # method, path, status
    authorizations: list[str] = field(default_factory=list)  # every Authorization header
    opaque: str = field(default_factory=lambda: secrets.token_hex(8))
    _nonces: dict[str, str | None] = field(default_factory=dict)  # nonce → its algorithm
    _nc: dict[str, int] = field(default_factory=dict)  # nonce → highest nc accepted
    _uses: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: http.server.ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://{HOST}:{self._server.server_address[1]}/"

    @property
    def methods(self) -> list[str]:
        return [method for method, _, _ in self.seen]

    def start(self) -> DigestProxy:
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self._server = http.server.ThreadingHTTPServer((HOST, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, daemon=True, name="digest-proxy"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    # -- the server's side of RFC 7616 --------------------------------------------------

    def challenges(self, *, stale: bool = False) -> list[str]:
        out = []
        with self._lock:
            for algorithm in self.algorithms:
                nonce = secrets.token_hex(16)
                self._nonces[nonce] = algorithm
                self._nc[nonce] = 0
                self._uses[nonce] = 0
                value = (
                    f'Digest realm="{REALM}", qop="auth", nonce="{nonce}", opaque="{self.opaque}"'
                )
                if algorithm is not None:
                    value += f", algorithm={algorithm}"
                if stale:
                    value += ", stale=true"
                out.append(value)
        return out

    def verdict(self, method: str, target: str, header: str | None) -> str:
        """'ok', 'stale' (right answer to a used-up nonce) or 'refused'."""
        if header is None or not header.lower().startswith("digest "):
            return "refused"  # no credentials, or Basic: never accepted here
        params = parse_digest(header)
        needed = ("username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce")
        if any(key not in params for key in needed):
            return "refused"
        with self._lock:
            return self._check(method, target, params)

    def _check(self, method: str, target: str, params: dict[str, str]) -> str:
        nonce = params["nonce"]
        if nonce not in self._nonces:
            return "refused"
        algorithm = self._nonces[nonce]
        sent_algorithm = params.get("algorithm")
        if (sent_algorithm or "MD5").upper() != (algorithm or "MD5"):
            return "refused"
        if params["username"] != self.username or params["realm"] != REALM:
            return "refused"
        if params["uri"] != target or params["qop"] != "auth":
            return "refused"
        if params.get("opaque") != self.opaque or not re.fullmatch(r"[0-9a-f]{8}", params["nc"]):
            return "refused"
        want = expected_response(params, method=method, password=self.password, algorithm=algorithm)
        if not hmac.compare_digest(want, params["response"]):
            return "refused"
        nc = int(params["nc"], 16)
        if nc <= self._nc[nonce]:
            return "refused"  # a replayed nc
        self._nc[nonce] = nc
        self._uses[nonce] += 1
        if self.nonce_uses is not None and self._uses[nonce] > self.nonce_uses:
            return "stale"
        return "ok"

    def forward(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        parts = urllib.parse.urlsplit(self.upstream)
        conn = http.client.HTTPConnection(
            parts.hostname or HOST, parts.port, timeout=UPSTREAM_TIMEOUT_SECONDS
        )
        out = [(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP | {"authorization"}]
        if self.upstream_auth is not None:
            token = base64.b64encode(":".join(self.upstream_auth).encode()).decode()
            out.append(("Authorization", f"Basic {token}"))
        try:
            conn.putrequest(method, target, skip_accept_encoding=True)
            for key, value in out:
                if key.lower() != "content-length":
                    conn.putheader(key, value)
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            response = conn.getresponse()
            data = response.read()
            return response.status, response.getheaders(), data
        finally:
            conn.close()


class _Handler(http.server.BaseHTTPRequestHandler):
    owner: DigestProxy
    protocol_version = "HTTP/1.1"  # keep-alive, as a real server (Digest reuses the connection)

    def _handle(self) -> None:
        proxy = self.owner
        header = self.headers.get("Authorization")
        if header is not None:
            with proxy._lock:
                proxy.authorizations.append(header)
        body = self._body()
        verdict = proxy.verdict(self.command, self.path, header)
        if verdict != "ok":
            self._record(401)
            self._challenge(stale=verdict == "stale")
            return
        status, headers, data = proxy.forward(
            self.command, self.path, list(self.headers.items()), body
        )
        self._record(status)
        self.send_response(status)
        for key, value in headers:
            if key.lower() not in _HOP_BY_HOP | {"content-length", "date", "server"}:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("request body too large for the test proxy")
        return self.rfile.read(length) if length else b""

    def _record(self, status: int) -> None:
        with self.owner._lock:
            self.owner.seen.append((self.command, self.path, status))

    def _challenge(self, *, stale: bool) -> None:
        text = b"401 Unauthorized\n"
        self.send_response(401)
        for value in self.owner.challenges(stale=stale):
            self.send_header("WWW-Authenticate", value)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    do_GET = do_PUT = do_DELETE = do_POST = do_OPTIONS = _handle  # noqa: N815
    do_PROPFIND = do_PROPPATCH = do_REPORT = do_MKCALENDAR = do_MKCOL = do_MOVE = _handle  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:
        pass
