"""The feed use case: plan for the feed, render the ICS feeds and the week page, publish them.

- `plan_for_feed` reads the sources and plans this week and the weeks ahead, counting blocks the
  feed already served and that have started as the user's own strength sessions.
- `build_feed` renders the training feed (or, with `busy`, the busy feed) for the planned blocks
  plus the frozen ones: pure given its inputs, so the same plan, record and settings give the
  same bytes (UIDs, SEQUENCE and Last-Modified from `calsync.core.feed_record`; DTSTAMP is the
  last time a served block changed, never "now", so the ETag changes only with the content).
- `FeedPublisher` ties them together: it loads and saves the records
  (`adapters.feed_record_file`), renders the week page (`core.week_page`) and publishes the
  prepared documents (`adapters.http_cache`) into the server's `FeedState`. The loop that
  refreshes it on an interval is the shell's (`calsync.daemon.run_feed_loop`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import socket
import threading
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace

from calsync.adapters.feed_record_file import load_record
from calsync.adapters.feed_record_file import save_record
from calsync.adapters.feed_server import FeedState
from calsync.adapters.feed_server import Published
from calsync.adapters.feed_token import load_token
from calsync.adapters.feed_token import state_dir
from calsync.adapters.http_cache import HTML_TYPE
from calsync.adapters.http_cache import ICS_TYPE
from calsync.adapters.http_cache import Document
from calsync.adapters.http_cache import make_document
from calsync.config import Config
from calsync.core.feed_record import BUSY_UID_DOMAIN
from calsync.core.feed_record import EPOCH
from calsync.core.feed_record import UID_DOMAIN
from calsync.core.feed_record import FeedRecord
from calsync.core.feed_record import assign_uids
from calsync.core.feed_record import frozen_blocks
from calsync.core.feed_record import next_last_modified
from calsync.core.feed_record import retained
from calsync.core.feed_record import update_served
from calsync.core.week_page import Links
from calsync.core.week_page import WeekPage
from calsync.core.week_page import render_week_page
from calsync.model import Block
from calsync.model import Classified
from calsync.model import Event
from calsync.model import Kind
from calsync.model import Plan

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]


# --- the feed build -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedBuild:
    """The outcome of one render: what to serve, what was served, and the record to keep."""

    document: Document
    served: tuple[tuple[str, Block], ...]
    sequences: Mapping[str, int]
    record: FeedRecord


def privatised(block: Block, config: Config) -> Block:
    """Privacy mode ([sync] private): a generic title and no description."""
    if not config.sync.private:
        return block
    return replace(block, summary=config.sync.private_title, description="")


def busy_block(block: Block, config: Config) -> Block:
    """A block as the busy feed shows it: the generic title, no description, and the
    `[feed] busy_buffer_minutes` before and after (getting changed, the way to the gym)."""
    pad = dt.timedelta(minutes=config.feed.busy_buffer_minutes)
    return replace(
        block,
        start=block.start - pad,
        end=block.end + pad,
        summary=config.feed.busy_title,
        description="",
        reason="",
    )


def build_feed(
    planned: Sequence[Block],
    record: FeedRecord,
    config: Config,
    now: dt.datetime,
    keep_from: dt.datetime,
    *,
    busy: bool = False,
) -> FeedBuild:
    """Render the feed for the planned (future) blocks plus the frozen (already started) ones.

    With `busy`, the busy feed: each block through `busy_block`, its own UIDs, always
    TRANSP:OPAQUE, named `[feed] busy_title` (its record is a separate file, `busy_record`).
    Pure: the same plan, record and settings give the same bytes.
    """
    shown = [busy_block(b, config) if busy else privatised(b, config) for b in planned]
    frozen = frozen_blocks(record, now, keep_from)
    future = [b for b in shown if b.start > now and b.start >= keep_from]
    blocks = assign_uids(frozen, future, BUSY_UID_DOMAIN if busy else UID_DOMAIN)
    current = update_served(record, blocks, now)
    sequences = {uid: item.sequence for uid, item in current.items()}
    stamps = [item.changed for item in current.values()]
    dtstamp = max(stamps) if stamps else (record.last_modified or EPOCH)
    served = [b for _, b in blocks]
    body = render_ics(served, [u for u, _ in blocks], sequences, config, dtstamp, busy=busy)
    digest = hashlib.sha256(body).hexdigest()
    last_modified = next_last_modified(record, digest, now)
    new_record = FeedRecord(retained(record, current, keep_from), digest, last_modified)
    return FeedBuild(
        document=make_document(body, ICS_TYPE, last_modified),
        served=tuple(blocks),
        sequences=sequences,
        record=new_record,
    )


def render_ics(
    blocks: Sequence[Block],
    uids: Sequence[str],
    sequences: Mapping[str, int],
    config: Config,
    dtstamp: dt.datetime,
    *,
    busy: bool = False,
) -> bytes:
    """The calendar bytes, through the shared codec (folding, VTIMEZONEs, refresh hints)."""
    from calsync import ical

    body = ical.render_calendar(
        blocks,
        uids=dict(zip((b.slot for b in blocks), uids, strict=True)),
        dtstamp=dtstamp,
        tz=config.timezone,
        name=config.feed.busy_title if busy else config.feed.name,
        sequence=sequences,
        transparent=False if busy else config.sync.transparent,
        refresh_minutes=config.feed.refresh_minutes,
    )
    if busy:
        # The codec tags every block CATEGORIES:Strength; a work calendar must not learn
        # what the time is for. The line is short (never folded) and, with no DESCRIPTION,
        # nothing else can start a line with it.
        body = body.replace(f"\r\nCATEGORIES:{ical.CATEGORY}\r\n".encode(), b"\r\n")
    return body


# --- the use case: plan, render, publish --------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedSource:
    """Where the feed's runs come from: SOURCE arguments or an account (as `calsync plan`)."""

    sources: tuple[str, ...] = ()
    account: str | None = None
    env: Mapping[str, str] | None = None


