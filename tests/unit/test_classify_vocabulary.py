"""Real training-plan vocabulary, context, the runs-calendar rule and the "looks like training"
warnings; the keyword tables as shipped data and the config's [classify.keywords]."""

from __future__ import annotations

import datetime as dt
import tomllib
from importlib import resources
from zoneinfo import ZoneInfo

import pytest

from calsync.config import KEYWORD_KINDS
from calsync.config import parse_config
from calsync.core.classify import classify
from calsync.core.classify import unread_warnings
from calsync.model import ClassifyRules
from calsync.model import Event
from calsync.model import Kind

EZ, IV, LG, ST, OT = Kind.EASY, Kind.INTERVAL, Kind.LONG, Kind.STRENGTH, Kind.OTHER
LONDON = ZoneInfo("Europe/London")
RULES = ClassifyRules()


def event(
    summary: str,
    description: str = "",
    categories: tuple[str, ...] = (),
    *,
    minutes: int | None = None,
    source: str = "",
) -> Event:
    """An all-day event, or a timed one of `minutes` at 07:00."""
    if minutes is None:
        start = dt.datetime(2026, 12, 1, tzinfo=LONDON)
        end, all_day = start + dt.timedelta(days=1), True
    else:
        start = dt.datetime(2026, 12, 1, 7, tzinfo=LONDON)
        end, all_day = start + dt.timedelta(minutes=minutes), False
    return Event("u", start, end, summary, description, categories, all_day=all_day, source=source)


def kind(summary: str, description: str = "", **kw: object) -> Kind:
    return classify(event(summary, description, **kw), RULES).kind  # type: ignore[arg-type]


# --- platform workout names and runners' abbreviations ---------------------------------------

PLATFORM_TITLES = [
    # Garmin Coach
    ("Base", EZ), ("Recovery", EZ), ("Threshold", IV), ("VO2 Max", IV), ("Anaerobic", IV),
    ("Long Run", LG), ("Sprint", IV), ("Tempo", IV),
    # Runna
    ("Easy Run · 5km", EZ), ("Tempo · 8km", IV), ("Intervals · 8 x 400m", IV),
    ("Long Run · 21km", LG), ("Progression Run · 10km", IV), ("Fartlek · 6km", IV),
    ("Hill Repeats · 7km", IV), ("Recovery Run · 4km", EZ),
    # TrainingPeaks / Final Surge / intervals.icu
    ("Run: Aerobic Endurance", EZ), ("Run: Cruise Intervals", IV), ("Z2 Endurance", EZ),
    ("Run: 8 mi w/ 4 mi @ T", IV), ("Run: 6 x 1k @ I", IV), ("Run: 8 x 200 @ R", IV),
    ("Run: 10 mi MP", IV), ("Tempo 4 mi @ HMP", IV), ("Run: LR 16 mi", LG), ("LSR 20 mi", LG),
    ("4×1 mile @ HMP", IV), ("6x1k", IV), ("10x400 @ 5k", IV), ("3 x 2 mi @ T", IV),
    ("2x20' @ threshold", IV), ("E pace 5 mi", EZ), ("5 mi @ E", EZ), ("WU/CD + 6x800", IV),
    # marathon pace and progression are quality, shakeouts and recoveries easy
    ("Marathon pace run 14 km", IV), ("MP 3x5k", IV), ("Progression 45'", IV),
    ("Shakeout 3 km", EZ), ("Recovery 5 km", EZ), ("Shake-out jog", EZ),
    # Strava club events
    ("Saturday Club Run", EZ), ("Thursday Night Track", IV), ("Social 5k + coffee", EZ),
    ("Beginners Group Run", EZ), ("Club Relays", IV),
]  # fmt: skip


@pytest.mark.parametrize(("title", "expected"), PLATFORM_TITLES)
def test_platform_workout_names(title: str, expected: Kind) -> None:
    result = classify(event(title), RULES)
    assert result.kind is expected, result.reason


