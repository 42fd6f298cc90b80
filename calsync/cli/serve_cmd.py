"""`calsync serve`, `calsync feed-url` and `calsync export`: the subscribable ICS feed."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from calsync.cli.context import AppContext
from calsync.cli.options import account_option
from calsync.cli.options import config_option
from calsync.cli.options import sources_argument

if TYPE_CHECKING:
    from calsync.daemon import Clock

log = logging.getLogger(__name__)

GOOGLE_URL_LIMIT = 256  # Google Calendar silently fails on longer subscription URLs

SERVE_HELP = """
SOURCE is what `calsync plan` reads: .ics files, folders, http(s) feed URLs; with none, the
config's `sources`, else its CalDAV account. The feed is at a secret URL (`calsync feed-url`
prints it) and is replanned every [daemon] interval_minutes, and at once on SIGHUP. A second
feed, the busy feed, serves the same blocks as "Busy" with a buffer (for a work calendar) at
its own secret URL.
"""

FEED_URL_HELP = """
Two secret tokens: the training feed's (which also opens the week page) and the busy feed's.
--regenerate replaces the training feed's token, --regenerate --busy the busy feed's: the
other feed's subscriptions keep working.
"""


def clock_for(ctx: click.Context, app: AppContext) -> Clock:
    """The real clock, or one stuck at the global --now (what-if runs and tests)."""
    from calsync import daemon

    if ctx.find_root().params.get("now") is not None:
        return daemon.fixed_clock(app.now)
    return daemon.real_clock


def log_info(app: AppContext) -> None:
    """A service logs one line per event at INFO, even without -v."""
    if app.verbose == 0:
        logging.getLogger("calsync").setLevel(logging.INFO)


@click.command("serve", epilog=SERVE_HELP)
@config_option
@account_option
@click.option("--host", metavar="HOST", help="Address to bind. Default: [feed] host (127.0.0.1).")
@click.option(
    "--port", type=click.IntRange(0, 65535), help="Port to bind. Default: [feed] port (8765)."
)
@sources_argument
@click.pass_context
def command(
    ctx: click.Context,
    sources: tuple[str, ...],
    account: str | None,
    host: str | None,
    port: int | None,
) -> None:
    """Serve the strength blocks as an ICS feed (and a week page) at a secret URL."""
    from calsync import daemon
    from calsync.adapters.feed_server import FeedServer
    from calsync.adapters.feed_server import FeedState
    from calsync.app.feed import FeedPublisher
    from calsync.app.feed import FeedSource

    app: AppContext = ctx.obj
    log_info(app)
    config = app.config()
    clock = clock_for(ctx, app)
    state = FeedState()
    publisher = FeedPublisher(state, FeedSource(sources, account, app.env), clock)
    bind_host = host or config.feed.host
    server = FeedServer(state, bind_host, config.feed.port if port is None else port, clock)
    controls = daemon.Controls()
    try:
        publisher.host, publisher.port = bind_host, server.port
        with daemon.signal_handlers(controls):
            publisher.refresh(config)  # the first plan: a bad source or config exits here
            server.start()
            notifier = daemon.Notifier(app.env)
            notifier.send("READY=1", f"STATUS=serving on port {server.port}")
            holder = daemon.ConfigHolder(config, app.reload_config)
            daemon.run_feed_loop(publisher, holder, controls, notifier, reload_config=True)
            notifier.send("STOPPING=1")
    finally:
        server.stop()


@click.command("feed-url", epilog=FEED_URL_HELP)
@config_option
@click.option("--regenerate", is_flag=True, help="Make a new token: every old link stops working.")
@click.option(
    "--busy", "busy_only", is_flag=True, help="With --regenerate: the busy feed's token instead."
)
@click.option("--host", metavar="HOST", help="Host for the links. Default: [feed] host.")
@click.option("--port", type=click.IntRange(1, 65535), help="Port for the links.")
@click.pass_obj
def feed_url(
    app: AppContext, regenerate: bool, busy_only: bool, host: str | None, port: int | None
) -> None:
    """Print the secret links: the feed (http(s), webcal, Google), the week page, the busy feed."""
    from calsync.adapters.feed_token import load_token
    from calsync.adapters.feed_token import regenerate_token
    from calsync.adapters.feed_token import state_dir
    from calsync.app.feed import feed_links

    config = app.config()
    directory = state_dir(config, app.env)
    if busy_only and not regenerate:
        raise click.UsageError("--busy goes with --regenerate (the busy link is always printed)")
    token = regenerate_token(directory) if regenerate and not busy_only else load_token(directory)
    busy = load_token(directory, busy=True)
    if regenerate and busy_only:
        busy = regenerate_token(directory, busy=True)
    where = (host or config.feed.host, port or config.feed.port)
    links, page = feed_links(config, token, *where, busy)
    app.out(f"feed:   {links.feed}")
    app.out(f"webcal: {links.webcal}")
    app.out(f"google: {links.google}")
    app.out(f"page:   {page}")
    app.out(f"busy:   {links.busy}")
    if len(links.webcal) > GOOGLE_URL_LIMIT:
        app.err(
            f"calsync: warning: the link is {len(links.webcal)} characters; Google Calendar "
            f"fails on more than {GOOGLE_URL_LIMIT}: use a shorter [feed] public_url"
        )
    if config.feed.public_url is None:
        app.err(
            "calsync: note: Google and iCloud fetch feeds from their own servers: put "
            "`calsync serve` behind a public https reverse proxy and set [feed] public_url"
        )
    if regenerate:
        app.err(
            "calsync: new token stored; a running `calsync serve` switches to it at its next "
            "replan, or at once on SIGHUP (systemctl reload calsync-feed)"
        )


@click.command("export")
@config_option
@account_option
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="File to write (atomically replaced), or - for stdout.",
)
@click.option("--busy", is_flag=True, help="Write the busy feed instead of the training feed.")
@sources_argument
@click.pass_context
def export(
    ctx: click.Context, sources: tuple[str, ...], account: str | None, output: str, busy: bool
) -> None:
    """Write the feed (or the busy feed) to a file for static hosting: the same bytes
    `calsync serve` serves."""
    from calsync.adapters.feed_server import FeedState
    from calsync.adapters.feed_token import write_atomic
    from calsync.app.feed import FeedPublisher
    from calsync.app.feed import FeedSource

    app: AppContext = ctx.obj
    config = app.config()
    clock = clock_for(ctx, app)
    source = FeedSource(sources, account, app.env)
    outcome = FeedPublisher(FeedState(), source, clock).render(config)
    build = outcome.busy if busy and outcome.busy is not None else outcome.build
    body = build.document.identity.body
    if output == "-":
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
        return
    try:
        write_atomic(Path(output), body)
    except OSError as exc:
        from calsync.errors import SourceNotFoundError

        why = exc.strerror or type(exc).__name__
        raise SourceNotFoundError(f"writing {output}: {why}") from exc
    n = len(build.served)
    what = "busy block" if busy else "strength block"
    app.err(f"calsync: wrote {n} {what}{'s' if n != 1 else ''} to {output}")
