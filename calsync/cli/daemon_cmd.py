"""`calsync daemon`: sync every few minutes as a service (systemd, or a terminal)."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from calsync.cli.context import AppContext
from calsync.cli.options import account_option
from calsync.cli.options import config_option
from calsync.cli.serve_cmd import clock_for
from calsync.cli.serve_cmd import log_info
from calsync.config import Config

if TYPE_CHECKING:
    from calsync.adapters.feed_server import FeedServer
    from calsync.daemon import Clock
    from calsync.daemon import ConfigHolder
    from calsync.daemon import Controls

log = logging.getLogger(__name__)

DAEMON_HELP = """
Syncs every configured account (or only --account NAME), each on its own schedule: a full sync
every [daemon] interval_minutes, and in between a cheap poll every [daemon] poll_seconds (one
sync-collection REPORT per calendar) that syncs only when something changed. Temporary failures
(server down, conflicts, a lock) are retried with exponential backoff and jitter up to [daemon]
max_backoff_minutes, for that account alone. Config, auth and safety-stop errors (78, 77, 3)
stop that account until SIGHUP, and the others go on; with one account the daemon exits with
that code (the systemd units do not restart on those). SIGTERM finishes the sync in flight and
exits 0; SIGHUP reloads the configuration (a broken new one is logged and the old one kept;
added accounts start, removed ones stop); SIGUSR1 (`calsync nudge`) polls every account now.
Under systemd Type=notify it reports READY=1, STATUS= and WATCHDOG=1 on $NOTIFY_SOCKET.
"""


@click.command("daemon", epilog=DAEMON_HELP)
@config_option
@account_option
@click.option(
    "--feed",
    "with_feed",
    is_flag=True,
    help="Also serve the ICS feed and week page ([feed] host and port) from this process.",
)
@click.pass_context
def command(ctx: click.Context, account: str | None, with_feed: bool) -> None:
    """Sync every CalDAV account (or --account NAME) until stopped."""
    from calsync import daemon
    from calsync import daemon_accounts as accounts
    from calsync.adapters.state import default_state_dir

    app: AppContext = ctx.obj
    log_info(app)
    config = app.config()
    if account is not None or with_feed or len(config.accounts) <= 1:
        config.account(account)  # no or an unknown account: exit 78 before anything starts
    clock = clock_for(ctx, app)
    holder = daemon.ConfigHolder(config, app.reload_config)
    controls = daemon.Controls()
    notifier = daemon.Notifier(app.env)
    scheduler = accounts.Scheduler(*_steps(app), clock, only=account)
    folder = default_state_dir(app.env, config.sync.state_dir)
    wake = controls.wake_event()
    with (
        daemon.signal_handlers(controls),
        accounts.nudge_handler(wake) as nudged,
        accounts.pid_file(folder, account),
    ):
        server = _start_feed(app, config, account, clock, holder, controls) if with_feed else None
        try:
            accounts.run_accounts(
                holder,
                scheduler,
                controls,
                notifier,
                wake=wake,
                nudged=nudged,
                on_reload=server[1].set if server else None,
            )
        finally:
            controls.request_stop()
            if server is not None:
                server[0].stop()


def _steps(
    app: AppContext,
) -> tuple[Callable[[Config, str, dt.datetime], object], Callable[[Config, str], object]]:
    """The daemon's two steps for one account: a full sync, and the cheap poll."""

    def sync(current: Config, name: str, now: dt.datetime) -> object:
        from calsync.app.sync import sync_once

        return sync_once(current, name, now, env=app.env)

    def poll(current: Config, name: str) -> object:
        from calsync.app.poll import changed_since

        return changed_since(current, name, env=app.env)

    return sync, poll


def _start_feed(
    app: AppContext,
    config: Config,
    account: str | None,
    clock: Clock,
    holder: ConfigHolder,
    controls: Controls,
) -> tuple[FeedServer, threading.Event]:
    """Bind the feed server, render once (a failure only delays the feed), start both."""
    from calsync import daemon
    from calsync.adapters.feed_server import FeedServer
    from calsync.adapters.feed_server import FeedState
    from calsync.app.feed import FeedPublisher
    from calsync.app.feed import FeedSource
    from calsync.errors import CalsyncError

    state = FeedState()
    source = FeedSource((), config.account(account).name, app.env)
    publisher = FeedPublisher(state, source, clock)
    server = FeedServer(state, config.feed.host, config.feed.port, clock)
    publisher.host, publisher.port = config.feed.host, server.port
    try:
        publisher.refresh(config)
    except CalsyncError as err:
        log.warning("feed not ready yet (503 until the next replan): %s", err.message)
    server.start()
    wake = controls.wake_event()
    daemon.start_feed_thread(publisher, holder, controls, wake)
    return server, wake
