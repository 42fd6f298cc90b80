"""The busy feed: the same blocks as "Busy" with the buffer, for a work calendar, at its own
secret URL. Real `calsync serve` processes on 127.0.0.1; ical.js (node) parses both feeds.

The checks every feed passes (valid calendar, ETag/304, HEAD, gzip, export) are in
test_serve_process.py, parametrised over both feeds.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import zoneinfo
from pathlib import Path

import icalendar
import pytest

from calsync.app import feed
from calsync.config import parse_config
from calsync.core.feed_record import FeedRecord
from calsync.errors import ConfigError
from calsync.model import Block
from tests.feed import procs
from tests.feed.serving import Served
from tests.feed.serving import feed_url
from tests.feed.serving import start_serve

JS = Path(__file__).resolve().parent / "js"
NODE = shutil.which("node")
LONDON = zoneinfo.ZoneInfo("Europe/London")


def events(body: bytes) -> list[icalendar.cal.Component]:
    found = icalendar.Calendar.from_ical(body).walk("VEVENT")
    return sorted(found, key=lambda e: e.decoded("DTSTART"))


def test_busy_events_are_the_blocks_with_the_buffer_and_nothing_else(served: Served):
    training, busy = procs.fetch(served.feed).body, procs.fetch(served.busy).body
    pairs = list(zip(events(training), events(busy), strict=True))
    assert pairs
    pad = dt.timedelta(minutes=15)  # [feed] busy_buffer_minutes' default
    for block, event in pairs:
        assert event.decoded("DTSTART") == block.decoded("DTSTART") - pad
        assert event.decoded("DTEND") == block.decoded("DTEND") + pad
        assert str(event["SUMMARY"]) == "Busy"
        assert str(event["TRANSP"]) == "OPAQUE"
        assert "DESCRIPTION" not in event and "CATEGORIES" not in event
        assert str(event["UID"]).endswith("@busy.feed.calsync")
        assert str(event["UID"]) != str(block["UID"])
    # Nothing of the training shows through: no title, no session, no calendar name.
    for word in (b"Strength", b"Session", b"squat", b"light"):
        assert word not in busy, word


def test_the_busy_token_opens_only_the_busy_feed(served: Served):
    busy_token = served.busy.rsplit("/", 1)[1].removesuffix(".ics")
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", busy_token)
    assert busy_token != served.token
    answer = procs.fetch(served.busy)
    assert answer.status == 200
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    assert answer.headers["content-disposition"] == 'inline; filename="busy.ics"'
    base = served.base()
    assert procs.fetch(f"{base}/feed/{busy_token}.ics").status == 404
    assert procs.fetch(f"{base}/week/{busy_token}").status == 404
    assert procs.fetch(f"{base}/feed/{busy_token}.html").status == 404
    assert procs.fetch(f"{base}/feed/busy/{served.token}.ics").status == 404
    assert busy_token not in served.proc.stderr()


def ical_js(body: bytes, tmp_path: Path) -> dict[str, object]:
    """The calendar as ical.js (Thunderbird's, Nextcloud's parser) reads it."""
    if NODE is None or not (JS / "node_modules" / "ical.js").exists():
        if os.environ.get("CI"):
            pytest.fail("ical.js is not installed: .ci/run runs `npm ci --prefix tests/feed/js`")
        pytest.skip("ical.js not installed: npm ci --prefix tests/feed/js")
    path = tmp_path / "feed.ics"
    path.write_bytes(body)
    done = subprocess.run(
        [NODE, str(JS / "parse_ics.cjs"), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    parsed: dict[str, object] = json.loads(done.stdout)
    return parsed


@pytest.mark.parametrize("which", ["feed", "busy"])
def test_ical_js_reads_both_feeds_as_icalendar_does(served: Served, tmp_path: Path, which: str):
    body = procs.fetch(served.busy if which == "busy" else served.feed).body
    parsed = ical_js(body, tmp_path)
    js_events = parsed["events"]
    assert isinstance(js_events, list)
    ours = events(body)
    assert len(js_events) == len(ours) > 0
    starts = sorted(e["start"] for e in js_events)
    assert starts == [
        e.decoded("DTSTART").astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z") for e in ours
    ]
    assert {e["zone"] for e in js_events} == {"Europe/London"}
    if which == "busy":
        assert parsed["name"] == "Busy"
        assert {(e["summary"], e["description"], e["transp"]) for e in js_events} == {
            ("Busy", None, "OPAQUE")
        }
    else:
        assert all(e["description"] and "Warm-up" in e["description"] for e in js_events)


def snapshot(running: Served) -> dict[str, tuple[bytes, str, str]]:
    out = {}
    for name, url in (("feed", running.feed), ("busy", running.busy), ("page", running.page)):
        answer = procs.fetch(url)
        assert answer.status == 200, name
        out[name] = (answer.body, answer.headers["etag"], answer.headers.get("last-modified", ""))
    return out


def test_both_feeds_and_the_page_are_byte_stable_across_a_restart(tmp_path: Path):
    source = procs.ROOT / "calsync" / "data" / "example.ics"
    first = start_serve(tmp_path, source)
    try:
        before = snapshot(first)
        assert snapshot(first) == before  # and from one request to the next
    finally:
        assert first.proc.stop() == 0
    second = start_serve(tmp_path, source, name="serve-again", port=first.port)
    try:
        assert (second.feed, second.busy) == (first.feed, first.busy)  # the same tokens
        assert snapshot(second) == before
    finally:
        assert second.proc.stop() == 0


def test_regenerating_the_busy_token_revokes_only_the_busy_link(tmp_path: Path):
    running = start_serve(tmp_path, procs.ROOT / "calsync" / "data" / "example.ics")
    try:
        args = ["--config", str(running.config), "feed-url", "--regenerate", "--busy"]
        done = procs.run([*args, "--port", str(running.port)], running.env, running.workdir)
        assert done.returncode == 0, done.stderr
        count = running.proc.lines("feed ready")
        running.proc.signal(signal.SIGHUP)
        procs.until(lambda: running.proc.lines("feed ready") > count, "a replan after SIGHUP")
        links = feed_url(running.config, running.env, running.workdir, running.port)
        assert links["feed"] == running.feed and links["busy"] != running.busy
        assert procs.fetch(running.busy).status == 404
        assert procs.fetch(links["busy"]).status == 200
        assert procs.fetch(running.feed).status == 200
        assert procs.fetch(links["page"]).status == 200
    finally:
        running.proc.stop()


def test_busy_without_regenerate_is_a_usage_error(tmp_path: Path):
    config = tmp_path / "config.toml"
    config.write_text(f'[sync]\nstate_dir = "{tmp_path / "state"}"\n', encoding="utf-8")
    env = procs.clean_env(tmp_path / "home")
    done = procs.run(["--config", str(config), "feed-url", "--busy"], env, tmp_path)
    assert done.returncode == 2
    assert "--busy goes with --regenerate" in done.stderr
    assert "Traceback" not in done.stderr


# --- the busy feed's settings (pure) ----------------------------------------------------------


def settings(**feed_table: object):
    return parse_config({"timezone": "Europe/London", "feed": feed_table}, "test", LONDON)


def block(day: int, hour: int) -> Block:
    start = dt.datetime(2026, 12, day, hour, tzinfo=LONDON)
    end = start + dt.timedelta(minutes=45)
    return Block("2026-W49/1", start, end, "2026-W49", "Strength", "squats", "why", "a")


def test_the_busy_title_and_buffer_come_from_the_config():
    config = settings(busy_title="Out of office", busy_buffer_minutes=30)
    now = dt.datetime(2026, 11, 30, 6, tzinfo=dt.UTC)
    built = feed.build_feed([block(1, 8)], FeedRecord(), config, now, now, busy=True)
    (event,) = events(built.document.identity.body)
    assert str(event["SUMMARY"]) == "Out of office"
    assert event.decoded("DTSTART") == dt.datetime(2026, 12, 1, 7, 30, tzinfo=LONDON)
    assert event.decoded("DTEND") == dt.datetime(2026, 12, 1, 9, 15, tzinfo=LONDON)
    again = feed.build_feed([block(1, 8)], built.record, config, now, now, busy=True)
    assert again.document == built.document  # the same plan: the same bytes and ETag
    moved = feed.build_feed([block(1, 9)], again.record, config, now, now, busy=True)
    (after,) = events(moved.document.identity.body)
    assert str(after["UID"]) == str(event["UID"])
    assert int(after["SEQUENCE"]) == int(event["SEQUENCE"]) + 1


def test_the_busy_feed_is_opaque_even_when_blocks_are_transparent():
    config = parse_config(
        {"timezone": "Europe/London", "sync": {"transparent": True}}, "test", LONDON
    )
    now = dt.datetime(2026, 11, 30, 6, tzinfo=dt.UTC)
    training = feed.build_feed([block(1, 8)], FeedRecord(), config, now, now)
    busy = feed.build_feed([block(1, 8)], FeedRecord(), config, now, now, busy=True)
    assert b"TRANSP:TRANSPARENT" in training.document.identity.body
    assert b"TRANSP:OPAQUE" in busy.document.identity.body


@pytest.mark.parametrize(
    "table", [{"busy_buffer_minutes": -1}, {"busy_buffer_minutes": 241}, {"busy_title": ""}]
)
def test_bad_busy_settings_are_config_errors(table: dict[str, object]):
    with pytest.raises(ConfigError) as caught:
        settings(**table)
    assert next(iter(table)) in str(caught.value)
