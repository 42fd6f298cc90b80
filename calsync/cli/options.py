"""Options shared by several commands (kept import-light: `--help` must stay cheap)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from typing import TypeVar

import click

from calsync.cli.context import AppContext

F = TypeVar("F", bound=Callable[..., Any])


def _set_config(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        app = ctx.find_object(AppContext)
        if app is not None:
            app.config_path = value
            app._config = None


def config_option(f: F) -> F:
    """`--config FILE` after the command name too (`calsync plan --config x.toml`)."""
    return click.option(
        "-c",
        "--config",
        type=click.Path(dir_okay=False),
        expose_value=False,
        is_eager=True,
        callback=_set_config,
        help="Config file (overrides the global --config).",
    )(f)


YEARS = (1900, 2999)  # a plan's weeks, days and zone offsets stay inside Python's calendar


def in_years(value: dt.date, text: str) -> None:
    """Refuse a --from or --now whose weeks would leave the calendar (year 1 or 9999)."""
    if not YEARS[0] <= value.year <= YEARS[1]:
        raise click.BadParameter(f"{text!r} is outside the years {YEARS[0]} to {YEARS[1]}")


def _parse_day(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-11-30") from None
    in_years(day, value)
    return day


def from_option(f: F) -> F:
    return click.option(
        "--from",
        "from_day",
        metavar="DATE",
        callback=_parse_day,
        help="First day to plan (its week is planned whole). Default: today.",
    )(f)


def weeks_option(f: F) -> F:
    return click.option(
        "--weeks",
        type=click.IntRange(1, 104),
        help="How many weeks to plan. Default: [plan] weeks in the config (4).",
    )(f)


def account_option(f: F) -> F:
    return click.option(
        "--account", metavar="NAME", help="Read the runs from this CalDAV account of the config."
    )(f)


def _set_now(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is None:
        return
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO date-time like 2026-11-30T07:00"
        ) from None
    in_years(when, value)
    app = ctx.find_object(AppContext)
    if app is not None:
        app.now = when if when.tzinfo else when.replace(tzinfo=app.config().timezone)


def now_option(f: F) -> F:
    """`--now DATETIME` after the command name too (`calsync plan --now 2026-11-30T06:00`)."""
    return click.option(
        "--now",
        metavar="DATETIME",
        expose_value=False,
        callback=_set_now,
        help="Pretend it is this time (overrides the global --now).",
    )(f)


def format_option(*choices: str) -> Callable[[F], F]:
    """`--format` with the given choices (the first is the default) as `fmt`."""
    helps = {
        "table": "table for people",
        "json": "json for machines",
        "ics": "ics for a calendar of the blocks",
    }
    text = ", ".join(helps[c] for c in choices) + "."
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=choices[0],
        show_default=True,
        help=text,
    )


def sources_argument(f: F) -> F:
    return click.argument("sources", nargs=-1, metavar="[SOURCE]...")(f)


def shared_plan_options(f: F) -> F:
    """SOURCE..., --from, --weeks, --account, --config, --now: what every planning command
    takes."""
    for decorate in (
        now_option,
        config_option,
        account_option,
        weeks_option,
        from_option,
        sources_argument,
    ):
        f = decorate(f)
    return f
