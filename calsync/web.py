"""The week page: one small self-contained HTML page of the planned weeks. Pure: no I/O.

Each day lists its runs coloured by kind and the strength blocks with their session and the
reason for the day, then the subscribe links. No scripts, no external assets (inline CSS only),
and every piece of text is escaped: event titles are user data.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from calsync.model import Block
from calsync.model import Classified
from calsync.model import Kind
from calsync.model import WeekReport

GOOGLE_SUBSCRIBE = "https://calendar.google.com/calendar/r?cid="

COLOURS = {
    Kind.EASY.value: "#2e7d32",
    Kind.INTERVAL.value: "#c62828",
    Kind.LONG.value: "#1565c0",
    Kind.STRENGTH.value: "#6a1b9a",
    Kind.OTHER.value: "#616161",
    "block": "#ef6c00",
}

STYLE = """
body{font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;
max-width:60rem;padding:1rem;color:#212121;background:#fafafa}
h1{font-size:1.4rem;margin:.2rem 0}h2{font-size:1.1rem;margin:1.2rem 0 .4rem}
.links a{display:inline-block;margin:.2rem .6rem .2rem 0}
.links code{font-size:.8rem;word-break:break-all;color:#555}
.week{border-top:2px solid #ddd}
.day{display:grid;grid-template-columns:7.5rem 1fr;gap:.5rem;padding:.35rem 0;
border-bottom:1px solid #eee}
.day.today{background:#fff8e1}
.date{font-weight:600}
ul{list-style:none;margin:0;padding:0}
.item{border-left:.35rem solid var(--c);padding:.1rem .5rem;margin:.15rem 0;background:#fff}
.kind{font-size:.75rem;text-transform:uppercase;color:var(--c);font-weight:700;margin-left:.4rem}
.reason{color:#555;font-size:.85rem}
details pre{white-space:pre-wrap;font:inherit;font-size:.85rem;margin:.3rem 0}
.warn{color:#8d6e00;font-size:.9rem}
.empty{color:#9e9e9e}
"""


@dataclass(frozen=True, slots=True)
class Links:
    """The subscribe links shown on the page."""

    feed: str  # http(s) URL of the .ics
    webcal: str  # the same as webcal:// (Apple Calendar opens its subscribe dialog)

    @property
    def google(self) -> str:
        """Google Calendar's one-click "add by URL" link (needs a public https feed)."""
        return GOOGLE_SUBSCRIBE + quote(self.webcal, safe="")


@dataclass(frozen=True, slots=True)
class WeekPage:
    """Everything the page shows."""

    title: str
    tz: dt.tzinfo
    today: dt.date
    weeks: Sequence[WeekReport]
    runs: Sequence[Classified]  # every classified occurrence (runs and others)
    blocks: Sequence[Block]  # the blocks the feed serves
    links: Links


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _clock(moment: dt.datetime, tz: dt.tzinfo) -> str:
    return moment.astimezone(tz).strftime("%H:%M")


def _local_days(
    start: dt.datetime, end: dt.datetime, tz: dt.tzinfo, lo: dt.date, hi: dt.date
) -> list[dt.date]:
    """The local days of `[start, end)` inside `[lo, hi]`: an event may run to year 9998
    (a DTEND of 9999 is read as "for ever"), millions of days nobody sees on the page."""
    first = start.astimezone(tz).date()
    last = max(first, (end - dt.timedelta(microseconds=1)).astimezone(tz).date())
    first, last = max(first, lo), min(last, hi)
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _run_item(item: Classified, tz: dt.tzinfo) -> str:
    event = item.event
    kind = item.kind.value
    when = "all day" if event.all_day else f"{_clock(event.start, tz)}–{_clock(event.end, tz)}"
    return (
        f'<li class="item run kind-{_e(kind)}" data-kind="{_e(kind)}" '
        f'style="--c:{COLOURS.get(kind, "#616161")}">'
        f'<span class="when">{_e(when)}</span> <span class="title">{_e(event.summary)}</span>'
        f'<span class="kind">{_e(kind)}</span>'
        f'<div class="reason">{_e(item.reason)}</div></li>'
    )


def _block_item(block: Block, tz: dt.tzinfo) -> str:
    when = f"{_clock(block.start, tz)}–{_clock(block.end, tz)}"
    light = " lighter" if block.lighter else ""
    return (
        f'<li class="item block{light}" data-kind="block" style="--c:{COLOURS["block"]}">'
        f'<span class="when">{_e(when)}</span> <span class="title">{_e(block.summary)}</span>'
        f'<span class="kind">strength block</span>'
        f'<div class="reason">{_e(block.reason)}</div>'
        f"<details><summary>Session</summary><pre>{_e(block.description)}</pre></details></li>"
    )


def _day(day: dt.date, items: list[tuple[dt.datetime, str]], today: dt.date) -> str:
    css = "day today" if day == today else "day"
    rows = "".join(text for _, text in sorted(items, key=lambda pair: pair[0]))
    body = f"<ul>{rows}</ul>" if rows else '<span class="empty">nothing planned</span>'
    return (
        f'<section class="{css}" data-day="{day.isoformat()}">'
        f'<div class="date">{_e(day.strftime("%a %d %b"))}</div>{body}</section>'
    )


def _week(
    report: WeekReport, page: WeekPage, by_day: dict[dt.date, list[tuple[dt.datetime, str]]]
) -> str:
    days = [report.first_day + dt.timedelta(days=i) for i in range(7)]
    warnings = "".join(f'<li class="warn">{_e(w)}</li>' for w in report.warnings)
    head = (
        f"<h2>{_e(report.week)} · {_e(days[0].strftime('%d %b'))}–{_e(days[-1].strftime('%d %b'))}"
        f" · {report.placed}/{report.wanted} strength</h2>"
    )
    body = "".join(_day(day, by_day.get(day, []), page.today) for day in days)
    return f'<div class="week" data-week="{_e(report.week)}">{head}<ul>{warnings}</ul>{body}</div>'


def _links(links: Links) -> str:
    return (
        '<nav class="links"><strong>Subscribe:</strong> '
        f'<a id="webcal" href="{_e(links.webcal)}">Apple Calendar (webcal)</a>'
        f'<a id="google" href="{_e(links.google)}">Google Calendar</a>'
        f'<a id="feed" href="{_e(links.feed)}">ICS feed</a>'
        f"<br><code>{_e(links.feed)}</code></nav>"
    )


def render_week_page(page: WeekPage) -> bytes:
    """The whole page as UTF-8 bytes (deterministic for the same input)."""
    by_day: dict[dt.date, list[tuple[dt.datetime, str]]] = {}
    firsts = [report.first_day for report in page.weeks]
    lo, hi = (
        (min(firsts), max(firsts) + dt.timedelta(days=6)) if firsts else (dt.date.max, dt.date.min)
    )
    for item in page.runs:
        if item.event.managed:
            continue  # calsync's own blocks are shown from the plan instead
        text = _run_item(item, page.tz)
        for day in _local_days(item.event.start, item.event.end, page.tz, lo, hi):
            by_day.setdefault(day, []).append((item.event.start, text))
    for block in page.blocks:
        by_day.setdefault(block.start.astimezone(page.tz).date(), []).append(
            (block.start, _block_item(block, page.tz))
        )
    weeks = "".join(_week(report, page, by_day) for report in page.weeks)
    doc = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="robots" content="noindex,nofollow">'
        f"<title>{_e(page.title)} · calsync</title><style>{STYLE}</style></head>"
        f"<body><h1>{_e(page.title)}</h1>{_links(page.links)}<main>{weeks}</main></body></html>\n"
    )
    return doc.encode("utf-8")
