"""Start a real `calsync serve` on 127.0.0.1 and read its links with `calsync feed-url`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tests.feed import procs

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "calsync" / "data" / "example.ics"
CANONICAL = ROOT / "tests" / "fixtures" / "calendars" / "canonical_week.ics"

CONFIG = """\
timezone = "Europe/London"

[sync]
state_dir = "{state}"

[daemon]
interval_minutes = 60
"""


@dataclass(frozen=True)
class Served:
    """A running `calsync serve` and what `calsync feed-url` says about it."""

    proc: procs.Proc
    port: int
    config: Path
    env: dict[str, str]
    workdir: Path
    state: Path
    source: Path
    feed: str
    webcal: str
    page: str
    token: str
    busy: str = ""  # the busy feed's link (its own token)

    def base(self) -> str:
        return f"http://{procs.HOST}:{self.port}"


def write_config(workdir: Path) -> tuple[Path, Path]:
    state = workdir / "state"
    config = workdir / "config.toml"
    config.write_text(CONFIG.format(state=state), encoding="utf-8")
    return config, state


def feed_url(config: Path, env: dict[str, str], workdir: Path, port: int) -> dict[str, str]:
    """Run `calsync feed-url` and return its `name: link` lines."""
    done = procs.run(["--config", str(config), "feed-url", "--port", str(port)], env, workdir)
    assert done.returncode == 0, done.stderr
    links = dict(re.findall(r"^(\w+):\s+(\S+)$", done.stdout, re.M))
    assert {"feed", "webcal", "google", "page", "busy"} <= set(links), done.stdout
    return links


def start_serve(
    workdir: Path,
    source: Path,
    name: str = "serve",
    port: int | None = None,
    *,
    verbose: bool = False,
) -> Served:
    """`calsync --now ... serve SOURCE --port P` with its own config and state directory
    (`verbose`: with -vv, so every request and error is logged)."""
    config, state = write_config(workdir)
    env = procs.clean_env(workdir / "home")
    port = port or procs.free_port()
    args = ["-vv"] if verbose else []
    args += ["--config", str(config), "--now", procs.NOW, "serve", str(source), "--port", str(port)]
    proc = procs.start(args, env, workdir, name)
    try:
        procs.wait_listening(proc, port)
        links = feed_url(config, env, workdir, port)
    except BaseException:
        proc.stop()
        raise
    token = links["feed"].rsplit("/", 1)[1].removesuffix(".ics")
    return Served(
        proc,
        port,
        config,
        env,
        workdir,
        state,
        source,
        links["feed"],
        links["webcal"],
        links["page"],
        token,
        links["busy"],
    )


def sources() -> list[Path]:
    """The bundled example always; the canonical-week fixture too once it exists."""
    return [EXAMPLE, *([CANONICAL] if CANONICAL.exists() else [])]
