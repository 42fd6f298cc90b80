"""The feed's secret URL token: where calsync keeps state, and the token stored there.

The state directory is `$STATE_DIRECTORY` (systemd's `StateDirectory=`; the first entry when it
lists several), else `[sync] state_dir`, else `$XDG_STATE_HOME/calsync`, else
`~/.local/state/calsync`. The token is 16 random bytes, url-safe base64 (22 characters): short,
so the subscribe URL stays far below Google's 256-character limit. `regenerate_token` replaces
it, which revokes every URL handed out before.

The busy feed (the blocks as "Busy", for a work calendar) has its own token, stored the same
way in `feed-busy-token`: its link opens only the busy feed, never the training feed or the
week page, and either token can be regenerated without breaking the other's subscriptions.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path

from calsync.config import Config
from calsync.errors import ConfigError

TOKEN_FILE = "feed-token"
BUSY_TOKEN_FILE = "feed-busy-token"
TOKEN_BYTES = 16  # 128 bits; token_urlsafe(16) is 22 characters
TOKEN_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def state_dir(config: Config | None, env: Mapping[str, str]) -> Path:
    """Where calsync keeps its state (see the module docstring for the order)."""
    from calsync.adapters.state import default_state_dir

    return default_state_dir(env, config.sync.state_dir if config is not None else None)


def new_token() -> str:
    """A fresh random token (22 url-safe characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def is_valid_token(text: str) -> bool:
    """Looks like a token calsync made: 16 to 64 url-safe characters."""
    return 16 <= len(text) <= 64 and set(text) <= TOKEN_ALPHABET


def token_path(directory: Path, *, busy: bool = False) -> Path:
    return directory / (BUSY_TOKEN_FILE if busy else TOKEN_FILE)


def load_token(directory: Path, *, create: bool = True, busy: bool = False) -> str:
    """The stored token (the busy feed's with `busy`); a new one is made and stored when there
    is none (and `create`).

    Raises:
        ConfigError: the state directory or the token file cannot be read or written.
    """
    path = token_path(directory, busy=busy)
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise _problem(path, f"cannot read the feed token ({type(exc).__name__})") from None
    if is_valid_token(text):
        return text
    if not create:
        raise _problem(path, "no feed token yet", hint="run `calsync feed-url` to make one")
    return regenerate_token(directory, busy=busy)


def regenerate_token(directory: Path, *, busy: bool = False) -> str:
    """Store a new token (mode 0600, atomic replace) and return it; old URLs stop working."""
    token = new_token()
    write_private(token_path(directory, busy=busy), (token + "\n").encode("ascii"))
    return token


def write_private(path: Path, data: bytes) -> None:
    """Write a state file atomically, mode 0600 (ConfigError when it cannot)."""
    try:
        write_atomic(path, data, 0o600)
    except OSError as exc:
        raise _problem(path, f"cannot write ({exc.strerror or type(exc).__name__})") from None


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Replace `path` with `data` in one step: a temporary file in the same folder, fsync,
    rename (vdirsyncer's atomic_write). Raises OSError."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.chmod(mode)
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def token_matches(expected: str, given: str) -> bool:
    """Compare in constant time: both sides hashed to fixed-length digests first."""
    want = hashlib.sha256(expected.encode("utf-8")).digest()
    got = hashlib.sha256(given.encode("utf-8", "surrogateescape")).digest()
    return hmac.compare_digest(want, got)


def _problem(path: Path, text: str, *, hint: str | None = None) -> ConfigError:
    return ConfigError(
        str(path),
        [text],
        hint=hint or "set [sync] state_dir, or $STATE_DIRECTORY, to a writable folder",
    )
