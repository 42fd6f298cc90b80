"""The feed's bookkeeping: UIDs, SEQUENCE, Last-Modified and the HTTP rules. No sockets."""

from __future__ import annotations

import datetime as dt
import gzip
import zoneinfo
from dataclasses import replace

import pytest

from calsync.adapters import feed_record_file
from calsync.adapters import http_cache
from calsync.app import feed
from calsync.core import feed_record
from calsync.core.feed_record import FeedRecord
from calsync.model import Block

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 11, 30, 0, 0, tzinfo=BERLIN)
MON = dt.date(2026, 11, 30)
WED = dt.date(2026, 12, 2)
THU = dt.date(2026, 12, 3)
KEEP_FROM = dt.datetime(2026, 11, 16, tzinfo=BERLIN)


def block(day: dt.date, hour: int, slot: str = "2026-W49/1", summary: str = "Strength") -> Block:
    start = dt.datetime.combine(day, dt.time(hour), tzinfo=BERLIN)
    return Block(
        slot=slot,
        start=start,
        end=start + dt.timedelta(minutes=45),
        week="2026-W49",
        summary=summary,
        description="Squats 4x5",
        reason="easy run day",
        template="A",
    )


def test_uids_follow_week_and_rank_so_a_moved_block_keeps_its_uid():
    before = feed_record.assign_uids([], [block(MON, 8), block(THU, 8, "2026-W49/2")])
    moved = feed_record.assign_uids([], [block(MON, 8), block(WED, 12, "2026-W49/2")])
    assert [uid for uid, _ in before] == [uid for uid, _ in moved]
    assert [uid for uid, _ in moved] == ["2026-W49-1@feed.calsync", "2026-W49-2@feed.calsync"]


def test_sequence_rises_only_when_the_content_changes():
    first = feed_record.update_served(
        FeedRecord(), feed_record.assign_uids([], [block(MON, 8)]), NOW
    )
    (uid,) = first
    assert first[uid].sequence == 0
    same = feed_record.update_served(
        FeedRecord(first), feed_record.assign_uids([], [block(MON, 8)]), NOW
    )
    assert same[uid].sequence == 0
    later = NOW + dt.timedelta(hours=1)
    moved = feed_record.update_served(
        FeedRecord(same), feed_record.assign_uids([], [block(MON, 12)]), later
    )
    assert moved[uid].sequence == 1
    assert moved[uid].changed > first[uid].changed


def test_frozen_blocks_keep_their_uid_and_new_blocks_take_the_next_rank():
    served = feed_record.update_served(
        FeedRecord(), feed_record.assign_uids([], [block(MON, 8), block(THU, 8, "2026-W49/2")]), NOW
    )
    record = FeedRecord(served)
    after_monday = dt.datetime(2026, 11, 30, 10, tzinfo=BERLIN)
    frozen = feed_record.frozen_blocks(record, after_monday, KEEP_FROM)
    assert [f.block.day for f in frozen] == [MON]
    # Thursday's block, replanned after Monday's started, is now rank 1 of the planner's
    # blocks, but Monday's frozen block keeps rank 1: Thursday keeps rank 2, and its UID.
    uids = feed_record.assign_uids(frozen, [block(THU, 8, "2026-W49/1")])
    assert uids == [
        ("2026-W49-1@feed.calsync", frozen[0].block),
        ("2026-W49-2@feed.calsync", replace(block(THU, 8), slot="2026-W49/2")),
    ]


def test_a_dropped_block_is_not_frozen_and_comes_back_with_a_higher_sequence():
    blocks = feed_record.assign_uids([], [block(MON, 8), block(THU, 8, "2026-W49/2")])
    record = FeedRecord(feed_record.update_served(FeedRecord(), blocks, NOW))
    only_monday = feed_record.update_served(record, blocks[:1], NOW)
    kept = FeedRecord(feed_record.retained(record, only_monday, KEEP_FROM))
    thursday_uid = blocks[1][0]
    assert not kept.served[thursday_uid].active
    after_thursday = dt.datetime(2026, 12, 3, 12, tzinfo=BERLIN)
    assert [f.uid for f in feed_record.frozen_blocks(kept, after_thursday, KEEP_FROM)] == [
        blocks[0][0]
    ]
    back = feed_record.update_served(kept, blocks, NOW)
    assert back[thursday_uid].sequence == 1


def test_last_modified_never_moves_back_when_bytes_change_and_the_clock_went_back():
    record = FeedRecord(body_digest="a", last_modified=feed_record.whole_seconds(NOW))
    earlier = NOW - dt.timedelta(days=2)
    assert feed_record.next_last_modified(record, "b", earlier) > record.last_modified  # type: ignore[operator]
    assert feed_record.next_last_modified(record, "a", earlier) == record.last_modified
    assert feed_record.next_last_modified(record, "b", NOW).microsecond == 0


