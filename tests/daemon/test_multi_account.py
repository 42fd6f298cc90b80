"""Several accounts in one `calsync sync --all` and one `calsync daemon`, on real servers.

Accounts: "home" on a Radicale that checks passwords (the right one, as a systemd credential
file), "bad" on the same Radicale with a wrong password (401: AuthError, exit 77), and "club"
on Xandikos, added by a SIGHUP. The poll (`calsync.app.poll.changed_since`) is counted in
requests on the real Radicale. Waits count log lines or poll the server, always bounded.
"""

from __future__ import annotations

import datetime as dt
import signal
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import icalendar
import pytest

from calsync.adapters.caldav_store import CaldavStore
from calsync.adapters.credentials import Credentials
from calsync.app.poll import changed_since
from calsync.app.sync import sync_once
from calsync.config import Account
from calsync.config import load_config
from calsync.errors import ExitCode
from tests.daemon.test_daemon_process import LONDON
from tests.daemon.test_daemon_process import RUNS
from tests.daemon.test_daemon_process import WINDOW
from tests.daemon.test_daemon_process import run_ics
from tests.feed import procs
from tests.servers import AuthServer

pytestmark = pytest.mark.server

NOW = dt.datetime.fromisoformat(procs.NOW)

HEAD = """\
timezone = "Europe/London"

[plan]
weeks = 4

[sync]
state_dir = "{state}"

[daemon]
interval_minutes = {interval}
max_backoff_minutes = 0.1
poll_seconds = 10
"""

ACCOUNT = """
[accounts.{name}]
url = "{url}"
{user}runs = ["{runs}"]
target = "{target}"
timeout_seconds = 20
"""


@dataclass
class Server:
    """One account's server as the test sees it: a store to seed and read."""

    account: Account
    credentials: Credentials
    runs: str
    target: str

    def store(self) -> CaldavStore:
        return CaldavStore(self.account, self.credentials)

    def seed(self) -> None:
        with self.store() as store:
            runs = store.ensure(self.runs)
            for uid, (start, end, day, summary) in RUNS.items():
                store.create(runs, uid, run_ics(uid, start, end, day, summary))

    def blocks(self) -> dict[str, dt.datetime]:
        """The strength blocks in the target calendar (UID -> local start); {} if none."""
        with self.store() as store:
            if not any(c.name == self.target for c in store.calendars()):
                return {}
            objects = store.fetch_range(store.find(self.target), *WINDOW)
        out = {}
        for obj in objects:
            for event in icalendar.Calendar.from_ical(obj.data).walk("VEVENT"):
                out[str(event["UID"])] = event.decoded("DTSTART").astimezone(LONDON)
        return out

    def move_thursday_run(self, start: str, end: str) -> None:
        with self.store() as store:
            ref = store.find(self.runs)
            (obj,) = [o for o in store.fetch_range(ref, *WINDOW) if b"thu-easy" in o.data]
            fresh = store.get(obj.href)
            assert fresh is not None
            store.update(fresh, run_ics("thu-easy", start, end, "TH", "Easy run + strides"))


@dataclass
class Multi:
    workdir: Path
    config: Path
    env: dict[str, str]
    home: Server
    bad: Server
    password: str
    interval: float

    def write_config(self, *extra: tuple[str, str, Server]) -> None:
        """home and bad, plus `extra` accounts (name, username line, server)."""
        text = HEAD.format(state=self.workdir / "state", interval=self.interval)
        auth = f'username = "{self.home.account.username}"\n'
        for name, user, server in (("home", auth, self.home), ("bad", auth, self.bad), *extra):
            text += ACCOUNT.format(
                name=name, url=server.account.url, user=user, runs=server.runs, target=server.target
            )
        self.config.write_text(text, encoding="utf-8")

    def cli(self, *args: str) -> procs.subprocess.CompletedProcess[str]:
        return procs.run(
            ["--config", str(self.config), "--now", procs.NOW, *args], self.env, self.workdir
        )

    def daemon(self, name: str) -> procs.Proc:
        args = ["--config", str(self.config), "--now", procs.NOW, "daemon"]
        return procs.start(args, self.env, self.workdir, name)


def make_server(url: str, name: str, user: str | None, password: str | None) -> Server:
    tag = uuid.uuid4().hex[:8]
    account = Account(name=name, url=url, username=user, timeout_seconds=20)
    return Server(
        account, Credentials(username=user, password=password), f"runs-{tag}", f"strength-{tag}"
    )


def multi_setup(radicale_auth: AuthServer, tmp_path: Path, interval: float) -> Multi:
    user, password = radicale_auth.username, radicale_auth.password
    home = make_server(radicale_auth.url, "home", user, password)
    bad = make_server(radicale_auth.url, "bad", user, password)
    home.seed()
    bad.seed()
    creds = tmp_path / "credentials"
    creds.mkdir()
    (creds / "home").write_text(password + "\n", encoding="utf-8")
    (creds / "bad").write_text("not-the-password\n", encoding="utf-8")
    env = procs.clean_env(tmp_path / "home", CREDENTIALS_DIRECTORY=str(creds))
    multi = Multi(tmp_path, tmp_path / "config.toml", env, home, bad, password, interval)
    multi.write_config()
    return multi


