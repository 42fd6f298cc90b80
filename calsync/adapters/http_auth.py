"""HTTP authentication for CalDAV: Basic, Digest (RFC 7616) or Bearer, as the server asks.

One `NegotiatedAuth` per session. Credentials go with the first request only where that is safe
(`may_send_unasked`: https, or a loopback host), which keeps a run free of 401 round trips on the
usual Basic servers. Otherwise the first request goes out bare and the server's challenge decides.
A Digest challenge (Baikal's default, realm "BaikalDAV") switches the session to Digest once, for
good; niquests' `HTTPDigestAuth` does the hashing (MD5, SHA-256; qop=auth), nonce counts and
stale nonces. Digest never puts the password on the wire; Basic and Bearer go out unasked only
where `may_send_unasked` allows, and in the clear only when the server asked for them.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from collections.abc import Callable
from typing import Any

from niquests.auth import AuthBase
from niquests.auth import BearerTokenAuth
from niquests.auth import HTTPBasicAuth
from niquests.auth import HTTPDigestAuth
from niquests.models import PreparedRequest
from niquests.models import Response

__all__ = ["NegotiatedAuth", "best_digest_challenge", "challenge_schemes", "may_send_unasked"]

MAX_CHALLENGE_BODY = 64 * 1024  # bytes of a 401's body read at most (it is never used)
# Algorithms niquests implements that RFC 7616 names, best first; None = no parameter (= MD5).
_DIGEST_ALGORITHMS = ("SHA-256", "MD5", None)
_DIGEST_START = re.compile(r"(?i)(?:^|,)\s*digest\s+")
_ALGORITHM = re.compile(r'(?i)\balgorithm\s*=\s*"?([A-Za-z0-9-]+)"?')
_QOP = re.compile(r'(?i)\bqop\s*=\s*"([^"]*)"|\bqop\s*=\s*([^\s,]+)')
_SCHEME = re.compile(
    r"(?i)(?:^|,)\s*([A-Za-z][A-Za-z0-9!#$%&\'*+.^_`|~-]*)(?=\s+[^\s=,]|\s*,|\s*$)"
)


def may_send_unasked(url: str) -> bool:
    """Whether credentials may go with a request before the server asked: https, or loopback.

    Over plain http to another host a password could be read on the way; there we wait for the
    challenge (and Digest, when offered, never exposes it).
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() == "https":
        return True
    host = (parts.hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):  # RFC 6761 §6.3: always loopback
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def challenge_schemes(header: str) -> set[str]:
    """The auth schemes a `WWW-Authenticate` value offers, lower case (`{"digest", "basic"}`)."""
    return {m.group(1).lower() for m in _SCHEME.finditer(header)}


def best_digest_challenge(header: str) -> str | None:
    """The Digest challenge to answer, `Digest ...`: the strongest algorithm niquests supports.

    A server may offer one Digest challenge per algorithm (RFC 7616 §3.7); niquests reads the
    whole header as one, so it gets just the chosen one.
    """
    digests = [p.strip().rstrip(",") for p in _DIGEST_START.split(header)[1:]]
    ranked = [(rank, p) for p in digests if (rank := _digest_rank(p)) is not None]
    return f"Digest {min(ranked)[1]}" if ranked else None


def _digest_rank(params: str) -> int | None:
    """0 for the best algorithm; None when niquests cannot answer (another algorithm, or
    qop=auth-int alone)."""
    found = _ALGORITHM.search(params)
    algorithm = found.group(1).upper() if found else None
    qop = _QOP.search(params)
    qops = (qop.group(1) or qop.group(2)).lower().replace(" ", "").split(",") if qop else ["auth"]
    if algorithm not in _DIGEST_ALGORITHMS or "auth" not in qops:
        return None
    return _DIGEST_ALGORITHMS.index(algorithm)


class _OneState:
    """Stands in for niquests' per-context Digest state: one state for the whole session."""

    def __init__(self) -> None:
        self._state: Any = None

    def get(self, default: Any = None) -> Any:
        return default if self._state is None else self._state

    def set(self, value: Any) -> None:
        self._state = value


class _SessionDigest(HTTPDigestAuth):
    """niquests' Digest, keeping its nonce and nonce count for the whole session.

    Why: niquests keeps that state in a ContextVar, and calsync sends each request from a fresh
    helper thread (`bounded.finish_within`), so every request would start again with a 401.
    """

    def __init__(self, username: str, password: str) -> None:
        super().__init__(username, password)
        self._thread_local = _OneState()  # type: ignore[assignment]


