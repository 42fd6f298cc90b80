"""The local sync state: one SQLite file, per account, for what the calendar cannot remember.

What is kept (everything can be rebuilt from the server; the file is a cache plus a memory):
  - calendars: display name -> URL, so a no-change sync skips discovery;
  - collections: per calendar URL, the RFC 6578 sync token and the window the cache covers;
  - objects: the cached objects of each calendar (href, ETag, the occurrences they give inside
    the cached window as JSON; raw data only for the target calendar, to update blocks);
  - blocks: the managed blocks calsync wrote (UID, href, week), to notice a user's deletion;
  - deleted: (UID, week) of blocks the user deleted: not recreated for that week;
  - retired: UIDs calsync used once; never reused (Nextcloud's trash bin rejects them).

The file's layout has a version (`PRAGMA user_version`). `MIGRATIONS` lists the steps, each from
version N to N+1, run on open, each in its own transaction; files from before versions (user_version
0, a meta row 'schema' = '1') become version 1 with every row kept. A file from a newer calsync
(a higher version) is refused with StateTooNewError (exit 78) and left untouched: never set aside
as damaged, since it holds the record of blocks the user deleted.

Writes happen inside transactions (`with state.transaction():`), so a crash leaves the file as it
was before. A damaged file (not a database, truncated, a failed `PRAGMA quick_check`, or a row that
no longer reads back) raises StateDamagedError; `State.open` and the sync then move it aside
(`<name>.corrupt-<UTC stamp>`, with its -wal/-shm) and start afresh, with one warning: the server
is read again and calsync's blocks are found by their X-CALSYNC-* markers. Only the `deleted` and
`blocks` memory cannot be rebuilt. A lock held by another process or a full disk is not damage
(sqlite3.OperationalError: the sync's exit 75), and is never moved aside.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calsync.errors import ConfigError
from calsync.errors import TransientError
from calsync.model import Event

FILE_NAME = "state.sqlite3"

# Version 1: the tables as calsync wrote them before `PRAGMA user_version` was used (those files
# say user_version 0 and carry a meta row 'schema' = '1'; CREATE ... IF NOT EXISTS leaves their
# tables and rows as they are).
_V1 = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS calendars (
    account TEXT NOT NULL, name TEXT NOT NULL, url TEXT NOT NULL,
    PRIMARY KEY (account, name))""",
    """CREATE TABLE IF NOT EXISTS collections (
    account TEXT NOT NULL, url TEXT NOT NULL, role TEXT NOT NULL, tz TEXT NOT NULL,
    token TEXT, cache_start TEXT NOT NULL, cache_end TEXT NOT NULL,
    PRIMARY KEY (account, url))""",
    """CREATE TABLE IF NOT EXISTS objects (
    account TEXT NOT NULL, url TEXT NOT NULL, href TEXT NOT NULL, etag TEXT,
    data BLOB, events TEXT NOT NULL,
    PRIMARY KEY (account, url, href))""",
    """CREATE TABLE IF NOT EXISTS blocks (
    account TEXT NOT NULL, uid TEXT NOT NULL, href TEXT NOT NULL, week TEXT NOT NULL,
    slot TEXT NOT NULL, start TEXT NOT NULL,
    PRIMARY KEY (account, uid))""",
    """CREATE TABLE IF NOT EXISTS deleted (
    account TEXT NOT NULL, uid TEXT NOT NULL, week TEXT NOT NULL,
    PRIMARY KEY (account, uid))""",
    """CREATE TABLE IF NOT EXISTS retired (
    account TEXT NOT NULL, uid TEXT NOT NULL,
    PRIMARY KEY (account, uid))""",
    # Kept at '1' for as long as the layout is one calsync before migrations can read: such a
    # calsync refuses any other value (and sets the file aside), so a step that changes what it
    # would misread must raise this row to its own version.
    "INSERT OR IGNORE INTO meta VALUES ('schema', '1')",
)

Migration = tuple[str, ...]
# MIGRATIONS[n] takes a file from version n to n+1: append a step, never edit a released one.
# A step alters tables in place (ALTER TABLE, CREATE + INSERT SELECT): the `deleted` and
# `blocks` rows are the one memory the server cannot give back.
MIGRATIONS: tuple[Migration, ...] = (_V1,)
SCHEMA_VERSION = len(MIGRATIONS)


