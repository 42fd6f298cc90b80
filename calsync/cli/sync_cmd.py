"""`calsync sync`: write the planned strength blocks to the account's CalDAV target calendar."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

import click

from calsync.cli.context import AppContext
from calsync.cli.options import config_option
from calsync.cli.options import format_option
from calsync.cli.options import now_option
from calsync.config import Config
from calsync.errors import CalsyncError
from calsync.errors import ExitCode

if TYPE_CHECKING:
    from calsync.app.sync import SyncAction
    from calsync.app.sync import SyncReport

MAX_WARNINGS = 10  # warning lines shown under the table; JSON has them all

EPILOG = """
Only blocks calsync wrote (marked X-CALSYNC-MANAGED) are ever created, moved or removed; your own
events are never changed. A block you move stays where you put it, a block you delete is not
recreated for that week, and a block whose title or description you edit is left alone.
Exit codes: 0 done, 3 refused by a safety check (see --force), 75 another sync is running or the
calendar changed meanwhile (retry), 77 credentials refused, 78 configuration, 69 server
unreachable. With --all every account is synced (one summary each; a failing account is named
and the others still sync) and the exit code is the worst one, in the order 1, 78, 77, 3, 65,
66, 69, 75, 0.
"""


@click.command(name="sync", epilog=EPILOG)
@config_option
@now_option
@click.option("--account", "account_name", metavar="NAME", help="The account to sync.")
@click.option(
    "--all",
    "all_accounts",
    is_flag=True,
    help="Sync every configured account, one after the other; exit with the worst code.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Show the plan a sync would apply (the same steps, and why); change nothing.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Go ahead although a safety check objects (many removals, a calendar gone empty).",
)
@format_option("table", "json")
@click.pass_obj
def command(
    app: AppContext,
    account_name: str | None,
    all_accounts: bool,
    dry_run: bool,
    force: bool,
    fmt: str,
) -> None:
    """Place, move and remove strength blocks in the target calendar."""
    from calsync.app.sync import sync_once

    config = app.config()
    if fmt == "table" and app.verbose == 0 and sys.stderr.isatty():
        # A person is watching: show what is being read (a first sync can take a while).
        logging.getLogger("calsync.app.sync").setLevel(logging.INFO)
    if all_accounts:
        if account_name is not None:
            raise click.UsageError("--account and --all exclude each other")
        code = _sync_all(app, config, dry_run=dry_run, force=force, fmt=fmt)
        if code:
            raise click.exceptions.Exit(code)
        return
    report = sync_once(config, account_name, app.now, env=app.env, dry_run=dry_run, force=force)
    _show(app, report, config.timezone, fmt)


# `sync --all` exits with the worst of its accounts' codes, in this order (a person must act
# on the first ones; the last ones fix themselves): 1, 78, 77, 3, 65, 66, 69, 75, then 0.
WORST_FIRST = (
    ExitCode.INTERNAL,
    ExitCode.CONFIG,
    ExitCode.AUTH,
    ExitCode.REFUSED,
    ExitCode.DATAERR,
    ExitCode.NOINPUT,
    ExitCode.UNAVAILABLE,
    ExitCode.TEMPFAIL,
)


def worst_code(codes: Iterable[int]) -> int:
    """The code `sync --all` exits with: the first of WORST_FIRST present, else 0."""
    present = set(codes)
    ranked = [c for c in WORST_FIRST if c in present]
    other = sorted(c for c in present if c and c not in WORST_FIRST)
    return int((ranked or other or [0])[0])


def _sync_all(app: AppContext, config: Config, *, dry_run: bool, force: bool, fmt: str) -> int:
    """Every account in turn: a summary each (or its error, naming it); the worst code."""
    from calsync.app.sync import sync_once

    if not config.accounts:
        config.account(None)  # the usual "no [accounts.NAME] table" error
    codes: list[int] = []
    reports: list[dict[str, object]] = []
    for name in sorted(config.accounts):
        try:
            report = sync_once(config, name, app.now, env=app.env, dry_run=dry_run, force=force)
        except CalsyncError as err:
            codes.append(int(err.exit_code))
            app.err(f"calsync: error: account {name!r}: {err.message}")
            reports.append({"account": name, "error": err.message, "exit_code": int(err.exit_code)})
            continue
        codes.append(0)
        if fmt == "json":
            reports.append(report.to_json())
        else:
            _show(app, report, config.timezone, fmt)
    if fmt == "json":
        app.out(json.dumps({"accounts": reports}, indent=2, ensure_ascii=False))
    return worst_code(codes)


def _show(app: AppContext, report: SyncReport, tz: object, fmt: str) -> None:
    if fmt == "json":
        app.out(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        app.out(render_table(report, tz))
        shown = report.warnings[:MAX_WARNINGS]
        for warning in shown:
            app.err(f"calsync: warning: {warning}")
        if len(report.warnings) > len(shown):
            more = len(report.warnings) - len(shown)
            app.err(f"calsync: warning: … and {more} more (--format json lists them all)")


def render_table(report: SyncReport, tz: object, width: int | None = None) -> str:
    """The one-screen summary: counts, then week by week one line per change (blocks that
    stay as planned share one line); lines are cut to `width` (default: the terminal's)."""
    import datetime as dt
    import shutil

    width = width or max(60, shutil.get_terminal_size((100, 24)).columns)

    zone = tz if isinstance(tz, dt.tzinfo) else dt.UTC
    counts = report.counts()
    head = "dry run, nothing written: " if report.dry_run else ""
    labels = (
        ("create", "created", "to create"),
        ("move", "moved", "to move"),
        ("update", "updated", "to update"),
        ("remove", "removed", "to remove"),
        ("keep", "kept", "kept"),
        ("skip", "skipped", "skipped"),
    )
    summary = (
        ", ".join(
            f"{counts[key]} {future if report.dry_run else past}"
            for key, past, future in labels
            if counts[key]
        )
        or "no blocks"
    )
    lines = [
        f"account {report.account!r} → calendar {report.target!r}, "
        f"{report.first_day:%d %b} – {report.last_day:%d %b %Y}",
        f"{head}{summary}; {report.requests} requests",
    ]
    weeks = {w.week: w for w in report.weeks}
    by_week: dict[str, list[SyncAction]] = {}
    for action in report.actions:
        by_week.setdefault(action.week, []).append(action)
    for week in sorted(set(weeks) | set(by_week)):
        info = weeks.get(week)
        placed = f" ({info.placed} of {info.wanted} sessions)" if info else ""
        lines.append(f"{week}{placed}")
        if info:
            lines += [_fit(f"  note: {w}", width) for w in info.warnings]
        plain = [a for a in by_week.get(week, []) if a.kind == "keep" and not a.fixed]
        if plain:  # blocks that stay as planned: one line for the week
            times = ", ".join(
                f"{a.start.astimezone(zone):%a %d %b %H:%M}" for a in plain if a.start
            )
            lines.append(_fit(f"  {'keep':<7} {times}", width))
        for action in by_week.get(week, []):
            if action in plain:
                continue
            when = action.start or action.old_start
            where = f"{when.astimezone(zone):%a %d %b %H:%M}" if when else "-"
            if action.kind == "move" and action.old_start is not None:
                where = f"{action.old_start.astimezone(zone):%a %d %b %H:%M} → {where}"
            line = f"  {action.kind:<7} {where:<14}  {action.summary}  ({action.reason})"
            lines.append(_fit(line, width))
    if not report.actions and not report.weeks:
        lines.append("  nothing planned in this window")
    return "\n".join(lines)


def _fit(line: str, width: int) -> str:
    """The line, cut with an ellipsis when wider than `width` (the JSON has the full text)."""
    return line if len(line) <= width else line[: width - 1].rstrip() + "…"
