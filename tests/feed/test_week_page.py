"""The week page renderer (pure): escaping, the week grid, day verdicts, the season strip,
the strict stylesheet, WCAG AA contrast, links."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import html.parser
import re
import zoneinfo
from urllib.parse import unquote

from calsync.adapters.feed_server import PAGE_POLICY
from calsync.core.week_page import CONTRAST_PAIRS
from calsync.core.week_page import STYLE
from calsync.core.week_page import STYLE_SOURCE
from calsync.core.week_page import Links
from calsync.core.week_page import WeekPage
from calsync.core.week_page import render_week_page
from calsync.model import Block
from calsync.model import Classified
from calsync.model import DayVerdict
from calsync.model import Event
from calsync.model import Kind
from calsync.model import WeekReport

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
MON = dt.date(2026, 11, 30)
EVIL = '<script>alert("x")</script> & "quotes"'
CLASSIFIER_REASON = "because the classifier said so"


def at(day: dt.date, hour: int, minutes: int = 60) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(hour), tzinfo=BERLIN)
    return start, start + dt.timedelta(minutes=minutes)


def run(day_offset: int, summary: str, kind: Kind) -> Classified:
    start, end = at(MON + dt.timedelta(days=day_offset), 7)
    return Classified(
        Event(uid=f"u{day_offset}", start=start, end=end, summary=summary),
        kind,
        CLASSIFIER_REASON,
    )


VERDICTS = tuple(
    DayVerdict(MON + dt.timedelta(days=i), code, f"reason {i}: {code}")
    for i, code in enumerate(
        ("strength", "interval", "rest_day", "not_chosen", "rest_day", "long", "rest_day")
    )
)


def page() -> WeekPage:
    start, end = at(MON, 8, 45)
    block = Block("2026-W49/1", start, end, "2026-W49", "Strength (light)", EVIL, EVIL, "A", True)
    feed = "https://cal.example.org/feed/tok.ics"
    return WeekPage(
        title="Strength",
        tz=BERLIN,
        today=MON,
        weeks=[WeekReport("2026-W49", MON, 1, 2, (EVIL,), VERDICTS)],
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
        if tag == "li" and attrs.get("data-day"):
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


def rendered(page_: WeekPage | None = None) -> str:
    return render_week_page(page_ or page()).decode("utf-8")


def test_the_week_header_line_counts_strength_and_runs():
    doc = rendered()
    assert '<p class="tally">1/2 strength · 3 runs: 1 interval, 1 long</p>' in doc
    assert "&lt;script&gt;" in doc.split('class="warnings"', 1)[1]  # the week's warning


def test_each_day_heading_opens_its_verdict():
    doc = rendered()
    for verdict in VERDICTS:
        day = re.search(rf'<li class="[^"]*" data-day="{verdict.date}">(.*?)</details>', doc)
        assert day, verdict
        assert '<details class="why"><summary>' in day.group(1)
        assert verdict.reason in day.group(1)


def test_other_events_are_busy_bars_and_no_classifier_reason_is_shown():
    doc = rendered()
    assert CLASSIFIER_REASON not in doc
    wed = re.search(r'<li class="day[^"]*" data-day="2026-12-02">(.*?)</li></ul>', doc)
    assert wed and 'class="busy"' in wed.group(1)
    assert "&lt;script&gt;" in wed.group(1)  # the title: on hover (title) and tap (details)


def test_today_is_marked_and_past_days_are_dimmed():
    doc = rendered(dataclasses.replace(page(), today=MON + dt.timedelta(days=2)))
    by_day = {
        day: css for css, day in re.findall(r'<li class="(day[^"]*)" data-day="([\d-]+)"', doc)
    }
    assert by_day["2026-11-30"] == by_day["2026-12-01"] == "day past"
    assert by_day["2026-12-02"] == "day today"
    assert by_day["2026-12-03"] == "day"
    assert doc.count('<span class="badge">Today</span>') == 1


def test_the_season_strip_marks_weeks_short_of_sessions():
    season = [
        WeekReport(f"2026-W{49 + i}", MON + dt.timedelta(weeks=i), 2 - (i % 3 == 1), 2)
        for i in range(8)
    ]
    doc = rendered(dataclasses.replace(page(), season=season))
    rows = re.findall(r'<tr class="(short|full)" data-week="([\w-]+)">', doc)
    assert len(rows) == 8
    assert [week for css, week in rows if css == "short"] == ["2026-W50", "2026-W53", "2026-W56"]
    assert "3 weeks short of strength sessions (marked ⚠)" in doc
    first = re.search(r'data-week="2026-W49">(.*?)</tr>', doc)
    assert first
    cells = re.findall(r'<td class="d[^"]*" data-day="[\d-]+">(.*?)</td>', first.group(1))
    letters = ["".join(re.findall(r'aria-hidden="false">(.)</span>', cell)) for cell in cells]
    assert letters == ["ES", "I", "·", "·", "·", "L", "·"]


def test_the_stylesheet_is_allowed_by_its_hash_and_nothing_else_is():
    doc = rendered()
    (style,) = re.findall(r"<style>(.*?)</style>", doc, re.S)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"'sha256-{digest}'" == STYLE_SOURCE
    assert f"style-src {STYLE_SOURCE};" in PAGE_POLICY
    assert "unsafe" not in PAGE_POLICY and "script-src" not in PAGE_POLICY  # default: none
    assert " style=" not in doc  # a style attribute would need 'unsafe-inline'


def _luminance(colour: str) -> float:
    digits = colour.lstrip("#")
    digits = "".join(c * 2 for c in digits) if len(digits) == 3 else digits
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """The WCAG 2 contrast ratio of two sRGB colours."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def custom_properties() -> dict[str, str]:
    root = re.search(r":root\{(.*?)\}", STYLE, re.S)
    assert root
    return dict(re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{3,6})\b", root.group(1)))


def test_contrast_formula_matches_known_values():
    assert round(contrast("#000", "#fff"), 1) == 21.0
    assert round(contrast("#777", "#fff"), 2) == 4.48  # the classic just-fails grey


def test_every_text_colour_pair_meets_wcag_aa():
    props = custom_properties()
    for text, background in CONTRAST_PAIRS:
        ratio = contrast(props[text], props[background])
        assert ratio >= 4.5, (text, background, round(ratio, 2))


def test_every_text_colour_in_the_stylesheet_is_in_a_checked_pair():
    used = set(re.findall(r"(?<![\w-])color:var\((--[\w-]+)\)", STYLE))
    checked = {text for text, _ in CONTRAST_PAIRS}
    assert used and used <= checked, used - checked
    backgrounds = set(re.findall(r"background:var\((--[\w-]+)\)", STYLE)) - {"--c"}
    assert backgrounds <= {bg for _, bg in CONTRAST_PAIRS} | {"--rest"}, backgrounds


def test_the_week_starts_on_the_configured_day():
    sunday = MON - dt.timedelta(days=1)
    week = WeekReport("2026-W48", sunday, 2, 2)
    doc = rendered(dataclasses.replace(page(), weeks=[week], season=[week]))
    days = re.findall(r'<li class="day[^"]*" data-day="([\d-]+)"', doc)
    assert days[0] == "2026-11-29" and len(days) == 7
    names = re.findall(r'<th scope="col">(\w{3})</th>', doc)
    assert names == ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