@dataclass(frozen=True, slots=True)
class Collection:
    """What the state remembers of one calendar."""

    url: str
    role: str  # "runs", "busy" or "target"
    tz: str
    token: str | None
    cache_start: dt.datetime
    cache_end: dt.datetime


@dataclass(frozen=True, slots=True)
class CachedObject:
    """One cached calendar object: its occurrences in the cached window."""

    href: str
    etag: str | None
    data: bytes | None  # kept for the target calendar only
    events: tuple[Event, ...]


@dataclass(frozen=True, slots=True)
class BlockRecord:
    """A managed block calsync wrote and believes is on the server."""

    uid: str
    href: str
    week: str
    slot: str
    start: dt.datetime


def default_state_dir(env: Mapping[str, str], configured: str | None) -> Path:
    """$STATE_DIRECTORY (systemd), else `[sync] state_dir`, else $XDG_STATE_HOME/calsync,
    else ~/.local/state/calsync. The feed token lives there too (calsync.adapters.feed_token)."""
    systemd = env.get("STATE_DIRECTORY", "").split(":")[0].strip()
    if systemd:
        return Path(systemd)
    if configured:
        return Path(configured).expanduser()
    base = env.get("XDG_STATE_HOME", "").strip()
    if base:
        return Path(base) / "calsync"
    home = env.get("HOME") or str(Path.home())
    return Path(home) / ".local" / "state" / "calsync"


def unusable_folder(folder: Path, exc: OSError) -> ConfigError:
    """The error for a state folder calsync cannot create or write (exit code 78)."""
    why = exc.strerror or type(exc).__name__
    return ConfigError(
        str(folder),
        [f"the sync state folder cannot be used ({why})"],
        hint="set [sync] state_dir (or $STATE_DIRECTORY) to a folder you can write",
    )


class StateDamagedError(TransientError):
    """The state file is damaged. Caught by `State.open` and the sync, which set the file aside
    and rebuild it; it reaches the user (exit 75) only when a freshly started file is damaged
    too. Never carries SQLite's or a decoder's text: those can quote cached event data."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"the sync state file {path} is damaged and could not be rebuilt",
            hint="check the disk holding the state folder, then run `calsync sync` again",
        )
        self.path = path


class StateTooNewError(ConfigError):
    """The state file was written by a newer calsync (a higher `PRAGMA user_version`).

    Exit 78, not 75: waiting does not help, and the file is never set aside as damaged (it
    holds the record of blocks the user deleted)."""

    def __init__(self, path: Path, version: int) -> None:
        super().__init__(
            str(path),
            [
                f"the sync state file was written by a newer calsync (state version {version}; "
                f"this calsync knows up to {SCHEMA_VERSION}); it was left untouched"
            ],
            hint="upgrade calsync (or set [sync] state_dir to another folder)",
        )
        self.path = path
        self.version = version


# SQLite's own verdicts of damage; everything else (BUSY, LOCKED, IOERR, FULL, READONLY, ...)
# is a passing or a disk problem, and a file that is only locked must never be moved aside.
_DAMAGE_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})
# Rows that no longer decode: invalid UTF-8 (Python raises it as OperationalError, with no
# SQLite code), JSON or ISO dates that do not parse, a missing key.
_DECODE_ERRORS = (ValueError, KeyError, TypeError)


def is_damage(exc: BaseException) -> bool:
    """Whether `exc` says the file's content is broken (not that it is busy or unwritable)."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _DAMAGE_CODES
    # Without a code: Python's own "Could not decode to UTF-8 column ..." (an OperationalError)
    # or a plain DatabaseError; a lock or a full disk always carries SQLite's code.
    return type(exc) is sqlite3.DatabaseError or str(exc).startswith("Could not decode")


