"""The TOML configuration: read with tomllib, validated into frozen, typed settings.

`parse_config(raw, source, default_tz)` is pure and is what tests call; `load_config(path)` only
reads the file. Every key is declared once, in `calsync.config_schema` (its type, default,
allowed values and help); this module walks that schema over the TOML tables and builds the
settings. Every key has a default, so no file at all is a valid configuration. Every problem is
reported at once, each naming `[section] key` and what is allowed, and an unknown key or table
gets the closest known name as a suggestion.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import tomllib
import zoneinfo
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from typing import Literal
from typing import TypeVar

from calsync import config_schema as schema
from calsync.errors import ConfigError
from calsync.model import ClassifyRules
from calsync.model import Kind
from calsync.model import PlanRules
from calsync.model import Template

T = TypeVar("T")

KEYWORD_KINDS = schema.KEYWORD_KINDS
HINT = "compare with config.example.toml, or run `calsync check-config`"


BusyKind = Literal["account", "feed", "file"]


@dataclass(frozen=True, slots=True)
class BusySource:
    """A `busy` entry read from outside this account: another account's calendar
    (`work:Calendar`), a read-only ICS feed (`https://...`) or a file or folder (`~/x.ics`)."""

    kind: BusyKind
    where: str  # the other account's name, the feed URL (a secret: never logged) or the path
    calendar: str = ""  # the other account's calendar


@dataclass(frozen=True, slots=True)
class Account:
    """One CalDAV account: where runs are read and strength blocks written.

    The keys of `[accounts.NAME]` (config_schema.ACCOUNT); the defaults are the schema's.
    """

    name: str
    url: str
    username: str | None = None
    password_env: str | None = None
    password_command: str | None = None
    keyring: bool = False  # read the password from the system keyring (service "calsync")
    token_command: str | None = None  # prints an OAuth bearer token (Google)
    runs: tuple[str, ...] = ()
    busy: tuple[str, ...] = ()
    target: str = "Strength"
    verify_tls: bool = True
    ca_file: str | None = None
    timeout_seconds: float = 30.0  # longest wait for any one read from the server
    # Bounds against a broken or hostile server (exit 69 when one is hit):
    max_response_mib: int = 64  # largest answer read (a ten-year calendar is ~10 MiB)
    request_deadline_seconds: float = 60.0  # longest one request may take in all
    sync_deadline_minutes: float = 10.0  # longest one run (sync, plan, ...) may take
    # `busy` entries not of this account's own calendars (`busy` keeps those): see BusySource.
    busy_sources: tuple[BusySource, ...] = ()


@dataclass(frozen=True, slots=True)
class SyncSettings:
    """How `calsync sync` writes blocks: `[sync]` (config_schema.SYNC, the same defaults)."""

    transparent: bool = False  # blocks are busy (TRANSP:OPAQUE) by default
    private: bool = False  # privacy mode: a generic title and no description
    private_title: str = "Busy"
    max_deletes: int = 6  # mass-change guard: refuse to remove more blocks than this
    state_dir: str | None = None  # default: $XDG_STATE_HOME/calsync


@dataclass(frozen=True, slots=True)
class DaemonSettings:
    """The long-running `calsync daemon`: `[daemon]` (config_schema.DAEMON)."""

    interval_minutes: float = 15.0
    max_backoff_minutes: float = 60.0
    poll_seconds: int = 45  # a cheap "anything changed?" check between full syncs


@dataclass(frozen=True, slots=True)
class FeedSettings:
    """The ICS feed and week page served by `calsync serve`: `[feed]` (config_schema.FEED)."""

    host: str = "127.0.0.1"
    port: int = 8765
    public_url: str | None = None  # e.g. https://cal.example.org (behind a reverse proxy)
    name: str = "Strength"
    refresh_minutes: int = 60
    past_days: int = 14
    busy_title: str = "Busy"  # the busy feed's title for every block (and its calendar name)
    busy_buffer_minutes: int = 15  # the busy feed's margin before and after each block


@dataclass(frozen=True, slots=True)
class Config:
    """The whole validated configuration."""

    source: str
    timezone: zoneinfo.ZoneInfo
    rules: PlanRules
    timezone_set: bool = False  # False: the machine's zone, until a calendar's zone is known
    classify: ClassifyRules = field(default_factory=ClassifyRules)
    weeks: int = 4
    sources: tuple[str, ...] = ()
    accounts: Mapping[str, Account] = field(default_factory=dict)
    sync: SyncSettings = field(default_factory=SyncSettings)
    daemon: DaemonSettings = field(default_factory=DaemonSettings)
    feed: FeedSettings = field(default_factory=FeedSettings)

    def account(self, name: str | None) -> Account:
        """The named account, or the only one; ConfigError when that is ambiguous or missing."""
        if name is not None:
            if name not in self.accounts:
                known = ", ".join(sorted(self.accounts)) or "none"
                raise ConfigError(self.source, [f"no account {name!r} (configured: {known})"])
            return self.accounts[name]
        if len(self.accounts) == 1:
            return next(iter(self.accounts.values()))
        if not self.accounts:
            raise ConfigError(
                self.source,
                ["no [accounts.NAME] table: CalDAV commands need one"],
                hint="see the README's CalDAV set-up, or config.example.toml",
            )
        known = ", ".join(sorted(self.accounts))
        raise ConfigError(self.source, [f"several accounts ({known}): choose one with --account"])


_INVALID: Any = object()  # a value that did not convert: its problem is already recorded


class _Table:
    """One TOML table, read through its schema section. Records problems instead of raising
    at the first one."""

    def __init__(self, name: str, data: object, problems: list[str]) -> None:
        self.name = name
        self._problems = problems
        if not isinstance(data, Mapping):
            problems.append(f"{self._where()} must be a table")
            data = {}
        self._data = dict(data)

    def _where(self, key: str | None = None) -> str:
        section = f"[{self.name}]" if self.name else ""
        if key is None:
            return section or "top level"
        return f"{section} {key}".strip()

    def get(self, key: schema.Key) -> Any:
        """The key's converted value, its default when absent, or `_INVALID` (recorded)."""
        if key.name not in self._data:
            if key.default is schema.REQUIRED:
                self._problems.append(f"{self._where(key.name)}: required ({key.help})")
                return _INVALID
            return key.value()
        value = self._data.pop(key.name)
        try:
            return key.type.convert(value)
        except (TypeError, ValueError) as exc:
            self._problems.append(f"{self._where(key.name)} = {_show(value)}: {exc}")
            return _INVALID

    def read(self, section: schema.Section) -> dict[str, Any]:
        """Every key of `section`, by name; a refused key present is a problem."""
        values = {key.name: self.get(key) for key in section.keys}
        for name, reason in section.refused.items():
            if self._data.pop(name, None) is not None:
                self._problems.append(f"{self._where(name)}: {reason}")
        return values

    def table(self, key: str) -> _Table:
        name = f"{self.name}.{key}" if self.name else key
        return _Table(name, self._data.pop(key, {}), self._problems)

    def raw(self, key: str) -> object:
        return self._data.pop(key, None)

    def names(self) -> list[str]:
        return sorted(self._data)

    def check_unknown(self, section: schema.Section) -> None:
        """Whatever is left unread is unknown: named, with the closest known name."""
        known = schema.known_names(section)
        for key in self._data:
            guess = difflib.get_close_matches(key, known, n=1)
            tip = f" (did you mean {guess[0]!r}?)" if guess else ""
            what = "section" if isinstance(self._data[key], Mapping) else "key"
            self._problems.append(f"{self._where()}: unknown {what} {key!r}{tip}".strip())


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- sections: each reads its table through the schema and builds its settings ---------------


