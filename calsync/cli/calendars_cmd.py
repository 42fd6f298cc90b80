"""`calsync calendars`: list an account's CalDAV calendars and the role the config gives each."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from calsync.cli.context import AppContext
from calsync.cli.options import config_option
from calsync.cli.options import format_option

if TYPE_CHECKING:
    from calsync.adapters.caldav_store import CalendarRef
    from calsync.config import Account

EPILOG = """
Roles come from the account's settings: `runs` (calendars whose runs are planned around),
`busy` (calendars that only block time) and `target` (where strength blocks are written; it
is created on the first `calsync sync` if it does not exist). Copy the names or URLs shown
here into [accounts.NAME].
"""


@click.command(name="calendars", epilog=EPILOG)
@config_option
@click.option("--account", "account_name", metavar="NAME", help="Only this account.")
@format_option("table", "json")
@click.pass_obj
def command(app: AppContext, account_name: str | None, fmt: str) -> None:
    """List each CalDAV calendar's name, URL and role (runs / busy / target)."""
    from calsync.adapters.caldav_store import open_store

    config = app.config()
    if account_name is None and len(config.accounts) > 1:
        accounts = [config.accounts[name] for name in sorted(config.accounts)]
    else:
        accounts = [config.account(account_name)]
    listing = []
    for account in accounts:
        with open_store(account, app.env) as store:
            calendars = store.calendars()
        listing.append((account, calendars, roles(account, calendars)))
    if fmt == "json":
        app.out(_json(listing))
    else:
        app.out(_table(listing))
    for account, calendars, _ in listing:
        for warning in missing(account, calendars):
            app.err(f"calsync: warning: {warning}")


def roles(account: Account, calendars: list[CalendarRef]) -> dict[str, list[str]]:
    """Calendar URL → its roles in the account's settings, in the order runs, busy, target."""
    from calsync.adapters.caldav_store import match_calendar

    out: dict[str, list[str]] = {c.url: [] for c in calendars}
    wanted = [(n, "runs") for n in account.runs] + [(n, "busy") for n in account.busy]
    wanted.append((account.target, "target"))
    for name, role in wanted:
        found = match_calendar(calendars, name)
        if found is not None and role not in out[found.url]:
            out[found.url].append(role)
    return out


def missing(account: Account, calendars: list[CalendarRef]) -> list[str]:
    """A line for each configured calendar name that matches no calendar."""
    from calsync.adapters.caldav_store import match_calendar

    where = f"[accounts.{account.name}]"
    lines = []
    for key, names in (("runs", account.runs), ("busy", account.busy)):
        for name in names:
            if match_calendar(calendars, name) is None:
                lines.append(f"{where} {key}: no calendar {name!r} on the server")
    if match_calendar(calendars, account.target) is None:
        lines.append(
            f"{where} target: no calendar {account.target!r} yet; `calsync sync` creates it"
        )
    return lines


def _table(listing: list[tuple[Account, list[CalendarRef], dict[str, list[str]]]]) -> str:
    from calsync.adapters.caldav_store import redact_url

    blocks = []
    for account, calendars, role_map in listing:
        lines = [f"account {account.name!r}: {redact_url(account.url)}"]
        if not calendars:
            lines.append("  (no calendars)")
        width = max((len(c.name) for c in calendars), default=0)
        for cal in calendars:
            role = ", ".join(role_map[cal.url]) or "-"
            lines.append(f"  {cal.name:<{width}}  {role:<12}  {redact_url(cal.url)}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _json(listing: list[tuple[Account, list[CalendarRef], dict[str, list[str]]]]) -> str:
    from calsync.adapters.caldav_store import redact_url

    data = [
        {
            "account": account.name,
            "calendars": [
                {
                    "name": cal.name,
                    "url": redact_url(cal.url),
                    "roles": role_map[cal.url],
                    "components": list(cal.components),
                }
                for cal in calendars
            ],
        }
        for account, calendars, role_map in listing
    ]
    return json.dumps(data, indent=2, ensure_ascii=False)