@contextlib.contextmanager
def _guarded(path: Path) -> Iterator[None]:
    """Damage met while using the file becomes StateDamagedError (without the exception's text,
    which can quote cached data); other SQLite errors pass unchanged."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        if is_damage(exc):
            raise StateDamagedError(path) from None
        raise
    except _DECODE_ERRORS:
        raise StateDamagedError(path) from None


class State:
    """The SQLite state file. Open with `State.open(folder)`; close when done."""

    def __init__(self, conn: sqlite3.Connection, path: Path, warnings: list[str]) -> None:
        self._conn = conn
        self.path = path
        self.warnings = warnings  # e.g. "state file was corrupt: rebuilt from the server"

    @classmethod
    def open(
        cls, folder: Path, file_name: str = FILE_NAME, *, now: dt.datetime | None = None
    ) -> State:
        """Open (or create) the state `file_name` in `folder`; a damaged file is set aside (its
        name stamped with `now`, default the epoch's "unknown time") and rebuilt. The sync keeps
        one file per account: a long first sync of one account holds its file's write lock,
        and must not stop another account's sync."""
        path = folder / file_name
        _check_folder(folder, path)
        conn = sqlite3.connect(path, isolation_level=None, timeout=10.0)
        try:
            _prepare(conn, path)
            return cls(conn, path, [])
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc):
                conn.close()
                raise  # locked by a stranger, disk full: temporary, and the file is kept
        except StateTooNewError:
            conn.close()
            raise  # a newer calsync's file: kept as it is, never set aside
        warning = cls(conn, path, []).set_aside(now)
        return cls(_fresh(path), path, [warning])

    def set_aside(self, now: dt.datetime | None = None) -> str:
        """Move this damaged file aside, then close it; returns the warning. Moved while still
        open: SQLite deletes the -wal/-shm when its last connection closes, and they belong
        with the damaged file."""
        try:
            return set_aside(self.path, now)
        finally:
            self._conn.close()

    def close(self) -> None:
        self._conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside is written together, or not at all."""
        self._run("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            # SQLite may have rolled back by itself (damage, a full disk): the first error counts.
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("ROLLBACK")
            raise
        self._run("COMMIT")

    @contextlib.contextmanager
    def scratch(self) -> Iterator[None]:
        """Changes inside are seen inside, then thrown away (a dry run)."""
        self._run("BEGIN")
        try:
            yield
        finally:
            with contextlib.suppress(sqlite3.Error):  # as in transaction()
                self._conn.execute("ROLLBACK")

    # -- the runner's zone ------------------------------------------------------------------

    def home_zone(self, account: str) -> str | None:
        """The zone this account's runs were planned in (with no `timezone` in the config)."""
        row = self._one("SELECT value FROM meta WHERE key=?", f"zone:{account}")
        return str(row[0]) if row else None

    def remember_home_zone(self, account: str, key: str) -> None:
        self._run("INSERT OR REPLACE INTO meta VALUES (?, ?)", f"zone:{account}", key)

    # -- calendars --------------------------------------------------------------------------

    def calendar_url(self, account: str, name: str) -> str | None:
        row = self._one("SELECT url FROM calendars WHERE account=? AND name=?", account, name)
        return str(row[0]) if row else None

    def remember_calendar(self, account: str, name: str, url: str) -> None:
        self._run("INSERT OR REPLACE INTO calendars VALUES (?,?,?)", account, name, url)

    def forget_calendars(self, account: str) -> None:
        self._run("DELETE FROM calendars WHERE account=?", account)

    # -- collections and cached objects -------------------------------------------------------

    def collection(self, account: str, url: str) -> Collection | None:
        row = self._one(
            "SELECT role, tz, token, cache_start, cache_end FROM collections "
            "WHERE account=? AND url=?",
            account,
            url,
        )
        if row is None:
            return None
        role, tz, token, start, end = row
        with _guarded(self.path):
            return Collection(url, role, tz, token, _when(start), _when(end))

    def save_collection(self, account: str, collection: Collection) -> None:
        self._run(
            "INSERT OR REPLACE INTO collections VALUES (?,?,?,?,?,?,?)",
            account,
            collection.url,
            collection.role,
            collection.tz,
            collection.token,
            collection.cache_start.isoformat(),
            collection.cache_end.isoformat(),
        )

    def objects(self, account: str, url: str) -> list[CachedObject]:
        rows = self._all(
            "SELECT href, etag, data, events FROM objects WHERE account=? AND url=? ORDER BY href",
            account,
            url,
        )
        with _guarded(self.path):
            return [
                CachedObject(href, etag, bytes(data) if data is not None else None, _events(events))
                for href, etag, data, events in rows
            ]

    def forget_collection(self, account: str, url: str) -> None:
        """Forget a calendar's token and cached objects (a calendar created anew there)."""
        self._run("DELETE FROM collections WHERE account=? AND url=?", account, url)
        self.clear_objects(account, url)

    def clear_objects(self, account: str, url: str) -> None:
        self._run("DELETE FROM objects WHERE account=? AND url=?", account, url)

    def put_object(self, account: str, url: str, obj: CachedObject) -> None:
        self._run(
            "INSERT OR REPLACE INTO objects VALUES (?,?,?,?,?,?)",
            account,
            url,
            obj.href,
            obj.etag,
            obj.data,
            json.dumps([event_to_json(e) for e in obj.events], ensure_ascii=False),
        )

    def drop_object(self, account: str, url: str, href: str) -> None:
        self._run("DELETE FROM objects WHERE account=? AND url=? AND href=?", account, url, href)

    # -- blocks, deletions, retired UIDs ------------------------------------------------------

    def blocks(self, account: str) -> list[BlockRecord]:
        rows = self._all(
            "SELECT uid, href, week, slot, start FROM blocks WHERE account=? ORDER BY start, uid",
            account,
        )
        with _guarded(self.path):
            return [BlockRecord(u, h, w, s, _when(t)) for u, h, w, s, t in rows]

    def put_block(self, account: str, block: BlockRecord) -> None:
        self._run(
            "INSERT OR REPLACE INTO blocks VALUES (?,?,?,?,?,?)",
            account,
            block.uid,
            block.href,
            block.week,
            block.slot,
            block.start.isoformat(),
        )
        self._run("INSERT OR IGNORE INTO retired VALUES (?,?)", account, block.uid)

    def drop_block(self, account: str, uid: str) -> None:
        self._run("DELETE FROM blocks WHERE account=? AND uid=?", account, uid)

    def forget_blocks(self, account: str) -> None:
        """Forget every block of `account` (their calendar is gone); their UIDs stay retired."""
        self._run("DELETE FROM blocks WHERE account=?", account)

    def forget_deletions_before(self, account: str, week: str) -> None:
        """Forget the user's deletions of weeks before `week` (they can never matter again)."""
        self._run("DELETE FROM deleted WHERE account=? AND week<?", account, week)

    def record_deletion(self, account: str, uid: str, week: str) -> None:
        """The user deleted this block: not recreated for its week; its UID never reused."""
        self._run("INSERT OR REPLACE INTO deleted VALUES (?,?,?)", account, uid, week)
        self._run("INSERT OR IGNORE INTO retired VALUES (?,?)", account, uid)
        self.drop_block(account, uid)

    def deletions(self, account: str) -> dict[str, int]:
        """Week -> how many blocks the user deleted that week."""
        rows = self._all(
            "SELECT week, COUNT(*) FROM deleted WHERE account=? GROUP BY week", account
        )
        with _guarded(self.path):
            return {str(week): int(n) for week, n in rows}

    def is_retired(self, account: str, uid: str) -> bool:
        return (
            self._one("SELECT 1 FROM retired WHERE account=? AND uid=?", account, uid) is not None
        )

    def retire(self, account: str, uid: str) -> None:
        self._run("INSERT OR IGNORE INTO retired VALUES (?,?)", account, uid)

    # -- internals ------------------------------------------------------------------------

    def _one(self, sql: str, *args: Any) -> Any:
        with _guarded(self.path):
            return self._conn.execute(sql, args).fetchone()

    def _all(self, sql: str, *args: Any) -> list[Any]:
        with _guarded(self.path):
            return self._conn.execute(sql, args).fetchall()

    def _run(self, sql: str, *args: Any) -> None:
        with _guarded(self.path):
            self._conn.execute(sql, args)


