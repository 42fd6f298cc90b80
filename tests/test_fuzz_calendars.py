"""Fuzz: damaged copies of the fixture calendars through `calsync plan` and `calsync classify`.

A seeded mutator (the same cases on every run, so a failure names its seed) deletes,
duplicates and swaps lines, truncates files, renames BEGIN/END, puts huge, negative and edge
numbers everywhere (DURATION:P99999999D, years 0001 and 9999, COUNT=999999999, INTERVAL=0),
bad TZIDs, bytes that are not UTF-8, deep nesting and very long lines into every file of
tests/fixtures/calendars. Each case runs in-process through the real CLI (`plan`, `classify`,
`plan --format ics`) and must end with a documented exit code (0, 65, 66), with no traceback,
no "internal error" and within CASE_SECONDS (SIGALRM). A smaller Hypothesis test draws its
own mutation lists over the same files.

Bounded: SEEDS cases (about 40 s on a 2-core machine), so it stays in the default run (CI);
`-m "not fuzz"` leaves it out of a quick local run. A crash found here gets its minimal
reproducer as tests/fixtures/calendars/fuzz_*.ics, which every later run reads as it is.
"""

from __future__ import annotations

import random
import re
import warnings
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from calsync.cli import cli
from tests.hang_guard import Hang
from tests.hang_guard import hang_guard

pytestmark = pytest.mark.fuzz

CALENDARS = Path(__file__).resolve().parent / "fixtures" / "calendars"
FIXTURES = sorted(CALENDARS.glob("*.ics"))
# The reproducers of crashes found here run as they are; the mutator damages the others, so
# adding a reproducer does not reshuffle every seeded case.
MUTABLE = [f for f in FIXTURES if not f.name.startswith("fuzz_")]
SEEDS = 600  # cases of the seeded mutator, each through three commands
MAX_FAILING_CASES = 10  # enough to see the pattern; a broken reader does not take an hour
CASE_SECONDS = 10  # a case slower than this is a hang
MAX_CASE_BYTES = 4_000_000  # a damaged calendar stays below this
ALLOWED = frozenset({0, 65, 66})  # success, unreadable calendar data, unreadable file
ENV = {"XDG_CONFIG_HOME": "/nonexistent", "CALSYNC_CONFIG": "", "NO_COLOR": "1"}
COMMANDS = (("plan", "--format", "json"), ("classify",), ("plan", "--format", "ics"))
DTSTART = re.compile(rb"(?m)^DTSTART[^:\r\n]*:(\d{4})(\d{2})(\d{2})")

Lines = list[bytes]
Mutation = Callable[[random.Random, Lines], Lines]


# --- the mutations -----------------------------------------------------------------------


def _pick(rng: random.Random, lines: Lines) -> int:
    return rng.randrange(len(lines)) if lines else 0


def delete_line(rng: random.Random, lines: Lines) -> Lines:
    if lines:
        del lines[_pick(rng, lines)]
    return lines


def duplicate_line(rng: random.Random, lines: Lines) -> Lines:
    if lines:
        i = _pick(rng, lines)
        lines[i:i] = [lines[i]] * rng.choice((1, 2, 50))
    return lines


def swap_lines(rng: random.Random, lines: Lines) -> Lines:
    if len(lines) > 1:
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    return lines


def truncate(rng: random.Random, lines: Lines) -> Lines:
    data = b"".join(lines)
    return _split(data[: rng.randrange(len(data) + 1)])


def flip_begin_end(rng: random.Random, lines: Lines) -> Lines:
    marks = [i for i, line in enumerate(lines) if line.startswith((b"BEGIN:", b"END:"))]
    if marks:
        i = rng.choice(marks)
        head, _, _ = lines[i].partition(b":")
        other = b"END" if head == b"BEGIN" else b"BEGIN"
        name = rng.choice((b"VTOOD", b"VTODO", b"VCALENDAR", b"VEVENT", b"VTIMEZONE", b"VALARM"))
        lines[i] = rng.choice((other, head)) + b":" + name + b"\r\n"
    return lines


NUMBERS = (b"0", b"-1", b"-99999999", b"99999999", b"999999999999999999999", b"00000000")


def huge_numbers(rng: random.Random, lines: Lines) -> Lines:
    if lines:
        i = _pick(rng, lines)
        lines[i] = re.sub(rb"\d+", lambda _: rng.choice(NUMBERS), lines[i], count=rng.randint(1, 3))
    return lines


DURATIONS = (b"P99999999D", b"P99999999W", b"-P99999999D", b"PT99999999999H", b"P0D", b"PXD")


def huge_duration(rng: random.Random, lines: Lines) -> Lines:
    starts = [i for i, line in enumerate(lines) if line.startswith(b"DTSTART")]
    if starts:
        i = rng.choice(starts)
        lines = [x for x in lines if not x.startswith(b"DTEND")] if rng.random() < 0.5 else lines
        i = min(i, len(lines))
        lines.insert(i + 1, b"DURATION:" + rng.choice(DURATIONS) + b"\r\n")
    return lines


