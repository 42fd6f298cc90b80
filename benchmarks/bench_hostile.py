"""Benchmark: what a hostile server gets out of calsync with the DEFAULT limits (loopback only).

Starts Radicale on 127.0.0.1 with a runs calendar, puts tests/hostile_server.py in front of it
(it forwards everything but the REPORT it spoils), and runs `calsync sync` / `calsync plan URL`
as subprocesses with no limit configured, reporting exit code, seconds and the child's peak RSS
(ru_maxrss of a fresh wrapper's children):

  sync endless   a REPORT answer that never ends (the server stops after 1 GiB or 60 s)
  feed endless   the same for an ICS feed
  sync drip      a REPORT answer at 1 byte/s: how long calsync lets it run
  feed drip      the same for an ICS feed

`--tree DIR` runs another checkout's calsync (e.g. an older commit, for a before/after);
`--no-drip` skips the two drip cases (about a minute each).
Usage: python benchmarks/bench_hostile.py [--no-drip] [--tree DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from calsync.adapters.caldav_store import CaldavStore  # noqa: E402
from calsync.adapters.caldav_store import CalendarRef  # noqa: E402
from calsync.adapters.credentials import Credentials  # noqa: E402
from calsync.config import Account  # noqa: E402
from tests.hostile_server import HostileServer  # noqa: E402
from tests.servers import DavServer  # noqa: E402
from tests.servers import RadicaleServer  # noqa: E402
from tests.sync.conftest import CANONICAL  # noqa: E402
from tests.sync.conftest import ics  # noqa: E402

NOW = "2026-11-30T06:00"
LIMIT_SECONDS = 900  # any one case that runs longer is reported as a hang
_PEAK = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "print('peak-rss-kib', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,"
    " file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def run_calsync(tree: Path, tmp: Path, *args: str) -> tuple[int, float, float, str]:
    """Exit code, seconds, peak RSS in MiB, and the first error line."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp),
        "XDG_CONFIG_HOME": str(tmp / "no-config"),
        "PYTHONPATH": str(tree),
        "CALSYNC_BENCH_PW": "x",
    }
    argv = [sys.executable, "-c", _PEAK, sys.executable, "-m", "calsync", *args]
    start = time.monotonic()
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, env=env, cwd=tree, timeout=LIMIT_SECONDS
        )
    except subprocess.TimeoutExpired:
        return -1, time.monotonic() - start, 0.0, "hang: killed"
    seconds = time.monotonic() - start
    lines = done.stderr.splitlines()
    peak = [int(line.split()[1]) / 1024 for line in lines if line.startswith("peak-rss-kib ")]
    said = [line for line in lines if not line.startswith("peak-rss-kib ")]
    return done.returncode, seconds, peak[-1] if peak else 0.0, (said or [""])[0][:150]


def runs_calendar(radicale: RadicaleServer) -> str:
    server = DavServer("radicale", radicale.url, "user", "")
    url = server.new_calendar(f"Training {uuid.uuid4().hex[:6]}")
    account = Account(name="setup", url=radicale.url, username="user")
    with CaldavStore(account, Credentials(username="user", password="")) as store:
        for name, (start, minutes, title) in CANONICAL.items():
            store.create(CalendarRef("runs", url), name, ics(name, start, minutes, title))
    server.close()
    return "/" + url.split("/", 3)[3]


def sync_case(tree: Path, tmp: Path, radicale: RadicaleServer, runs: str, mode: str) -> str:
    with HostileServer(mode, upstream=radicale.url, max_bytes=1 << 30, max_seconds=60) as proxy:
        config = tmp / f"{mode}.toml"
        config.write_text(
            'timezone = "Europe/London"\n'
            f'[accounts.home]\nurl = "{proxy.url}"\nusername = "user"\n'
            f'password_env = "CALSYNC_BENCH_PW"\nruns = ["{proxy.url.rstrip("/")}{runs}"]\n'
            f'[sync]\nstate_dir = "{tmp / mode}"\n'
        )
        return report(
            f"sync {mode}", run_calsync(tree, tmp, "-c", str(config), "--now", NOW, "sync")
        )


def feed_case(tree: Path, tmp: Path, mode: str) -> str:
    with HostileServer(mode, max_bytes=1 << 30, max_seconds=120) as server:
        url = f"{server.url}private-secret/basic.ics"
        return report(f"feed {mode}", run_calsync(tree, tmp, "--now", NOW, "plan", url))


def report(name: str, result: tuple[int, float, float, str]) -> str:
    code, seconds, peak, said = result
    return f"{name:14} exit {code:3}  {seconds:6.1f} s  peak RSS {peak:7.1f} MiB  {said}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-drip", action="store_true", help="skip the 1 byte/s cases")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the calsync checkout to run")
    args = parser.parse_args(argv)
    modes = ["endless"] + ([] if args.no_drip else ["drip"])
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        radicale = RadicaleServer(tmp / "radicale").start()
        try:
            runs = runs_calendar(radicale)
            for mode in modes:
                print(sync_case(args.tree, tmp, radicale, runs, mode), flush=True)
                print(feed_case(args.tree, tmp, mode), flush=True)
        finally:
            radicale.stop()


if __name__ == "__main__":
    main()