def feed_links(
    config: Config, token: str, host: str, port: int, busy_token: str | None = None
) -> tuple[Links, str]:
    """The feed's links (with the busy feed's, given its token) and the week page URL:
    `[feed] public_url` when set, else host:port."""
    base = config.feed.public_url or f"http://{_url_host(host)}:{port}"
    feed = f"{base}/feed/{token}.ics"
    webcal = "webcal://" + feed.split("://", 1)[1]
    busy = f"{base}/feed/busy/{busy_token}.ics" if busy_token else None
    return Links(feed=feed, webcal=webcal, busy=busy), f"{base}/week/{token}"


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", "::", ""):
        host = socket.gethostname()
    return f"[{host}]" if ":" in host else host


@dataclass(frozen=True, slots=True)
class FeedOutcome:
    """One refresh: the feed build, the page bytes, and what the page showed."""

    build: FeedBuild
    page: bytes
    plan: Plan
    classified: tuple[Classified, ...]
    busy: FeedBuild | None = None  # the busy feed (same blocks, "Busy", with the buffer)


def season_weeks(config: Config) -> int:
    """How many weeks the week page's season strip shows: the plan's, 8 to 16."""
    return min(16, max(8, config.weeks))


def plan_for_feed(
    config: Config,
    source: FeedSource,
    now: dt.datetime,
    record: FeedRecord,
    weeks: int | None = None,
) -> tuple[list[Classified], Plan, dt.datetime]:
    """Read and plan this week and `weeks` (default `config.weeks`) ahead. Blocks the feed
    already served and that have started count as the user's own strength sessions (quota and
    spacing), so a week never gets extra blocks once one is in the past. Returns (classified,
    plan, keep_from)."""
    from calsync.app import planning
    from calsync.core.classify import classify_all
    from calsync.core.plan import plan

    tz = config.timezone
    today = now.astimezone(tz).date()
    keep_from = dt.datetime.combine(today - dt.timedelta(days=config.feed.past_days), dt.time(), tz)
    window = planning.plan_window(config, today, weeks or config.weeks)
    chosen, account = planning.resolve_sources(source.sources, config, source.account)
    events, problems = planning.read_sources(
        chosen, config, window.read_start, window.read_end, account=account, env=source.env
    )
    for problem in problems:
        log.warning("%s", problem)
    classified = list(classify_all(events, config.classify))
    served = [
        Classified(
            Event(
                uid=s.uid,
                start=s.block.start,
                end=s.block.end,
                summary=s.block.summary,
                source="the feed record",
            ),
            Kind.STRENGTH,
            "strength block already served by the feed",
        )
        for s in frozen_blocks(record, now, keep_from)
    ]
    result = plan(classified + served, window.first_day, window.weeks, config.rules, now)
    return classified, result, keep_from


