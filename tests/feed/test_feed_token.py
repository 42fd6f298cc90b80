"""The feed token and the state directory."""

from __future__ import annotations

import stat
import zoneinfo
from pathlib import Path

from calsync.adapters import feed_token
from calsync.config import parse_config

UTC = zoneinfo.ZoneInfo("UTC")


def test_state_dir_order_systemd_then_config_then_xdg_then_home(tmp_path):
    configured = parse_config({"sync": {"state_dir": str(tmp_path / "cfg")}}, "t", UTC)
    plain = parse_config({}, "t", UTC)
    env = {"STATE_DIRECTORY": "/var/lib/calsync:/other", "XDG_STATE_HOME": "/x", "HOME": "/h"}
    assert feed_token.state_dir(configured, env) == Path("/var/lib/calsync")
    env.pop("STATE_DIRECTORY")
    assert feed_token.state_dir(configured, env) == tmp_path / "cfg"
    assert feed_token.state_dir(plain, env) == Path("/x/calsync")
    assert feed_token.state_dir(plain, {"HOME": "/h"}) == Path("/h/.local/state/calsync")


def test_token_is_short_url_safe_stable_and_private(tmp_path):
    token = feed_token.load_token(tmp_path / "state")
    assert len(token) == 22
    assert set(token) <= feed_token.TOKEN_ALPHABET
    assert feed_token.load_token(tmp_path / "state") == token
    mode = (tmp_path / "state" / feed_token.TOKEN_FILE).stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_regenerated_token_replaces_the_old_one(tmp_path):
    old = feed_token.load_token(tmp_path)
    new = feed_token.regenerate_token(tmp_path)
    assert new != old
    assert feed_token.load_token(tmp_path) == new
    assert not feed_token.token_matches(new, old)
    assert feed_token.token_matches(new, new)


def test_token_compare_handles_any_length_and_odd_characters():
    assert not feed_token.token_matches("a" * 22, "")
    assert not feed_token.token_matches("a" * 22, "a" * 2000)
    assert not feed_token.token_matches("a" * 22, "\udcff<script>")
