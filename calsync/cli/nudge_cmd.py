"""`calsync nudge`: ask the running daemon(s) to check every account for changes now."""

from __future__ import annotations

import click

from calsync.cli.context import AppContext
from calsync.cli.options import config_option
from calsync.errors import NoDaemonError

EPILOG = """
Sends SIGUSR1 to each `calsync daemon` whose pid file is in the state folder ([sync]
state_dir); each then polls every account at once and syncs those that changed. Meant for a
CalDAV server's change hook (Radicale's [storage] hook: see docs/service.md). Exit 69 when no
daemon runs.
"""


@click.command("nudge", epilog=EPILOG)
@config_option
@click.pass_obj
def command(app: AppContext) -> None:
    """Make the running daemon check for changes now."""
    from calsync.adapters.state import default_state_dir
    from calsync.daemon_accounts import nudge_daemons

    folder = default_state_dir(app.env, app.config().sync.state_dir)
    sent = nudge_daemons(folder)
    if not sent:
        raise NoDaemonError(
            f"no running calsync daemon has a pid file in {folder}",
            hint="start `calsync daemon`, or check [sync] state_dir",
        )
    app.err(f"calsync: nudged {len(sent)} daemon(s): pid {', '.join(map(str, sent))}")
