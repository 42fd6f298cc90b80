"""`calsync serve`, `feed-url` and `export` as real processes: the feed fetched with a real HTTP
client on 127.0.0.1, parsed back with icalendar, and checked the way Google and Apple use it."""

from __future__ import annotations

import email.utils
import gzip
import re
import shutil
import signal
from pathlib import Path

import icalendar
import pytest

from tests.feed import procs
from tests.feed.serving import EXAMPLE
from tests.feed.serving import Served
from tests.feed.serving import feed_url
from tests.feed.serving import start_serve

FEEDS = ("feed", "busy")  # the training feed and the busy feed pass the same checks


def events(body: bytes) -> list[icalendar.cal.Component]:
    return list(icalendar.Calendar.from_ical(body).walk("VEVENT"))


def link(served: Served, which: str) -> str:
    return served.busy if which == "busy" else served.feed


@pytest.mark.parametrize("which", FEEDS)
def test_feed_is_a_valid_calendar_clients_accept(served: Served, which: str):
    response = procs.fetch(link(served, which))
    assert response.status == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    body = response.body
    # CRLF everywhere, and no line over 75 octets (one bad fold and Google drops the feed).
    assert body.endswith(b"\r\n")
    assert b"\n" not in body.replace(b"\r\n", b"")
    assert max(len(line) for line in body.split(b"\r\n")) <= 75
    calendar = icalendar.Calendar.from_ical(body)
    assert str(calendar["X-WR-CALNAME"]) == ("Busy" if which == "busy" else "Strength")
    assert "REFRESH-INTERVAL" in calendar
    assert "X-PUBLISHED-TTL" in calendar
    found = events(body)
    week = sorted(e.decoded("DTSTART").strftime("%a %d") for e in found if "2026-W49" in e["UID"])
    assert week == ["Mon 30", "Thu 03"]
    if served.source == EXAMPLE:
        assert len(found) == 8  # a recurring week: 4 weeks x 2 sessions
    for event in found:
        for name in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "SEQUENCE"):
            assert name in event, name
    used = set(re.findall(rb";TZID=([^:;]+)[:;]", body))
    defined = {str(tz["TZID"]).encode() for tz in calendar.walk("VTIMEZONE")}
    assert used, "times should be local times with a TZID"
    assert used <= defined


def test_the_server_binds_localhost_by_default(served: Served):
    assert f"serving the feed on http://127.0.0.1:{served.port}/" in served.proc.stderr()
    assert served.feed.startswith(f"http://127.0.0.1:{served.port}/feed/")


def test_feed_url_prints_short_http_and_webcal_links(served: Served):
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", served.token)
    assert served.feed == f"{served.base()}/feed/{served.token}.ics"
    assert served.webcal == f"webcal://127.0.0.1:{served.port}/feed/{served.token}.ics"
    assert served.page == f"{served.base()}/week/{served.token}"
    assert len(served.webcal) < 256
    assert served.token not in served.proc.stderr()  # never in the logs