class NegotiatedAuth(AuthBase):
    """Basic / Digest for a password, Bearer for a token: chosen from the server's challenge.

    `unasked`: send Basic (or Bearer) before any challenge (see `may_send_unasked`).
    `on_resend` is called for every request this class sends by itself (the answer to a 401),
    so the store's request counter counts every request on the wire.
    """

    def __init__(
        self,
        username: str | None,
        secret: str,
        *,
        bearer: bool,
        unasked: bool,
        on_resend: Callable[[], None],
    ) -> None:
        self._username = username or ""
        self._secret = secret
        self._bearer = bearer
        self._plain_ok = unasked  # Basic/Bearer may be attached without a fresh challenge
        self._digest = _SessionDigest(self._username, secret)
        self._on_digest = False  # switched for good after the first Digest challenge
        self._on_resend = on_resend

    @property
    def scheme(self) -> str:
        """The scheme in use now: "digest", "bearer" or "basic" (for tests and logs)."""
        if self._on_digest:
            return "digest"
        return "bearer" if self._bearer else "basic"

    def __call__(self, r: PreparedRequest) -> PreparedRequest:
        if self._on_digest:
            r.register_hook("response", self._keep_best_digest)
            self._digest(r)
            r.register_hook("response", self._count_digest_resend)
            return r
        if self._plain_ok:
            self._attach_plain(r)
        r.register_hook("response", self._on_response)
        return r

    def _attach_plain(self, r: PreparedRequest) -> None:
        plain: AuthBase
        if self._bearer:
            plain = BearerTokenAuth(self._secret)
        else:
            plain = HTTPBasicAuth(self._username, self._secret)
        plain(r)

    def _on_response(self, r: Response, **kwargs: Any) -> Response:
        """A 401 before any Digest: answer the challenge once, with what it asks for."""
        if r.status_code != 401 or self._on_digest:
            return r  # a Digest answer that failed too is not negotiated again
        _read_challenge_body(r)
        header = r.headers.get("www-authenticate") or ""
        schemes = challenge_schemes(header)
        if not self._bearer and "digest" in schemes and best_digest_challenge(header):
            return self._switch_to_digest(r, **kwargs)
        wanted = "bearer" if self._bearer else "basic"
        if wanted in schemes and not self._plain_ok:
            self._plain_ok = True  # the server asked for it: from now on, with every request
            return self._resend(r, self._attach_plain, **kwargs)
        return r  # refused as sent (a wrong password): the caller reports it

    def _switch_to_digest(self, r: Response, **kwargs: Any) -> Response:
        """Answer this 401 with Digest and stay on Digest for the rest of the session."""
        self._on_digest = True
        # Priming on a blank request sets up the Digest state its 401 hook needs, without
        # touching this request's hooks (they are being run right now).
        self._digest(PreparedRequest())
        self._keep_best_digest(r)
        answered: Response = self._digest.handle_401(r, **kwargs)  # type: ignore[no-untyped-call]
        if answered is not r:
            self._on_resend()
        return answered

    def _keep_best_digest(self, r: Response, **kwargs: Any) -> Response:
        header = r.headers.get("www-authenticate") or ""
        if r.status_code == 401 and (best := best_digest_challenge(header)):
            _read_challenge_body(r)
            r.headers["www-authenticate"] = best
        return r

    def _count_digest_resend(self, r: Response, **kwargs: Any) -> Response:
        # niquests' Digest hook answered a 401 (a stale or new nonce) with a request of its own.
        if r.history and r.history[-1].status_code == 401:
            self._on_resend()
        return r

    def _resend(
        self, r: Response, attach: Callable[[PreparedRequest], None], **kwargs: Any
    ) -> Response:
        """The same request again with credentials, on the same connection (as niquests'
        Digest does)."""
        r.close()  # its body is read already (`_read_challenge_body`)
        if r.request is None or r.connection is None:
            return r
        prep = r.request.copy()
        attach(prep)
        answer: Response = r.connection.send(prep, **kwargs)
        answer.history.append(r)
        answer.request = prep
        self._on_resend()
        return answer


def _read_challenge_body(r: Response) -> None:
    """Read a 401's body, at most MAX_CHALLENGE_BODY bytes, before anything reads it whole.

    Why: the answer to a 401 reads its body first (niquests' Digest does, to reuse the
    connection), and a hostile server's endless 401 body would fill memory. A body cut here
    only costs a new connection for the next request.
    """
    if r._content_consumed:
        return  # not streamed: read already, by the session's own bounds
    body = bytearray()
    for chunk in r.iter_content(16 * 1024):
        body += chunk
        if len(body) >= MAX_CHALLENGE_BODY:
            break
    r._content = bytes(body[:MAX_CHALLENGE_BODY])
    r._content_consumed = True
