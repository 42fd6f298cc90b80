"""The week page: one small self-contained HTML page of the planned weeks. Pure: no I/O.

- A season strip: the next 8-16 weeks as a table of small letter squares (E easy, I interval,
  L long, S strength, a dot for a rest day), weeks short of their sessions marked.
- One row per week, seven day columns (the config's week start): runs as chips coloured by
  kind and lettered, strength blocks as cards with their session name (a <details> opens the
  whole session), other events only as faint busy bars (their title on hover or tap). A
  header line per week ("2/2 strength · 4 runs: 1 interval, 1 long") and its warnings.
- Each day's heading is a <summary>: opening it shows the planner's verdict for the day.
- Under 600 px the week is a day list; printed, one week per page.

No scripts, no external assets and no style attributes: one constant <style> element, allowed
by its hash in the Content-Security-Policy (`STYLE_SOURCE`). Every piece of text is escaped:
event titles are user data. Colour is never the only signal: each kind has its letter and
word, and every colour pair used for text meets WCAG AA (`CONTRAST_PAIRS`, tested).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
from collections import Counter
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from urllib.parse import quote

from calsync.core.sessions import LABELS
from calsync.model import RUN_KINDS
from calsync.model import Block
from calsync.model import Classified
from calsync.model import DayVerdict
from calsync.model import Kind
from calsync.model import WeekReport

GOOGLE_SUBSCRIBE = "https://calendar.google.com/calendar/r?cid="
MAX_ITEMS_PER_DAY = 40  # a day with hundreds of meetings shows the first ones and a count

# The palette (also in STYLE's :root, which the contrast test reads).
COLOURS = {
    Kind.EASY.value: "#2e7d32",
    Kind.INTERVAL.value: "#c62828",
    Kind.LONG.value: "#1565c0",
    Kind.STRENGTH.value: "#6a1b9a",
    Kind.OTHER.value: "#5f6b76",
    "block": "#6a1b9a",
}
LETTERS = {"easy": "E", "interval": "I", "long": "L", "strength": "S", "block": "S", "other": "B"}
WORDS = {
    "easy": "easy run",
    "interval": "intervals",
    "long": "long run",
    "strength": "own strength",
    "block": "strength block",
    "other": "busy",
}

# (text colour, background) custom-property pairs used for text: each must reach 4.5:1.
CONTRAST_PAIRS = (
    ("--fg", "--bg"),
    ("--fg", "--card"),
    ("--muted", "--card"),
    ("--muted", "--bg"),
    ("--muted", "--past"),
    ("--on-kind", "--easy"),
    ("--on-kind", "--interval"),
    ("--on-kind", "--long"),
    ("--on-kind", "--strength"),
    ("--block-ink", "--block-bg"),
    ("--busy-ink", "--busy-bg"),
    ("--today-ink", "--today-bg"),
    ("--warn-ink", "--warn-bg"),
    ("--link", "--bg"),
)

STYLE = """
:root{--bg:#f6f7f9;--card:#fff;--fg:#1b1f24;--muted:#4f5862;--line:#d5dae0;--past:#eceef1;
--on-kind:#fff;--easy:#2e7d32;--interval:#c62828;--long:#1565c0;--strength:#6a1b9a;
--block-bg:#f3e8f8;--block-ink:#4a1070;--busy-bg:#e8ebee;--busy-ink:#4a535c;
--today-bg:#fff1c2;--today-ink:#5c4300;--warn-bg:#fff4d6;--warn-ink:#6b4e00;--link:#0b57b0;
--rest:#e4e7eb}
*{box-sizing:border-box}
body{font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;
max-width:84rem;padding:1rem 1.25rem 3rem;color:var(--fg);background:var(--bg);
overflow-wrap:anywhere}
h1{font-size:1.5rem;margin:.2rem 0 .4rem}h2{font-size:1.1rem;margin:0}
a{color:var(--link)}
.links{color:var(--muted);font-size:.9rem}
.links a{display:inline-block;margin:.15rem .7rem .15rem 0;font-weight:600}
.links code{display:block;font-size:.78rem;word-break:break-all;color:var(--muted)}
.legend{display:flex;flex-wrap:wrap;gap:.3rem .9rem;margin:.7rem 0;padding:0;list-style:none;
font-size:.85rem;color:var(--muted)}
.sq{display:inline-block;min-width:1.25rem;height:1.25rem;line-height:1.25rem;
border-radius:.25rem;text-align:center;font-weight:700;font-size:.75rem;color:var(--on-kind);
background:var(--c)}
.k-easy{--c:var(--easy)}.k-interval{--c:var(--interval)}.k-long{--c:var(--long)}
.k-strength,.k-block{--c:var(--strength)}
.sq.k-rest{background:none;color:var(--muted)}
.sq.k-other{background:var(--busy-bg);color:var(--busy-ink)}
.season{background:var(--card);border:1px solid var(--line);border-radius:.5rem;width:fit-content;
max-width:100%;
padding:.6rem .8rem;margin:.6rem 0 1.2rem}
.season h2{font-size:1rem;margin-bottom:.4rem}
.strip{border-collapse:separate;border-spacing:3px;font-size:.8rem}
.strip caption{text-align:left;color:var(--muted);font-size:.8rem;padding-bottom:.2rem}
.strip th{font-weight:600;color:var(--muted);text-align:left;padding:0 .3rem 0 0;
white-space:nowrap}
.strip thead th{text-align:center;padding:0}
.strip td{padding:0;text-align:center;white-space:nowrap}
.strip td.d{width:3.4rem;height:1.8rem;background:var(--rest);border-radius:.3rem}
.strip td.d.today{outline:2px solid var(--today-ink)}
.strip .sq{min-width:1.3rem;height:1.3rem;line-height:1.3rem;font-size:.75rem;margin:0 1px}
.strip .count{padding:0 .4rem;color:var(--muted);font-weight:600;text-align:left}
.strip tr.short .count{color:var(--warn-ink);background:var(--warn-bg);border-radius:.3rem}
.week{background:var(--card);border:1px solid var(--line);border-radius:.5rem;
margin:0 0 1.2rem;padding:.7rem .8rem .8rem}
.week header{display:flex;flex-wrap:wrap;align-items:baseline;gap:.2rem 1rem;
margin-bottom:.5rem}
.week .tally{margin:0;color:var(--muted);font-weight:600}
.warnings{list-style:none;margin:.2rem 0 0;padding:0;flex-basis:100%}
.warnings li{background:var(--warn-bg);color:var(--warn-ink);border-radius:.3rem;
padding:.15rem .5rem;margin:.15rem 0;font-size:.88rem}
.days{list-style:none;margin:0;padding:0;display:grid;
grid-template-columns:repeat(7,minmax(0,1fr));gap:.35rem}
.day{border:1px solid var(--line);border-radius:.4rem;padding:.3rem;min-height:7rem;
background:var(--card)}
.day.past{background:var(--past)}
.day.past .chip,.day.past .block{filter:grayscale(1)}
.day.today{border:2px solid var(--today-ink)}
.why summary{cursor:pointer;font-weight:700;list-style:none;display:flex;gap:.3rem;
align-items:baseline;flex-wrap:wrap;position:relative;padding-right:2.3rem}
.why summary::-webkit-details-marker{display:none}
.why summary .dom{color:var(--muted);font-weight:600}
.why summary .hint{position:absolute;right:0;top:.1rem;color:var(--muted);font-weight:400;
font-size:.75rem;text-decoration:underline dotted}
.why[open] summary .hint{visibility:hidden}
.badge{background:var(--today-bg);color:var(--today-ink);border-radius:.25rem;
font-size:.7rem;padding:0 .3rem;font-weight:700}
.verdict{margin:.2rem 0 .3rem;padding:.3rem .4rem;font-size:.8rem;background:var(--bg);
color:var(--fg);border-radius:.3rem}
.verdict b{text-transform:uppercase;font-size:.7rem;color:var(--muted)}
.items{list-style:none;margin:.25rem 0 0;padding:0;display:flex;flex-direction:column;
gap:.22rem}
.chip{display:flex;gap:.3rem;align-items:flex-start;background:var(--c);color:var(--on-kind);
border-radius:.35rem;padding:.2rem .35rem;font-size:.8rem;font-weight:600}
.chip .sq{background:rgba(0,0,0,.28);flex:none;font-size:.68rem;min-width:1.05rem;
height:1.05rem;line-height:1.05rem}
.chip .when{font-weight:400;white-space:nowrap}
.block{background:var(--block-bg);color:var(--block-ink);border-left:.3rem solid
var(--strength);border-radius:.35rem;padding:.3rem .4rem;font-size:.8rem}
.block summary{cursor:pointer}
.block .name{display:block;font-size:.92rem;font-weight:800}
.block .when{font-weight:600}
.block p{margin:.3rem 0;color:var(--fg)}
.block pre{white-space:pre-wrap;font:inherit;font-size:.78rem;margin:.3rem 0 0;color:var(--fg)}
.busy summary{list-style:none;cursor:pointer;background:var(--busy-bg);color:var(--busy-ink);
border-radius:.25rem;padding:0 .3rem;font-size:.72rem;line-height:1.15rem}
.busy summary::-webkit-details-marker{display:none}
.busy p{margin:.1rem .3rem;font-size:.75rem;color:var(--busy-ink)}
.empty{color:var(--muted);font-size:.78rem}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);
white-space:nowrap}
@media (max-width:600px){
body{padding:.6rem .6rem 2rem}
.days{grid-template-columns:1fr;gap:0}
.day{display:grid;grid-template-columns:4.6rem minmax(0,1fr);gap:0 .4rem;min-height:0;
border-width:0 0 1px;border-radius:0;padding:.35rem .1rem}
.day.today{border-width:2px;border-radius:.4rem}
.why{grid-column:1 / -1}
.why:not([open]){grid-column:1}
.why:not([open]) summary{padding-right:0;flex-direction:column;gap:0;overflow-wrap:normal}
.why summary .hint{position:static}
.items{margin:0;grid-column:2}
.why[open] + .items{grid-column:1 / -1}
.season{padding:.5rem}
.strip{border-spacing:2px;width:100%;table-layout:fixed}
.strip th[scope=row],.strip thead th:first-child{width:2.9rem;font-size:.72rem}
.strip thead th:last-child,.strip .count{width:2.6rem}
.strip td.d{width:auto;height:1.6rem}
.strip .sq{min-width:.95rem;height:1rem;line-height:1rem;font-size:.62rem;margin:0}
.strip .count .word{position:absolute;width:1px;height:1px;overflow:hidden;
clip:rect(0 0 0 0)}
}
@page{size:landscape;margin:1cm}
@media print{
body{background:#fff;max-width:none;padding:0;font-size:12px}
.why summary .hint{display:none}
.day{min-height:0}
.links,.season,.legend{display:none}
.week{break-after:page;page-break-after:always;border:0}
.week:last-child{break-after:auto;page-break-after:auto}
.day{break-inside:avoid}
.chip,.sq{print-color-adjust:exact;-webkit-print-color-adjust:exact}
}
"""

# The CSP source that allows exactly this stylesheet (and no other inline style).
STYLE_SOURCE = "'sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode() + "'"


@dataclass(frozen=True, slots=True)
class Links:
    """The subscribe links shown on the page."""

    feed: str  # http(s) URL of the .ics
    webcal: str  # the same as webcal:// (Apple Calendar opens its subscribe dialog)
    busy: str | None = None  # the busy-only feed, for a work calendar

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
    weeks: Sequence[WeekReport]  # the weeks shown day by day (the feed's weeks)
    runs: Sequence[Classified]  # every classified occurrence (runs and others)
    blocks: Sequence[Block]  # the blocks the feed serves
    links: Links
    season: Sequence[WeekReport] = field(default_factory=tuple)  # the strip; empty: `weeks`


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _clock(moment: dt.datetime, tz: dt.tzinfo) -> str:
    return moment.astimezone(tz).strftime("%H:%M")


def _day_label(day: dt.date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def _local_days(
    start: dt.datetime, end: dt.datetime, tz: dt.tzinfo, lo: dt.date, hi: dt.date
) -> list[dt.date]:
    """The local days of `[start, end)` inside `[lo, hi]`: an event may run to year 9998
    (a DTEND of 9999 is read as "for ever"), millions of days nobody sees on the page."""
    first = start.astimezone(tz).date()
    last = max(first, (end - dt.timedelta(microseconds=1)).astimezone(tz).date())
    first, last = max(first, lo), min(last, hi)
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def session_name(block: Block) -> str:
    """ "Session A", "Lighter session", ...; a user template's own name."""
    return LABELS.get(block.template, block.template or block.summary)


def _square(kind: str, *, word: bool = True, name: str | None = None) -> str:
    """A lettered square; the word for screen readers (and hover) beside the letter."""
    letter = "·" if kind == "rest" else LETTERS.get(kind, "?")
    name = name or ("rest day" if kind == "rest" else WORDS.get(kind, kind))
    hidden = f'<span class="sr"> {_e(name)}</span>' if word else ""
    return (
        f'<span class="sq k-{_e(kind)}" title="{_e(name)}" aria-hidden="{str(not word).lower()}">'
        f"{letter}</span>{hidden}"
    )


# --- the items of a day ---------------------------------------------------------------------


def _when(item: Classified, tz: dt.tzinfo) -> str:
    event = item.event
    return "all day" if event.all_day else f"{_clock(event.start, tz)}–{_clock(event.end, tz)}"


def _run_item(item: Classified, tz: dt.tzinfo) -> str:
    kind = item.kind.value
    return (
        f'<li class="chip k-{_e(kind)}" data-kind="{_e(kind)}">{_square(kind)}'
        f'<span><span class="when">{_e(_when(item, tz))}</span> '
        f'<span class="title">{_e(item.event.summary)}</span></span></li>'
    )


def _busy_item(item: Classified, tz: dt.tzinfo) -> str:
    """A faint bar: the time only; the title on hover (title) or tap (<details>)."""
    when, title = _when(item, tz), item.event.summary or "(no title)"
    return (
        f'<li class="busy" data-kind="other"><details><summary title="{_e(when)} {_e(title)}">'
        f'<span class="sr">busy </span>{_e(when)}</summary><p>{_e(title)}</p></details></li>'
    )


def _block_item(block: Block, tz: dt.tzinfo) -> str:
    when = f"{_clock(block.start, tz)}–{_clock(block.end, tz)}"
    light = " lighter" if block.lighter else ""
    return (
        f'<li class="block{light}" data-kind="block"><details><summary>'
        f'{_square("block")} <span class="when">{_e(when)}</span>'
        f'<span class="name">{_e(session_name(block))}</span></summary>'
        f'<p class="reason">{_e(block.reason)}</p><pre>{_e(block.description)}</pre>'
        "</details></li>"
    )


# --- one week row ---------------------------------------------------------------------------

Items = dict[dt.date, list[tuple[dt.datetime, int, str]]]


def _verdict(verdict: DayVerdict | None) -> str:
    if verdict is None:
        return '<p class="verdict">no verdict for this day</p>'
    code = verdict.code.replace("_", " ")
    return (
        f'<p class="verdict" data-code="{_e(verdict.code)}"><b>{_e(code)}</b> '
        f"{_e(verdict.reason)}</p>"
    )


def _day(day: dt.date, items: Items, verdict: DayVerdict | None, today: dt.date) -> str:
    css = "day" + (" today" if day == today else "") + (" past" if day < today else "")
    rows = [text for _, _, text in sorted(items.get(day, []), key=lambda t: t[:2])]
    more = len(rows) - MAX_ITEMS_PER_DAY
    body = "".join(rows[:MAX_ITEMS_PER_DAY]) + (
        f'<li class="empty">and {more} more</li>' if more > 0 else ""
    )
    badge = ' <span class="badge">Today</span>' if day == today else ""
    return (
        f'<li class="{css}" data-day="{day.isoformat()}"><details class="why"><summary>'
        f'<span class="dow">{day:%a}</span> <span class="dom">{day.day} {day:%b}</span>{badge}'
        f'<span class="hint">why?</span></summary>{_verdict(verdict)}</details>'
        f'<ul class="items">{body or "<li class=empty>free</li>"}</ul></li>'
    )


def tally(report: WeekReport, runs: Iterable[Classified], tz: dt.tzinfo) -> str:
    """ "2/2 strength · 4 runs: 1 interval, 1 long" for one plan week."""
    last = report.first_day + dt.timedelta(days=6)
    kinds = Counter(
        r.kind
        for r in runs
        if r.kind in RUN_KINDS
        and not r.event.managed
        and report.first_day <= r.event.start.astimezone(tz).date() <= last
    )
    n = sum(kinds.values())
    parts = [
        f"{kinds[Kind.INTERVAL]} interval{'s' if kinds[Kind.INTERVAL] > 1 else ''}"
        if kinds[Kind.INTERVAL]
        else "",
        f"{kinds[Kind.LONG]} long" if kinds[Kind.LONG] else "",
    ]
    detail = ", ".join(p for p in parts if p)
    runs_text = f"{n} run{'s' if n != 1 else ''}" + (f": {detail}" if detail else "")
    return f"{report.placed}/{report.wanted} strength · {runs_text}"


def _week(report: WeekReport, page: WeekPage, items: Items) -> str:
    days = [report.first_day + dt.timedelta(days=i) for i in range(7)]
    verdicts = {v.date: v for v in report.days}
    warnings = "".join(f"<li>{_e(w)}</li>" for w in report.warnings)
    head = (
        f"<header><h2>{_e(report.week)} · {_e(_day_label(days[0]))} – {_e(_day_label(days[-1]))}"
        f'</h2><p class="tally">{_e(tally(report, page.runs, page.tz))}</p>'
        + (f'<ul class="warnings">{warnings}</ul>' if warnings else "")
        + "</header>"
    )
    body = "".join(_day(day, items, verdicts.get(day), page.today) for day in days)
    return (
        f'<section class="week" data-week="{_e(report.week)}">{head}'
        f'<ol class="days">{body}</ol></section>'
    )


# --- the season strip -----------------------------------------------------------------------

STRENGTH_CODES = frozenset({"strength", "own_strength"})
RUN_ORDER = ("interval", "long", "easy")


def _day_kinds(page: WeekPage, lo: dt.date, hi: dt.date) -> dict[dt.date, set[str]]:
    """Per local day in `[lo, hi]`: the run kinds, and "strength"."""
    out: dict[dt.date, set[str]] = {}
    for item in page.runs:
        if item.event.managed or item.kind not in (*RUN_KINDS, Kind.STRENGTH):
            continue
        day = item.event.start.astimezone(page.tz).date()
        if lo <= day <= hi:
            out.setdefault(day, set()).add(item.kind.value)
    for block in page.blocks:
        out.setdefault(block.start.astimezone(page.tz).date(), set()).add("strength")
    for report in page.season or page.weeks:
        for verdict in report.days:
            if verdict.code in STRENGTH_CODES:
                out.setdefault(verdict.date, set()).add("strength")
    return out


def _strip_cell(day: dt.date, kinds: set[str], today: dt.date) -> str:
    squares = "".join(_square(k) for k in RUN_ORDER if k in kinds)
    if "strength" in kinds:
        squares += _square("strength", name="strength")
    squares = squares or _square("rest")
    css = "d today" if day == today else "d"
    return f'<td class="{css}" data-day="{day.isoformat()}">{squares}</td>'


def _strip_row(report: WeekReport, kinds: dict[dt.date, set[str]], today: dt.date) -> str:
    days = [report.first_day + dt.timedelta(days=i) for i in range(7)]
    short = report.placed < report.wanted
    mark = ' ⚠<span class="word"> short</span>' if short else ""
    cells = "".join(_strip_cell(d, kinds.get(d, set()), today) for d in days)
    return (
        f'<tr class="{"short" if short else "full"}" data-week="{_e(report.week)}">'
        f'<th scope="row">{_e(days[0].strftime("%d %b"))}</th>{cells}'
        f'<td class="count">{report.placed}/{report.wanted}{mark}</td></tr>'
    )


def _season(page: WeekPage) -> str:
    weeks = list(page.season or page.weeks)
    if not weeks:
        return ""
    lo, hi = weeks[0].first_day, weeks[-1].first_day + dt.timedelta(days=6)
    kinds = _day_kinds(page, lo, hi)
    names = "".join(
        f'<th scope="col">{weeks[0].first_day + dt.timedelta(days=i):%a}</th>' for i in range(7)
    )
    rows = "".join(_strip_row(report, kinds, page.today) for report in weeks)
    short = sum(r.placed < r.wanted for r in weeks)
    gaps = (
        f"{short} week{'s' if short != 1 else ''} short of strength sessions (marked ⚠)"
        if short
        else "every week has its strength sessions"
    )
    caption = f"{len(weeks)} weeks from {_day_label(lo)}: what each day holds; {gaps}"
    return (
        f'<section class="season" aria-labelledby="season-h"><h2 id="season-h">Season</h2>'
        f'<table class="strip"><caption>{_e(caption)}</caption><thead><tr><th scope="col">'
        f'<span class="sr">week of</span></th>{names}<th scope="col"><span class="sr">'
        f"strength sessions</span></th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


# --- the page -------------------------------------------------------------------------------


def _links(links: Links) -> str:
    busy = (
        f'<a id="busy" href="{_e(links.busy)}">Busy feed (work calendar)</a>' if links.busy else ""
    )
    return (
        '<nav class="links"><strong>Subscribe:</strong> '
        f'<a id="webcal" href="{_e(links.webcal)}">Apple Calendar (webcal)</a>'
        f'<a id="google" href="{_e(links.google)}">Google Calendar</a>'
        f'<a id="feed" href="{_e(links.feed)}">ICS feed</a>{busy}'
        f"<code>{_e(links.feed)}</code></nav>"
    )


def _legend() -> str:
    kinds = ("easy", "interval", "long", "block", "other", "rest")
    words = {**WORDS, "rest": "rest day", "other": "busy (other events)"}
    items = "".join(f"<li>{_square(k, word=False)} {_e(words[k])}</li>" for k in kinds)
    return f'<ul class="legend" aria-label="legend">{items}</ul>'


def _items(page: WeekPage) -> Items:
    """Each shown day's items: (start, order, html); runs, blocks, then busy bars."""
    out: Items = {}
    firsts = [report.first_day for report in page.weeks]
    if not firsts:
        return out
    lo, hi = min(firsts), max(firsts) + dt.timedelta(days=6)
    for item in page.runs:
        if item.event.managed:
            continue  # calsync's own blocks are shown from the plan instead
        other = item.kind is Kind.OTHER
        text = _busy_item(item, page.tz) if other else _run_item(item, page.tz)
        for day in _local_days(item.event.start, item.event.end, page.tz, lo, hi):
            out.setdefault(day, []).append((item.event.start, 2 if other else 0, text))
    for block in page.blocks:
        day = block.start.astimezone(page.tz).date()
        out.setdefault(day, []).append((block.start, 1, _block_item(block, page.tz)))
    return out


def render_week_page(page: WeekPage) -> bytes:
    """The whole page as UTF-8 bytes (deterministic for the same input)."""
    items = _items(page)
    weeks = "".join(_week(report, page, items) for report in page.weeks)
    doc = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="robots" content="noindex,nofollow">'
        f"<title>{_e(page.title)} · calsync</title><style>{STYLE}</style></head>"
        f"<body><h1>{_e(page.title)}</h1>{_links(page.links)}{_legend()}{_season(page)}"
        f"<main>{weeks}</main></body></html>\n"
    )
    return doc.encode("utf-8")
