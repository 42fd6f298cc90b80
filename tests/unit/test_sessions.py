"""The strength sessions: what each description holds, minutes, variants and overrides."""

from __future__ import annotations

import re

import pytest

from calsync.core import sessions
from calsync.core.sessions import SESSIONS
from calsync.core.sessions import TEMPLATES
from calsync.core.sessions import choose_template
from calsync.core.sessions import describe
from calsync.core.sessions import scale_minutes
from calsync.model import Template

BY_NAME = {t.name: t for t in TEMPLATES}
PART_MINUTES = re.compile(r"^\d+\. .*: (\d+) min$", re.MULTILINE)


def part_minutes(text: str) -> list[int]:
    return [int(m) for m in PART_MINUTES.findall(text)]


def lower(template: Template) -> str:
    return template.body.lower()


def set_counts(text: str) -> list[int]:
    """The number of sets of every "N × reps" line."""
    return [int(n) for n in re.findall(r"(\d+) × ", text)]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.name)
def test_every_session_has_the_parts_the_rules_ask_for(template: Template):
    text = lower(template)
    assert "warm-up" in text
    assert "stop 2 reps short of failure" in text
    assert "rir 2-3" in text
    assert "explosive" in text
    assert "calf raise" in text
    assert "posterior chain" in text
    assert "staying stable when tired" in text
    assert any(core in text for core in ("pallof press", "dead bug", "suitcase carry"))
    assert "to failure" not in text.replace("never to failure", "").replace("short of failure", "")


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.name)
def test_part_minutes_add_up_to_45(template: Template):
    minutes = part_minutes(template.body)
    assert len(minutes) >= 5
    assert sum(minutes) == sessions.BASE_MINUTES
    assert f"{sessions.BASE_MINUTES} min" in template.body.splitlines()[0]


@pytest.mark.parametrize("duration", [10, 30, 40, 45, 60, 75, 90, 240])
@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.name)
def test_described_minutes_add_up_to_any_duration(template: Template, duration: int):
    text = describe(template, duration)
    assert sum(part_minutes(text)) == duration
    assert f"{duration} min" in text.splitlines()[0]


def test_scaling_keeps_the_proportions():
    assert scale_minutes([8, 15, 8, 7, 7], 90) == [16, 30, 16, 14, 14]
    scaled = scale_minutes([8, 15, 8, 7, 7], 60)
    assert sum(scaled) == 60
    assert max(scaled) == scaled[1]  # the heavy lifts stay the biggest part


def test_the_full_sessions_a_and_b_differ_and_cover_the_lifts():
    a, b = BY_NAME["a"], BY_NAME["b"]
    assert a.body != b.body
    assert not a.lighter and not b.lighter
    both = lower(a) + lower(b)
    for lift in ("squat", "split squat", "rdl", "hip thrust"):
        assert lift in both
    for power in ("box jump", "broad jump", "bounding", "sled push", "med-ball"):
        assert power in both


def test_lighter_session_is_lighter():
    light, full = BY_NAME["light"], BY_NAME["a"]
    assert light.lighter
    text = lower(light)
    assert "lighter" in text
    assert "no heavy eccentric" in text
    assert "nordic" not in text
    assert "low volume" in text
    assert max(set_counts(light.body)) < max(set_counts(full.body))
    assert sum(set_counts(light.body)) < sum(set_counts(full.body))


def test_knee_friendly_sessions_lead_with_leg_extension():
    knee = [t for t in TEMPLATES if t.knee_friendly]
    assert {t.lighter for t in knee} == {True, False}
    assert len([t for t in knee if not t.lighter]) >= 2
    for template in knee:
        text = lower(template)
        assert "leg extension" in text
        assert "pain-free" in text
        assert "box jump" not in text and "bounding" not in text  # low impact
        lines = text.splitlines()
        lifts = next(i for i, line in enumerate(lines) if line[:1].isdigit() and "lifts" in line)
        assert "leg extension" in lines[lifts + 1]  # the first lift of the session


def test_non_knee_sessions_are_not_knee_friendly():
    assert all("leg extension" not in lower(t) for t in TEMPLATES if not t.knee_friendly)


def test_choose_alternates_a_and_b_and_picks_variants():
    picked = [
        choose_template((), lighter=False, knee_friendly=False, index=i).name for i in range(4)
    ]
    assert picked[0] != picked[1] and picked[0] == picked[2] and picked[1] == picked[3]
    assert set(picked) == {"a", "b"}
    assert choose_template((), lighter=True, knee_friendly=False, index=3).name == "light"
    knee = choose_template((), lighter=False, knee_friendly=True, index=0)
    assert knee.knee_friendly and not knee.lighter
    knee_light = choose_template((), lighter=True, knee_friendly=True, index=5)
    assert knee_light.knee_friendly and knee_light.lighter


def test_user_templates_override_the_built_ins():
    mine = (
        Template("legs", "Legs", "Legs: squats 5 × 3"),
        Template("hips", "Hips", "Hips: thrusts 5 × 3"),
        Template("easy", "Easy", "Mobility only", lighter=True),
    )
    names = [
        choose_template(mine, lighter=False, knee_friendly=False, index=i).name for i in range(3)
    ]
    assert names == ["legs", "hips", "legs"]
    assert choose_template(mine, lighter=True, knee_friendly=False, index=1).name == "easy"
    # no knee-friendly one among them: the right `lighter` flag wins
    assert choose_template(mine, lighter=False, knee_friendly=True, index=0).name == "legs"
    # their bodies are used as written, whatever the duration
    assert describe(mine[0], 60) == "Legs: squats 5 × 3"


def test_user_templates_without_a_lighter_one_use_the_built_in_light_session_before_intervals():
    mine = (Template("only", "Only", "The one session"),)
    chosen = choose_template(mine, lighter=True, knee_friendly=False, index=7)
    assert chosen.lighter and chosen.name == "light"  # never heavy the day before intervals
    knee = choose_template(mine, lighter=True, knee_friendly=True, index=0)
    assert knee.lighter and knee.knee_friendly
    assert choose_template(mine, lighter=False, knee_friendly=False, index=3) is mine[0]


def test_a_user_template_named_like_a_built_in_keeps_its_own_body():
    mine = Template("a", "A", "my own session A")
    assert describe(mine, 60) == "my own session A"


def test_built_in_names_are_unique():
    assert len({s.name for s in SESSIONS}) == len(SESSIONS) == len(TEMPLATES)