def _template(item: object, number: int, problems: list[str]) -> Template:
    t = _Table(f"strength.templates #{number}", item, problems)
    values = t.read(schema.TEMPLATE)
    t.check_unknown(schema.TEMPLATE)
    return Template(**{**values, "name": values["name"] or f"custom-{number}"})


def _templates(strength: _Table, problems: list[str]) -> tuple[Template, ...]:
    value = strength.raw("templates")
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append("[strength] templates: expected [[strength.templates]] tables")
        return ()
    return tuple(_template(item, i, problems) for i, item in enumerate(value, 1))


def _plan_rules(top: _Table, tz: zoneinfo.ZoneInfo, problems: list[str]) -> PlanRules:
    s = top.table("strength")
    r = top.table("rules")
    strength, rules = s.read(schema.STRENGTH), r.read(schema.RULES)
    templates = _templates(s, problems)
    s.check_unknown(schema.STRENGTH)
    r.check_unknown(schema.RULES)
    return PlanRules(timezone=tz, templates=templates, **strength, **rules)


def _classify_rules(top: _Table) -> ClassifyRules:
    c = top.table("classify")
    values = c.read(schema.CLASSIFY)
    k = c.table("keywords")
    words = k.read(schema.KEYWORDS)
    k.check_unknown(schema.KEYWORDS)
    c.check_unknown(schema.CLASSIFY)
    keywords = {Kind(kind): found for kind, found in words.items() if found}
    return ClassifyRules(keywords=keywords, **values)