def edge_years(rng: random.Random, lines: Lines) -> Lines:
    year = rng.choice((b"0001", b"9999", b"0000", b"1582", b"2038"))
    stamp = re.compile(rb"(?<=[:=,])\d{4}(?=\d{4}(T|\r|\n|,|;|$))")
    return [stamp.sub(year, x) if rng.random() < 0.5 else x for x in lines]


RULES = (
    b"RRULE:FREQ=DAILY;COUNT=999999999",
    b"RRULE:FREQ=DAILY;INTERVAL=0",
    b"RRULE:FREQ=SECONDLY",
    b"RRULE:FREQ=MINUTELY;INTERVAL=1",
    b"RRULE:FREQ=YEARLY;UNTIL=99991231T235959Z",
    b"RRULE:FREQ=WEEKLY;BYDAY=999MO",
    b"RRULE:FREQ=MONTHLY;BYSETPOS=-999;BYDAY=MO",
    b"RRULE:FREQ=WEEKLY;COUNT=-5",
    b"RRULE:RSCALE=CHINESE;FREQ=YEARLY",
    b"EXDATE:00010101T000000Z",
    b"RDATE;VALUE=PERIOD:20261201T080000Z/P99999999D",
)


def rrule_bomb(rng: random.Random, lines: Lines) -> Lines:
    starts = [i for i, line in enumerate(lines) if line.startswith(b"DTSTART")] or [0]
    lines.insert(rng.choice(starts) + 1, rng.choice(RULES) + b"\r\n")
    return lines


TZIDS = (
    b"Mars/Olympus",
    b"",
    b'"(UTC+01:00) Amsterdam, Berlin"',
    b"GMT-05.00/-04.00",
    b"../../../../etc/passwd",
    b"Europe/London\x00",
    b"W. Europe Standard Time",
    b"X" * 5000,
)


def bad_tzid(rng: random.Random, lines: Lines) -> Lines:
    tzid = rng.choice(TZIDS)
    return [re.sub(rb"TZID=[^:;]*", b"TZID=" + tzid, x) if rng.random() < 0.5 else x for x in lines]


JUNK = (b"\xff\xfe", b"\xc0\x80", b"\xed\xa0\x80", b"\x00", b"\x1b[31m", b"\xe2\x80\xae", b"\x85")


def non_utf8(rng: random.Random, lines: Lines) -> Lines:
    if lines:
        i = _pick(rng, lines)
        at = rng.randrange(len(lines[i]) + 1)
        lines[i] = lines[i][:at] + rng.choice(JUNK) + lines[i][at:]
    return lines


def deep_nesting(rng: random.Random, lines: Lines) -> Lines:
    depth = rng.choice((10, 200, 3000))
    name = rng.choice((b"VCALENDAR", b"VEVENT", b"VALARM"))
    return [b"BEGIN:%s\r\n" % name] * depth + lines + [b"END:%s\r\n" % name] * depth


def long_line(rng: random.Random, lines: Lines) -> Lines:
    size = rng.choice((10_000, 200_000, 1_000_000))
    line = rng.choice((b"SUMMARY:", b"DESCRIPTION:", b"X-LONG;", b"")) + b"a" * size + b"\r\n"
    lines.insert(_pick(rng, lines), line)
    return lines


def line_endings(rng: random.Random, lines: Lines) -> Lines:
    data = b"".join(lines)
    data = data.replace(b"\r\n", rng.choice((b"\n", b"\r", b"\r\n ", b"\r\r\n")))
    return _split(data)


def bad_values(rng: random.Random, lines: Lines) -> Lines:
    value = rng.choice(
        (
            b"DTSTART;VALUE=DATE:20261201T080000",
            b"DTSTART;VALUE=PERIOD:20261201T080000Z/PT1H",
            b"DTSTART:",
            b"DTEND:20261130T250000",
            b"RECURRENCE-ID:20261201T080000Z",
            b"UID:",
            b"DTSTART;TZID=Europe/London:20270328T013000",
            b"CATEGORIES:" + b",".join([b"x"] * 10_000),
            b"BEGIN:VEVENT",
        )
    )
    lines.insert(_pick(rng, lines), value + b"\r\n")
    return lines


def copy_event(rng: random.Random, lines: Lines) -> Lines:
    begins = [i for i, line in enumerate(lines) if line.startswith(b"BEGIN:VEVENT")]
    if begins:
        i = rng.choice(begins)
        j = next((k for k in range(i, len(lines)) if lines[k].startswith(b"END:VEVENT")), i)
        lines[j + 1 : j + 1] = lines[i : j + 1] * rng.choice((1, 100))
    return lines


