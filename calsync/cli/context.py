"""What every command shares: the clock, the environment, the lazily loaded config, output."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from calsync.config import Config


@dataclass
class AppContext:
    """The shell's state, handed to every command as `ctx.obj`."""

    config_path: str | None
    now: dt.datetime
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    debug: bool = False
    verbose: int = 0
    log_format: str = "text"
    _config: Config | None = None

    def config(self) -> Config:
        """Load and validate the configuration once (defaults when there is no file)."""
        if self._config is None:
            from calsync.config import load_config

            self._config = load_config(self.config_path, local_timezone(), env=self.env)
        return self._config

    def reload_config(self) -> Config:
        """Read the configuration again (SIGHUP); the old one stays if the new one is bad."""
        from calsync.config import load_config

        config = load_config(self.config_path, local_timezone(), env=self.env)
        self._config = config
        return config

    def today(self) -> dt.date:
        return self.now.astimezone(self.config().timezone).date()

    def out(self, text: str) -> None:
        click.echo(text)

    def err(self, text: str) -> None:
        click.echo(text, err=True)


def local_timezone() -> "zoneinfo.ZoneInfo":  # noqa: UP037
    """The system's zone ($TZ, /etc/localtime), UTC when it cannot be told."""
    import zoneinfo

    from pendulum.tz import get_local_timezone

    try:
        # get_local_timezone, not pendulum.local_timezone: mypy can take the latter for the
        # submodule pendulum.tz.local_timezone of the same name ("Module not callable").
        tz = get_local_timezone()
    except Exception:  # pendulum raises several kinds when no zone is configured
        return zoneinfo.ZoneInfo("UTC")
    name = getattr(tz, "name", None) or getattr(tz, "key", None)
    try:
        return zoneinfo.ZoneInfo(str(name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


if TYPE_CHECKING:
    import zoneinfo
