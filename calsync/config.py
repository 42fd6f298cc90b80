"""The TOML configuration: read with tomllib, validated into frozen, typed settings.

`parse_config(raw, source, default_tz)` is pure and is what tests call; `load_config(path)` only
reads the file. Every key has a default, so no file at all is a valid configuration. Every
problem is reported at once, each naming `[section] key` and what is allowed.
"""

from __future__ import annotations

import datetime as dt
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
from typing import TypeVar
from typing import cast

from calsync.errors import ConfigError
from calsync.model import ClassifyRules
from calsync.model import Kind
from calsync.model import PlanRules
from calsync.model import Template
from calsync.model import TimeWindow

T = TypeVar("T")

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ALLOWED_ON = ("easy", "rest")
KEYWORD_KINDS = ("interval", "long", "easy", "strength", "other")
HINT = "compare with config.example.toml, or run `calsync check-config`"


@dataclass(frozen=True, slots=True)
class Account:
    """One CalDAV account: where runs are read and strength blocks written."""

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


@dataclass(frozen=True, slots=True)
class SyncSettings:
    """How `calsync sync` writes blocks."""

    transparent: bool = False  # blocks are busy (TRANSP:OPAQUE) by default
    private: bool = False  # privacy mode: a generic title and no description
    private_title: str = "Busy"
    max_deletes: int = 6  # mass-change guard: refuse to remove more blocks than this
    state_dir: str | None = None  # default: $XDG_STATE_HOME/calsync


@dataclass(frozen=True, slots=True)
class DaemonSettings:
    """The long-running `calsync daemon`."""

    interval_minutes: float = 15.0
    max_backoff_minutes: float = 60.0


@dataclass(frozen=True, slots=True)
class FeedSettings:
    """The ICS feed and week page served by `calsync serve`."""

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


_INVALID: Any = object()
_REQUIRED: Any = object()


class _Table:
    """One TOML table. Records problems instead of raising at the first one."""

    def __init__(self, name: str, data: object, problems: list[str]) -> None:
        self.name = name
        self._problems = problems
        self._known: list[str] = []
        if not isinstance(data, Mapping):
            problems.append(f"{self._where()} must be a table")
            data = {}
        self._data = dict(data)

    def _where(self, key: str | None = None) -> str:
        section = f"[{self.name}]" if self.name else ""
        if key is None:
            return section or "top level"
        return f"{section} {key}".strip()

    def get(self, key: str, convert: Callable[[Any], T], default: T = _REQUIRED) -> T:
        self._known.append(key)
        if key not in self._data:
            if default is _REQUIRED:
                self._problems.append(f"{self._where(key)}: required")
                return cast(T, _INVALID)
            return default
        value = self._data.pop(key)
        try:
            return convert(value)
        except (TypeError, ValueError) as exc:
            self._problems.append(f"{self._where(key)} = {_show(value)}: {exc}")
            return cast(T, _INVALID)

    def table(self, key: str) -> _Table:
        self._known.append(key)
        name = f"{self.name}.{key}" if self.name else key
        return _Table(name, self._data.pop(key, {}), self._problems)

    def raw(self, key: str) -> object:
        self._known.append(key)
        return self._data.pop(key, None)

    def check_unknown(self) -> None:
        for key in self._data:
            guess = difflib.get_close_matches(key, self._known, n=1)
            tip = f" (did you mean {guess[0]!r}?)" if guess else ""
            what = "section" if isinstance(self._data[key], Mapping) else "key"
            self._problems.append(f"{self._where()}: unknown {what} {key!r}{tip}".strip())


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- small validators: each raises ValueError/TypeError with what is allowed ---------------


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError("expected true or false")
    return value


def _int_in(low: int, high: int) -> Callable[[object], int]:
    def convert(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"expected a whole number from {low} to {high}")
        if not low <= value <= high:
            raise ValueError(f"expected a whole number from {low} to {high}")
        return value

    return convert


def _float_in(low: float, high: float) -> Callable[[object], float]:
    def convert(value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"expected a number from {low:g} to {high:g}")
        if not low <= float(value) <= high:
            raise ValueError(f"expected a number from {low:g} to {high:g}")
        return float(value)

    return convert


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _nonempty_str(value: object) -> str:
    text = _str(value).strip()
    if not text:
        raise ValueError("expected a non-empty string")
    return text


def _optional_str(value: object) -> str | None:
    return _str(value).strip() or None