MUTATIONS: tuple[Mutation, ...] = (
    delete_line,
    duplicate_line,
    swap_lines,
    truncate,
    flip_begin_end,
    huge_numbers,
    huge_duration,
    edge_years,
    rrule_bomb,
    bad_tzid,
    non_utf8,
    deep_nesting,
    long_line,
    line_endings,
    bad_values,
    copy_event,
)


def _split(data: bytes) -> Lines:
    return data.splitlines(keepends=True)


def mutate(data: bytes, rng: random.Random, count: int) -> tuple[bytes, list[str]]:
    """`data` with `count` random mutations; their names, for the failure message. A mutation
    that would take the case past MAX_CASE_BYTES is left out (a 200 MB file is slow, not
    broken)."""
    lines, names = _split(data), []
    for _ in range(count):
        mutation = rng.choice(MUTATIONS)
        changed = mutation(rng, list(lines))
        if sum(map(len, changed)) <= MAX_CASE_BYTES:
            lines = changed
            names.append(mutation.__name__)
    return b"".join(lines), names


# --- running one case --------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    fixture: Path
    seed: int
    data: bytes
    mutations: tuple[str, ...]


def plan_day(data: bytes) -> str:
    """A plan week where the fixture has events (the median VEVENT start), as --from."""
    days = sorted(
        f"{y.decode()}-{m.decode()}-{d.decode()}"
        for y, m, d in DTSTART.findall(data)
        if b"1990" <= y <= b"2100" and b"01" <= m <= b"12" and b"01" <= d <= b"28"
    )
    return days[len(days) // 2] if days else "2026-11-30"


def failures(case: Case, path: Path, config: Path) -> list[str]:
    """What went wrong running the case through each command (empty: nothing)."""
    path.write_bytes(case.data)
    day = plan_day(case.fixture.read_bytes())
    runner = CliRunner()
    found = []
    for command in COMMANDS:
        args = ["--now", f"{day}T05:00", command[0], "-c", str(config), str(path)]
        args += ["--from", day, "--weeks", "2", *command[1:]]
        where = f"{case.fixture.name} seed {case.seed} {case.mutations} `{' '.join(command)}`"
        try:
            with warnings.catch_warnings(), hang_guard(CASE_SECONDS):
                warnings.simplefilter("ignore")  # as a user's run: a warning is no crash
                result = runner.invoke(cli, args, env=ENV)
        except Hang:
            found.append(f"{where}: still running after {CASE_SECONDS} s")
            break  # the other commands would hang the same way
        output = result.stdout + result.stderr
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            why = f"{type(result.exception).__name__}: {result.exception}"
            found.append(f"{where}: {why[:300]}")
        elif result.exit_code not in ALLOWED:
            found.append(f"{where}: exit {result.exit_code}: {result.stderr.strip()[:300]}")
        elif "Traceback" in output or "internal error" in output:
            found.append(f"{where}: {output.strip()[-300:]}")
    return found


def seeded_cases() -> Iterator[Case]:
    """Every fixture as it is (the fuzz_*.ics reproducers too), then SEEDS damaged ones."""
    for fixture in FIXTURES:
        yield Case(fixture, -1, fixture.read_bytes(), ())
    for seed in range(SEEDS):
        rng = random.Random(seed)
        fixture = MUTABLE[seed % len(MUTABLE)]
        data, names = mutate(fixture.read_bytes(), rng, rng.randint(1, 4))
        yield Case(fixture, seed, data, tuple(names))


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text('timezone = "Europe/London"\n')
    return path


def test_the_fixture_calendars_are_there() -> None:
    assert len(MUTABLE) >= 15  # the mutator below has something to damage


def test_damaged_fixture_calendars_never_crash_or_hang(tmp_path: Path, config_file: Path) -> None:
    path = tmp_path / "damaged.ics"
    found: list[str] = []
    failing = 0
    for case in seeded_cases():
        more = failures(case, path, config_file)
        found += more
        failing += bool(more)
        if failing >= MAX_FAILING_CASES:
            found.append(f"(stopped after {failing} failing cases)")
            break
    assert not found, f"{len(found)} failures:\n" + "\n".join(found[:40])


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    fixture=st.sampled_from(MUTABLE),
    plan_=st.lists(
        st.tuples(st.sampled_from(MUTATIONS), st.integers(0, 2**32 - 1)), min_size=1, max_size=5
    ),
)
def test_hypothesis_mutations_never_crash_or_hang(
    tmp_path: Path, config_file: Path, fixture: Path, plan_: list[tuple[Mutation, int]]
) -> None:
    lines = _split(fixture.read_bytes())
    for mutation, seed in plan_:
        lines = mutation(random.Random(seed), lines)
    case = Case(fixture, -1, b"".join(lines), tuple(m.__name__ for m, _ in plan_))
    found = failures(case, tmp_path / "drawn.ics", config_file)
    assert not found, "\n".join(found)