def _accounts(top: _Table, problems: list[str]) -> dict[str, Account]:
    section = top.table("accounts")
    out: dict[str, Account] = {}
    for name in section.names():
        a = section.table(name)
        out[name] = Account(name=name, **a.read(schema.ACCOUNT))
        a.check_unknown(schema.ACCOUNT)
    return {name: _with_busy_sources(acct, out, problems) for name, acct in out.items()}


FEED_SCHEMES = ("http://", "https://", "webcal://", "webcals://")
_PATH_START = ("/", "~", "./", "../")
_ACCOUNT_REF = re.compile(r"([A-Za-z0-9_.-]+):(\S.*)")  # work:Calendar (not "Work: Meetings")


def _with_busy_sources(
    account: Account, accounts: Mapping[str, Account], problems: list[str]
) -> Account:
    """`busy` split into this account's calendars and the sources from elsewhere."""
    if account.busy is _INVALID:  # the key did not convert: already reported
        return account
    own: list[str] = []
    extra: list[BusySource] = []
    for entry in account.busy:
        found = _busy_entry(entry, account.name, accounts)
        if isinstance(found, _Refused):
            problems.append(f"[accounts.{account.name}] busy: {found.why}")
        elif isinstance(found, str):
            own.append(found)
        else:
            extra.append(found)
    return dataclasses.replace(account, busy=tuple(own), busy_sources=tuple(extra))


@dataclass(frozen=True, slots=True)
class _Refused:
    why: str


def _busy_entry(
    entry: str, me: str, accounts: Mapping[str, Account]
) -> str | BusySource | _Refused:
    """One `busy` entry: a calendar name of this account, a BusySource, or why not."""
    text = entry.strip()
    if not text:
        return _Refused("an empty entry: give a calendar name, ACCOUNT:CALENDAR, a URL or a path")
    if text.lower().startswith(FEED_SCHEMES):
        own = accounts[me].url
        mine = own is not _INVALID and _on_account_server(text, own)  # _INVALID: no url
        return text if mine else _feed_entry(text)
    if "://" in text:
        scheme = text.split("://", 1)[0]
        return _Refused(f"{scheme!r}:// is not a feed: use https://, http:// or webcal://")
    if text.startswith(_PATH_START) or text.lower().endswith(".ics"):
        return BusySource("file", text)
    ref = _ACCOUNT_REF.fullmatch(text)
    if ref is None:
        return text
    name, calendar = ref.group(1), ref.group(2).strip()
    if name == me:  # this account's own calendar, written ACCOUNT:NAME (a name with a colon)
        return calendar
    if name not in accounts:
        known = ", ".join(sorted(accounts))
        guess = difflib.get_close_matches(name, list(accounts), n=1)
        tip = f"; did you mean '{guess[0]}:{calendar}'?" if guess else ""
        return _Refused(f'"{text}": no account {name!r} (configured: {known}){tip}')
    return BusySource("account", name, calendar)