class FeedPublisher:
    """Plans, renders and publishes the feed and the week page into a `FeedState`."""

    def __init__(self, state: FeedState, source: FeedSource, clock: Clock) -> None:
        self.state = state
        self.source = source
        self.clock = clock
        self.host = "127.0.0.1"
        self.port = 0
        self._lock = threading.Lock()
        self._zoned: tuple[Config, Config] | None = None  # (as loaded, in the runner's zone)

    def in_runner_zone(self, config: Config) -> Config:
        """With no `timezone` in the config, plan the runner's days, not the server's: the
        sources' X-WR-TIMEZONE or most common TZID (`planning.home_zone`). Decided once per
        loaded config (a reload decides again), and said once in the log."""
        from calsync.app import planning

        if config.timezone_set:
            return config
        if self._zoned is None or self._zoned[0] is not config:
            home = planning.home_zone(config, self.source.sources, self.source.account)
            if home.message:
                log.info("%s", home.message.removeprefix("calsync: "))
            self._zoned = (config, home.config)
        return self._zoned[1]

    def render(self, config: Config, *, save: bool = True) -> FeedOutcome:
        """Plan and render (I/O: reads the sources, reads and writes the record)."""
        with self._lock:
            config = self.in_runner_zone(config)
            env = self.source.env or {}
            directory = state_dir(config, env)
            record = load_record(directory)
            now = self.clock()
            season = max(config.weeks, season_weeks(config))
            classified, result, keep_from = plan_for_feed(config, self.source, now, record, season)
            # The season strip plans further ahead; the feeds serve `config.weeks` weeks.
            shown = {report.week for report in result.weeks[: config.weeks]}
            planned = [block for block in result.blocks if block.week in shown]
            build = build_feed(planned, record, config, now, keep_from)
            busy_record = load_record(directory, busy=True)
            busy = build_feed(planned, busy_record, config, now, keep_from, busy=True)
            if save and build.record != record:
                save_record(directory, build.record)
            if save and busy.record != busy_record:
                save_record(directory, busy.record, busy=True)
            token = load_token(directory)
            busy_token = load_token(directory, busy=True)
            links, _ = feed_links(config, token, self.host, self.port, busy_token)
            page = WeekPage(
                title=config.feed.name,
                tz=config.timezone,
                today=now.astimezone(config.timezone).date(),
                weeks=result.weeks[: config.weeks],
                runs=classified,
                blocks=[block for _, block in build.served],
                links=links,
                season=result.weeks[: season_weeks(config)],
            )
            page_bytes = render_week_page(page)
            return FeedOutcome(build, page_bytes, result, tuple(classified), busy)

    def refresh(self, config: Config) -> FeedOutcome:
        """Render and publish; the handlers serve the new bytes from the next request on."""
        outcome = self.render(config)
        directory = state_dir(config, self.source.env or {})
        token, busy_token = load_token(directory), load_token(directory, busy=True)
        ics = outcome.build.document
        page = make_document(outcome.page, HTML_TYPE, None)
        max_age = min(config.feed.refresh_minutes, 15) * 60
        busy = outcome.busy.document if outcome.busy is not None else None
        self.state.publish(Published(token, ics, page, max_age, busy_token, busy))
        blocks = len(outcome.build.served)
        log.info(
            "feed ready: %d block%s, ETag %s", blocks, "" if blocks == 1 else "s", ics.identity.etag
        )
        return outcome
