"""Benchmark: one daemon for 1, 10, 100 and 1,000 accounts on ONE real Radicale (127.0.0.1).

Radicale runs as its own process (auth none: each account is its own user, `u0`, `u1`, ...), so
the numbers below are the daemon's alone. Each account gets a runs calendar with a week of runs
(written straight into Radicale's storage folder, as bench_sync.py does) and its own target
calendar, created by the first sync. For each size it reports:

  first sync   every account synced once (`sync_once`, in this process): seconds, requests
  poll cycle   one no-change poll of every account (`calsync.app.poll.changed_since`, what the
               idle daemon does every [daemon] poll_seconds): requests (and per watched
               calendar), CPU seconds of this process (resource.getrusage), wall seconds;
               median of --cycles cycles
  full cycle   one no-change full `sync_once` of every account (every interval_minutes):
               CPU and wall seconds
  peak RSS     this process's VmHWM after all of it (MiB); state: the SQLite files' size
  latency      edit-to-moved-block: the daemon's own loop (calsync.daemon_accounts) runs in a
               thread with a poll every --poll seconds; at a random moment a run is PUT over
               HTTP, and the clock stops when the server holds the moved block (checked every
               0.1 s). Median and max over --edits edits. At a poll of P seconds the expected
               latency is about P/2 + one poll cycle's wait + one sync (the max about P + ...):
               the "at 30 s" column computes that from the measured cycle and sync times.

Targets (issue 10): a no-change poll of 1,000 accounts costs 1 request per watched calendar and
under 10 s of CPU on a 2-core machine; edit-to-block latency under 60 s at a 30 s poll.
Usage: python benchmarks/bench_daemon.py [--accounts 1,10,100,1000] [--quick] [--edits 20]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import zoneinfo
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from tests.servers import free_port  # noqa: E402
from tests.servers import wait_until_listening  # noqa: E402

LONDON = zoneinfo.ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 11, 30, 6, tzinfo=LONDON)  # Monday of 2026-W49, before the first run
PASSWORD_ENV = "CALSYNC_BENCH_PW"
# A week of runs: Mon easy, Tue intervals, Thu easy, Sat long (strength: Mon and Thu).
RUNS = {
    "mon-easy": ("20261130T070000", "20261130T074500", "Easy run 8 km"),
    "tue-intervals": ("20261201T183000", "20261201T193000", "Intervals: 6 x 800m"),
    "thu-easy": ("20261203T070000", "20261203T075000", "Easy run + strides"),
    "sat-long": ("20261205T080000", "20261205T100000", "Long run 24 km"),
}
PROPS = {
    "C:supported-calendar-component-set": "VEVENT",
    "D:displayname": "runs",
    "tag": "VCALENDAR",
}


def run_ics(uid: str, start: str, end: str, summary: str) -> bytes:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//calsync bench//EN",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20261101T120000Z",
        f"DTSTART;TZID=Europe/London:{start}",
        f"DTEND;TZID=Europe/London:{end}",
        f"SUMMARY:{summary}",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    return "\r\n".join(lines).encode()


class Radicale:
    """`python -m radicale` in its own process, storage in `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.proc: subprocess.Popen[bytes] | None = None

    def seed(self, users: int) -> None:
        for i in range(users):
            folder = self.root / "collection-root" / f"u{i}" / "runs"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / ".Radicale.props").write_text(json.dumps(PROPS))
            for uid, (start, end, summary) in RUNS.items():
                (folder / f"{uid}.ics").write_bytes(run_ics(uid, start, end, summary))

    def start(self) -> None:
        args = [
            sys.executable, "-m", "radicale",
            "--server-hosts", f"127.0.0.1:{self.port}",
            "--auth-type", "none",
            "--storage-filesystem-folder", str(self.root),
            "--logging-level", "warning",
        ]  # fmt: skip
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until_listening(self.port, 60)

    def cpu_seconds(self) -> float:
        assert self.proc is not None
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)

    def put_run(self, user: int, evening: bool) -> None:
        """The user moves Thursday's easy run (morning <-> evening): one HTTP PUT."""
        start, end = ("20261203T170000", "20261203T175000") if evening else RUNS["thu-easy"][:2]
        body = run_ics("thu-easy", start, end, "Easy run + strides")
        url = f"{self.url}u{user}/runs/thu-easy.ics"
        request = urllib.request.Request(url, data=body, method="PUT")
        request.add_header("Content-Type", "text/calendar; charset=utf-8")
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status in (200, 201, 204), response.status


def write_config(path: Path, url: str, users: int, state: Path) -> None:
    text = (
        f'timezone = "Europe/London"\n[plan]\nweeks = 1\n[sync]\nstate_dir = "{state}"\n'
        "[daemon]\ninterval_minutes = 1440\npoll_seconds = 30\n"
    )
    for i in range(users):
        text += (
            f'[accounts.a{i}]\nurl = "{url}"\nusername = "u{i}"\npassword_env = "{PASSWORD_ENV}"\n'
            'runs = ["runs"]\ntarget = "Strength"\ntimeout_seconds = 60\n'
        )
    path.write_text(text, encoding="utf-8")


def cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def first_sync(config: Any, env: dict[str, str]) -> tuple[float, int, float]:
    from calsync.app.sync import sync_once

    start, requests, syncs = time.perf_counter(), 0, []
    for name in sorted(config.accounts):
        t = time.perf_counter()
        report = sync_once(config, name, NOW, env=env)
        syncs.append(time.perf_counter() - t)
        assert report.counts()["create"] == 2, report.counts()
        requests += report.requests
    return time.perf_counter() - start, requests, statistics.median(syncs)


def poll_cycle(config: Any, env: dict[str, str]) -> tuple[int, int, float, float]:
    """(requests, watched calendars, CPU s, wall s) of one no-change poll of every account."""
    from calsync.app.poll import changed_since

    cpu, wall = cpu_self(), time.perf_counter()
    requests = calendars = 0
    for name in sorted(config.accounts):
        result = changed_since(config, name, env=env)
        assert not result.changed, (name, result.why)
        requests += result.requests
        calendars += len(result.calendars)
    return requests, calendars, cpu_self() - cpu, time.perf_counter() - wall


def full_cycle(config: Any, env: dict[str, str]) -> tuple[float, float]:
    """(CPU s, wall s) of one no-change full `sync_once` of every account (the interval's)."""
    from calsync.app.sync import sync_once

    cpu, wall = cpu_self(), time.perf_counter()
    for name in sorted(config.accounts):
        report = sync_once(config, name, NOW, env=env)
        assert report.writes == 0, report.counts()
    return cpu_self() - cpu, time.perf_counter() - wall


def thursday_hour(config: Any, env: dict[str, str], name: str) -> int | None:
    """The hour of the account's Thursday block on the server (None: not there yet)."""
    import icalendar

    from calsync.adapters.caldav_store import open_store

    with open_store(config.account(name), env) as store:
        cal = store.find("Strength")
        objects = store.fetch_range(cal, NOW, NOW + dt.timedelta(days=7))
    for obj in objects:
        for event in icalendar.Calendar.from_ical(obj.data).walk("VEVENT"):
            start = event.decoded("DTSTART").astimezone(LONDON)
            if start.weekday() == 3:
                return int(start.hour)
    return None


def latency(
    server: Radicale, config: Any, env: dict[str, str], edits: int, poll: float
) -> list[float]:
    """Edit-to-moved-block seconds with the daemon's loop running in a thread."""
    from calsync import daemon
    from calsync.app.poll import changed_since
    from calsync.app.sync import sync_once
    from calsync.daemon_accounts import Scheduler
    from calsync.daemon_accounts import run_accounts

    settings = dataclasses.replace(config.daemon, poll_seconds=poll)  # below the config's 10
    fast = dataclasses.replace(config, daemon=settings)
    holder = daemon.ConfigHolder(fast, lambda: fast)
    controls = daemon.Controls()
    wake = controls.wake_event()

    def sync(cfg: Any, name: str, now: dt.datetime) -> object:
        return sync_once(cfg, name, NOW, env=env)

    def check(cfg: Any, name: str) -> object:
        return changed_since(cfg, name, env=env)

    scheduler = Scheduler(sync, check, lambda: NOW)
    thread = threading.Thread(
        target=run_accounts,
        args=(holder, scheduler, controls, daemon.Notifier({})),
        kwargs={"wake": wake, "nudged": threading.Event()},
        daemon=True,
    )
    thread.start()
    rand = random.Random(10)
    evening: dict[int, bool] = {}
    out = []
    try:
        for _ in range(edits):
            user = rand.randrange(len(config.accounts))
            time.sleep(rand.random() * poll)  # a random moment in the poll cycle
            evening[user] = not evening.get(user, False)
            start = time.perf_counter()
            server.put_run(user, evening[user])
            want = (
                (lambda h: h is not None and h >= 17)
                if evening[user]
                else (lambda h: h is not None and h < 12)
            )
            deadline = start + 600
            while not want(thursday_hour(config, env, f"a{user}")):
                if time.perf_counter() > deadline:
                    raise SystemExit(f"account a{user}: the block did not move in 600 s")
                time.sleep(0.1)
            out.append(time.perf_counter() - start)
    finally:
        controls.request_stop()
        thread.join(timeout=600)
    return out


def bench(users: int, cycles: int, edits: int, poll: float) -> dict[str, Any]:
    from calsync.config import load_config

    with tempfile.TemporaryDirectory(prefix="calsync-bench-daemon-") as tmp:
        root = Path(tmp)
        server = Radicale(root / "collections")
        server.seed(users)
        server.start()
        try:
            path = root / "config.toml"
            write_config(path, server.url, users, root / "state")
            env = {**os.environ, PASSWORD_ENV: "x", "HOME": tmp, "XDG_CONFIG_HOME": tmp}
            config = load_config(path, LONDON, env=env)
            first_s, first_req, sync_s = first_sync(config, env)
            server_cpu = server.cpu_seconds()
            runs = [poll_cycle(config, env) for _ in range(cycles)]
            server_cpu = (server.cpu_seconds() - server_cpu) / cycles
            requests, calendars = runs[-1][0], runs[-1][1]
            cpu = statistics.median(r[2] for r in runs)
            wall = statistics.median(r[3] for r in runs)
            full = full_cycle(config, env)
            state = sum(f.stat().st_size for f in (root / "state").glob("*.sqlite3*"))
            lat = latency(server, config, env, edits, poll) if edits else []
        finally:
            server.stop()
    return {
        "accounts": users,
        "first_sync_s": round(first_s, 2),
        "first_sync_requests": first_req,
        "sync_s_median": round(sync_s, 3),
        "poll_requests": requests,
        "watched_calendars": calendars,
        "poll_cpu_s": round(cpu, 3),
        "poll_wall_s": round(wall, 3),
        "server_cpu_s_per_cycle": round(server_cpu, 3),
        "full_sync_cpu_s": round(full[0], 3),
        "full_sync_wall_s": round(full[1], 3),
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "state_kib_per_account": round(state / 1024 / users, 1),
        "poll_s": poll,
        "latency_median_s": round(statistics.median(lat), 2) if lat else None,
        "latency_max_s": round(max(lat), 2) if lat else None,
        # At a 30 s poll: half a poll on average (a whole one at worst), plus the wait for the
        # poll cycle to reach the account, plus its sync.
        "expected_at_30s_median_s": round(15 + wall / 2 + sync_s, 1),
        "expected_at_30s_max_s": round(30 + wall + sync_s, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", default="1,10,100,1000", help="sizes, comma-separated")
    parser.add_argument("--quick", action="store_true", help="1,10,100 accounts")
    parser.add_argument("--cycles", type=int, default=3, help="no-change poll cycles measured")
    parser.add_argument("--edits", type=int, default=20, help="edits for the latency (0: none)")
    parser.add_argument("--poll", type=float, default=2.0, help="poll seconds for the latency")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    sizes = [1, 10, 100] if args.quick else [int(s) for s in args.accounts.split(",") if s]
    rows = []
    for users in sizes:
        # Each size in a fresh process: peak RSS and imports are then that size's own.
        if len(sizes) > 1:
            cmd = [
                sys.executable,
                __file__,
                "--accounts",
                str(users),
                "--json",
                "--cycles",
                str(args.cycles),
                "--edits",
                str(args.edits),
                "--poll",
                str(args.poll),
            ]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(done.stderr)
            rows.extend(json.loads(done.stdout))
        else:
            rows.append(bench(users, args.cycles, args.edits, args.poll))
        if not args.json:
            print(json.dumps(rows[-1]), file=sys.stderr)
    if args.json:
        print(json.dumps(rows))
        return
    print(table(rows))


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| accounts | first sync s (req) | poll: requests / calendars | poll CPU s | poll wall s "
        "| Radicale CPU s | full no-change sync: CPU / wall s | peak RSS MiB | state KiB/account "
        "| latency @poll s: median / max | expected @30 s |"
    )
    lines = [head, "|" + "---|" * 11]
    for r in rows:
        lat = (
            f"@{r['poll_s']:g}: {r['latency_median_s']} / {r['latency_max_s']}"
            if r["latency_median_s"] is not None
            else "-"
        )
        lines.append(
            f"| {r['accounts']} | {r['first_sync_s']} ({r['first_sync_requests']}) "
            f"| {r['poll_requests']} / {r['watched_calendars']} | {r['poll_cpu_s']} "
            f"| {r['poll_wall_s']} | {r['server_cpu_s_per_cycle']} "
            f"| {r.get('full_sync_cpu_s', '-')} / {r.get('full_sync_wall_s', '-')} "
            f"| {r['peak_rss_mib']} "
            f"| {r.get('state_kib_per_account', '-')} "
            f"| {lat} | {r['expected_at_30s_median_s']} / {r['expected_at_30s_max_s']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
