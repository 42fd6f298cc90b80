"""The feed's record, pure: what was served per UID, stable UIDs, rising SEQUENCE, Last-Modified.

What Google and Apple need of a subscribed feed (ANCHORS §4), as bookkeeping over values (no
I/O, no clock: `now` is always passed in; the file is read and written by `calsync.app.feed`):

- UIDs come from the plan week and the block's rank in it, so the same plan gives the same UIDs;
  a block that moves within its week keeps its UID.
- SEQUENCE rises each time a block's content (start, end, title, description) changes; the
  record keeps one content hash and sequence per UID (dropped UIDs too, while in the window).
- Blocks already started stay in the feed as they were served (`frozen_blocks`).
- Last-Modified (whole seconds) moves forward whenever the bytes change, and never back, even
  when a block is deleted or the clock is set back.
- `record_to_json` / `record_from_json`: the record as stable JSON (sorted keys).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from typing import Any

from calsync.model import Block

RECORD_VERSION = 1
UID_DOMAIN = "feed.calsync"
BUSY_UID_DOMAIN = "busy.feed.calsync"  # its own UIDs: both feeds may sit in one account
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
ONE_SECOND = dt.timedelta(seconds=1)


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


# --- the record as JSON ------------------------------------------------------------------


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
