"""The week page renderer (pure): escaping, colours by kind, blocks with reasons, links."""

from __future__ import annotations

import datetime as dt
import html.parser
import zoneinfo
from urllib.parse import unquote

from calsync.model import Block
from calsync.model import Classified
from calsync.model import Event
from calsync.model import Kind
from calsync.model import WeekReport
from calsync.web import Links
from calsync.web import WeekPage
from calsync.web import render_week_page

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
MON = dt.date(2026, 11, 30)
EVIL = '<script>alert("x")</script> & "quotes"'


def at(day: dt.date, hour: int, minutes: int = 60) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(hour), tzinfo=BERLIN)
    return start, start + dt.timedelta(minutes=minutes)


def run(day_offset: int, summary: str, kind: Kind) -> Classified:
    start, end = at(MON + dt.timedelta(days=day_offset), 7)
    return Classified(
        Event(uid=f"u{day_offset}", start=start, end=end, summary=summary), kind, "why"
    )


def page() -> WeekPage:
    start, end = at(MON, 8, 45)
    block = Block("2026-W49/1", start, end, "2026-W49", "Strength (light)", EVIL, EVIL, "A", True)
    feed = "https://cal.example.org/feed/tok.ics"
    return WeekPage(
        title="Strength",
        tz=BERLIN,
        today=MON,
        weeks=[WeekReport("2026-W49", MON, 1, 2, (EVIL,))],
        runs=[
            run(0, "Easy 8 km", Kind.EASY),
            run(1, "6x800m", Kind.INTERVAL),
            run(2, EVIL, Kind.OTHER),
            run(5, "Long run", Kind.LONG),
        ],
        blocks=[block],
        links=Links(feed=feed, webcal="webcal://cal.example.org/feed/tok.ics"),
    )


class Collector(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed() -> Collector:
    collector = Collector()
    collector.feed(render_week_page(page()).decode("utf-8"))
    return collector


def test_user_text_is_escaped_and_no_script_element_exists():
    doc = render_week_page(page()).decode("utf-8")
    assert "<script>" not in doc
    assert "&lt;script&gt;" in doc
    collector = parsed()
    assert all(tag != "script" for tag, _ in collector.tags)
    assert EVIL in "".join(collector.text)  # shown as text, intact


def test_each_day_shows_its_runs_by_kind_and_the_block():
    kinds_by_day: dict[str, list[str]] = {}
    day = None
    for tag, attrs in parsed().tags:
        if tag == "section":
            day = attrs.get("data-day")
        elif tag == "li" and attrs.get("data-kind") and day:
            kinds_by_day.setdefault(day, []).append(str(attrs["data-kind"]))
    assert kinds_by_day == {
        "2026-11-30": ["easy", "block"],
        "2026-12-01": ["interval"],
        "2026-12-02": ["other"],
        "2026-12-05": ["long"],
    }


def test_page_is_self_contained_and_links_subscribe():
    tags = parsed().tags
    assert not [t for t, a in tags if t in ("link", "img", "iframe")]
    links = {a.get("id"): a.get("href") for t, a in tags if t == "a"}
    assert links["feed"] == "https://cal.example.org/feed/tok.ics"
    assert links["webcal"] == "webcal://cal.example.org/feed/tok.ics"
    google = str(links["google"])
    assert google.startswith("https://calendar.google.com/calendar/r?cid=")
    assert unquote(google.split("cid=", 1)[1]) == links["webcal"]


def test_render_is_deterministic():
    assert render_week_page(page()) == render_week_page(page())