GARMIN_STEPS = (
    "Warm Up: 10:00\nRun: 3:00 @ 4:05-4:15 /km\nRecover: 3:00\nRepeat 5 times\nCool Down: 10:00"
)
TP_STEPS = "Warm up 15:00 ... Repeat 6 times: Run 400 m @ 5K pace, Recover 90 s ... Cool down 10:00"
ICU_STEPS = "- 15m Z2 Pace\n\n5x\n- 3m Z5 Pace\n- 3m Z1 Pace\n\n- 10m Z1 Pace"


@pytest.mark.parametrize(
    ("summary", "description", "expected"),
    [
        ("Workout", TP_STEPS, IV),
        ("Run", TP_STEPS, IV),
        ("Session", ICU_STEPS, IV),
        ("Run: Easy", "Warm up 10:00\nRun 30:00 @ Z2\nCool down 5:00", EZ),
        ("Easy run", TP_STEPS, EZ),  # the title says easy: the notes do not make it a session
        ("VO2 Max", GARMIN_STEPS, IV),
    ],
)
def test_structured_descriptions(summary: str, description: str, expected: Kind) -> None:
    result = classify(event(summary, description), RULES)
    assert result.kind is expected, result.reason


# --- context decides ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Marshal at parkrun", OT),
        ("parkrun marshal", OT),
        ("Volunteer: Berlin Marathon water station", OT),
        ("Marathon expo – bib pickup", OT),
        ("Packet pick-up for the 10k", OT),
        ("Project Marathon sync", OT),
        ("Sprint planning", OT),
        ("Sprint review", OT),
        ("Sprint 14 retro", OT),
        ("Sprint 24", OT),  # a numbered sprint is work
        ("Lob practice", OT),  # tennis, not the Danish "løb"
        ("Drive 30 km", OT),
        ("Run club breakfast", OT),
        ("Lauftreff Weihnachtsfeier", OT),
        ("Running club AGM", OT),
        ("Bénévole au semi-marathon", OT),
        ("Helfer Stadtlauf", OT),
        ("Pacing Tom at the Berlin Marathon", IV),  # still a run: a race day
        ("Pacer 1:45 at the half marathon", IV),
        ("parkrun, easy with a friend", EZ),
        ("Parkrun (easy)", EZ),
        ("parkrun jog with the kids", EZ),
        ("parkrun", IV),  # a race itself is a quality day
        ("Race: 10k", IV),
        ("Breakfast run", EZ),  # the social word before the run word: a run
        ("Run club 10k + breakfast", EZ),  # a figure: the run happens
        ("Rest day", OT),
        ("Day off", OT),
    ],
)
def test_context_decides(title: str, expected: Kind) -> None:
    result = classify(event(title, minutes=60), RULES)
    assert result.kind is expected, result.reason


def test_contemporary_is_not_tempo_and_words_are_whole() -> None:
    assert kind("Contemporary dance") is OT
    assert kind("Temporary office closure") is OT
    assert kind("Database migration 2h") is OT  # "base" is a whole word only
    assert kind("Focus time 2h") is OT  # a duration alone needs a title with no other meaning
    assert kind("Intervalltraining") is IV
    assert kind("Dauerlauf") is EZ
    assert kind("Duurloop") is EZ
    assert kind("Langtur") is LG


def test_easy_pace_tempo_is_not_a_tempo_run() -> None:
    assert kind("Lugn löpning i lugnt tempo") is EZ
    assert kind("Dauerlauf in ruhigem Tempo") is EZ
    assert kind("Tempo 8 km") is IV


# --- the runs calendar: a figure with no other meaning is a run --------------------------------


@pytest.mark.parametrize(
    ("title", "minutes", "expected"),
    [
        ("Base 8 km", None, EZ),
        ("Sunday 2h", None, LG),  # the long-run thresholds apply without the word "run"
        ("Saturday 20 km", None, LG),
        ("Saturday 11 mi", None, LG),
        ("Morning 45'", None, EZ),
        ("Thursday 95 min", None, LG),
        ("Lunch with Sam", 60, OT),  # the calendar block alone is not a planned duration
        ("Team meeting 30 min", None, OT),
        ("Swim 2 km", None, OT),
        ("Christmas party 3h", None, OT),
    ],
)
def test_figures_in_a_runs_calendar(title: str, minutes: int | None, expected: Kind) -> None:
    result = classify(event(title, minutes=minutes), RULES)
    assert result.kind is expected, result.reason