@pytest.fixture
def multi(radicale_auth: AuthServer, tmp_path: Path) -> Iterator[Multi]:
    yield multi_setup(radicale_auth, tmp_path, interval=60)


def test_sync_all_syncs_the_good_account_and_exits_with_the_failing_ones_code(multi: Multi):
    done = multi.cli("sync", "--all")
    assert done.returncode == ExitCode.AUTH, done.stderr
    assert "account 'bad'" in done.stderr
    assert "account 'home'" in done.stdout  # its summary
    assert len(multi.home.blocks()) == 8
    assert multi.bad.blocks() == {}
    assert multi.password not in done.stdout + done.stderr


def test_sync_without_all_still_asks_for_an_account(multi: Multi):
    done = multi.cli("sync")
    assert done.returncode == ExitCode.CONFIG
    assert "--account" in done.stderr
    both = multi.cli("sync", "--all", "--account", "home")
    assert both.returncode == ExitCode.USAGE


def test_sync_all_order_puts_auth_before_temporary():
    from calsync.cli.sync_cmd import worst_code

    assert worst_code([0, 75, 77, 69]) == 77
    assert worst_code([0, 75, 69]) == 69
    assert worst_code([3, 77, 78]) == 78
    assert worst_code([0, 0]) == 0


def test_a_no_change_poll_costs_one_request_per_watched_calendar(multi: Multi):
    config = load_config(multi.config, LONDON, env=multi.env)
    env = multi.env
    before = changed_since(config, "home", env=env)
    assert before.changed and before.requests == 0  # no state yet: a sync is due
    sync_once(config, "home", NOW, env=env)
    quiet = changed_since(config, "home", env=env)
    assert not quiet.changed, quiet.why
    assert quiet.requests == 2 == len(quiet.calendars)  # runs + target, one REPORT each
    multi.home.move_thursday_run("20261203T170000", "20261203T175000")
    moved = changed_since(config, "home", env=env)
    assert moved.changed, moved.why
    again = changed_since(config, "home", env=env)
    assert again.changed, "a poll never advances the token: the sync still sees the change"
    report = sync_once(config, "home", NOW, env=env)
    assert report.counts()["move"] == 4
    assert not changed_since(config, "home", env=env).changed


def test_nudge_without_a_daemon_says_so(multi: Multi):
    done = multi.cli("nudge")
    assert done.returncode == ExitCode.UNAVAILABLE
    assert "no running calsync daemon" in done.stderr


def moved_thursdays(server: Server, thursdays: set[str]) -> bool:
    blocks = server.blocks()
    return all(blocks.get(uid, NOW).hour >= 17 for uid in thursdays)


def test_one_daemon_syncs_every_account_and_follows_edits_and_sighup(
    radicale_auth: AuthServer, xandikos_url: str, tmp_path: Path
):
    """home syncs while bad (401) is named and parked; an edit is followed by the next poll
    (interval 60 min, poll 10 s); a SIGHUP that adds club (Xandikos) syncs it; a nudge wakes."""
    multi = multi_setup(radicale_auth, tmp_path, interval=60)
    proc = multi.daemon("daemon")
    try:
        procs.until(lambda: proc.lines("account 'home': sync done") >= 1, "home's first sync")
        procs.until(lambda: proc.lines("account 'bad': stopped until") >= 1, "bad parked")
        assert proc.alive(), proc.stderr()
        first = multi.home.blocks()
        assert len(first) == 8
        thursdays = {uid for uid, s in first.items() if s.strftime("%a") == "Thu"}

        multi.home.move_thursday_run("20261203T170000", "20261203T175000")
        # Followed within the poll interval: 2 x poll_seconds + slack, polling the server.
        procs.until(lambda: moved_thursdays(multi.home, thursdays), "the moved block", 35)
        procs.until(lambda: proc.lines("account 'home': sync done") >= 2, "its sync's log line")
        assert proc.lines("account 'home': sync done") == 2, "one poll-triggered sync"
        assert proc.lines("account 'home': calendar 'runs-") >= 1, "the poll named the change"

        club = make_server(xandikos_url, "club", None, None)
        club.seed()
        multi.write_config(("club", "", club))
        proc.signal(signal.SIGHUP)
        procs.until(lambda: proc.lines("account 'club': sync done") >= 1, "club's first sync")
        assert len(club.blocks()) == 8
        assert proc.lines("account 'bad': stopped until") == 2, "a reload retries bad once"

        nudged = multi.cli("nudge")
        assert nudged.returncode == 0, nudged.stderr
        procs.until(lambda: proc.lines("SIGUSR1: checking every account") >= 1, "the nudge")
    finally:
        code = proc.stop()
    assert code == 0, proc.stderr()
    assert "Traceback" not in proc.stderr()
    assert multi.password not in proc.stderr() + proc.stdout()
