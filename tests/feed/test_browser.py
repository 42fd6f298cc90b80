"""The week page in a real headless Chromium (Debian's `chromium`), served by a real
`calsync serve` process on 127.0.0.1.

`--dump-dom` prints the DOM after the page has loaded, so what is checked is what the browser
built (after its HTML parser, the Content-Security-Policy and the charset), not our bytes. The
layout tests drive the browser over the DevTools protocol (tests/feed/cdp.py): the grid at
1280 px, the phone's day list at 390 px, real clicks on <details>, print media, and
screenshots saved under tests/artifacts/week-page/ for a person to look at.
"""

from __future__ import annotations

import html.parser
import os
import re
import shutil
import subprocess
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import icalendar
import pytest

from calsync.core.week_page import COLOURS
from tests.feed import procs
from tests.feed.cdp import FLAGS
from tests.feed.cdp import Browser
from tests.feed.cdp import Page
from tests.feed.serving import EXAMPLE
from tests.feed.serving import Served

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "week-page"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Debian's chromium is not installed (CI installs it: apt-get install -y chromium)",
    ),
]

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
    flags = [f for f in FLAGS if f != "--remote-debugging-pipe"]
    done = subprocess.run(
        [CHROMIUM, *flags, f"--user-data-dir={profile}", "--dump-dom", url],
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
    css: str
    text: list[str] = field(default_factory=list)


@dataclass
class Day:
    week: str
    items: list[Item] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    def kinds(self) -> list[str]:
        return [item.kind for item in self.items]


class PageParser(html.parser.HTMLParser):
    """Days (li[data-day]) with their items (li[data-kind]), links, week headings and tallies."""

    def __init__(self) -> None:
        super().__init__()
        self.days: dict[str, Day] = {}
        self.links: dict[str, str] = {}
        self.headings: list[str] = []
        self.tallies: list[str] = []
        self._week = ""
        self._day: Day | None = None
        self._item: Item | None = None
        self._into: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "section" and "data-week" in a:
            self._week = a["data-week"]
        elif tag == "li" and "data-day" in a:
            self._day = self.days.setdefault(a["data-day"], Day(self._week))
        elif tag == "li" and "data-kind" in a and self._day is not None:
            self._item = Item(a["data-kind"], a.get("class", ""))
            self._day.items.append(self._item)
        elif tag == "a" and "id" in a:
            self.links[a["id"]] = a.get("href", "")
        elif tag == "h2" and self._week:
            self.headings.append("")
            self._into = self.headings
        elif tag == "p" and a.get("class") == "tally":
            self.tallies.append("")
            self._into = self.tallies

    def handle_endtag(self, tag: str) -> None:
        if tag == "li" and self._item is not None:
            self._item = None
        elif tag == "li":
            self._day = None
        elif tag in ("h2", "p"):
            self._into = None

    def handle_data(self, data: str) -> None:
        if self._item is not None and data.strip():
            self._item.text.append(data.strip())
        if self._day is not None and data.strip():
            self._day.text.append(data.strip())
        if self._into is not None:
            self._into[-1] += data


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
    assert "30 Nov" in heading and "6 Dec" in heading
    assert page.tallies[0] == "2/2 strength · 4 runs: 1 interval, 1 long"
    assert "Today" in " ".join(week[MON].text)


def test_strength_blocks_show_their_session_and_reason(page: PageParser):
    for day in (MON, THU):
        (block,) = [i for i in page.days[day].items if i.kind == "block"]
        text = " ".join(block.text)
        assert re.search(r"\b(Session [AB]|Lighter session)\b", text), text
        # a reason for the day, and a ready-to-do session (several lines of exercises)
        assert any("easy" in t.lower() for t in block.text), text
        assert max(len(t) for t in block.text) > 80, text
    mon_block = next(i for i in page.days[MON].items if i.kind == "block")
    assert "Lighter session" in mon_block.text, "Mon is the day before intervals"


def test_other_events_are_busy_bars_without_classifier_reasons(page: PageParser, served: Served):
    others = [item for day in page.days.values() for item in day.items if item.kind == "other"]
    if served.source != EXAMPLE:
        return  # the canonical week has runs only
    assert others, "the example's stand-up and yoga should show as busy bars"
    for item in others:
        assert item.css == "busy"
        text = " ".join(item.text)
        assert "not a run" not in text and "other:" not in text, text


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
    assert links["busy"] == served.busy
    assert procs.fetch(links["busy"]).status == 200
    for link in (links["feed"], links["webcal"], links["google"], links["busy"]):
        assert len(link) < 256


def test_a_wrong_token_shows_no_week(served: Served, tmp_path: Path):
    wrong = served.page.replace(served.token, "A" * len(served.token))
    dom = dump_dom(wrong, tmp_path / "profile")
    parser = PageParser()
    parser.feed(dom)
    assert parser.days == {}
    assert "not found" in dom


# --- layout, clicks and print, over the DevTools protocol ------------------------------------


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    assert CHROMIUM is not None
    running = Browser(CHROMIUM, tmp_path_factory.mktemp("chromium-cdp"))
    yield running
    running.close()


@pytest.fixture(scope="module")
def shots(served: Served) -> Path:
    folder = ARTIFACTS / served.source.stem
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_page(browser: Browser, served: Served, width: int, height: int = 900) -> Page:
    tab = browser.page(width, height)
    tab.goto(served.page)
    return tab


def rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


GRID = """(() => [...document.querySelectorAll('section.week')].map(w => {
  const days = [...w.querySelectorAll('ol.days > li.day')];
  return {week: w.dataset.week,
          columns: getComputedStyle(w.querySelector('ol.days')).gridTemplateColumns
                     .split(' ').length,
          tops: days.map(d => Math.round(d.getBoundingClientRect().top)),
          lefts: days.map(d => Math.round(d.getBoundingClientRect().left)),
          first: days[0].dataset.day};
}))()"""


def test_the_laptop_grid_has_one_row_of_seven_days_per_week(
    browser: Browser, served: Served, shots: Path
):
    tab = open_page(browser, served, 1280)
    weeks = tab.js(GRID)
    assert [w["week"] for w in weeks][:1] == ["2026-W49"]
    for week in weeks:
        assert week["columns"] == 7, week
        assert len(set(week["tops"])) == 1, week  # one row
        assert week["lefts"] == sorted(week["lefts"]) and len(set(week["lefts"])) == 7, week
    assert weeks[0]["first"] == MON  # the config's week start (Monday)
    assert tab.js("document.documentElement.scrollWidth") <= 1280
    # Runs are chips coloured by kind, each with its letter (colour is never the only signal).
    chips = tab.js(
        "[...document.querySelectorAll('li.chip')].map(c => [c.dataset.kind,"
        " getComputedStyle(c).backgroundColor, c.querySelector('.sq').textContent,"
        " c.querySelector('.sr').textContent.trim()])"
    )
    seen = {kind: (colour, letter, word) for kind, colour, letter, word in chips}
    assert seen["easy"] == (rgb(COLOURS["easy"]), "E", "easy run")
    assert seen["interval"] == (rgb(COLOURS["interval"]), "I", "intervals")
    assert seen["long"] == (rgb(COLOURS["long"]), "L", "long run")
    assert tab.js("document.querySelector('li.day.today').dataset.day") == MON
    tab.screenshot(shots / "laptop-1280.png")


def test_a_day_opens_its_verdict_and_a_block_its_session(
    browser: Browser, served: Served, shots: Path
):
    tab = open_page(browser, served, 1280)
    tuesday = f"li.day[data-day='{TUE}']"
    verdict = f"{tuesday} .verdict"
    assert tab.js(f'document.querySelector("{verdict}").checkVisibility()') is False
    tab.click(f"{tuesday} details.why > summary")
    assert tab.js(f'document.querySelector("{tuesday} details.why").open') is True
    assert tab.js(f'document.querySelector("{verdict}").checkVisibility()') is True
    text = tab.js(f'document.querySelector("{verdict}").innerText')
    assert "interval" in text.lower(), text  # why not here: intervals, never strength
    wednesday = f"li.day[data-day='{WED}'] details.why"
    tab.click(f"{wednesday} > summary")
    assert tab.js(f'document.querySelector("{wednesday} .verdict").innerText').strip()
    # A block opens its whole session.
    block = f"li.day[data-day='{MON}'] li.block details"
    assert tab.js(f'document.querySelector("{block} pre").checkVisibility()') is False
    tab.click(f"{block} > summary")
    assert tab.js(f'document.querySelector("{block} pre").checkVisibility()') is True
    session = tab.js(f'document.querySelector("{block} pre").innerText')
    assert "Warm-up" in session and len(session.splitlines()) > 8, session
    tab.screenshot(shots / "laptop-1280-opened.png")


STRIP = """(() => [...document.querySelectorAll('table.strip tbody tr')].map(r => ({
  week: r.dataset.week, short: r.classList.contains('short'),
  days: [...r.querySelectorAll('td.d')].map(
    c => [...c.querySelectorAll('.sq')].map(s => s.textContent).join(''))})))()"""


def test_the_season_strip_shows_8_weeks_above_the_week_rows(browser: Browser, served: Served):
    tab = open_page(browser, served, 1280)
    rows = tab.js(STRIP)
    assert 8 <= len(rows) <= 16
    assert all(len(row["days"]) == 7 for row in rows)
    first = rows[0]
    assert first["week"] == "2026-W49" and not first["short"]
    # Mon easy + strength, Tue intervals, Thu easy + strength, Sat long (letters, not colours).
    assert first["days"] == ["ES", "I", "·", "ES", "·", "L", "·"], first
    if served.source == EXAMPLE:  # the example repeats its week: every week is full
        assert not any(row["short"] for row in rows)
    else:  # the canonical fixture is one week: the weeks after it have no sessions
        assert all(row["short"] for row in rows[1:])
    strip_bottom = tab.js("document.querySelector('table.strip').getBoundingClientRect().bottom")
    week_top = tab.js("document.querySelector('section.week').getBoundingClientRect().top")
    assert strip_bottom < week_top


def test_the_phone_shows_a_day_list_without_horizontal_scroll(
    browser: Browser, served: Served, shots: Path
):
    tab = open_page(browser, served, 390, 844)
    assert tab.js("document.documentElement.scrollWidth") <= 390
    weeks = tab.js(GRID)
    for week in weeks:
        assert week["columns"] == 1, week
        assert len(set(week["lefts"])) == 1, week  # one column: a list
        assert week["tops"] == sorted(week["tops"]) and len(set(week["tops"])) == 7, week
    right = tab.js("document.querySelector('table.strip').getBoundingClientRect().right")
    assert right <= 390
    tab.click(f"li.day[data-day='{TUE}'] details.why > summary")
    assert tab.js("document.documentElement.scrollWidth") <= 390
    tab.screenshot(shots / "phone-390.png")


def test_it_prints_one_week_per_page(browser: Browser, served: Served):
    tab = open_page(browser, served, 1280)
    tab.send("Emulation.setEmulatedMedia", {"media": "print"})
    breaks = tab.js(
        "[...document.querySelectorAll('section.week')].map(w => getComputedStyle(w).breakAfter)"
    )
    assert breaks and set(breaks[:-1]) <= {"page"} and breaks[-1] == "auto", breaks
    tab.send("Emulation.setEmulatedMedia", {"media": ""})
    import base64

    pdf = base64.b64decode(tab.send("Page.printToPDF", {"printBackground": True})["data"])
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
    assert pages == len(breaks), (pages, len(breaks))