def _str_list(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError("expected a list of strings")
    return tuple(v.strip() for v in value if v.strip())


def _keywords(value: object) -> tuple[str, ...]:
    return tuple(v.lower() for v in _str_list(value))


def _choice(*allowed: str) -> Callable[[object], str]:
    def convert(value: object) -> str:
        if not isinstance(value, str) or value.lower() not in allowed:
            raise ValueError("expected one of " + ", ".join(repr(a) for a in allowed))
        return value.lower()

    return convert


def _allowed_on(value: object) -> frozenset[str]:
    kinds = _str_list(value)
    bad = [k for k in kinds if k.lower() not in ALLOWED_ON]
    if bad or not kinds:
        allowed = " and ".join(repr(a) for a in ALLOWED_ON)
        raise ValueError(f"expected a non-empty list of {allowed}")
    return frozenset(k.lower() for k in kinds)


def _timezone(value: object) -> zoneinfo.ZoneInfo:
    name = _nonempty_str(value)
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        hint = "use an IANA name like 'Europe/London'"
        raise ValueError(f"unknown time zone {name!r} ({hint})") from exc


_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def _time_of_day(value: object) -> dt.time:
    m = _TIME.match(_str(value))
    if not m or int(m[1]) > 23 or int(m[2]) > 59:
        raise ValueError(f"expected a time of day like '07:00', got {_show(value)}")
    return dt.time(int(m[1]), int(m[2]))


def _windows(value: object) -> tuple[TimeWindow, ...]:
    items = _str_list(value)
    out = []
    for item in items:
        m = _WINDOW.match(item)
        if not m:
            raise ValueError(f"expected time windows like '06:00-21:00', got {item!r}")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h2 == 24 and m2 == 0:
            h2, m2 = 23, 59
        if not (h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60):
            raise ValueError(f"not a time of day in {item!r}")
        start, end = dt.time(h1, m1), dt.time(h2, m2)
        if end <= start:
            raise ValueError(f"window {item!r} ends before it starts")
        out.append(TimeWindow(start, end))
    if not out:
        raise ValueError("expected at least one window like '06:00-21:00'")
    return tuple(sorted(out, key=lambda w: w.start))


def _url(value: object) -> str:
    text = _nonempty_str(value)
    if not re.match(r"^https?://[^\s/]+", text):
        raise ValueError("expected an http:// or https:// URL")
    return text


def _public_url(value: object) -> str | None:
    text = _str(value).strip()
    return _url(text).rstrip("/") if text else None


# --- sections -------------------------------------------------------------------------------


def _templates(value: object, problems: list[str]) -> tuple[Template, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append("[strength] templates: expected [[strength.templates]] tables")
        return ()
    out = []
    for i, item in enumerate(value, 1):
        t = _Table(f"strength.templates #{i}", item, problems)
        out.append(
            Template(
                name=t.get("name", _nonempty_str, f"custom-{i}"),
                title=t.get("title", _nonempty_str, "Strength"),
                body=t.get("body", _nonempty_str),
                lighter=t.get("lighter", _bool, False),
                knee_friendly=t.get("knee_friendly", _bool, False),
            )
        )
        t.check_unknown()
    return tuple(out)


def _plan_rules(top: _Table, tz: zoneinfo.ZoneInfo, problems: list[str]) -> PlanRules:
    d = PlanRules(timezone=tz)
    s = top.table("strength")
    r = top.table("rules")
    rules = PlanRules(
        timezone=tz,
        sessions_per_week=s.get("sessions_per_week", _int_in(0, 7), d.sessions_per_week),
        duration_minutes=s.get("duration_minutes", _int_in(10, 240), d.duration_minutes),
        title=s.get("title", _nonempty_str, d.title),
        knee_friendly=s.get("knee_friendly", _bool, d.knee_friendly),
        templates=_templates(s.raw("templates"), problems),
        allowed_on=r.get("allowed_on", _allowed_on, d.allowed_on),
        day_before_interval=cast(
            Any, r.get("day_before_interval", _choice("allow", "avoid", "forbid"), "avoid")
        ),
        min_rest_days=r.get("min_rest_days", _int_in(0, 6), d.min_rest_days),
        week_start=r.get("week_start", _weekday, d.week_start),
        weekday_windows=r.get("weekday_windows", _windows, d.weekday_windows),
        weekend_windows=r.get("weekend_windows", _windows, d.weekend_windows),
        buffer_minutes=r.get("buffer_minutes", _int_in(0, 240), d.buffer_minutes),
        placement=cast(
            Any, r.get("placement", _choice("after_run", "earliest", "latest"), "after_run")
        ),
        blackout_words=r.get("blackout_words", _keywords, tuple(d.blackout_words)),
        taper_days=r.get("taper_days", _int_in(0, 28), d.taper_days),
        recovery_days_after_race=r.get(
            "recovery_days_after_race", _int_in(0, 14), d.recovery_days_after_race
        ),
        preferred_time=r.get("preferred_time", _time_of_day, d.preferred_time),
    )
    s.check_unknown()
    r.check_unknown()
    return rules


def _weekday(value: object) -> int:
    return WEEKDAYS.index(_choice(*WEEKDAYS)(value))


def _classify_rules(top: _Table) -> ClassifyRules:
    c = top.table("classify")
    d = ClassifyRules()
    k = c.table("keywords")
    none: tuple[str, ...] = ()
    keywords = {Kind(kind): k.get(kind, _keywords, none) for kind in KEYWORD_KINDS}
    k.check_unknown()
    rules = ClassifyRules(
        long_minutes=c.get("long_minutes", _int_in(10, 600), d.long_minutes),
        long_km=c.get("long_km", _float_in(1, 200), d.long_km),
        keywords={kind: words for kind, words in keywords.items() if words},
    )
    c.check_unknown()
    return rules


def _accounts(top: _Table) -> dict[str, Account]:
    section = top.table("accounts")
    out: dict[str, Account] = {}
    for name in sorted(section._data):
        a = section.table(name)
        d = Account(name=name, url="")
        account = Account(
            name=name,
            url=a.get("url", _url),
            username=a.get("username", _optional_str, None),
            password_env=a.get("password_env", _optional_str, None),
            password_command=a.get("password_command", _command, None),
            keyring=a.get("keyring", _bool, False),
            token_command=a.get("token_command", _command, None),
            runs=a.get("runs", _str_list, d.runs),
            busy=a.get("busy", _str_list, d.busy),
            target=a.get("target", _nonempty_str, d.target),
            verify_tls=a.get("verify_tls", _bool, True),
            ca_file=a.get("ca_file", _optional_str, None),
            timeout_seconds=a.get("timeout_seconds", _float_in(1, 600), d.timeout_seconds),
            max_response_mib=a.get("max_response_mib", _int_in(1, 4096), d.max_response_mib),
            request_deadline_seconds=a.get(
                "request_deadline_seconds", _float_in(1, 3600), d.request_deadline_seconds
            ),
            sync_deadline_minutes=a.get(
                "sync_deadline_minutes", _float_in(0.05, 1440), d.sync_deadline_minutes
            ),
        )
        if "password" in a._data:
            a._data.pop("password")
            a._problems.append(
                f"[accounts.{name}] password: plain-text passwords are not read; use "
                "password_env, password_command or keyring = true"
            )
        a.check_unknown()
        out[name] = account
    return out


def _command(value: object) -> str | None:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        import shlex

        return shlex.join(value) or None
    return _optional_str(value)


def _sync(top: _Table) -> SyncSettings:
    s = top.table("sync")
    d = SyncSettings()
    out = SyncSettings(
        transparent=s.get("transparent", _bool, d.transparent),
        private=s.get("private", _bool, d.private),
        private_title=s.get("private_title", _nonempty_str, d.private_title),
        max_deletes=s.get("max_deletes", _int_in(0, 10_000), d.max_deletes),
        state_dir=s.get("state_dir", _optional_str, None),
    )
    s.check_unknown()
    return out


def _daemon(top: _Table) -> DaemonSettings:
    s = top.table("daemon")
    d = DaemonSettings()
    out = DaemonSettings(
        interval_minutes=s.get("interval_minutes", _float_in(0.05, 1440), d.interval_minutes),
        max_backoff_minutes=s.get(
            "max_backoff_minutes", _float_in(0.1, 1440), d.max_backoff_minutes
        ),
    )
    s.check_unknown()
    return out


def _feed(top: _Table) -> FeedSettings:
    s = top.table("feed")
    d = FeedSettings()
    out = FeedSettings(
        host=s.get("host", _nonempty_str, d.host),
        port=s.get("port", _int_in(0, 65535), d.port),
        public_url=s.get("public_url", _public_url, None),
        name=s.get("name", _nonempty_str, d.name),
        refresh_minutes=s.get("refresh_minutes", _int_in(5, 10_080), d.refresh_minutes),
        past_days=s.get("past_days", _int_in(0, 366), d.past_days),
        busy_title=s.get("busy_title", _nonempty_str, d.busy_title),
        busy_buffer_minutes=s.get("busy_buffer_minutes", _int_in(0, 240), d.busy_buffer_minutes),
    )
    s.check_unknown()
    return out


def parse_config(raw: Mapping[str, Any], source: str, default_tz: zoneinfo.ZoneInfo) -> Config:
    """Validate parsed TOML into a Config; raise ConfigError listing every problem."""
    problems: list[str] = []
    top = _Table("", raw, problems)
    tz = top.get("timezone", _timezone, default_tz)
    if tz is _INVALID:
        tz = default_tz
    plan_table = top.table("plan")
    weeks = plan_table.get("weeks", _int_in(1, 104), 4)
    plan_table.check_unknown()
    config = Config(
        source=source,
        timezone=tz,
        timezone_set="timezone" in raw,
        sources=top.get("sources", _str_list, ()),
        rules=_plan_rules(top, tz, problems),
        classify=_classify_rules(top),
        weeks=weeks,
        accounts=_accounts(top),
        sync=_sync(top),
        daemon=_daemon(top),
        feed=_feed(top),
    )
    top.check_unknown()
    if problems:
        raise ConfigError(source, problems, hint=HINT)
    return config


def with_timezone(config: Config, tz: zoneinfo.ZoneInfo) -> Config:
    """The same configuration planning in `tz` (the runs calendar's own zone)."""
    import dataclasses

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
