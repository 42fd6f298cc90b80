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
    from calsync.service import PlanOutcome

SOURCES_HELP = """
SOURCE is an .ics file, a folder of .ics files (a vdir, as vdirsyncer and Radicale store
them), or an http(s)/webcal URL of an ICS feed. With no SOURCE, calsync reads the config's
`sources`, else its CalDAV account, else the bundled example calendar.
"""


@click.command(epilog=SOURCES_HELP)
@shared_plan_options
@format_option("table", "json", "ics")
@click.option("--explain", is_flag=True, help="Show why each run got its kind.")
@click.pass_obj
def plan(
    app: AppContext,
    sources: tuple[str, ...],
    from_day: dt.date | None,
    weeks: int | None,
    account: str | None,
    fmt: str,
    explain: bool,
) -> None:
    """Plan strength blocks around the runs, week by week, and say why."""
    from calsync.cli import render

    outcome = _plan(app, sources, from_day, weeks, account)
    if fmt == "json":
        app.out(render.plan_json(outcome))
    elif fmt == "ics":
        click.echo(render.plan_ics(outcome, app.config(), app.now), nl=False)
    else:
        app.out(render.plan_table(outcome, app.config(), explain=explain))
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

    outcome = _plan(app, sources, from_day, weeks, account)
    if fmt == "json":
        app.out(render.classify_json(outcome))
    else:
        app.out(render.classify_table(outcome, app.config(), explain=explain))
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
) -> PlanOutcome:
    from calsync import service

    config = app.config()
    window = service.plan_window(config, from_day or app.today(), weeks or config.weeks)
    outcome = service.plan_sources(sources, config, window, app.now, account=account, env=app.env)
    if service.EXAMPLE in sources or (not sources and "bundled" in " ".join(outcome.sources)):
        app.err(
            "calsync: note: no SOURCE given and none configured: using the bundled example "
            "calendar (give a file, folder or URL, or set `sources` in the config)"
        )
    return outcome


def _report_problems(app: AppContext, outcome: PlanOutcome) -> None:
    for problem in outcome.problems:
        app.err(f"calsync: warning: {problem}")
    if outcome.problems:
        n = len(outcome.problems)
        what = "a broken event or file" if n == 1 else f"{n} broken events or files"
        app.err(f"calsync: skipped {what} (listed above); the rest was planned")
