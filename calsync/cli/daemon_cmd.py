"""`calsync daemon`: sync every few minutes as a service (systemd, or a terminal)."""

from __future__ import annotations

import datetime as dt
import logging
import threading
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
Syncs every [daemon] interval_minutes. Temporary failures (server down, conflicts, a lock)
are retried with exponential backoff and jitter up to [daemon] max_backoff_minutes. Config,
auth and safety-stop errors exit with their code (78, 77, 3): the systemd units do not restart
on those. SIGTERM finishes the sync in flight and exits 0; SIGHUP reloads the configuration
(a broken new one is logged and the old one kept). Under systemd Type=notify it reports
READY=1, STATUS= and WATCHDOG=1 on $NOTIFY_SOCKET.
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
    """Sync the CalDAV account every few minutes until stopped."""
    from calsync import daemon

    app: AppContext = ctx.obj
    log_info(app)
    config = app.config()
    config.account(account)  # no or an ambiguous account: exit 78 before anything starts
    clock = clock_for(ctx, app)
    holder = daemon.ConfigHolder(config, app.reload_config)
    controls = daemon.Controls()
    notifier = daemon.Notifier(app.env)

    def tick(current: Config, now: dt.datetime) -> object:
        from calsync.app.sync import sync_once

        return sync_once(current, current.account(account).name, now, env=app.env)

    with daemon.signal_handlers(controls):
        server = _start_feed(app, config, account, clock, holder, controls) if with_feed else None
        try:
            daemon.run_daemon(
                holder,
                tick,
                clock,
                controls,
                notifier,
                on_reload=server[1].set if server else None,
            )
        finally:
            controls.request_stop()
            if server is not None:
                server[0].stop()


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
    from calsync.errors import CalsyncError

    state = FeedState()
    source = daemon.FeedSource((), config.account(account).name, app.env)
    publisher = daemon.FeedPublisher(state, source, clock)
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
