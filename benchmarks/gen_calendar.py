"""A realistic synthetic runner's calendar, deterministic by seed (for benchmarks).

`generate(n, years)` returns one calendar of `n` VEVENTs spread over `years` years: single runs of
every kind (easy, intervals, long, in several languages, some with the distance only in the
description), weekly recurring runs (with an EXDATE and a moved instance), meetings, all-day
events (workouts from a training platform, holidays), floating and UTC times, a cancelled and a
transparent event now and then. Recurring series are short, so the number of occurrences stays
close to `n`.

`generate_events(n, years)` returns `n` calendar objects, one UID each (a series and its overrides
share one object, as CalDAV stores them), for uploading to a CalDAV server.

Usage: python benchmarks/gen_calendar.py --events 5000 --years 1 out.ics
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from pathlib import Path

TZID = "Europe/London"

VTIMEZONE = (
    "BEGIN:VTIMEZONE\r\n"
    "TZID:Europe/London\r\n"
    "BEGIN:DAYLIGHT\r\n"
    "TZOFFSETFROM:+0000\r\n"
    "TZOFFSETTO:+0100\r\n"
    "TZNAME:BST\r\n"
    "DTSTART:19810329T010000\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
    "END:DAYLIGHT\r\n"
    "BEGIN:STANDARD\r\n"
    "TZOFFSETFROM:+0100\r\n"
    "TZOFFSETTO:+0000\r\n"
    "TZNAME:GMT\r\n"
    "DTSTART:19961027T020000\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"
    "END:STANDARD\r\n"
    "END:VTIMEZONE\r\n"
)

EASY = (
    "Easy run",
    "Z2 45'",
    "Recovery jog",
    "Lockerer Dauerlauf",
    "Footing",
    "Rodaje suave",
    "Duurloop",
    "Corsa lenta",
    "Corrida leve",
    "Morning Run",
    "Shakeout 5k",
)
INTERVALS = (
    "Intervals 6 x 800m @ 5k pace",
    "Threshold 3x10'",
    "Tempo 8 km",
    "Track: 12 x 400m",
    "Hill repeats",
    "Fartlek 40'",
    "Intervalle 5x1000m",
    "Fractionné 10x400",
    "Series 6x1000",
)
LONG = (
    "Long run",
    "🐢 LSD 2h",
    "Sortie longue",
    "Tirada larga",
    "Lange duurloop",
    "Long Run, 22 km",
)
OTHER = (
    "Team meeting",
    "1:1 with Sam",
    "Dentist",
    "Yoga",
    "Cycling intervals 5x4'",
    "Swim 2 km",
    "Gym: squats & deadlifts",
    "Lunch with Alex",
    "Sprint planning",
    "Physio",
)
ALL_DAY = (
    "Race day: 10k",
    "Travel to Berlin",
    "Holiday",
    "Rest day",
    "Easy 10 km",
    "Long run 28 km",
)


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Fold one content line at 75 octets, never inside a UTF-8 sequence."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line + "\r\n"
    parts: list[str] = []
    chunk = ""
    size = 0
    limit = 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(chunk)
            chunk = ""
            size = 0
            limit = 74
        chunk += char
        size += width
    parts.append(chunk)
    return "\r\n ".join(parts) + "\r\n"


def _local(when: dt.datetime) -> str:
    return f"{when:%Y%m%dT%H%M%S}"


def _stamp(when: dt.datetime) -> str:
    return f"DTSTAMP:{when:%Y%m%dT%H%M%S}Z"


class _Maker:
    """Builds VEVENT groups (one UID each) from one random generator."""

    def __init__(self, seed: int, start_year: int, years: float) -> None:
        self.rng = random.Random(seed)
        self.first = dt.date(start_year, 1, 1)
        self.days = max(7, round(365 * years))
        self.count = 0

    def _day(self) -> dt.date:
        return self.first + dt.timedelta(days=self.rng.randrange(self.days))

    def _uid(self) -> str:
        self.count += 1
        return f"gen-{self.count:06d}-{self.rng.getrandbits(32):08x}@bench.calsync"

    def _timed(self, day: dt.date) -> dt.datetime:
        hour = self.rng.choice((6, 7, 7, 8, 12, 17, 18, 18, 19))
        return dt.datetime.combine(day, dt.time(hour, self.rng.choice((0, 15, 30, 45))))

    def _title(self) -> tuple[str, str, int]:
        """Summary, description and length in minutes of one item."""
        pick = self.rng.random()
        if pick < 0.35:
            km = self.rng.randint(5, 14)
            return self.rng.choice(EASY), f"{km} km easy, conversational pace.", km * 6
        if pick < 0.5:
            return self.rng.choice(INTERVALS), "WU 2 km, main set, CD 2 km.", 70
        if pick < 0.6:
            km = self.rng.randint(18, 32)
            return self.rng.choice(LONG), f"{km} km steady, fuel every 40 min.", km * 6
        return self.rng.choice(OTHER), "", self.rng.choice((30, 45, 60, 90))

    def _vevent(self, lines: list[str]) -> str:
        return "BEGIN:VEVENT\r\n" + "".join(_fold(x) for x in lines) + "END:VEVENT\r\n"

    def single(self) -> list[str]:
        uid = self._uid()
        day = self._day()
        summary, description, minutes = self._title()
        start = self._timed(day)
        end = start + dt.timedelta(minutes=minutes)
        stamp = _stamp(start - dt.timedelta(days=3))
        style = self.rng.random()
        if style < 0.6:
            when = [f"DTSTART;TZID={TZID}:{_local(start)}", f"DTEND;TZID={TZID}:{_local(end)}"]
        elif style < 0.85:  # UTC, as Google writes
            when = [f"DTSTART:{_local(start)}Z", f"DTEND:{_local(end)}Z"]
        elif style < 0.95:  # floating, with a DURATION
            when = [f"DTSTART:{_local(start)}", f"DURATION:PT{minutes}M"]
        else:
            when = [f"DTSTART;TZID={TZID}:{_local(start)}", f"DURATION:PT{minutes}M"]
        lines = [f"UID:{uid}", stamp, *when, f"SUMMARY:{_esc(summary)}"]
        if description:
            lines.append(f"DESCRIPTION:{_esc(description)}")
        odd = self.rng.random()
        if odd < 0.02:
            lines.append("STATUS:CANCELLED")
        elif odd < 0.06:
            lines.append("TRANSP:TRANSPARENT")
        return [self._vevent(lines)]

    def all_day(self) -> list[str]:
        uid = self._uid()
        day = self._day()
        length = self.rng.choice((1, 1, 1, 1, 2, 3))
        summary = self.rng.choice(ALL_DAY)
        lines = [
            f"UID:{uid}",
            _stamp(dt.datetime.combine(day, dt.time(9))),
            f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{day + dt.timedelta(days=length):%Y%m%d}",
            f"SUMMARY:{_esc(summary)}",
        ]
        if summary in ("Holiday", "Rest day"):
            lines.append("TRANSP:TRANSPARENT")
        return [self._vevent(lines)]

    def series(self, room: int) -> list[str]:
        """A weekly run of 3-8 occurrences, maybe with an EXDATE and a moved instance."""
        uid = self._uid()
        day = self._day()
        summary, description, minutes = self._title()
        start = self._timed(day)
        end = start + dt.timedelta(minutes=minutes)
        count = self.rng.randint(3, 8)
        stamp = _stamp(start - dt.timedelta(days=7))
        lines = [
            f"UID:{uid}",
            stamp,
            f"DTSTART;TZID={TZID}:{_local(start)}",
            f"DTEND;TZID={TZID}:{_local(end)}",
            f"RRULE:FREQ=WEEKLY;COUNT={count}",
            f"SUMMARY:{_esc(summary)}",
        ]
        if description:
            lines.append(f"DESCRIPTION:{_esc(description)}")
        if self.rng.random() < 0.3:
            lines.append(f"EXDATE;TZID={TZID}:{_local(start + dt.timedelta(weeks=2))}")
        group = [self._vevent(lines)]
        if room > 1 and self.rng.random() < 0.3:
            original = start + dt.timedelta(weeks=1)
            moved = original + dt.timedelta(days=1, hours=self.rng.choice((-1, 0, 2)))
            override = [
                f"UID:{uid}",
                stamp,
                f"RECURRENCE-ID;TZID={TZID}:{_local(original)}",
                f"DTSTART;TZID={TZID}:{_local(moved)}",
                f"DTEND;TZID={TZID}:{_local(moved + dt.timedelta(minutes=minutes))}",
                f"SUMMARY:{_esc(summary)} (moved)",
                "SEQUENCE:1",
            ]
            group.append(self._vevent(override))
        return group

    def group(self, room: int) -> list[str]:
        """One UID's VEVENTs: at most `room` of them."""
        pick = self.rng.random()
        if pick < 0.04:
            return self.series(room)
        if pick < 0.12:
            return self.all_day()
        return self.single()