@pytest.mark.parametrize("which", FEEDS)
def test_conditional_requests_head_and_gzip(served: Served, which: str):
    url = link(served, which)
    full = procs.fetch(url)
    etag, last = full.headers["etag"], full.headers["last-modified"]
    assert email.utils.parsedate_to_datetime(last) is not None
    assert procs.fetch(url, headers={"If-None-Match": etag}).status == 304
    assert procs.fetch(url, headers={"If-Modified-Since": last}).status == 304
    assert procs.fetch(url, headers={"If-Modified-Since": "garbage"}).status == 200
    assert procs.fetch(url).body == full.body  # byte-stable from one request to the next
    head = procs.fetch(url, "HEAD")
    assert (head.status, head.body) == (200, b"")
    assert head.headers["etag"] == etag
    assert head.headers["content-length"] == str(len(full.body))
    packed = procs.fetch(url, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip"
    assert gzip.decompress(packed.body) == full.body


def test_wrong_token_is_404_and_only_get_and_head_are_allowed(served: Served):
    wrong = served.feed.replace(served.token, "B" * len(served.token))
    assert procs.fetch(wrong).status == 404
    assert procs.fetch(f"{served.base()}/feed/x.ics").status == 404
    post = procs.fetch(served.feed, "POST")
    assert post.status == 405
    assert post.headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize("which", FEEDS)
def test_export_writes_the_bytes_serve_serves(served: Served, tmp_path: Path, which: str):
    out = tmp_path / "strength.ics"
    args = ["--config", str(served.config), "--now", procs.NOW, "export", str(served.source)]
    args += ["--busy"] if which == "busy" else []
    done = procs.run([*args, "--output", str(out)], served.env, served.workdir)
    assert done.returncode == 0, done.stderr
    body = procs.fetch(link(served, which)).body
    assert out.read_bytes() == body
    what = "busy" if which == "busy" else "strength"
    assert f"wrote {len(events(body))} {what} blocks" in done.stderr


def replanned(proc: procs.Proc, before: int) -> bool:
    return proc.lines("feed ready") > before


@pytest.fixture
def own_server(tmp_path: Path):
    """A server on a copy of the example, which the test may edit."""
    source = tmp_path / "training.ics"
    shutil.copy(EXAMPLE, source)
    running = start_serve(tmp_path, source)
    yield running
    running.proc.stop()


def test_unchanged_plan_same_bytes_moved_block_same_uid_higher_sequence(own_server: Served):
    srv = own_server
    first = procs.fetch(srv.feed)
    # SIGHUP replans: the same plan gives byte-identical output, ETag and Last-Modified.
    count = srv.proc.lines("feed ready")
    srv.proc.signal(signal.SIGHUP)
    procs.until(lambda: replanned(srv.proc, count), "a replan after SIGHUP")
    again = procs.fetch(srv.feed)
    assert again.body == first.body
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["last-modified"] == first.headers["last-modified"]

    # Thursday's easy run moves to the evening: its block moves too, same UID, SEQUENCE 1.
    text = srv.source.read_text(encoding="utf-8")
    moved = text
    for old, new in (
        ("20260108T070000", "20260108T170000"),
        ("20260108T075000", "20260108T175000"),
    ):
        moved = moved.replace(f"Europe/London:{old}", f"Europe/London:{new}")
    assert moved != text
    srv.source.write_text(moved, encoding="utf-8")
    count = srv.proc.lines("feed ready")
    srv.proc.signal(signal.SIGHUP)
    procs.until(lambda: replanned(srv.proc, count), "a replan after the edit")
    after = procs.fetch(srv.feed)
    assert after.headers["etag"] != first.headers["etag"]
    last_before = email.utils.parsedate_to_datetime(first.headers["last-modified"])
    assert email.utils.parsedate_to_datetime(after.headers["last-modified"]) > last_before
    old = {str(e["UID"]): e for e in events(first.body)}
    new = {str(e["UID"]): e for e in events(after.body)}
    assert set(old) == set(new)  # no duplicates for subscribed clients
    changed = [uid for uid in old if old[uid].decoded("DTSTART") != new[uid].decoded("DTSTART")]
    assert changed, "some Thursday block should have moved"
    for uid in changed:
        assert new[uid].decoded("DTSTART").hour >= 17
        assert int(new[uid]["SEQUENCE"]) == int(old[uid]["SEQUENCE"]) + 1
    for uid in set(old) - set(changed):
        assert int(new[uid]["SEQUENCE"]) == int(old[uid]["SEQUENCE"])
    # If-Modified-Since with the old date now gets the new feed.
    since = {"If-Modified-Since": first.headers["last-modified"]}
    assert procs.fetch(srv.feed, headers=since).status == 200


def test_regenerated_token_revokes_the_old_link(own_server: Served):
    srv = own_server
    assert procs.fetch(srv.feed).status == 200
    args = ["--config", str(srv.config), "feed-url", "--regenerate", "--port", str(srv.port)]
    done = procs.run(args, srv.env, srv.workdir)
    assert done.returncode == 0, done.stderr
    count = srv.proc.lines("feed ready")
    srv.proc.signal(signal.SIGHUP)
    procs.until(lambda: replanned(srv.proc, count), "a replan after SIGHUP")
    links = feed_url(srv.config, srv.env, srv.workdir, srv.port)
    assert links["feed"] != srv.feed
    assert procs.fetch(srv.feed).status == 404
    assert procs.fetch(links["feed"]).status == 200
    assert procs.fetch(links["page"]).status == 200


def test_sigterm_exits_zero(own_server: Served):
    own_server.proc.signal(signal.SIGTERM)
    assert own_server.proc.wait() == 0
    assert "Traceback" not in own_server.proc.stderr()