def test_busy_calendar_figures_are_never_runs() -> None:
    busy = event("Base 8 km")
    busy = Event(busy.uid, busy.start, busy.end, busy.summary, all_day=True, runs_source=False)
    assert classify(busy, RULES).kind is OT


# --- nothing that looks like training is ignored silently --------------------------------------


@pytest.mark.parametrize(
    ("summary", "description", "categories", "source", "why"),
    [
        ("Saturday club", "14 km with the group", (), "", "a distance in the description"),
        ("Session A", "", ("Sport",), "", 'the category "Sport"'),
        ("Saturday", "2h steady", (), "", "a duration in the description"),
        ("Tuesday", "", (), "Training", 'the calendar "Training"'),
        ("Tuesday", "", (), "/home/me/cal/runna-plan.ics", 'the calendar "runna-plan.ics"'),
        ("Lunch with Sam", "", (), "personal.ics", ""),
        ("Team meeting", "", (), "Training", ""),  # a clear other meaning: no warning
        ("Marshal at parkrun", "5 km", (), "Training", ""),
        ("Rest day", "", (), "Training", ""),
    ],
)
def test_suspicious_other(
    summary: str, description: str, categories: tuple[str, ...], source: str, why: str
) -> None:
    result = classify(event(summary, description, categories, source=source), RULES)
    assert result.kind is OT
    assert result.suspicious == why


def test_runs_are_never_suspicious() -> None:
    assert classify(event("Base 8 km", source="Training"), RULES).suspicious == ""


def test_unread_warnings_are_one_line_a_title_with_a_count() -> None:
    weekly = [event("Saturday club", "12 km easy", source="Training") for _ in range(3)]
    items = [classify(e, RULES) for e in [*weekly, event("Session A", categories=("Sport",))]]
    items.append(classify(event("Easy run"), RULES))
    assert unread_warnings(items) == [
        "'Saturday club' read as not a run (3 times; a distance in the description): add a "
        "keyword under [classify.keywords] if it is",
        "'Session A' read as not a run (the category \"Sport\"): add a keyword under "
        "[classify.keywords] if it is",
    ]


def test_unread_warnings_are_bounded() -> None:
    items = [classify(event(f"Club {n}", "10 km"), RULES) for n in range(40)]
    lines = unread_warnings(items, limit=5)
    assert len(lines) == 6
    assert lines[-1] == "... and 35 more titles read as not a run"


# --- the vocabulary is data; the config extends every kind -----------------------------------


def test_keyword_tables_ship_as_package_data() -> None:
    text = resources.files("calsync").joinpath("data", "keywords.toml").read_text("utf-8")
    data = tomllib.loads(text)
    for table in ("run", "interval", "race", "long", "easy", "strength", "admin", "sports"):
        assert table in data
    languages = set(data["interval"]["words"]) | set(data["easy"]["words"])
    assert languages >= {"en", "de", "fr", "es", "nl", "it", "pt", "sv", "da", "nb", "fi", "pl"}


@pytest.mark.parametrize(
    ("kind_name", "word", "title"),
    [
        ("interval", "kwaliteit", "Kwaliteit dinsdag"),
        ("long", "sunday special", "Sunday Special"),
        ("easy", "commute", "Commute home"),
        ("strength", "bootcamp", "Bootcamp"),
        ("other", "stroller", "Stroller 5 km"),
    ],
)
def test_config_keywords_extend_every_kind(kind_name: str, word: str, title: str) -> None:
    raw = {"classify": {"keywords": {kind_name: [word]}}}
    config = parse_config(raw, "test.toml", LONDON)
    assert kind_name in KEYWORD_KINDS
    assert classify(event(title), config.classify).kind is Kind(kind_name)
    assert classify(event(title), RULES).kind is not Kind(kind_name)  # the keyword did it
