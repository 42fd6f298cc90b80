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


# --- issue 8: the lighter session leaves out the jumps; the activation; one-line headlines ----

JUMPS = ("box jump", "broad jump", "bounding", "pogo", "jump squat", "hops")


def exercise_lines(text: str) -> list[str]:
    return [line.strip()[2:] for line in text.splitlines() if line.strip().startswith("- ")]


@pytest.mark.parametrize("name", ["light", "knee-light"])
def test_the_day_before_intervals_session_has_no_high_impact_plyometrics_and_says_why(name: str):
    body = BY_NAME[name].body
    for line in exercise_lines(body):
        assert not any(jump in line.lower() for jump in JUMPS), line
    assert "no jumps today: intervals tomorrow" in body.lower()
    assert "explosive" in body.lower()  # still crisp power work, just low impact


def test_the_activation_session_is_short_light_and_has_no_heavy_lifts_or_plyometrics():
    template = sessions.ACTIVATION_TEMPLATE
    assert template not in TEMPLATES  # never one of the alternating sessions
    assert 20 <= sessions.ACTIVATION_MINUTES <= 30
    assert sum(part_minutes(template.body)) == sessions.ACTIVATION_MINUTES
    text = template.body.lower()
    assert "race week" in text and "no heavy lifts" in text
    for line in exercise_lines(template.body):
        assert not any(word in line.lower() for word in (*JUMPS, "barbell", "deadlift", "heavy"))
    assert max(set_counts(template.body)) <= 2
    assert sum(part_minutes(describe(template, 20))) == 20


def test_headlines_name_the_session_and_its_main_lifts():
    assert sessions.headline(BY_NAME["a"]) == (
        "Session A: back squat 4 × 4-5, Romanian deadlift (RDL) 3 × 5, box jumps 4 × 3, "
        "single-leg calf raise, Pallof press 3 × 8/side"
    )
    assert sessions.headline(BY_NAME["b"]).startswith("Session B: Bulgarian split squat")
    assert sessions.headline(BY_NAME["light"]).startswith("Lighter session: goblet squat")
    assert sessions.headline(BY_NAME["knee-a"]).startswith("Knee-friendly session A: leg ext")
    assert sessions.headline(sessions.ACTIVATION_TEMPLATE).startswith("Activation session: ")
    mine = Template("legs", "Leg day", "Squat 5x5\nLunges 3x8")
    assert sessions.headline(mine) == "Leg day: Squat 5x5"
    assert sessions.find_template("legs", (mine,)) is mine
    assert sessions.find_template("activation", (mine,)) == sessions.ACTIVATION_TEMPLATE
    assert sessions.find_template("nope", ()) is None
