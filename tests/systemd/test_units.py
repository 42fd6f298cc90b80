"""Every systemd unit passes `systemd-analyze verify` with no output at all (STYLE §2.9, §2.15).

`verify` only warns (exit 0) on a value it cannot parse, and fails when the ExecStart binary is
missing, so: any output is a failure, system units get ExecStart pointed at the installed
script, and user units get a HOME whose `.local/bin/calsync` links to it.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SYSTEM = sorted((ROOT / "systemd").glob("*.service")) + sorted((ROOT / "systemd").glob("*.timer"))
USER = sorted((ROOT / "systemd" / "user").glob("*.service")) + sorted(
    (ROOT / "systemd" / "user").glob("*.timer")
)
ANALYZE = shutil.which("systemd-analyze")
INSTALLED = Path(sys.executable).with_name("calsync")
SYSTEM_EXEC = "/usr/local/bin/calsync"

needs_analyze = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed")


def units(paths: list[Path]) -> dict[str, configparser.ConfigParser]:
    out = {}
    for path in paths:
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read(path)
        out[path.name] = parser
    return out


def verify(files: list[Path], env: dict[str, str], *, user: bool) -> str:
    assert ANALYZE is not None
    args = [ANALYZE, *(["--user"] if user else []), "verify", *map(str, files)]
    done = subprocess.run(
        args, capture_output=True, text=True, env=env, timeout=60, cwd=files[0].parent
    )
    return (done.stdout + done.stderr).strip() + (
        "" if done.returncode == 0 else f" rc={done.returncode}"
    )


def test_every_unit_is_shipped():
    names = {p.name for p in SYSTEM}
    assert names == {
        "calsync.service",
        "calsync.timer",
        "calsync-daemon.service",
        "calsync-feed.service",
        "calsync@.service",
    }
    assert {p.name for p in USER} == names


def instance(name: str) -> str:
    """A template's file name as an instance (`calsync@home.service`): verify checks that."""
    return name.replace("@.", "@home.")


@needs_analyze
def test_system_units_verify_cleanly(tmp_path):
    assert INSTALLED.exists(), f"calsync is not installed next to {sys.executable}"
    copies = []
    for unit in SYSTEM:
        copy = tmp_path / instance(unit.name)
        copy.write_text(unit.read_text().replace(SYSTEM_EXEC, str(INSTALLED)))
        copies.append(copy)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
    assert verify(copies, env, user=False) == ""


@needs_analyze
def test_user_units_verify_cleanly(tmp_path):
    home = tmp_path / "home"
    (home / ".local" / "bin").mkdir(parents=True)
    (home / ".local" / "bin" / "calsync").symlink_to(INSTALLED)
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(runtime),
    }
    copies = []
    for unit in USER:
        copy = tmp_path / instance(unit.name)
        copy.write_text(unit.read_text())
        copies.append(copy)
    assert verify(copies, env, user=True) == ""


@needs_analyze
def test_verify_would_catch_a_bad_value(tmp_path):
    """The check itself works: a value systemd cannot parse produces output."""
    unit = tmp_path / "calsync.service"
    text = SYSTEM[0].parent.joinpath("calsync.service").read_text()
    unit.write_text(text.replace(SYSTEM_EXEC, str(INSTALLED)) + "RestartPreventExitStatus=2 nope\n")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
    assert "nope" in verify([unit], env, user=False)


def test_services_do_not_restart_on_config_auth_usage_or_refusal():
    for name, unit in {**units(SYSTEM), **{f"user/{k}": v for k, v in units(USER).items()}}.items():
        if "daemon" in name or "feed" in name:
            assert unit["Service"]["RestartPreventExitStatus"].split() == ["2", "3", "77", "78"], (
                name
            )
            assert unit["Service"]["Restart"] == "on-failure", name
            assert unit["Service"]["Type"] == "notify", name


def test_system_units_are_hardened_and_get_the_password_as_a_credential():
    for name, unit in units([p for p in SYSTEM if p.suffix == ".service"]).items():
        service = unit["Service"]
        for key, value in {
            "DynamicUser": "yes",
            "StateDirectory": "calsync",
            "ProtectSystem": "strict",
            "ProtectHome": "yes",
            "PrivateTmp": "yes",
            "NoNewPrivileges": "yes",
            "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
            "LoadCredential": "home:/etc/calsync/home.password",
        }.items():
            if key == "LoadCredential" and "@" in name:  # a template: the instance's account
                value = "%i:/etc/calsync/%i.password"
            assert service.get(key) == value, f"{name}: {key}"
        assert service["ExecStart"].startswith(SYSTEM_EXEC), name


def test_the_timer_starts_the_oneshot_sync():
    timer = units([ROOT / "systemd" / "calsync.timer"])["calsync.timer"]
    service = units([ROOT / "systemd" / "calsync.service"])["calsync.service"]
    assert service["Service"]["Type"] == "oneshot"
    assert service["Service"]["ExecStart"].split()[-1] == "sync"
    assert timer["Install"]["WantedBy"] == "timers.target"
    assert "OnUnitActiveSec" in timer["Timer"]


def test_state_lands_where_calsync_and_a_shell_look_for_it():
    """System units: /var/lib/calsync ($STATE_DIRECTORY, and XDG_STATE_HOME for code that only
    knows XDG). User units: no StateDirectory= (systemd 252 puts it under ~/.config), so the
    service and `calsync feed-url` in a shell share ~/.local/state/calsync."""
    for path in SYSTEM:
        if path.suffix == ".service":
            assert "Environment=XDG_STATE_HOME=/var/lib\n" in path.read_text(), path.name
    for path in USER:
        settings = [line for line in path.read_text().splitlines() if not line.startswith("#")]
        assert not [line for line in settings if line.startswith("StateDirectory")], path.name


def test_credentials_and_notify_settings():
    for name, unit in units([p for p in SYSTEM if p.suffix == ".service"]).items():
        assert unit["Service"]["LoadCredential"].startswith(("home:", "%i:")), name
    for name, unit in {**units(SYSTEM), **units(USER)}.items():
        if name in ("calsync-daemon.service", "calsync-feed.service", "calsync@.service"):
            assert unit["Service"]["NotifyAccess"] == "main", name
            assert unit["Service"]["ExecReload"] == "/bin/kill -HUP $MAINPID", name


def test_every_service_has_a_memory_ceiling_and_outlasts_the_sync_deadline():
    """MemoryMax= bounds a runaway; the kill timeouts are longer than calsync's own 10-minute
    sync deadline, so a slow server ends a run with calsync's message, not systemd's kill."""
    for name, unit in {**units(SYSTEM), **{f"user/{k}": v for k, v in units(USER).items()}}.items():
        if not name.endswith(".service"):
            continue
        service = unit["Service"]
        assert service.get("MemoryMax") == "512M", name
        for key in ("TimeoutStartSec", "WatchdogSec"):
            if key in service:
                assert service[key] == "15min", f"{name}: {key}"


def test_the_template_runs_one_daemon_per_account():
    """`calsync@NAME.service` is `calsync daemon --account NAME`; system instances share one
    user (so they share /var/lib/calsync) and each gets its own account's password."""
    system = units([ROOT / "systemd" / "calsync@.service"])["calsync@.service"]["Service"]
    user = units([ROOT / "systemd" / "user" / "calsync@.service"])["calsync@.service"]["Service"]
    assert system["ExecStart"] == f"{SYSTEM_EXEC} daemon --account %i"
    assert user["ExecStart"] == "%h/.local/bin/calsync daemon --account %i"
    assert system["User"] == "calsync"
    assert system["LoadCredential"] == "%i:/etc/calsync/%i.password"
