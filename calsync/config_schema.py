"""The configuration schema: every key's type, default, allowed values and help, declared once.

One `Key` per TOML key, grouped in one `Section` per TOML table (Radicale's
`DEFAULT_CONFIG_SCHEMA` and khal's `khal.spec` are the models). `calsync.config` derives from it
the validation (each value converted by its key's `Type`, whose `allowed` words are the error
message), the unknown-key errors with their "did you mean" guesses, and the settings built from
the defaults; tests/unit/test_config_schema.py checks that config.example.toml documents every
key. A default is written as the user would write it in TOML and converted by the key's own
type, so the defaults are validated too; `None` means "unset" (the setting is None, or worked
out at run time, as the time zone is).

Pure: no I/O; imports only the data model.
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
import zoneinfo
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Literal
from typing import TypeGuard

from calsync.model import TimeWindow

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ALLOWED_ON = ("easy", "rest")
KEYWORD_KINDS = ("interval", "long", "easy", "strength", "other")


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()  # the default of a key that must be given


@dataclass(frozen=True, slots=True)
class Type:
    """How one TOML value converts. `allowed` says in words what is accepted: it is the
    error message ("expected " + allowed) unless `convert` names the problem more closely."""

    allowed: str
    convert: Callable[[object], Any]  # raises TypeError or ValueError with a one-line message


@dataclass(frozen=True, slots=True)
class Key:
    """One key: its name in its table, its type, its default (as written in TOML) and help."""

    name: str
    type: Type
    default: object
    help: str

    def value(self) -> Any:
        """The default as the settings hold it; `REQUIRED` when the key must be given."""
        if self.default is None or self.default is REQUIRED:
            return self.default
        return self.type.convert(self.default)


@dataclass(frozen=True, slots=True)
class Section:
    """One TOML table. `name` is its dotted path; "NAME" stands for any name the user picks
    (`[accounts.NAME]`). `many="list"` is an array of tables (`[[strength.templates]]`).
    `refused` keys are known but never read, each with the reason given to the user."""

    name: str
    help: str
    keys: tuple[Key, ...]
    many: Literal["one", "named", "list"] = "one"
    refused: Mapping[str, str] = field(default_factory=dict)

    def key(self, name: str) -> Key:
        return next(k for k in self.keys if k.name == name)


# --- types: each raises TypeError/ValueError saying what is allowed ---------------------------


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _expect(allowed: str, test: Callable[[object], bool], result: Callable[[Any], Any]) -> Type:
    def convert(value: object) -> Any:
        if not test(value):
            raise ValueError(f"expected {allowed}")
        return result(value)

    return Type(allowed, convert)


def _is_str_list(value: object) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _nonempty(value: object) -> str:
    text = _str(value).strip()
    if not text:
        raise ValueError("expected a non-empty string")
    return text


def _str_list(value: object) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not _is_str_list(items):
        raise TypeError("expected a list of strings")
    return tuple(v.strip() for v in items if v.strip())


def int_in(low: int, high: int) -> Type:
    """A whole number in `[low, high]` (true and false are not numbers here)."""

    def fits(value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high

    return _expect(f"a whole number from {low} to {high}", fits, int)


def float_in(low: float, high: float) -> Type:
    """A number, whole or not, in `[low, high]`; held as a float."""

    def fits(value: object) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        return low <= value <= high

    return _expect(f"a number from {low:g} to {high:g}", fits, float)


def choice(*allowed: str) -> Type:
    """One of the words, in any case; held in lower case."""

    def fits(value: object) -> bool:
        return isinstance(value, str) and value.lower() in allowed

    return _expect("one of " + ", ".join(repr(a) for a in allowed), fits, str.lower)


def _allowed_on(value: object) -> frozenset[str]:
    kinds = _str_list(value)
    if not kinds or any(k.lower() not in ALLOWED_ON for k in kinds):
        raise ValueError(f"expected {ALLOWED_ON_T.allowed}")
    return frozenset(k.lower() for k in kinds)


def _timezone(value: object) -> zoneinfo.ZoneInfo:
    name = _nonempty(value)
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        hint = "use an IANA name like 'Europe/London'"
        raise ValueError(f"unknown time zone {name!r} ({hint})") from exc


_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def _time_of_day(value: object) -> dt.time:
    m = _TIME.match(_str(value))
    if not m or int(m[1]) > 23 or int(m[2]) > 59:
        raise ValueError(f"expected a time of day like '07:00', got {_show(value)}")
    return dt.time(int(m[1]), int(m[2]))


def _window(item: str) -> TimeWindow:
    m = _WINDOW.match(item)
    if not m:
        raise ValueError(f"expected time windows like '06:00-21:00', got {item!r}")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h2 == 24 and m2 == 0:  # "-24:00" reads as the end of the day
        h2, m2 = 23, 59
    if not (h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60):
        raise ValueError(f"not a time of day in {item!r}")
    start, end = dt.time(h1, m1), dt.time(h2, m2)
    if end <= start:
        raise ValueError(f"window {item!r} ends before it starts")
    return TimeWindow(start, end)


def _windows(value: object) -> tuple[TimeWindow, ...]:
    out = [_window(item) for item in _str_list(value)]
    if not out:
        raise ValueError("expected at least one window like '06:00-21:00'")
    return tuple(sorted(out, key=lambda w: w.start))


def _url(value: object) -> str:
    text = _nonempty(value)
    if not re.match(r"^https?://[^\s/]+", text):
        raise ValueError("expected an http:// or https:// URL")
    return text


def _public_url(value: object) -> str | None:
    text = _str(value).strip()
    return _url(text).rstrip("/") if text else None


def _command(value: object) -> str | None:
    if _is_str_list(value):  # ["pass", "show", "x y"]: joined with shell quoting
        return shlex.join(value) or None
    return _str(value).strip() or None


BOOL = _expect("true or false", lambda v: isinstance(v, bool), bool)
TEXT = Type("a non-empty string", _nonempty)
OPTIONAL_TEXT = Type("a string ('' for none)", lambda v: _str(v).strip() or None)
TEXTS = Type("a list of strings", _str_list)
WORDS = Type("a list of words or phrases", lambda v: tuple(w.lower() for w in _str_list(v)))
COMMAND = Type("a command: a string, or a list of its words", _command)
URL = Type("an http:// or https:// URL", _url)
PUBLIC_URL = Type("an http:// or https:// URL, or '' for none", _public_url)
TIMEZONE = Type("an IANA time zone name like 'Europe/London'", _timezone)
TIME_OF_DAY = Type("a time of day like '07:00'", _time_of_day)
WINDOWS = Type("time windows like '06:00-21:00' (one or more)", _windows)
ALLOWED_ON_T = Type("a non-empty list of 'easy' and 'rest'", _allowed_on)
_DAY = choice(*WEEKDAYS)
WEEKDAY = Type(_DAY.allowed, lambda v: WEEKDAYS.index(_DAY.convert(v)))

# --- the schema ---------------------------------------------------------------------------

TOP = Section(
    "",
    "top level",
    (
        Key("timezone", TIMEZONE, None, "the runner's home zone; unset: the runs calendar's"),
        Key("sources", TEXTS, [], "calendars read when a command gets no SOURCE"),
    ),
)
PLAN = Section("plan", "the planning horizon", (Key("weeks", int_in(1, 104), 4, "weeks planned"),))
STRENGTH = Section(
    "strength",
    "the strength sessions",
    (
        Key("sessions_per_week", int_in(0, 7), 2, "sessions planned a week"),
        Key("duration_minutes", int_in(10, 240), 45, "length of one block"),
        Key("title", TEXT, "Strength", "title of the blocks"),
        Key("knee_friendly", BOOL, False, "sessions that emphasise leg extension"),
    ),
)
TEMPLATE = Section(
    "strength.templates",
    "your own sessions, used in turn instead of the built-in ones",
    (
        Key("name", TEXT, None, "the template's name (unset: custom-1, custom-2, ...)"),
        Key("title", TEXT, "Strength", "for your own reference"),
        Key("body", TEXT, REQUIRED, "the session, written into the block's description"),
        Key("lighter", BOOL, False, "the session for the day before intervals"),
        Key("knee_friendly", BOOL, False, "the session when [strength] knee_friendly is set"),
    ),
    many="list",
)
RULES = Section(
    "rules",
    "where blocks may go",
    (
        Key("allowed_on", ALLOWED_ON_T, ["easy"], "kinds of day that may carry a block"),
        Key(
            "day_before_interval",
            choice("allow", "avoid", "forbid"),
            "avoid",
            "a block the day before intervals (avoid: only when no other day works, lighter)",
        ),
        Key("min_rest_days", int_in(0, 6), 1, "days without strength between two sessions"),
        Key("week_start", WEEKDAY, "monday", "the first day of a plan week"),
        Key("weekday_windows", WINDOWS, ["06:00-21:00"], "when blocks may go on Mon-Fri"),
        Key("weekend_windows", WINDOWS, ["07:00-20:00"], "when blocks may go on Sat/Sun"),
        Key("buffer_minutes", int_in(0, 240), 15, "free time kept around every busy event"),
        Key(
            "placement",
            choice("after_run", "earliest", "latest"),
            "after_run",
            "where in its day a block goes",
        ),
        Key(
            "blackout_words",
            WORDS,
            ["race", "travel", "sick", "holiday", "vacation"],
            "an event whose title holds one keeps its day free of strength",
        ),
        Key("taper_days", int_in(0, 28), 7, "days before a goal race without a heavy session"),
        Key(
            "recovery_days_after_race",
            int_in(0, 14),
            2,
            "days after a half or longer without strength",
        ),
        Key(
            "preferred_time",
            TIME_OF_DAY,
            None,
            "after_run on a day without a timed run (unset: learnt)",
        ),
    ),
)
CLASSIFY = Section(
    "classify",
    "how events are read",
    (
        Key("long_minutes", int_in(10, 600), 90, "a run this long is a long run"),
        Key("long_km", float_in(1, 200), 18.0, "... and so is one this far"),
    ),
)
KEYWORDS = Section(
    "classify.keywords",
    "your own words per kind, checked before the built-in vocabulary",
    tuple(Key(kind, WORDS, [], f"a title with one of these is {kind}") for kind in KEYWORD_KINDS),
)
SYNC = Section(
    "sync",
    "how `calsync sync` writes blocks",
    (
        Key("transparent", BOOL, False, "blocks do not show as busy"),
        Key("private", BOOL, False, "privacy mode: private_title and no description"),
        Key("private_title", TEXT, "Busy", "the blocks' title in privacy mode"),
        Key("max_deletes", int_in(0, 10_000), 6, "refuse a sync that removes more blocks"),
        Key("state_dir", OPTIONAL_TEXT, "", "where the state is kept ('': the usual place)"),
    ),
)
DAEMON = Section(
    "daemon",
    "the long-running `calsync daemon`",
    (
        Key("interval_minutes", float_in(0.05, 1440), 15.0, "minutes between syncs"),
        Key("max_backoff_minutes", float_in(0.1, 1440), 60.0, "longest wait after failures"),
        Key("poll_seconds", int_in(10, 3600), 45, "seconds between cheap change checks"),
    ),
)
FEED = Section(
    "feed",
    "the ICS feed and week page served by `calsync serve`",
    (
        Key("host", TEXT, "127.0.0.1", "the address `calsync serve` binds"),
        Key("port", int_in(0, 65535), 8765, "the port it binds"),
        Key("public_url", PUBLIC_URL, "", "the address behind a reverse proxy"),
        Key("name", TEXT, "Strength", "the feed's X-WR-CALNAME"),
        Key("refresh_minutes", int_in(5, 10_080), 60, "refresh hint for clients"),
        Key("past_days", int_in(0, 366), 14, "how far back the feed keeps blocks"),
        Key("busy_title", TEXT, "Busy", "the busy feed's title for every block"),
        Key("busy_buffer_minutes", int_in(0, 240), 15, "the busy feed's margin around a block"),
    ),
)
ACCOUNT = Section(
    "accounts.NAME",
    "one CalDAV account: where runs are read and blocks written",
    (
        Key("url", URL, REQUIRED, "server root, principal or calendar URL"),
        Key("username", OPTIONAL_TEXT, "", "the login name"),
        Key("password_env", OPTIONAL_TEXT, "", "an environment variable holding the password"),
        Key("password_command", COMMAND, "", "a command that prints the password"),
        Key("keyring", BOOL, False, "read the password from the system keyring"),
        Key("token_command", COMMAND, "", "a command that prints an OAuth bearer token"),
        Key("runs", TEXTS, [], "calendars that hold runs"),
        Key(
            "busy",
            TEXTS,
            [],
            "busy time only: calendars, ACCOUNT:CALENDAR, ICS feed URLs, files or folders",
        ),
        Key("target", TEXT, "Strength", "the calendar blocks go to"),
        Key("verify_tls", BOOL, True, "verify the server's TLS certificate"),
        Key("ca_file", OPTIONAL_TEXT, "", "a CA bundle for a self-signed server"),
        Key("timeout_seconds", float_in(1, 600), 30.0, "longest wait for one read"),
        Key("max_response_mib", int_in(1, 4096), 64, "largest answer read"),
        Key("request_deadline_seconds", float_in(1, 3600), 60.0, "longest one request in all"),
        Key("sync_deadline_minutes", float_in(0.05, 1440), 10.0, "longest one run"),
    ),
    many="named",
    refused={
        "password": "plain-text passwords are not read; use password_env, password_command "
        "or keyring = true"
    },
)
SECTIONS = (TOP, PLAN, STRENGTH, TEMPLATE, RULES, CLASSIFY, KEYWORDS, SYNC, DAEMON, FEED, ACCOUNT)


def known_names(section: Section) -> list[str]:
    """Every name a table may hold: its keys, refused keys and the tables below it."""
    prefix = f"{section.name}." if section.name else ""
    below = {s.name[len(prefix) :].split(".")[0] for s in SECTIONS if s.name.startswith(prefix)}
    below.discard("")
    return [k.name for k in section.keys] + list(section.refused) + sorted(below - {"NAME"})
