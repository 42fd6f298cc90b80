"""Where an account's secret comes from: a token command, systemd credentials, an environment
variable, a password command or the system keyring.

Sources, first match wins:

1. ``token_command``: prints an OAuth bearer token (Google); the output is stripped.
2. ``$CREDENTIALS_DIRECTORY/<account name>``: systemd ``LoadCredential=<account name>:/path``
   (or ``SetCredentialEncrypted=``); the file holds the password, trailing newline stripped.
3. ``password_env``: the named environment variable.
4. ``password_command``: run without a shell (shlex split), 30 s timeout, output stripped.
5. ``keyring = true``: the system keyring, service ``calsync``, user = the account's username
   (needs the optional ``keyring`` package: ``pip install 'calsync[keyring]'``).

No source at all means no password (servers without authentication, such as a local Radicale).
Secrets never appear in messages, logs, exceptions or the ``repr`` of `Credentials`.
"""

from __future__ import annotations

import logging
import shlex
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from calsync.config import Account
from calsync.errors import ConfigError

log = logging.getLogger(__name__)

COMMAND_TIMEOUT_SECONDS = 30.0
KEYRING_SERVICE = "calsync"


@dataclass(frozen=True, slots=True)
class Credentials:
    """What the CalDAV client authenticates with. The repr never shows the secrets."""

    username: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    source: str = "none"  # which source gave the secret: for messages and hints

    def __repr__(self) -> str:
        password = None if self.password is None else "***"
        token = None if self.token is None else "***"
        return (
            f"Credentials(username={self.username!r}, password={password!r}, "
            f"token={token!r}, source={self.source!r})"
        )

    __str__ = __repr__


def resolve_credentials(account: Account, env: Mapping[str, str]) -> Credentials:
    """The account's credentials from the first source that is configured (see the module doc)."""
    user = account.username
    if account.token_command:
        token = _run(account, "token_command", account.token_command)
        return Credentials(username=user, token=token, source="token_command")
    from_systemd = _systemd_credential(account, env)
    if from_systemd is not None:
        return Credentials(username=user, password=from_systemd, source="systemd credential")
    if account.password_env:
        return Credentials(username=user, password=_env(account, env), source="password_env")
    if account.password_command:
        password = _run(account, "password_command", account.password_command)
        return Credentials(username=user, password=password, source="password_command")
    if account.keyring:
        return Credentials(username=user, password=_keyring(account), source="keyring")
    return Credentials(username=user)


def _problem(account: Account, text: str, *, hint: str | None = None) -> ConfigError:
    return ConfigError(f"[accounts.{account.name}]", [text], hint=hint)


def _systemd_credential(account: Account, env: Mapping[str, str]) -> str | None:
    directory = env.get("CREDENTIALS_DIRECTORY")
    if not directory:
        return None
    path = Path(directory) / account.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise _problem(
            account, f"cannot read the systemd credential {str(path)!r} ({type(exc).__name__})"
        ) from None
    secret = text.rstrip("\r\n")
    if not secret:
        raise _problem(account, f"the systemd credential {str(path)!r} is empty")
    return secret


def _env(account: Account, env: Mapping[str, str]) -> str:
    name = account.password_env or ""
    value = env.get(name)
    if not value:
        raise _problem(
            account,
            f"password_env: the environment variable {name!r} is not set or empty",
            hint=f"export {name}=... before running calsync, or use password_command",
        )
    return value


def _run(account: Account, key: str, command: str) -> str:
    """Run a secret-printing command: no shell, bounded, its output never in a message."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise _problem(account, f"{key}: cannot split the command line ({exc})") from None
    if not argv:
        raise _problem(account, f"{key}: empty command")
    program = argv[0]
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise _problem(account, f"{key}: program {program!r} not found") from None
    except PermissionError:
        raise _problem(account, f"{key}: program {program!r} is not executable") from None
    except subprocess.TimeoutExpired:
        raise _problem(
            account, f"{key}: {program!r} did not finish within {COMMAND_TIMEOUT_SECONDS:g} s"
        ) from None
    except OSError as exc:
        raise _problem(account, f"{key}: cannot run {program!r} ({type(exc).__name__})") from None
    if done.returncode != 0:
        # The command's stdout/stderr may hold the secret or a token: never shown.
        raise _problem(
            account,
            f"{key}: {program!r} failed with exit status {done.returncode}",
            hint=f"run the {key} yourself to see its message",
        )
    try:
        secret = done.stdout.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise _problem(account, f"{key}: {program!r} printed something that is not UTF-8") from None
    if not secret:
        raise _problem(account, f"{key}: {program!r} printed nothing")
    log.debug("account %r: secret read with %s (%s)", account.name, key, program)
    return secret


def _keyring(account: Account) -> str:
    if not account.username:
        raise _problem(account, "keyring = true needs a username (the keyring entry's user)")
    try:
        import keyring
        import keyring.errors
    except ImportError:
        raise _problem(
            account,
            "keyring = true, but the optional 'keyring' package is not installed",
            hint="pip install 'calsync[keyring]', or use password_command / password_env",
        ) from None
    try:
        secret = keyring.get_password(KEYRING_SERVICE, account.username)
    except keyring.errors.KeyringError as exc:
        raise _problem(
            account, f"keyring: cannot read the system keyring ({type(exc).__name__})"
        ) from None
    if not secret:
        raise _problem(
            account,
            f"keyring: no password stored for service {KEYRING_SERVICE!r}, "
            f"user {account.username!r}",
            hint=f"keyring set {KEYRING_SERVICE} {account.username}",
        )
    return str(secret)