def test_record_json_round_trips():
    served = feed_record.update_served(
        FeedRecord(), feed_record.assign_uids([], [block(MON, 8)]), NOW
    )
    record = FeedRecord(served, "digest", feed_record.whole_seconds(NOW))
    assert feed_record.record_from_json(feed_record.record_to_json(record)) == record


def test_broken_record_file_starts_afresh(tmp_path):
    feed_record_file.record_path(tmp_path).write_text("{not json")
    assert feed_record_file.load_record(tmp_path) == FeedRecord()


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        ('"abc"', True),
        ('W/"abc"', True),
        ('"x", "abc"', True),
        ('"x" , W/"abc" ', True),
        ("*", True),
        ('"abcd"', False),
        ("abc", False),
        ("", False),
    ],
)
def test_if_none_match_weak_comparison_lists_and_star(header, matches):
    assert http_cache.etag_list_matches(header, ['"abc"']) is matches


def test_if_none_match_takes_precedence_over_if_modified_since():
    doc = http_cache.make_document(
        b"BEGIN:VCALENDAR\r\n", http_cache.ICS_TYPE, feed_record.whole_seconds(NOW)
    )
    date = http_cache.http_date(NOW)
    later = NOW + dt.timedelta(days=1)
    assert http_cache.is_not_modified(doc, None, date, later)
    assert not http_cache.is_not_modified(doc, '"other"', date, later)
    assert http_cache.is_not_modified(doc, doc.gzipped.etag, None, later)


@pytest.mark.parametrize("since", ["garbage", "", "Mon, 99 Foo 2026 99:99:99 GMT", "1"])
def test_malformed_if_modified_since_means_full_response(since):
    doc = http_cache.make_document(b"x", http_cache.ICS_TYPE, feed_record.whole_seconds(NOW))
    assert not http_cache.is_not_modified(doc, None, since, NOW)


def test_if_modified_since_in_the_future_or_before_last_modified_means_full_response():
    doc = http_cache.make_document(b"x", http_cache.ICS_TYPE, feed_record.whole_seconds(NOW))
    future = http_cache.http_date(NOW + dt.timedelta(days=3))
    older = http_cache.http_date(NOW - dt.timedelta(seconds=1))
    assert not http_cache.is_not_modified(doc, None, future, NOW + dt.timedelta(hours=1))
    assert not http_cache.is_not_modified(doc, None, older, NOW)


@pytest.mark.parametrize(
    ("header", "gz"),
    [
        ("gzip", True),
        ("br, gzip;q=0.5", True),
        ("gzip;q=0", False),
        ("identity", False),
        ("*", True),
        ("*;q=0", False),
        (None, False),
        ("x-gzip", True),
    ],
)
def test_accept_encoding(header, gz):
    assert http_cache.accepts_gzip(header) is gz


def test_gzip_variant_is_deterministic_and_has_its_own_etag():
    a = http_cache.make_document(b"hello" * 100, http_cache.ICS_TYPE)
    b = http_cache.make_document(b"hello" * 100, http_cache.ICS_TYPE)
    assert a == b
    assert a.gzipped.etag != a.identity.etag
    assert gzip.decompress(a.gzipped.body) == a.identity.body


def test_build_feed_same_plan_same_bytes_later_and_moved_block_raises_sequence():
    import icalendar

    from calsync.config import parse_config

    config = parse_config({"timezone": "Europe/Berlin"}, "test", BERLIN)
    plan = [block(THU, 8), block(dt.date(2026, 12, 5), 9, "2026-W49/2")]
    first = feed.build_feed(plan, FeedRecord(), config, NOW, KEEP_FROM)
    later = NOW + dt.timedelta(hours=5)
    again = feed.build_feed(plan, first.record, config, later, KEEP_FROM)
    assert again.document == first.document  # same bytes, ETag and Last-Modified
    moved = [block(THU, 12), plan[1]]
    after = feed.build_feed(moved, again.record, config, later, KEEP_FROM)
    assert after.document.last_modified > first.document.last_modified  # type: ignore[operator]
    cal = icalendar.Calendar.from_ical(after.document.identity.body)
    sequences = {str(e["UID"]): int(e["SEQUENCE"]) for e in cal.walk("VEVENT")}
    assert sequences == {"2026-W49-1@feed.calsync": 1, "2026-W49-2@feed.calsync": 0}
    stamps = {e["DTSTAMP"].to_ical() for e in cal.walk("VEVENT")}
    assert stamps == {b"20261130T040000Z"}  # DTSTAMP = when the move was first served (`later`)
