"""Calendar files on disk: an `.ics` file, or a folder of them (vdirsyncer / Radicale layout).

A missing path is an error (`SourceNotFoundError`), and so is a file given by name that is not
iCalendar at all (`CalendarDataError`). Inside a folder, one file per event, a broken or foreign
`.ics` file is only a `Problem`: the other files still count. Subfolders are read too (a folder
of vdirs, one per calendar). Hidden files and folders and files that do not end in `.ics` are
skipped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from calsync import ical
from calsync.errors import CalendarDataError
from calsync.errors import SourceNotFoundError
from calsync.model import Event
from calsync.model import Problem


def load_events(
    paths: Sequence[str],
    *,
    start: dt.datetime,
    end: dt.datetime,
    tz: dt.tzinfo,
    runs_source: bool = True,
) -> tuple[list[Event], list[Problem]]:
    """Occurrences in `[start, end)` from every file and folder in `paths`, and the problems."""
    events: list[Event] = []
    problems: list[Problem] = []
    for name in paths:
        path = Path(name).expanduser()
        if path.is_dir():
            found, bad = _load_folder(path, start, end, tz, runs_source)
        elif path.is_file():
            found, bad = ical.parse_events(
                _read(path), source=str(path), start=start, end=end, tz=tz, runs_source=runs_source
            )
        else:
            raise SourceNotFoundError(
                f"calendar file not found: {name}",
                hint="check the path, or export the calendar as .ics first",
            )
        events += found
        problems += bad
    events.sort(key=lambda e: (e.start, e.uid, e.recurrence_id or ""))
    return events, problems


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SourceNotFoundError(
            f"cannot read calendar file {path}: {exc.strerror or exc}",
            hint="check that the file exists and that you may read it",
        ) from None


def _calendar_files(folder: Path) -> list[Path]:
    """The `.ics` files of a folder and of its subfolders (a folder of vdirs, as vdirsyncer
    keeps one folder per calendar), sorted; hidden files and folders are skipped, and a
    symlinked folder is not followed (no loops)."""
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        raise SourceNotFoundError(
            f"cannot read calendar folder {folder}: {exc.strerror or exc}",
            hint="check that the folder exists and that you may read it",
        ) from None
    files: list[Path] = []
    for p in entries:
        if p.name.startswith("."):
            continue
        if p.is_dir():
            if not p.is_symlink():
                files += _calendar_files(p)
        elif p.suffix.lower() == ".ics" and p.is_file():
            files.append(p)
    return files


def _load_folder(
    folder: Path, start: dt.datetime, end: dt.datetime, tz: dt.tzinfo, runs_source: bool
) -> tuple[list[Event], list[Problem]]:
    events: list[Event] = []
    problems: list[Problem] = []
    for path in _calendar_files(folder):
        try:
            found, bad = ical.parse_events(
                path.read_bytes(),
                source=str(path),
                start=start,
                end=end,
                tz=tz,
                runs_source=runs_source,
            )
        except CalendarDataError:
            problems.append(Problem(str(path), None, "not an iCalendar file: skipped"))
            continue
        except OSError as exc:
            why = exc.strerror or "the file could not be read"
            problems.append(Problem(str(path), None, f"cannot read: {why}"))
            continue
        events += found
        problems += bad
    return events, _once_per_folder(problems)


def _once_per_folder(problems: list[Problem]) -> list[Problem]:
    """A note about a whole file that every file of a vdir repeats (one event per file, each
    with the same unknown TZID) is said once, with the number of other files."""
    first: dict[str, int] = {}
    more: dict[str, int] = {}
    kept: list[Problem] = []
    for problem in problems:
        if problem.uid is not None or not problem.message.startswith("TZID "):
            kept.append(problem)
        elif problem.message in first:
            more[problem.message] = more.get(problem.message, 0) + 1
        else:
            first[problem.message] = len(kept)
            kept.append(problem)
    for message, count in more.items():
        at = first[message]
        kept[at] = Problem(
            kept[at].source, None, f"{message} (and in {count} more files)", skipped=False
        )
    return kept
