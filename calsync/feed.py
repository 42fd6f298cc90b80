"""The subscribed ICS feed: stable UIDs, rising SEQUENCE, byte-identical renders, HTTP caching.

Pure apart from `load_record`/`save_record` (the small JSON record in the state directory).
What Google and Apple need (ANCHORS §4):

- The same plan renders the same bytes: UIDs come from the plan week and the block's rank in
  it, DTSTAMP is the last time a served block changed (never "now"), so the ETag (a hash of
  the exact bytes) only changes when the content does.
- SEQUENCE rises each time a block's content (start, end, title, description) changes; the
  record keeps one content hash and sequence per UID.
- Blocks already started stay in the feed as they were served (`frozen`), `past_days` back:
  the planner never places blocks in the past, and a subscribed calendar must not lose today's
  session the moment it starts.
- Last-Modified (whole seconds) moves forward whenever the bytes change, and never back, even
  when a block is deleted or the clock is set back.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import gzip
import hashlib
import json
import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from pathlib import Path
from typing import Any

from calsync.config import Config
from calsync.model import Block

log = logging.getLogger(__name__)

ICS_TYPE = "text/calendar; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
RECORD_FILE = "feed-record.json"
BUSY_RECORD_FILE = "feed-busy-record.json"
RECORD_VERSION = 1
UID_DOMAIN = "feed.calsync"
BUSY_UID_DOMAIN = "busy.feed.calsync"  # its own UIDs: both feeds may sit in one account
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
ONE_SECOND = dt.timedelta(seconds=1)


# --- the record: what was served, per UID -------------------------------------------------


@dataclass(frozen=True, slots=True)
class Served:
    """One block as it was last served, with its content hash and SEQUENCE."""

    uid: str
    block: Block
    digest: str
    sequence: int
    changed: dt.datetime  # UTC, whole seconds: when this content was first served
    active: bool = True  # in the last feed; False: dropped, kept for its SEQUENCE only


@dataclass(frozen=True, slots=True)
class FeedRecord:
    """What the feed served last: per-UID content and sequence, and the feed's Last-Modified."""

    served: Mapping[str, Served] = field(default_factory=dict)
    body_digest: str | None = None
    last_modified: dt.datetime | None = None  # UTC, whole seconds


def block_digest(block: Block) -> str:
    """Hash of what a calendar shows of a block: a change here raises its SEQUENCE."""
    parts = (
        block.start.astimezone(dt.UTC).isoformat(),
        block.end.astimezone(dt.UTC).isoformat(),
        block.summary,
        block.description,
    )
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def feed_uid(week: str, rank: int, domain: str = UID_DOMAIN) -> str:
    """The stable UID of the `rank`-th block (1..) of a plan week: `2026-W49-1@feed.calsync`."""
    return f"{week}-{rank}@{domain}"


def whole_seconds(moment: dt.datetime) -> dt.datetime:
    """UTC, truncated to the second (HTTP dates have no fractions)."""
    return moment.astimezone(dt.UTC).replace(microsecond=0)


def frozen_blocks(record: FeedRecord, now: dt.datetime, keep_from: dt.datetime) -> list[Served]:
    """Served blocks that have started by `now` and start at or after `keep_from`: kept as is."""
    out = [s for s in record.served.values() if s.active and keep_from <= s.block.start <= now]
    return sorted(out, key=lambda s: (s.block.start, s.uid))


def assign_uids(
    frozen: Sequence[Served], planned: Iterable[Block], domain: str = UID_DOMAIN
) -> list[tuple[str, Block]]:
    """UIDs for the blocks to serve: frozen ones keep theirs; planned ones take the lowest free
    rank of their week, in day order, so a block that moves within its week keeps its UID."""
    taken: dict[str, set[str]] = defaultdict(set)
    out: list[tuple[str, Block]] = []
    for item in frozen:
        taken[item.block.week].add(item.uid)
        out.append((item.uid, item.block))
    for block in sorted(planned, key=lambda b: (b.start, b.slot)):
        rank = 1
        while feed_uid(block.week, rank, domain) in taken[block.week]:
            rank += 1
        uid = feed_uid(block.week, rank, domain)
        taken[block.week].add(uid)
        out.append((uid, replace(block, slot=f"{block.week}/{rank}")))
    return sorted(out, key=lambda pair: (pair[1].start, pair[0]))


