"""Every event of the labelled calendars (tests/fixtures/labelled/, one file per platform's
export style and per language) gets its expected kind, read from X-CALSYNC-TEST-EXPECT."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from calsync import ical
from calsync.core.classify import classify
from calsync.model import RUN_KINDS
from calsync.model import ClassifyRules
from calsync.model import Event

LABELLED = Path(__file__).resolve().parents[1] / "fixtures" / "labelled"
TZ = ZoneInfo("Europe/London")
STYLES = [
    "google", "icloud", "outlook", "thunderbird", "nextcloud", "radicale", "runna",
    "trainingpeaks", "finalsurge", "strava", "intervalsicu", "garmin",
]  # fmt: skip
LANGUAGES = ["en", "de", "fr", "es", "nl", "it", "pt", "sv", "da", "nb", "fi", "pl", "cs"]


def _load(path: Path) -> list[Event]:
    events, problems = ical.parse_events(
        path.read_bytes(),
        source=path.name,
        start=dt.datetime(2026, 1, 1, tzinfo=TZ),
        end=dt.datetime(2028, 1, 1, tzinfo=TZ),
        tz=TZ,
    )
    assert problems == []
    return events


EVENTS = [(p.stem, e) for p in sorted(LABELLED.glob("*.ics")) for e in _load(p)]


@pytest.mark.parametrize(
    ("stem", "event"), EVENTS, ids=[f"{stem}:{e.summary}" for stem, e in EVENTS]
)
def test_labelled_event_gets_its_kind(stem: str, event: Event) -> None:
    expected = event.calsync["TEST-EXPECT"]
    result = classify(event, ClassifyRules())
    if expected == "run":  # a run whatever its kind (pacing a friend in a half marathon)
        assert result.kind in RUN_KINDS, result.reason
    else:
        assert result.kind.value == expected, result.reason


def test_every_style_and_language_has_enough_events() -> None:
    styles = Counter(stem for stem, _ in EVENTS)
    languages = Counter(e.calsync["TEST-LANG"] for _, e in EVENTS)
    assert all(styles[s] >= 15 for s in STYLES), styles
    assert all(languages[lang] >= 15 for lang in LANGUAGES), languages


def test_classify_never_reads_the_test_labels() -> None:
    for _, event in EVENTS:
        bare = dataclasses.replace(event, calsync={})
        assert classify(bare, ClassifyRules()) == dataclasses.replace(
            classify(event, ClassifyRules()), event=bare
        )
        # a label that says the opposite changes nothing either
        swapped = dataclasses.replace(event, calsync={"TEST-EXPECT": "strength"})
        assert classify(swapped, ClassifyRules()).kind == classify(bare, ClassifyRules()).kind
