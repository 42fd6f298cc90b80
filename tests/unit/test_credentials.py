"""Each credential source in turn, the order between them, and secrets kept out of every
message, repr and exception."""

from __future__ import annotations

import logging
import shlex
import sys
from pathlib import Path

import keyring
import keyring.backend
import pytest

from calsync.adapters.credentials import Credentials
from calsync.adapters.credentials import resolve_credentials
from calsync.config import Account
from calsync.errors import ConfigError
from calsync.errors import ExitCode

CREDENTIALS_DIR = str(Path(__file__).resolve().parents[1] / "fixtures" / "credentials")
SECRET = "s3cret-Pa55word"


def printing(text: str, *, exit_code: int = 0, stderr: str = "") -> str:
    """A password_command that prints `text` (and `stderr`), then exits with `exit_code`."""
    code = (
        f"import sys; sys.stdout.write({text!r}); sys.stderr.write({stderr!r}); "
        f"sys.exit({exit_code})"
    )
    return shlex.join([sys.executable, "-c", code])


def acct(**kw: object) -> Account:
    return Account(name="home", url="https://dav.example.org/", username="ann", **kw)  # type: ignore[arg-type]


def all_text(err: BaseException) -> str:
    """Everything about an exception a user or a log could ever see."""
    parts = [str(err), repr(err), getattr(err, "hint", "") or ""]
    parts += [str(p) for p in getattr(err, "problems", [])]
    return "\n".join(parts)


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A real keyring backend that keeps its entries in a dict."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.entries.pop((service, username), None)


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


# --- each source ------------------------------------------------------------------------


def test_no_source_means_no_password():
    creds = resolve_credentials(acct(), {})
    assert creds == Credentials(username="ann")


def test_password_env():
    creds = resolve_credentials(acct(password_env="CAL_PW"), {"CAL_PW": SECRET})
    assert (creds.username, creds.password, creds.token) == ("ann", SECRET, None)
    assert creds.source == "password_env"


def test_password_env_unset_names_the_variable_not_a_value():
    with pytest.raises(ConfigError) as info:
        resolve_credentials(acct(password_env="CAL_PW"), {"OTHER": SECRET})
    assert "CAL_PW" in info.value.message
    assert info.value.exit_code == ExitCode.CONFIG
    assert SECRET not in all_text(info.value)


def test_password_command_output_is_stripped():
    creds = resolve_credentials(acct(password_command=printing(f"  {SECRET}\n")), {})
    assert creds.password == SECRET
    assert creds.source == "password_command"


def test_password_command_runs_without_a_shell():
    # With a shell, `$HOME` would be expanded; without one it is printed as is.
    creds = resolve_credentials(acct(password_command="printf %s $HOME"), {})
    assert creds.password == "$HOME"


def test_failing_password_command_never_shows_its_output():
    command = printing(SECRET, exit_code=3, stderr=f"error: token {SECRET}-stderr")
    with pytest.raises(ConfigError) as info:
        resolve_credentials(acct(password_command=command), {})
    text = all_text(info.value)
    assert "exit status 3" in text
    assert SECRET not in text
    assert info.value.__cause__ is None and info.value.__context__ is None


def test_missing_password_command_program():
    with pytest.raises(ConfigError) as info:
        resolve_credentials(acct(password_command="/nonexistent/pass show cal"), {})
    assert "not found" in info.value.message


def test_password_command_that_prints_nothing():
    with pytest.raises(ConfigError) as info:
        resolve_credentials(acct(password_command=printing("\n")), {})
    assert "printed nothing" in info.value.message


def test_token_command_gives_a_bearer_token():
    creds = resolve_credentials(acct(token_command=printing(f"ya29.{SECRET}\n")), {})
    assert creds.token == f"ya29.{SECRET}"
    assert creds.password is None
    assert creds.source == "token_command"


def test_failing_token_command_never_shows_its_output():
    command = printing("", exit_code=1, stderr=f"invalid_grant refresh_token={SECRET}")
    with pytest.raises(ConfigError) as info:
        resolve_credentials(acct(token_command=command), {})
    assert "token_command" in info.value.message
    assert SECRET not in all_text(info.value)


def test_systemd_credential_file_named_after_the_account():
    creds = resolve_credentials(acct(), {"CREDENTIALS_DIRECTORY": CREDENTIALS_DIR})
    assert creds.password == "systemd-s3cret-pw"  # trailing newline stripped
    assert creds.source == "systemd credential"


def test_systemd_directory_without_the_accounts_file_falls_through():
    env = {"CREDENTIALS_DIRECTORY": CREDENTIALS_DIR, "CAL_PW": SECRET}
    account = Account(name="work", url="https://x.example/", password_env="CAL_PW")
    assert resolve_credentials(account, env).password == SECRET


def test_empty_systemd_credential_is_an_error():
    account = Account(name="empty", url="https://x.example/")
    with pytest.raises(ConfigError) as info:
        resolve_credentials(account, {"CREDENTIALS_DIRECTORY": CREDENTIALS_DIR})
    assert "empty" in info.value.message


def test_keyring(memory_keyring):
    memory_keyring.set_password("calsync", "ann", SECRET)
    creds = resolve_credentials(acct(keyring=True), {})
    assert creds.password == SECRET
    assert creds.source == "keyring"


def test_keyring_without_an_entry_says_how_to_add_one(memory_keyring):
    with pytest.raises(ConfigError) as info:
        resolve_credentials(acct(keyring=True), {})
    assert "keyring set calsync ann" in (info.value.hint or "")


def test_keyring_not_installed_gives_a_clear_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "keyring", None)  # import keyring → ImportError
    with pytest.raises(ConfigError) as info:
        resolve_credentials(acct(keyring=True), {})
    assert "'keyring' package is not installed" in info.value.message
    assert "calsync[keyring]" in (info.value.hint or "")


# --- order ------------------------------------------------------------------------------


def test_sources_are_tried_in_the_documented_order(memory_keyring):
    memory_keyring.set_password("calsync", "ann", "from-keyring")
    full = acct(
        token_command=printing("from-token"),
        password_env="CAL_PW",
        password_command=printing("from-command"),
        keyring=True,
    )
    env = {"CREDENTIALS_DIRECTORY": CREDENTIALS_DIR, "CAL_PW": "from-env"}
    assert resolve_credentials(full, env).token == "from-token"
    no_token = acct(password_env="CAL_PW", password_command=printing("x"), keyring=True)
    assert resolve_credentials(no_token, env).password == "systemd-s3cret-pw"
    assert resolve_credentials(no_token, {"CAL_PW": "from-env"}).password == "from-env"
    no_env = acct(password_command=printing("from-command"), keyring=True)
    assert resolve_credentials(no_env, {}).password == "from-command"


# --- secrets never shown ----------------------------------------------------------------


def test_repr_and_str_hide_password_and_token():
    creds = Credentials(username="ann", password=SECRET, token=f"tok-{SECRET}")
    for text in (repr(creds), str(creds), f"{creds}", f"{creds!r}"):
        assert SECRET not in text
        assert "ann" in text and "***" in text


def test_secrets_never_logged(caplog):
    caplog.set_level(logging.DEBUG, logger="calsync")
    logger = logging.getLogger("calsync")
    logger.addHandler(caplog.handler)  # the CLI may have turned propagation off
    try:
        resolve_credentials(acct(password_command=printing(SECRET)), {})
        resolve_credentials(acct(token_command=printing(SECRET)), {})
    finally:
        logger.removeHandler(caplog.handler)
    assert any("password_command" in r.getMessage() for r in caplog.records)
    assert SECRET not in caplog.text
