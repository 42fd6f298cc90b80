"""`calsync plan`, `calsync classify` and `calsync check-config`."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import click

from calsync.cli.context import AppContext
from calsync.cli.options import config_option
from calsync.cli.options import format_option
from calsync.cli.options import shared_plan_options

if TYPE_CHECKING:
    from calsync.app.planning import PlanOutcome
    from calsync.config import Config

SOURCES_HELP = """
SOURCE is an .ics file, a folder of .ics files (a vdir, as vdirsyncer and Radicale store
them), or an http(s)/webcal URL of an ICS feed. With no SOURCE, calsync reads the config's
`sources`, else its CalDAV account, else the bundled example calendar.
"""


@click.command(epilog=SOURCES_HELP)
@shared_plan_options
@format_option("table", "json", "ics")
@click.option(
    "--explain",
    is_flag=True,
    help="Show why each run got its kind, a verdict for every day, and each session in full.",
)
@click.option("--sessions", is_flag=True, help="Show each block's whole session text.")
@click.pass_obj
def plan(
    app: AppContext,
    sources: tuple[str, ...],
    from_day: dt.date | None,
    weeks: int | None,
    account: str | None,
    fmt: str,
    explain: bool,
    sessions: bool,
) -> None:
    """Plan strength blocks around the runs, week by week, and say why."""
    from calsync.cli import render

    outcome, config = _plan(app, sources, from_day, weeks, account)
    if fmt == "json":
        app.out(render.plan_json(outcome))
    elif fmt == "ics":
        click.echo(render.plan_ics(outcome, config, app.now), nl=False)
    else:
        app.out(render.plan_table(outcome, config, explain=explain, sessions=sessions))
    _report_problems(app, outcome)


@click.command(epilog=SOURCES_HELP)
@shared_plan_options
@format_option("table", "json")
@click.option("--explain", is_flag=True, help="Show the reason column in the table.")
@click.pass_obj
def classify(
    app: AppContext,
    sources: tuple[str, ...],
    from_day: dt.date | None,
    weeks: int | None,
    account: str | None,
    fmt: str,
    explain: bool,
) -> None:
    """Show each occurrence's kind (easy, interval, long, strength, other) and why."""
    from calsync.cli import render

    outcome, config = _plan(app, sources, from_day, weeks, account)
    if fmt == "json":
        app.out(render.classify_json(outcome))
    else:
        app.out(render.classify_table(outcome, config, explain=explain))
    _report_problems(app, outcome)


@click.command("check-config")
@config_option
@click.pass_obj
def check_config(app: AppContext) -> None:
    """Validate the configuration file and say what it holds."""
    config = app.config()
    rules = config.rules
    accounts = ", ".join(sorted(config.accounts)) or "none"
    app.out(f"{config.source}: OK")
    app.out(f"  timezone {config.timezone.key}; {config.weeks} weeks planned")
    app.out(
        f"  {rules.sessions_per_week} x {rules.duration_minutes} min strength a week on "
        f"{' or '.join(sorted(rules.allowed_on))} days; day before intervals: "
        f"{rules.day_before_interval}"
    )
    app.out(f"  accounts: {accounts}")


def _plan(
    app: AppContext,
    sources: tuple[str, ...],
    from_day: dt.date | None,
    weeks: int | None,
    account: str | None,
) -> tuple[PlanOutcome, Config]:
    from calsync.app import planning

    home = planning.home_zone(app.config(), sources, account)
    config = home.config
    today = app.now.astimezone(config.timezone).date()
    window = planning.plan_window(config, from_day or today, weeks or config.weeks)
    outcome = planning.plan_sources(
        sources, config, window, app.now, account=account, env=app.env, feeds=home.feeds
    )
    if home.message:  # after the read: a missing file's error stays the first line
        app.err(home.message)
    if planning.EXAMPLE in sources or (not sources and "bundled" in " ".join(outcome.sources)):
        app.err(
            "calsync: note: no SOURCE given and none configured: using the bundled example "
            "calendar (give a file, folder or URL, or set `sources` in the config)"
        )
    return outcome, config


def _report_problems(app: AppContext, outcome: PlanOutcome) -> None:
    from calsync.core.classify import unread_warnings  # events that look like training

    for line in unread_warnings(outcome.classified):
        app.err(f"calsync: warning: {line}")
    for problem in outcome.problems:
        app.err(f"calsync: warning: {problem}")
    skipped = [p for p in outcome.problems if p.skipped]
    if skipped:
        n = len(skipped)
        what = "a broken event or file" if n == 1 else f"{n} broken events or files"
        app.err(f"calsync: skipped {what} (listed above); the rest was planned")
