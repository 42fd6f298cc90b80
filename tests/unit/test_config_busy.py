"""`[accounts.NAME] busy`: this account's calendars, another account's, feeds and files."""

from __future__ import annotations

import zoneinfo

import pytest

from calsync.config import BusySource
from calsync.config import parse_config
from calsync.errors import ConfigError

UTC = zoneinfo.ZoneInfo("UTC")
FEED = "https://outlook.office365.com/owa/calendar/abc123secret/calendar.ics"


def _config(busy: list[str]):
    raw = {
        "accounts": {
            "home": {"url": "https://a.example/", "busy": busy},
            "work": {"url": "https://b.example/"},
        }
    }
    return parse_config(raw, "config.toml", UTC)


def _problems(busy: list[str]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        _config(busy)
    return caught.value.problems


def test_each_form_reads_naturally() -> None:
    busy = ["Work", "work:Calendar", FEED, "webcal://p.example/x", "~/cal/family.ics"]
    busy += ["./vdir", "/srv/cal", "export.ICS", "home:Team: Ops", "Team: Ops"]
    account = _config(busy).accounts["home"]
    assert account.busy == ("Work", "Team: Ops", "Team: Ops")
    assert account.busy_sources == (
        BusySource("account", "work", "Calendar"),
        BusySource("feed", FEED),
        BusySource("feed", "webcal://p.example/x"),
        BusySource("file", "~/cal/family.ics"),
        BusySource("file", "./vdir"),
        BusySource("file", "/srv/cal"),
        BusySource("file", "export.ICS"),
    )


def test_no_busy_key_means_no_sources() -> None:
    config = parse_config({"accounts": {"home": {"url": "https://a.example/"}}}, "t", UTC)
    assert config.accounts["home"].busy == () and config.accounts["home"].busy_sources == ()


def test_unknown_account_named_with_did_you_mean() -> None:
    assert _problems(["wrok:Calendar"]) == [
        "[accounts.home] busy: \"wrok:Calendar\": no account 'wrok' (configured: home, work); "
        "did you mean 'work:Calendar'?"
    ]


def test_unknown_account_without_a_close_name() -> None:
    (problem,) = _problems(["zzz:Calendar"])
    assert problem.startswith("[accounts.home] busy: ") and "did you mean" not in problem


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ("ftp://files.example/cal.ics", "is not a feed"),
        ("https://", "not a valid feed URL"),
        ("https:///no-host/cal.ics", "not a valid feed URL"),
        ("https://h.example/a b.ics", "not a valid feed URL"),
    ],
)
def test_malformed_entries_name_the_key(entry: str, says: str) -> None:
    (problem,) = _problems([entry])
    assert problem.startswith("[accounts.home] busy: ") and says in problem


def test_a_bad_feed_url_is_never_shown_whole() -> None:
    (problem,) = _problems(["https://h.example/secret token/cal.ics"])
    assert "secret" not in problem


def test_every_problem_reported_at_once() -> None:
    assert len(_problems(["wrok:A", "ftp://x/y", "https://"])) == 3


def test_not_a_list_is_refused_once() -> None:
    (problem,) = _problems([1])  # type: ignore[list-item]
    assert problem.startswith("[accounts.home] busy")


def test_sync_with_a_bad_busy_entry_exits_78_in_one_line(tmp_path) -> None:
    from click.testing import CliRunner

    from calsync.cli import cli
    from calsync.errors import ExitCode

    config = tmp_path / "config.toml"
    config.write_text(
        '[accounts.home]\nurl = "http://127.0.0.1:9/"\nbusy = ["wrok:Calendar", "https://"]\n'
        '[accounts.work]\nurl = "http://127.0.0.1:9/"\n'
    )
    env = {"XDG_CONFIG_HOME": "/nonexistent", "CALSYNC_CONFIG": ""}
    result = CliRunner().invoke(cli, ["-c", str(config), "sync", "--account", "home"], env=env)
    assert result.exit_code == ExitCode.CONFIG
    out = result.output + result.stderr
    assert "Traceback" not in out
    assert "[accounts.home] busy: \"wrok:Calendar\": no account 'wrok'" in out
    assert "not a valid feed URL" in out


def test_a_url_on_the_accounts_own_server_is_its_calendar() -> None:
    """As in `runs`: a calendar URL of this account, not a feed (unless a download link)."""
    own = "https://a.example/dav/calendars/runner/work/"
    export = "https://a.example/remote.php/dav/public-calendars/TOKEN?export"
    account = _config([own, export, "https://a.example/shared/team.ics"]).accounts["home"]
    assert account.busy == (own,)
    assert [s.kind for s in account.busy_sources] == ["feed", "feed"]


def test_an_account_without_url_reports_only_that() -> None:
    raw = {"accounts": {"home": {"busy": ["https://x.example/a.ics"]}}}
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, "t", UTC)
    assert caught.value.problems == [
        "[accounts.home] url: required (server root, principal or calendar URL)"
    ]
