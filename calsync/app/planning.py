"""Use cases that compose the adapters and the pure core: read sources, classify, plan.

No click and no clock here: `now` and the environment come in as arguments.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import zoneinfo
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from calsync.config import Account
from calsync.config import Config
from calsync.core.copies import users_copies
from calsync.model import Classified
from calsync.model import Event
from calsync.model import Plan
from calsync.model import Problem

log = logging.getLogger(__name__)

EXAMPLE = "example"  # the bundled example calendar, used when nothing else is configured


@dataclass(frozen=True, slots=True)
class Window:
    """The plan weeks, and the wider span read from the calendars for them."""

    first_day: dt.date
    last_day: dt.date
    weeks: int
    read_start: dt.datetime  # a day before: overnight events
    read_end: dt.datetime  # a day after: "the day before an interval day" looks one day past


@dataclass(frozen=True, slots=True)
class PlanOutcome:
    """Everything a command shows about a plan."""

    window: Window
    classified: tuple[Classified, ...]  # the occurrences inside the plan weeks
    plan: Plan
    problems: tuple[Problem, ...]
    sources: tuple[str, ...]


def plan_window(config: Config, from_day: dt.date, weeks: int) -> Window:
    """The plan weeks containing `from_day`, in the config's zone and week start."""
    from calsync.core.plan import week_window

    first, last = week_window(from_day, weeks, config.rules.week_start)
    tz = config.timezone
    # Wider for race weeks: a race after the window tapers the last days, one before it
    # keeps the first days for recovery.
    before = 1 + config.rules.recovery_days_after_race
    after = 2 + config.rules.taper_days
    start = dt.datetime.combine(first - dt.timedelta(days=before), dt.time(), tzinfo=tz)
    end = dt.datetime.combine(last + dt.timedelta(days=after), dt.time(), tzinfo=tz)
    return Window(first, last, weeks, start, end)


def example_path() -> Path:
    """The bundled example calendar (a recurring canonical week, so it is never out of date)."""
    return Path(str(resources.files("calsync") / "data" / "example.ics"))


def resolve_sources(
    sources: Sequence[str], config: Config, account: str | None
) -> tuple[tuple[str, ...], str | None]:
    """Which sources and which CalDAV account to read: the arguments, else the config, else
    the bundled example (signalled as EXAMPLE)."""
    if sources or account is not None:
        return tuple(sources), account
    if config.sources:
        return config.sources, None
    if config.accounts:
        return (), config.account(None).name
    return (EXAMPLE,), None


def read_sources(
    sources: Sequence[str],
    config: Config,
    start: dt.datetime,
    end: dt.datetime,
    *,
    account: str | None = None,
    env: Mapping[str, str] | None = None,
    feeds: Mapping[str, bytes] | None = None,
) -> tuple[list[Event], list[Problem]]:
    """Read every source's occurrences in [start, end): files, folders, feeds, an account.
    `feeds`: feed bodies already fetched (by `home_zone`), not fetched again."""
    from calsync import ical
    from calsync.adapters import http_source
    from calsync.adapters import ics_file

    events: list[Event] = []
    problems: list[Problem] = []
    paths = [str(example_path()) if s == EXAMPLE else s for s in sources]
    files = [p for p in paths if not http_source.is_feed_url(p)]
    if files:
        found, bad = ics_file.load_events(files, start=start, end=end, tz=config.timezone)
        events += found
        problems += bad
    for url in (p for p in paths if http_source.is_feed_url(p)):
        data = feeds[url] if feeds and url in feeds else http_source.fetch_feed(url)
        found, bad = ical.parse_events(
            data, source=http_source.redact(url), start=start, end=end, tz=config.timezone
        )
        events += found
        problems += bad
    if account is not None:
        found, bad = _read_account(config, account, start, end, env or {})
        events += found
        problems += bad
    events.sort(key=lambda e: (e.start, e.uid))
    # A copy of a block (X-CALSYNC-* kept, the app's UID) is the user's own strength session.
    return users_copies(_once(events)), problems


def _once(events: list[Event]) -> list[Event]:
    """The same occurrence read twice (a vdir and its export, given together) counts once."""
    seen: set[tuple[str, str, dt.datetime]] = set()
    kept = []
    for event in events:
        key = (event.uid, event.recurrence_id or "", event.start)
        if key not in seen:
            seen.add(key)
            kept.append(event)
    return kept


def _read_account(
    config: Config, name: str, start: dt.datetime, end: dt.datetime, env: Mapping[str, str]
) -> tuple[list[Event], list[Problem]]:
    from calsync.adapters.caldav_store import open_store

    account = config.account(name)
    with open_store(account, env) as store:
        events, problems = store.read_events(
            account.runs, account.busy, account.target, start, end, config.timezone
        )
    if account.busy_sources:
        found, bad = _busy_elsewhere(config, account, start, end, env)
        events, problems = events + found, problems + bad
    return events, problems