def update_served(
    record: FeedRecord, blocks: Sequence[tuple[str, Block]], now: dt.datetime
) -> dict[str, Served]:
    """The new per-UID record: SEQUENCE + 1 and `changed = now` for each block whose content
    changed; a UID seen again after it was dropped continues its old sequence."""
    stamp = whole_seconds(now)
    out: dict[str, Served] = {}
    for uid, block in blocks:
        digest = block_digest(block)
        old = record.served.get(uid)
        if old is None:
            out[uid] = Served(uid, block, digest, 0, stamp)
        elif old.digest != digest or not old.active:
            out[uid] = Served(uid, block, digest, old.sequence + 1, max(stamp, old.changed))
        else:
            out[uid] = replace(old, block=block)
    return out


def retained(
    record: FeedRecord, current: Mapping[str, Served], keep_from: dt.datetime
) -> dict[str, Served]:
    """`current`, plus dropped UIDs still inside the window (so a block that comes back
    continues its SEQUENCE instead of restarting at 0)."""
    out = dict(current)
    for uid, item in record.served.items():
        if uid not in out and item.block.end >= keep_from:
            out[uid] = replace(item, active=False)
    return out


def next_last_modified(record: FeedRecord, body_digest: str, now: dt.datetime) -> dt.datetime:
    """Last-Modified for a body: unchanged bytes keep it; new bytes move it forward by at least
    one second (so If-Modified-Since sees the change even if the clock went back)."""
    previous = record.last_modified
    if previous is not None and record.body_digest == body_digest:
        return previous
    stamp = whole_seconds(now)
    if previous is None:
        return stamp
    return max(stamp, previous + ONE_SECOND)


# --- rendering ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Variant:
    """One representation's exact bytes and strong ETag."""

    body: bytes
    etag: str


@dataclass(frozen=True, slots=True)
class Document:
    """A prepared HTTP resource: identity and gzip bytes, ETags, Last-Modified."""

    content_type: str
    identity: Variant
    gzipped: Variant
    last_modified: dt.datetime | None = None