def _check_folder(folder: Path, path: Path) -> None:
    """A folder (or file) calsync may not use is a configuration problem (78), never damage."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise unusable_folder(folder, exc) from None
    if not os.access(folder, os.W_OK | os.X_OK) or (
        path.exists() and not (path.is_file() and os.access(path, os.R_OK | os.W_OK))
    ):  # not damaged, only not ours to write (or a folder by that name): never moved aside
        raise unusable_folder(folder, PermissionError(13, "not writable"))


SIDECARS = ("-wal", "-shm", "-journal")


def set_aside(path: Path, now: dt.datetime | None) -> str:
    """Move the damaged `path` (and its sidecars, which belong to it) to
    `<name>.corrupt-<UTC stamp of now>`; returns the one warning that says what is lost."""
    when = now or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    stamp = when.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    for n in range(2, 100):  # two damaged files in one second: keep both
        if not aside.exists():
            break
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    try:
        path.replace(aside)
        for extra in SIDECARS:
            with contextlib.suppress(FileNotFoundError):
                path.with_name(path.name + extra).replace(aside.with_name(aside.name + extra))
    except OSError as exc:
        raise unusable_folder(path.parent, exc) from None
    return (
        f"the sync state file {path} was damaged: it was moved to {aside.name} and rebuilt "
        "from the server (calsync's blocks are found again by their X-CALSYNC markers, so none "
        "is duplicated); the record of blocks you deleted is lost: those blocks may come back "
        "once (delete them again and they stay deleted)"
    )


def _when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _fresh(path: Path) -> sqlite3.Connection:
    """A new file where a damaged one was; damage now means the disk (StateDamagedError)."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=10.0)
    try:
        with _guarded(path):
            _prepare(conn, path)
    except BaseException:
        conn.close()
        raise
    return conn


