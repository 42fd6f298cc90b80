"""Calendar files and vdir folders on disk (tests/fixtures/calendars)."""

from __future__ import annotations

import datetime as dt
import shutil
import zoneinfo
from pathlib import Path

import pytest

from calsync.adapters import ics_file
from calsync.errors import CalendarDataError
from calsync.errors import ExitCode
from calsync.errors import SourceNotFoundError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "calendars"
VDIR = FIXTURES / "vdir"
LONDON = zoneinfo.ZoneInfo("Europe/London")
START = dt.datetime(2026, 11, 30, tzinfo=LONDON)
END = dt.datetime(2026, 12, 7, tzinfo=LONDON)


def load(*paths: Path | str) -> tuple[list, list]:
    return ics_file.load_events([str(p) for p in paths], start=START, end=END, tz=LONDON)


def test_one_file():
    events, problems = load(FIXTURES / "canonical_week.ics")
    assert problems == []
    assert [e.summary for e in events] == ["Easy run", "Intervals 6 x 800m", "Easy run", "Long run"]
    assert all(e.source == str(FIXTURES / "canonical_week.ics") for e in events)


def test_vdir_folder_reads_every_ics_file_and_reports_the_broken_one():
    events, problems = load(VDIR)
    got = [(e.start.strftime("%a %H:%M"), e.summary, e.all_day) for e in events]
    assert got == [
        ("Mon 07:00", "Easy run", False),
        ("Tue 18:00", "Track intervals", False),  # a weekly series started in November
        ("Sat 00:00", "Long run 30 km", True),
    ]
    assert "hidden-should-not-load" not in {e.uid for e in events}  # dot-files are skipped
    assert [(Path(p.source).name, p.uid) for p in problems] == [("broken.ics", None)]
    assert "not an iCalendar file" in problems[0].message
    assert str(VDIR / "broken.ics") in str(problems[0])


def test_several_paths_are_merged_and_sorted():
    events, problems = load(FIXTURES / "canonical_week.ics", VDIR, FIXTURES / "bad_events.ics")
    assert len(events) == 4 + 3 + 2
    assert [e.start for e in events] == sorted(e.start for e in events)
    assert {Path(p.source).name for p in problems} == {"broken.ics", "bad_events.ics"}
    bad = [p for p in problems if p.source.endswith("bad_events.ics")]
    assert {p.uid for p in bad} == {
        "no-start@calsync.test",
        "garbage-start@calsync.test",
        "bad-rrule@calsync.test",
    }


def test_missing_path_is_source_not_found():
    with pytest.raises(SourceNotFoundError) as caught:
        load(FIXTURES / "no_such_calendar.ics")
    assert "no_such_calendar.ics" in caught.value.message
    assert caught.value.exit_code == ExitCode.NOINPUT


def test_a_named_file_that_is_not_a_calendar_is_a_data_error():
    with pytest.raises(CalendarDataError) as caught:
        load(FIXTURES / "not_a_calendar.ics")
    assert "not_a_calendar.ics" in caught.value.message
    assert caught.value.exit_code == ExitCode.DATAERR


def test_folder_with_only_foreign_files_gives_no_events(tmp_path: Path):
    shutil.copy(FIXTURES / "not_a_calendar.ics", tmp_path / "notes.ics")
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    (tmp_path / "sub").mkdir()
    events, problems = load(tmp_path)
    assert events == []
    assert [Path(p.source).name for p in problems] == ["notes.ics"]


def test_files_are_read_as_bytes_whatever_their_encoding(tmp_path: Path):
    data = (FIXTURES / "languages.ics").read_bytes()
    bom = tmp_path / "bom.ics"
    bom.write_bytes(b"\xef\xbb\xbf" + data)
    events, problems = load(bom)
    assert problems == []
    assert events[0].summary == "Lockerer Dauerlauf"
    assert "Fractionné 10x400m" in {e.summary for e in events}


def test_a_file_given_with_tilde_or_relative_path(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(FIXTURES)
    events, _ = ics_file.load_events(["canonical_week.ics"], start=START, end=END, tz=LONDON)
    assert len(events) == 4
    monkeypatch.setenv("HOME", str(FIXTURES))
    events, _ = ics_file.load_events(["~/vdir"], start=START, end=END, tz=LONDON)
    assert len(events) == 3


def test_a_folder_of_vdirs_is_read_recursively_without_hidden_folders():
    events, problems = load(FIXTURES / "vdir_nested")
    assert problems == []
    assert sorted(e.uid for e in events) == [
        "dentist-0001@vdir.test",
        "easy-0002@vdir.test",
        "top-0003@vdir.test",
    ]  # not .Trash/should-not-load.ics


def test_a_windows_1252_file_keeps_its_characters():
    events, problems = load(FIXTURES / "latin1_outlook.ics")
    assert problems == []
    assert [e.summary for e in events] == ["Lockerer Dauerlauf über 10 km", "Fractionné 10x400"]


def test_an_empty_file_given_by_name_is_a_data_error_that_says_empty():
    with pytest.raises(CalendarDataError, match="the file is empty"):
        load(FIXTURES / "empty.ics")


def test_a_utf16_file_with_a_byte_order_mark_is_read():
    events, problems = load(FIXTURES / "utf16_outlook.ics")
    assert problems == []
    assert [e.uid for e in events] == ["utf16-run@outlook.test", "utf16-interval@outlook.test"]
    assert events[0].description == "Danach Café mit Jürgen – € 5"


def test_a_vdir_with_the_same_unknown_tzid_in_every_file_says_it_once():
    # One event per file (vdirsyncer, Radicale): the note was repeated for every file.
    folder = FIXTURES / "vdir_lotus_zone"
    events, problems = ics_file.load_events(
        [str(folder)], start=START, end=START + dt.timedelta(days=14), tz=LONDON
    )
    assert len(events) == 3
    assert [str(p) for p in problems] == [
        f"{folder / 'run-1.ics'}: TZID 'Customized Time Zone' is not a known time zone; read as "
        "Europe/London (and in 2 more files)"
    ]
