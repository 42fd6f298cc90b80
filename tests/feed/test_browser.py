"""The week page in a real headless Chromium (Debian's `chromium`), served by a real
`calsync serve` process on 127.0.0.1: the page loads, shows the canonical week right, and its
links work.

`--dump-dom` prints the DOM after the page has loaded, so what is checked is what the browser
built (after its HTML parser, the Content-Security-Policy and the charset), not our bytes.
"""

from __future__ import annotations

import html.parser
import os
import shutil
import subprocess
import urllib.parse
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import icalendar
import pytest

from calsync.web import COLOURS
from tests.feed import procs
from tests.feed.serving import Served

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Debian's chromium is not installed (CI installs it: apt-get install -y chromium)",
    ),
]

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-proxy-server",
)

# 2026-W49 in Europe/London: Mon easy, Tue intervals, Thu easy, Sat long.
MON, TUE, WED, THU, FRI, SAT, SUN = (
    "2026-11-30",
    "2026-12-01",
    "2026-12-02",
    "2026-12-03",
    "2026-12-04",
    "2026-12-05",
    "2026-12-06",
)


def dump_dom(url: str, profile: Path) -> str:
    """The DOM Chromium built for `url`, serialised."""
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
        env={**os.environ, "HOME": str(profile)},  # nothing written to the real home
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@dataclass
class Item:
    kind: str
    colour: str
    text: list[str] = field(default_factory=list)


@dataclass
class Day:
    week: str
    items: list[Item] = field(default_factory=list)

    def kinds(self) -> list[str]:
        return [item.kind for item in self.items]


class PageParser(html.parser.HTMLParser):
    """Days (section[data-day]) with their items (li[data-kind]), links, week headings."""

    def __init__(self) -> None:
        super().__init__()
        self.days: dict[str, Day] = {}
        self.links: dict[str, str] = {}
        self.headings: list[str] = []
        self._week = ""
        self._day: Day | None = None
        self._item: Item | None = None
        self._in_h2 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "div" and "data-week" in a:
            self._week = a["data-week"]
        elif tag == "section" and "data-day" in a:
            self._day = self.days.setdefault(a["data-day"], Day(self._week))
        elif tag == "li" and "data-kind" in a and self._day is not None:
            colour = a.get("style", "").removeprefix("--c:").strip()
            self._item = Item(a["data-kind"], colour)
            self._day.items.append(self._item)
        elif tag == "a" and "id" in a:
            self.links[a["id"]] = a.get("href", "")
        elif tag == "h2":
            self._in_h2 = True
            self.headings.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self._day, self._item = None, None
        elif tag == "li":
            self._item = None
        elif tag == "h2":
            self._in_h2 = False

    def handle_data(self, data: str) -> None:
        if self._item is not None and data.strip():
            self._item.text.append(data.strip())
        if self._in_h2:
            self.headings[-1] += data


@pytest.fixture(scope="module")
def page(served: Served, tmp_path_factory: pytest.TempPathFactory) -> PageParser:
    dom = dump_dom(served.page, tmp_path_factory.mktemp("chromium-profile"))
    parser = PageParser()
    parser.feed(dom)
    assert parser.days, f"no days in the page Chromium loaded:\n{dom[:2000]}"
    return parser


def test_the_page_shows_the_canonical_week(page: PageParser):
    week = {day: page.days[day] for day in (MON, TUE, WED, THU, FRI, SAT, SUN)}
    assert {d.week for d in week.values()} == {"2026-W49"}
    assert "easy" in week[MON].kinds()
    assert "interval" in week[TUE].kinds()
    assert "easy" in week[THU].kinds()
    assert "long" in week[SAT].kinds()
    with_blocks = [day for day, d in week.items() if "block" in d.kinds()]
    assert with_blocks == [MON, THU]
    heading = next(h for h in page.headings if h.startswith("2026-W49"))
    assert "2/2 strength" in heading


def test_strength_blocks_show_their_session_and_reason(page: PageParser):
    for day in (MON, THU):
        (block,) = [i for i in page.days[day].items if i.kind == "block"]
        text = " ".join(block.text)
        assert "Strength" in text
        assert "strength block" in text
        # a reason for the day, and a ready-to-do session (several lines of exercises)
        assert any("easy" in t.lower() for t in block.text), text
        assert max(len(t) for t in block.text) > 80, text
    mon_block = next(i for i in page.days[MON].items if i.kind == "block")
    assert any("interval" in t.lower() for t in mon_block.text), "Mon is the day before intervals"


def test_runs_are_coloured_by_kind(page: PageParser):
    seen: dict[str, set[str]] = {}
    for day in page.days.values():
        for item in day.items:
            seen.setdefault(item.kind, set()).add(item.colour)
    for kind in ("easy", "interval", "long", "block"):
        assert seen[kind] == {COLOURS[kind]}, kind
    assert len({COLOURS[k] for k in ("easy", "interval", "long", "block")}) == 4


def test_the_subscribe_links_work(page: PageParser, served: Served):
    links = page.links
    assert links["feed"] == served.feed
    feed = procs.fetch(links["feed"])
    assert feed.status == 200
    assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(feed.body)
    starts = sorted(
        str(e.decoded("DTSTART").date())
        for e in calendar.walk("VEVENT")
        if "2026-W49" in str(e["UID"])
    )
    assert starts == [MON, THU]
    # webcal:// is the same URL for calendar apps; fetch it over http.
    assert links["webcal"] == served.webcal
    assert links["webcal"].startswith("webcal://")
    assert procs.fetch("http://" + links["webcal"].removeprefix("webcal://")).body == feed.body
    # Google's "add by URL" link carries the webcal link (not fetched: never leave 127.0.0.1).
    query = urllib.parse.urlsplit(links["google"]).query
    assert urllib.parse.parse_qs(query)["cid"] == [links["webcal"]]
    for link in (links["feed"], links["webcal"], links["google"]):
        assert len(link) < 256


def test_a_wrong_token_shows_no_week(served: Served, tmp_path: Path):
    wrong = served.page.replace(served.token, "A" * len(served.token))
    dom = dump_dom(wrong, tmp_path / "profile")
    parser = PageParser()
    parser.feed(dom)
    assert parser.days == {}
    assert "not found" in dom