def _prepare(conn: sqlite3.Connection, path: Path) -> None:
    """The version check, WAL mode, the migrations, and a check of every page; raises
    sqlite3.DatabaseError (damage) or StateTooNewError (the file is left as it was)."""
    found = _version(conn)
    if found > SCHEMA_VERSION:
        raise StateTooNewError(path, found)
    with contextlib.suppress(OSError):
        path.chmod(0o600)
    conn.execute("PRAGMA journal_mode=WAL")
    migrate(conn, MIGRATIONS)
    # Damage in the middle of a file opens fine and breaks later: check the pages now
    # (quick_check reads each page once: milliseconds for a year of calendars).
    if conn.execute("PRAGMA quick_check(1)").fetchall() != [("ok",)]:
        raise sqlite3.DatabaseError("quick_check failed")


def _version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, steps: Sequence[Migration]) -> int:
    """Run the steps from the file's `user_version` on, each with its new version in one
    transaction (a failed step leaves the file at the version before it); the version now."""
    version = _version(conn)
    for number in range(version, len(steps)):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in steps[number]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number + 1:d}")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        version = number + 1
    return version


# --- events as JSON ------------------------------------------------------------------------


def event_to_json(event: Event) -> dict[str, Any]:
    """An occurrence as plain JSON (times as ISO 8601 with their offset)."""
    return {
        "uid": event.uid,
        "start": event.start.isoformat(),
        "end": event.end.isoformat(),
        "summary": event.summary,
        "description": event.description,
        "categories": list(event.categories),
        "all_day": event.all_day,
        "busy": event.busy,
        "recurrence_id": event.recurrence_id,
        "source": event.source,
        "runs_source": event.runs_source,
        "managed": event.managed,
        "calsync": dict(event.calsync),
    }


def event_from_json(data: Mapping[str, Any]) -> Event:
    return Event(
        uid=str(data["uid"]),
        start=dt.datetime.fromisoformat(data["start"]),
        end=dt.datetime.fromisoformat(data["end"]),
        summary=str(data.get("summary", "")),
        description=str(data.get("description", "")),
        categories=tuple(data.get("categories", ())),
        all_day=bool(data.get("all_day", False)),
        busy=bool(data.get("busy", True)),
        recurrence_id=data.get("recurrence_id"),
        source=str(data.get("source", "")),
        runs_source=bool(data.get("runs_source", True)),
        managed=bool(data.get("managed", False)),
        calsync={str(k): str(v) for k, v in dict(data.get("calsync", {})).items()},
    )


def _events(text: str) -> tuple[Event, ...]:
    return tuple(event_from_json(item) for item in json.loads(text))