def _groups(n: int, years: float, seed: int, start_year: int, *, by_uid: bool) -> list[list[str]]:
    maker = _Maker(seed, start_year, years)
    groups: list[list[str]] = []
    total = 0
    while total < n:
        group = maker.group(2 if by_uid else n - total)
        groups.append(group)
        total += 1 if by_uid else len(group)
    return groups


def _calendar(vevents: list[str], name: str) -> bytes:
    head = (
        "BEGIN:VCALENDAR\r\n"
        "VERSION:2.0\r\n"
        "PRODID:-//calsync//benchmark generator//EN\r\n"
        "CALSCALE:GREGORIAN\r\n"
        f"X-WR-CALNAME:{name}\r\n"
        f"X-WR-TIMEZONE:{TZID}\r\n"
    )
    return (head + VTIMEZONE + "".join(vevents) + "END:VCALENDAR\r\n").encode("utf-8")


def generate(n: int, years: float, seed: int = 0, start_year: int = 2026) -> bytes:
    """One calendar of exactly `n` VEVENTs over `years` years from 1 January `start_year`."""
    vevents = [v for group in _groups(n, years, seed, start_year, by_uid=False) for v in group]
    return _calendar(vevents, "Training (generated)")


def generate_events(
    n: int, years: float = 1.0, seed: int = 0, start_year: int = 2026
) -> list[bytes]:
    """`n` calendar objects of one UID each (a recurring master keeps its overrides)."""
    groups = _groups(n, years, seed, start_year, by_uid=True)
    return [_calendar(group, "Training (generated)") for group in groups]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a synthetic runner's calendar.")
    parser.add_argument("--events", type=int, default=5000, help="number of VEVENTs")
    parser.add_argument("--years", type=float, default=1.0, help="span in years")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start-year", type=int, default=2026)
    parser.add_argument("out", type=Path, help="the .ics file to write")
    args = parser.parse_args(argv)
    args.out.write_bytes(generate(args.events, args.years, args.seed, args.start_year))


if __name__ == "__main__":
    main()