def _on_account_server(url: str, account_url: str) -> bool:
    """A URL on the account's own server is one of its calendars (as in `runs`), unless it
    reads as a download: `.ics` at the end or `?export` (Nextcloud's public links)."""
    from urllib.parse import urlsplit

    try:
        parts, own = urlsplit(url), urlsplit(account_url)
        same = parts.scheme == own.scheme and parts.netloc == own.netloc and bool(own.netloc)
    except ValueError:
        return False
    download = parts.path.lower().endswith(".ics") or "export" in parts.query.lower()
    return same and not download


def _feed_entry(url: str) -> BusySource | _Refused:
    from urllib.parse import urlsplit

    try:
        host = urlsplit(url).hostname
    except ValueError:
        host = None
    if not host or any(c.isspace() for c in url):
        shown = url.split("://", 1)[0] + "://…"  # a feed URL is a secret: never shown whole
        return _Refused(f"{shown}: not a valid feed URL (no host, or spaces in it)")
    return BusySource("feed", url)


def _settings(top: _Table, section: schema.Section, build: Callable[..., T]) -> T:
    """A one-table section whose keys are its settings' fields: [sync], [daemon], [feed]."""
    table = top.table(section.name)
    settings = build(**table.read(section))
    table.check_unknown(section)
    return settings


def _weeks(top: _Table) -> Any:
    plan = top.table("plan")
    weeks = plan.read(schema.PLAN)["weeks"]
    plan.check_unknown(schema.PLAN)
    return weeks


def parse_config(raw: Mapping[str, Any], source: str, default_tz: zoneinfo.ZoneInfo) -> Config:
    """Validate parsed TOML into a Config; raise ConfigError listing every problem."""
    problems: list[str] = []
    top = _Table("", raw, problems)
    values = top.read(schema.TOP)
    tz = values["timezone"]
    if tz is None or tz is _INVALID:  # unset: the caller's zone (the runs calendar's, ...)
        tz = default_tz
    config = Config(
        source=source,
        timezone=tz,
        timezone_set="timezone" in raw,
        sources=values["sources"],
        weeks=_weeks(top),
        rules=_plan_rules(top, tz, problems),
        classify=_classify_rules(top),
        accounts=_accounts(top, problems),
        sync=_settings(top, schema.SYNC, SyncSettings),
        daemon=_settings(top, schema.DAEMON, DaemonSettings),
        feed=_settings(top, schema.FEED, FeedSettings),
    )
    top.check_unknown(schema.TOP)
    if problems:
        raise ConfigError(source, problems, hint=HINT)
    return config


def with_timezone(config: Config, tz: zoneinfo.ZoneInfo) -> Config:
    """The same configuration planning in `tz` (the runs calendar's own zone)."""
    rules = dataclasses.replace(config.rules, timezone=tz)
    return dataclasses.replace(config, timezone=tz, rules=rules)


def default_config_path(env: Mapping[str, str]) -> Path:
    """$CALSYNC_CONFIG, else $XDG_CONFIG_HOME/calsync/config.toml (~/.config/calsync/...)."""
    if env.get("CALSYNC_CONFIG"):
        return Path(env["CALSYNC_CONFIG"])
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".config")
    return Path(base) / "calsync" / "config.toml"


def load_config(
    path: str | os.PathLike[str] | None,
    default_tz: zoneinfo.ZoneInfo,
    *,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Read and validate the file; no path and no default file means all defaults."""
    env = os.environ if env is None else env
    explicit = path is not None
    file = Path(path) if path is not None else default_config_path(env)
    if not file.exists():
        if explicit:
            raise ConfigError(str(file), ["file not found"], hint="check the --config path")
        return parse_config({}, f"the defaults (no config file at {file})", default_tz)
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(file), [f"not valid TOML: {exc}"], hint=HINT) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(file), [f"cannot read the file: {exc}"]) from exc
    return parse_config(raw, str(file), default_tz)