def _busy_elsewhere(
    config: Config, account: Account, start: dt.datetime, end: dt.datetime, env: Mapping[str, str]
) -> tuple[list[Event], list[Problem]]:
    """Busy time from other accounts, feeds and files (`busy = ["work:Calendar", ...]`): a
    source that cannot be read is a warning, and the plan goes on without its busy time."""
    from calsync.adapters.caldav_store import open_store
    from calsync.app.sync_busy import BusyReader

    reader = BusyReader(config, account, env, open_store)
    calendars = reader.calendars(start, end, config.timezone)
    events = [e for c in calendars for o in c.objects.values() for e in o.events]
    notes = [Problem(account.name, None, w, skipped=False) for w in reader.warnings]
    return events, notes


ZONE_FILES = 200  # a folder's zone is told from at most this many of its files


@dataclass(frozen=True, slots=True)
class HomeZone:
    """The config to plan with, the info line saying which zone and why, fetched feeds."""

    config: Config
    message: str | None
    feeds: Mapping[str, bytes]


def home_zone(config: Config, sources: Sequence[str], account: str | None) -> HomeZone:
    """With no `timezone` in the config, the runner's zone, not the server's: the runs
    calendar's X-WR-TIMEZONE (the first source that has one), else the zone most of its
    events start in (DTSTART TZIDs), else the machine's zone. Reads files and feeds only (a
    CalDAV account and the bundled example keep the machine's zone)."""
    from calsync import ical
    from calsync.config import with_timezone

    if config.timezone_set:
        return HomeZone(config, None, {})
    chosen, account = resolve_sources(sources, config, account)
    feeds: dict[str, bytes] = {}
    xwr = None
    counts: dict[str, int] = {}
    for source in chosen:
        for data in _raw_calendars(source, feeds):
            zone, found = ical.calendar_zones(data)
            xwr = xwr or zone
            for key, n in found.items():
                counts[key] = counts.get(key, 0) + n
    if xwr is not None:
        why = "from the calendar's X-WR-TIMEZONE"
        return HomeZone(with_timezone(config, xwr), _planning(xwr.key, why), feeds)
    if counts:
        key = min(counts, key=lambda k: (-counts[k], k))
        zone = zoneinfo.ZoneInfo(key)
        why = "the zone most of the calendar's events are written in"
        return HomeZone(with_timezone(config, zone), _planning(key, why), feeds)
    why = "this machine's zone: no timezone in the config or the calendar"
    if account is not None and not chosen:
        why = "this machine's zone: set `timezone` in the config for a CalDAV account"
    return HomeZone(config, _planning(config.timezone.key, why), feeds)


def _planning(key: str, why: str) -> str:
    return f"calsync: planning in {key} ({why})"


def _raw_calendars(source: str, feeds: dict[str, bytes]) -> Iterator[bytes]:
    """The raw bytes of a file, of a folder's first ZONE_FILES .ics files, or of a feed
    (kept in `feeds`). Unreadable files are left to the real read, which reports them."""
    from calsync.adapters import http_source

    if source == EXAMPLE:
        return
    if http_source.is_feed_url(source):
        feeds[source] = http_source.fetch_feed(source)
        yield feeds[source]
        return
    path = Path(source).expanduser()
    files = [path] if path.is_file() else _some_ics_files(path) if path.is_dir() else []
    for file in files:
        try:
            yield file.read_bytes()
        except OSError:
            continue


def _some_ics_files(folder: Path) -> list[Path]:
    # rglob does not follow symlinked folders (no loops); islice bounds a huge tree.
    found = itertools.islice(folder.rglob("*.ics"), 10 * ZONE_FILES)
    visible = [p for p in found if not any(s.startswith(".") for s in p.relative_to(folder).parts)]
    return sorted(visible)[:ZONE_FILES]


def plan_events(
    events: Sequence[Event], config: Config, window: Window, now: dt.datetime
) -> tuple[list[Classified], Plan]:
    """Classify every occurrence and plan the window's weeks. Pure."""
    from calsync.core.classify import classify_all
    from calsync.core.plan import plan

    classified = classify_all(events, config.classify)
    result = plan(classified, window.first_day, window.weeks, config.rules, now)
    return classified, result


def plan_sources(
    sources: Sequence[str],
    config: Config,
    window: Window,
    now: dt.datetime,
    *,
    account: str | None = None,
    env: Mapping[str, str] | None = None,
    feeds: Mapping[str, bytes] | None = None,
) -> PlanOutcome:
    """Read, classify and plan: the whole `calsync plan` minus the output."""
    chosen, account = resolve_sources(sources, config, account)
    events, problems = read_sources(
        chosen, config, window.read_start, window.read_end, account=account, env=env, feeds=feeds
    )
    classified, result = plan_events(events, config, window, now)
    inside = tuple(c for c in classified if _in_window(c.event, window, config))
    names = tuple(_source_name(s) for s in chosen)
    if account is not None:
        names += (f"account {account!r}",)
    return PlanOutcome(window, inside, result, tuple(problems), names)


def _source_name(source: str) -> str:
    from calsync.adapters import http_source

    if source == EXAMPLE:
        return "the bundled example calendar"
    return http_source.redact(source) if http_source.is_feed_url(source) else source


def _in_window(event: Event, window: Window, config: Config) -> bool:
    tz = config.timezone
    first = event.start.astimezone(tz).date()
    last = (event.end - dt.timedelta(microseconds=1)).astimezone(tz).date()
    last = max(first, last)
    return first <= window.last_day and last >= window.first_day
