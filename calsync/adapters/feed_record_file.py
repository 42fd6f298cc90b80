"""The feed records' files in the state directory: `feed-record.json` and, for the busy feed,
`feed-busy-record.json` (mode 0600, written atomically through `feed_token.write_private`).
The record itself and its JSON are pure, in `calsync.core.feed_record`."""

from __future__ import annotations

import logging
from pathlib import Path

from calsync.adapters.feed_token import write_private
from calsync.core.feed_record import FeedRecord
from calsync.core.feed_record import record_from_json
from calsync.core.feed_record import record_to_json

log = logging.getLogger(__name__)

RECORD_FILE = "feed-record.json"
BUSY_RECORD_FILE = "feed-busy-record.json"


def record_path(directory: Path, *, busy: bool = False) -> Path:
    return directory / (BUSY_RECORD_FILE if busy else RECORD_FILE)


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
    write_private(record_path(directory, busy=busy), record_to_json(record))