def etag_of(body: bytes) -> str:
    """Strong ETag: a hash of the exact bytes."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def make_document(
    body: bytes, content_type: str, last_modified: dt.datetime | None = None
) -> Document:
    """Prepare both encodings once; gzip with mtime 0 so it is deterministic too."""
    packed = gzip.compress(body, compresslevel=6, mtime=0)
    return Document(
        content_type=content_type,
        identity=Variant(body, etag_of(body)),
        gzipped=Variant(packed, etag_of(packed)),
        last_modified=last_modified,
    )


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


# --- the record file ------------------------------------------------------------------------


def record_path(directory: Path, *, busy: bool = False) -> Path:
    return directory / (BUSY_RECORD_FILE if busy else RECORD_FILE)


def record_to_json(record: FeedRecord) -> bytes:
    """Stable JSON (sorted keys) for the state directory."""
    data = {
        "version": RECORD_VERSION,
        "body_digest": record.body_digest,
        "last_modified": _iso(record.last_modified),
        "served": {uid: _served_json(item) for uid, item in sorted(record.served.items())},
    }
    return (json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def record_from_json(data: bytes) -> FeedRecord:
    """Parse a record; ValueError when it is not one calsync wrote."""
    raw = json.loads(data.decode("utf-8"))
    if not isinstance(raw, dict) or raw.get("version") != RECORD_VERSION:
        raise ValueError("not a calsync feed record (version 1)")
    try:
        served = {uid: _served_from(uid, item) for uid, item in raw["served"].items()}
        return FeedRecord(served, raw.get("body_digest"), _from_iso(raw.get("last_modified")))
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"malformed feed record ({type(exc).__name__}: {exc})") from exc


def load_record(directory: Path, *, busy: bool = False) -> FeedRecord:
    """The stored record; a missing or unreadable one starts afresh (logged, never fatal)."""
    path = record_path(directory, busy=busy)
    try:
        return record_from_json(path.read_bytes())
    except FileNotFoundError:
        return FeedRecord()
    except (OSError, ValueError) as exc:
        log.warning("feed record %s ignored, starting afresh: %s", path, exc)
        return FeedRecord()


def save_record(directory: Path, record: FeedRecord, *, busy: bool = False) -> None:
    """Write the record atomically (mode 0600). Raises ConfigError when it cannot."""
    from calsync.adapters.feed_token import write_private

    write_private(record_path(directory, busy=busy), record_to_json(record))


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _from_iso(text: Any) -> dt.datetime | None:
    if text is None:
        return None
    moment = dt.datetime.fromisoformat(str(text))
    if moment.tzinfo is None:
        raise ValueError(f"naive time {text!r} in the feed record")
    return moment


def _served_json(item: Served) -> dict[str, Any]:
    b = item.block
    return {
        "start": b.start.isoformat(),
        "end": b.end.isoformat(),
        "week": b.week,
        "slot": b.slot,
        "summary": b.summary,
        "description": b.description,
        "reason": b.reason,
        "template": b.template,
        "lighter": b.lighter,
        "digest": item.digest,
        "sequence": item.sequence,
        "changed": item.changed.isoformat(),
        "active": item.active,
    }


def _served_from(uid: str, raw: Mapping[str, Any]) -> Served:
    start, end, changed = (_from_iso(raw[k]) for k in ("start", "end", "changed"))
    if start is None or end is None or changed is None:
        raise TypeError("missing time")
    block = Block(
        slot=str(raw["slot"]),
        start=start,
        end=end,
        week=str(raw["week"]),
        summary=str(raw["summary"]),
        description=str(raw["description"]),
        reason=str(raw["reason"]),
        template=str(raw["template"]),
        lighter=bool(raw["lighter"]),
    )
    digest, sequence = str(raw["digest"]), int(raw["sequence"])
    return Served(uid, block, digest, sequence, changed, bool(raw.get("active", True)))


# --- HTTP: conditional requests and content coding (RFC 9110) -------------------------------

_ETAG = re.compile(r'\s*(?:W/)?("[^"]*")\s*(?:,|$)')


def etag_list_matches(header: str, etags: Iterable[str]) -> bool:
    """If-None-Match: `*`, or any listed tag equal to ours by weak comparison."""
    if header.strip() == "*":
        return True
    ours = set(etags)
    return any(m.group(1) in ours for m in _ETAG.finditer(header))


def parse_http_date(text: str) -> dt.datetime | None:
    """An HTTP date as UTC; None when it is not one (then the full response is sent)."""
    try:
        moment = email.utils.parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def http_date(moment: dt.datetime) -> str:
    """`Tue, 01 Dec 2026 06:00:00 GMT`."""
    return email.utils.format_datetime(whole_seconds(moment), usegmt=True)


def is_not_modified(
    document: Document,
    if_none_match: str | None,
    if_modified_since: str | None,
    now: dt.datetime,
) -> bool:
    """304 or not: If-None-Match takes precedence (and matches either encoding's ETag, since
    both are the same content); If-Modified-Since counts only when it is a valid date that is
    not in the future."""
    if if_none_match is not None:
        etags = (document.identity.etag, document.gzipped.etag)
        return etag_list_matches(if_none_match, etags)
    if if_modified_since is None or document.last_modified is None:
        return False
    since = parse_http_date(if_modified_since)
    if since is None or since > whole_seconds(now):
        return False
    return document.last_modified <= since


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether Accept-Encoding allows gzip (`gzip`, `x-gzip` or `*`, with q > 0)."""
    if not accept_encoding:
        return False
    best: dict[str, float] = {}
    for part in accept_encoding.split(","):
        name, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        best[name.strip().lower()] = quality
    for name in ("gzip", "x-gzip"):
        if name in best:
            return best[name] > 0
    return best.get("*", 0.0) > 0
