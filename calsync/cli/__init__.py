"""The command line, part of the shell: a click group whose subcommands (`*_cmd` modules) load
lazily, their options, rendering and context, and the one place that turns errors into messages
and exit codes. As the outermost layer (with `calsync.daemon`) it may import anything in
calsync: the kernel, the core, the codec, the adapters, the use cases and the daemon; nothing
imports it but `calsync.__main__`. `tests/test_layout.py` enforces the direction."""

from __future__ import annotations

import datetime as dt
import importlib
import os
import sys
from typing import Any

import click

from calsync import __version__
from calsync.cli.context import AppContext
from calsync.errors import CalsyncError
from calsync.errors import ExitCode

# name -> "module:attribute"; imported only when the command runs (or its help is shown),
# so `calsync --help` stays cheap.
COMMANDS: dict[str, tuple[str, str]] = {
    "plan": ("calsync.cli.plan_cmd:plan", "Plan strength blocks around the runs."),
    "classify": ("calsync.cli.plan_cmd:classify", "Show each event's kind and why."),
    "sync": ("calsync.cli.sync_cmd:command", "Write strength blocks to a CalDAV calendar."),
    "calendars": ("calsync.cli.calendars_cmd:command", "List an account's CalDAV calendars."),
    "daemon": ("calsync.cli.daemon_cmd:command", "Sync every few minutes, as a service."),
    "nudge": ("calsync.cli.nudge_cmd:command", "Make the running daemon check for changes now."),
    "serve": ("calsync.cli.serve_cmd:command", "Serve the blocks as a subscribable ICS feed."),
    "feed-url": ("calsync.cli.serve_cmd:feed_url", "Print the feed's secret subscribe links."),
    "export": ("calsync.cli.serve_cmd:export", "Write the feed to a file for static hosting."),
    "check-config": ("calsync.cli.plan_cmd:check_config", "Validate the configuration file."),
}


class CalsyncGroup(click.Group):
    """Lazy subcommands, and every CalsyncError turned into one stderr line and its code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, attr = COMMANDS[cmd_name][0].split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            return None
        command: click.Command = getattr(module, attr)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Short help from the table above: listing commands imports none of them.
        rows = [(name, helptext) for name, (_, helptext) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CalsyncError as err:
            _traceback_if_debug(ctx)  # --debug adds the traceback; the exit code stays the same
            click.echo(f"calsync: error: {err.message}", err=True)
            if err.hint:
                click.echo(f"calsync: hint: {err.hint}", err=True)
            ctx.exit(err.exit_code)
        except KeyboardInterrupt:
            click.echo("calsync: interrupted", err=True)
            ctx.exit(ExitCode.INTERRUPTED)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:  # last resort: a bug, without a traceback unless --debug
            _traceback_if_debug(ctx)
            name = type(exc).__name__
            hint = "" if _debug(ctx) else " (rerun with --debug)"
            click.echo(f"calsync: internal error: {name}: {exc}{hint}", err=True)
            ctx.exit(ExitCode.INTERNAL)


def _traceback_if_debug(ctx: click.Context) -> None:
    """With --debug, the traceback of the exception being handled, on stderr."""
    if _debug(ctx):
        import traceback

        click.echo(traceback.format_exc().rstrip("\n"), err=True)


def _debug(ctx: click.Context) -> bool:
    obj = ctx.obj
    return bool(getattr(obj, "debug", False))


def _parse_now(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO date-time like 2026-11-30T07:00"
        ) from None
    from calsync.cli.options import in_years

    in_years(when, value)
    return when


@click.group(cls=CalsyncGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="calsync")
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="CALSYNC_CONFIG",
    help="Config file (default: $XDG_CONFIG_HOME/calsync/config.toml; none is fine).",
)
@click.option(
    "--now",
    metavar="DATETIME",
    callback=_parse_now,
    help="Pretend it is this time (ISO 8601; local time of the config's zone if naive).",
)
@click.option("-v", "--verbose", count=True, help="More log lines on stderr (-vv for debug).")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Log line format on stderr.",
)
@click.option("--debug", is_flag=True, help="Show the traceback with an error (same exit code).")
@click.pass_context
def cli(
    ctx: click.Context,
    config_path: str | None,
    now: dt.datetime | None,
    verbose: int,
    log_format: str,
    debug: bool,
) -> None:
    """calsync: strength blocks on a runner's easy days.

    Reads running events from calendar files, ICS feeds or CalDAV, classifies them as easy,
    interval or long, and places two 45-minute strength sessions a week where the rules
    allow: on easy-run days, never on interval or long-run days, not the day before
    intervals when another day works.
    """
    app = AppContext(
        config_path=config_path,
        now=dt.datetime.now(dt.UTC),
        env=dict(os.environ),
        debug=debug,
        verbose=verbose,
        log_format=log_format,
    )
    ctx.obj = app
    if now is not None:
        app.now = now if now.tzinfo else _localise(app, now)
    setup_logging(verbose, log_format)


def _localise(app: AppContext, naive: dt.datetime) -> dt.datetime:
    return naive.replace(tzinfo=app.config().timezone)


def setup_logging(verbose: int, log_format: str) -> None:
    """One line per event on stderr; no timestamps (journald adds them)."""
    import json
    import logging

    class JsonFormatter(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            line = {"level": record.levelname.lower(), "logger": record.name}
            line["msg"] = record.getMessage()
            return json.dumps(line, ensure_ascii=False)

    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("calsync: %(levelname)s: %(message)s"))
    root = logging.getLogger("calsync")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="calsync")
