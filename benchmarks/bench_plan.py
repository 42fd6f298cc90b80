"""Benchmark: `calsync plan` end to end against the bare cost of the libraries, same run.

Reports time and peak memory as numbers and ratios (targets from the core issue):
  1. a dense year (~5,000 occurrences): `calsync plan --weeks 52` <= 1.2x bare parse+expand;
  2. a ten-year export (~20,000 events): `calsync plan --weeks 4` <= 0.25x bare parse+expand
     of the whole file (the cost must follow the window, not the history);
  3. `calsync --help` <= 3x a bare `python -c pass`.
Every figure is the median of --repeat runs of a fresh process (process start included on
both sides). Usage: python benchmarks/bench_plan.py [--repeat 5] [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from gen_calendar import generate  # noqa: E402

PYTHON = sys.executable
CALSYNC = [PYTHON, "-m", "calsync"]
NOW = "2026-01-05T00:00:00+00:00"

BARE = """
import sys, datetime as dt, icalendar, recurring_ical_events
data = open(sys.argv[1], 'rb').read()
cal = icalendar.Calendar.from_ical(data)
start = dt.datetime.fromisoformat(sys.argv[2]); end = dt.datetime.fromisoformat(sys.argv[3])
n = sum(1 for _ in recurring_ical_events.of(cal, skip_bad_series=True).between(start, end))
print(n)
"""

MEASURE = """
import resource, subprocess, sys, time
t = time.perf_counter()
out = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
elapsed = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stderr.write(out.stderr.decode(errors='replace')[-2000:])
print(elapsed, rss, out.returncode, len(out.stdout))
"""


def measure(cmd: list[str], env: dict[str, str], repeat: int) -> tuple[float, float, int]:
    """Median seconds, peak RSS (MiB) and output size of `cmd` run `repeat` times."""
    times, peaks, size = [], [], 0
    for _ in range(repeat):
        done = subprocess.run(
            [PYTHON, "-c", MEASURE, *cmd], capture_output=True, text=True, env=env, timeout=600
        )
        seconds, rss, code, size = done.stdout.split()
        if int(code) != 0:
            raise SystemExit(f"failed ({code}): {' '.join(cmd)}\n{done.stderr}")
        times.append(float(seconds))
        peaks.append(int(rss) / 1024)
    return statistics.median(times), max(peaks), int(size)


def row(name: str, secs: float, mib: float, base: tuple[float, float] | None = None) -> str:
    ratio = f"{secs / base[0]:6.2f}x time {mib / base[1]:5.2f}x mem" if base else ""
    return f"  {name:<44} {secs:8.3f} s {mib:8.1f} MiB  {ratio}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="smaller calendars, 3 repeats")
    args = parser.parse_args()
    repeat = 3 if args.quick else args.repeat
    env = dict(os.environ)
    work = Path(tempfile.mkdtemp(prefix="calsync-bench-"))
    env["XDG_CONFIG_HOME"] = str(work / "config")  # no user config
    env["TZ"] = "Europe/London"
    results: list[str] = []

    dense = work / "dense_year.ics"
    dense.write_bytes(generate(1_500 if args.quick else 5_000, 1.0, seed=1, start_year=2026))
    history = work / "ten_years.ics"
    history.write_bytes(generate(5_000 if args.quick else 20_000, 10.0, seed=2, start_year=2017))

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, median of {repeat} runs")
    # 1. dense year, 52 weeks
    span = ("2025-12-28T00:00:00+00:00", "2027-01-05T00:00:00+00:00")
    bare = measure([PYTHON, "-c", BARE, str(dense), *span], env, repeat)
    occ = subprocess.run(
        [PYTHON, "-c", BARE, str(dense), *span], capture_output=True, text=True, env=env
    ).stdout.strip()
    plan = measure(
        [
            *CALSYNC,
            "--now",
            NOW,
            "plan",
            str(dense),
            "--from",
            "2026-01-05",
            "--weeks",
            "52",
            "--format",
            "json",
        ],
        env,
        repeat,
    )
    print(f"\n1. dense year: {dense.stat().st_size >> 10} KiB, {occ} occurrences")
    print(row("bare icalendar parse + expansion", bare[0], bare[1]))
    print(row("calsync plan --weeks 52 (target <= 1.2x)", plan[0], plan[1], bare[:2]))
    results.append(f"dense-year plan/bare = {plan[0] / bare[0]:.2f}x")

    # 2. ten-year history, 4 weeks
    whole = ("2016-01-01T00:00:00+00:00", "2028-01-01T00:00:00+00:00")
    bare2 = measure([PYTHON, "-c", BARE, str(history), *whole], env, repeat)
    plan2 = measure(
        [
            *CALSYNC,
            "--now",
            "2026-03-02T00:00:00+00:00",
            "plan",
            str(history),
            "--from",
            "2026-03-02",
            "--weeks",
            "4",
            "--format",
            "json",
        ],
        env,
        repeat,
    )
    print(f"\n2. ten-year export: {history.stat().st_size >> 10} KiB")
    print(row("bare icalendar parse + expansion (whole)", bare2[0], bare2[1]))
    print(row("calsync plan --weeks 4 (target <= 0.25x)", plan2[0], plan2[1], bare2[:2]))
    results.append(f"ten-year plan/bare = {plan2[0] / bare2[0]:.2f}x")

    # 3. --help
    reps = max(repeat * 4, 10)
    py = measure([PYTHON, "-c", "pass"], env, reps)
    help_ = measure([*CALSYNC, "--help"], env, reps)
    script = Path(PYTHON).with_name("calsync")
    print("\n3. start-up")
    print(row("python -c pass", py[0], py[1]))
    print(row("python -m calsync --help (target <= 3x)", help_[0], help_[1], py[:2]))
    if script.exists():
        help2 = measure([str(script), "--help"], env, reps)
        print(row("calsync --help (console script)", help2[0], help2[1], py[:2]))
        results.append(f"--help/python = {help2[0] / py[0]:.2f}x")
    print("\nsummary: " + "; ".join(results))


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"(benchmark took {time.perf_counter() - t0:.0f} s)")
