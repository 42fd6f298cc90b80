"""The strength sessions: built-in templates, choosing one for a block, and its description.

Pure: no I/O, no clock, no logging. Every built-in session follows the training rules
(heavy lifts for few reps, never to failure; explosive work with intent; calves and posterior
chain; core = staying stable when tired) and is written for 45 minutes; `describe` scales the
minutes of each part to another duration so they still add up exactly.

Built-ins, by `Template.name`:
  - "a", "b": the two alternating full sessions (squat/RDL day, split-squat/hip-thrust day);
  - "light": for the day before an interval day: lower load, fewer sets, no heavy eccentric,
    low-impact power (med-ball, kettlebell swing) instead of jumps;
  - "knee-a", "knee-b", "knee-light": the same three for sore knees (`rules.knee_friendly`):
    leg extension first, shallower knee angles, low-impact power;
  - "activation" (`ACTIVATION`, not among `SESSIONS`): the short race-week session, 25
    minutes, bodyweight or a band, no heavy lifts and no jumps; only the planner's taper
    picks it, even when the user has templates of their own.

The two lighter sessions leave out jumps, bounds and hops: high-impact plyometrics tire the
legs the next day's intervals need, and their text says so. `label` and `headline` name a
session in words and in one line with its main lifts.

User templates (`rules.templates`, non-empty) replace the built-ins: picked by their `lighter`
and `knee_friendly` flags, the rest alternated by order. Their body is used verbatim (it is not
rescaled: the user wrote it for their own duration).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from calsync.model import Template

BASE_MINUTES = 45
NEVER_TO_FAILURE = "Never to failure: stop 2 reps short of failure (RIR 2-3) on every set."


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a session: its heading, its minutes at 45 minutes, and what to do."""

    heading: str
    minutes: int
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Session:
    """A built-in session in structured form (a Template is its rendering)."""

    name: str
    title: str
    parts: tuple[Part, ...]
    note: str = ""
    lighter: bool = False
    knee_friendly: bool = False


def _warm_up(minutes: int, first_lift: str, *, hops: bool = True) -> Part:
    drills = "leg swings, hip openers, 10 glute bridges" + (", 10 pogo hops" if hops else "")
    return Part(
        "Warm-up",
        minutes,
        ("5 min easy bike, row or skipping", drills, f"2 ramp-up sets of {first_lift}"),
    )


CORE_A = Part(
    "Core: staying stable when tired",
    7,
    (
        "Pallof press 3 × 8/side, 2 s hold",
        "dead bug 3 × 6/side, slow, low back flat",
        "suitcase carry 2 × 30 m/side, heavy, walk tall",
    ),
)
CORE_B = Part(
    "Core: staying stable when tired",
    7,
    (
        "side plank 2 × 30 s/side",
        "bird dog 2 × 6/side, 2 s hold",
        "suitcase carry 3 × 30 m/side, heavy, no leaning",
    ),
)
CORE_LIGHT = Part(
    "Core: staying stable when tired",
    6,
    (
        "Pallof press 2 × 8/side",
        "dead bug 2 × 6/side",
        "suitcase carry 2 × 20 m/side",
    ),
)

# The second half of both lighter sessions (the day before intervals).
LIGHT_FINISH = (
    Part(
        "Calves and posterior chain",
        7,
        (
            "calf raise 2 × 10, bodyweight or light",
            "glute bridge 2 × 10",
        ),
    ),
    CORE_LIGHT,
    Part("Mobility and easy walk-out", 5, ("hip flexor stretch, calf stretch",)),
)
# No jumps, bounds or hops the day before intervals: high-impact plyometrics tire the legs
# the speed session needs (the seed's rule: do not lift heavy before speed days).
LIGHT_NOTE = (
    "Lighter session, no jumps today: intervals tomorrow. Fewer sets, no heavy eccentrics, "
    "no high-impact plyometrics; leave feeling fresh for the speed day."
)

SESSIONS: tuple[Session, ...] = (
    Session(
        "a",
        "Strength A: squat and hinge",
        (
            _warm_up(8, "squats"),
            Part(
                "Heavy lifts (few reps, RIR 2-3, rest 2-3 min)",
                15,
                (
                    "back squat 4 × 4-5",
                    "Romanian deadlift (RDL) 3 × 5",
                ),
            ),
            Part(
                "Explosive, with intent (full rest, stop when height or distance drops)",
                8,
                (
                    "box jumps 4 × 3, step down",
                    "broad jumps 3 × 3, stick the landing",
                ),
            ),
            Part(
                "Calves and posterior chain",
                7,
                (
                    "single-leg calf raise, straight knee, 3 × 8/side heavy",
                    "bent-knee (soleus) calf raise 2 × 12",
                    "back extension 2 × 8",
                ),
            ),
            CORE_A,
        ),
    ),
    Session(
        "b",
        "Strength B: single leg and hips",
        (
            _warm_up(8, "split squats"),
            Part(
                "Heavy lifts (few reps, RIR 2-3, rest 2 min)",
                15,
                (
                    "Bulgarian split squat 3 × 5/side",
                    "barbell hip thrust 4 × 5",
                ),
            ),
            Part(
                "Explosive, with intent (full rest between sets)",
                8,
                (
                    "sled push 4 × 15 m, fast",
                    "bounding 3 × 20 m",
                    "med-ball rotational throw 3 × 3/side",
                ),
            ),
            Part(
                "Calves and posterior chain",
                7,
                (
                    "seated (soleus) calf raise 3 × 10 heavy",
                    "single-leg RDL 2 × 6/side",
                    "Nordic hamstring lower 2 × 4",
                ),
            ),
            CORE_B,
        ),
    ),
    Session(
        "light",
        "Strength (light): day before intervals",
        (
            _warm_up(9, "goblet squats", hops=False),
            Part(
                "Lifts, lighter (about 70% of usual load, RIR 4, no slow lowering)",
                12,
                (
                    "goblet squat 2 × 5",
                    "hip thrust 2 × 6",
                ),
            ),
            Part(
                "Explosive, low volume and low impact (crisp, not tiring; no jumps)",
                6,
                (
                    "med-ball chest throw 2 × 3, fast",
                    "kettlebell swing 2 × 6, snappy hips",
                ),
            ),
            *LIGHT_FINISH,
        ),
        note=LIGHT_NOTE,
        lighter=True,
    ),
    Session(
        "knee-a",
        "Strength A (knee-friendly): leg extension and hinge",
        (
            _warm_up(8, "leg extensions"),
            Part(
                "Heavy lifts (few reps, RIR 2-3, pain-free range)",
                15,
                (
                    "leg extension 4 × 6-8, controlled, pain-free range (the key lift)",
                    "box squat to a high box 3 × 5",
                    "Romanian deadlift (RDL) 3 × 5",
                ),
            ),
            Part(
                "Explosive, with intent, low impact",
                8,
                (
                    "sled push 4 × 15 m, fast",
                    "med-ball scoop toss 3 × 3",
                ),
            ),
            Part(
                "Calves and posterior chain",
                7,
                (
                    "single-leg calf raise, straight knee, 3 × 8/side heavy",
                    "back extension 2 × 8",
                ),
            ),
            CORE_A,
        ),
        knee_friendly=True,
    ),
    Session(
        "knee-b",
        "Strength B (knee-friendly): leg extension and hips",
        (
            _warm_up(8, "leg extensions"),
            Part(
                "Heavy lifts (few reps, RIR 2-3, pain-free range)",
                15,
                (
                    "leg extension 4 × 6-8, 3 s lowering, pain-free range (the key lift)",
                    "barbell hip thrust 4 × 5",
                    "step-up to a knee-height box 2 × 5/side",
                ),
            ),
            Part(
                "Explosive, with intent, low impact",
                8,
                (
                    "med-ball chest throw 3 × 4",
                    "sled push 3 × 15 m",
                ),
            ),
            Part(
                "Calves and posterior chain",
                7,
                (
                    "seated (soleus) calf raise 3 × 10 heavy",
                    "single-leg RDL 2 × 6/side",
                ),
            ),
            CORE_B,
        ),
        knee_friendly=True,
    ),
    Session(
        "knee-light",
        "Strength (light, knee-friendly): day before intervals",
        (
            _warm_up(9, "leg extensions", hops=False),
            Part(
                "Lifts, lighter (about 70% of usual load, RIR 4, no slow lowering)",
                12,
                (
                    "leg extension 2 × 8, light, pain-free range",
                    "hip thrust 2 × 6",
                ),
            ),
            Part(
                "Explosive, low volume, low impact",
                6,
                (
                    "med-ball chest throw 2 × 3",
                    "sled push 2 × 10 m",
                ),
            ),
            *LIGHT_FINISH,
        ),
        note=LIGHT_NOTE,
        lighter=True,
        knee_friendly=True,
    ),
)

ACTIVATION_MINUTES = 25

# Race week: a short activation instead of a heavy session (kept out of SESSIONS, so it is only
# ever chosen for the taper before a goal race, never as one of the alternating sessions).
ACTIVATION = Session(
    "activation",
    "Activation: race week",
    (
        Part(
            "Warm-up",
            6,
            ("5 min easy bike, row or skipping", "leg swings, hip openers"),
        ),
        Part(
            "Activation (bodyweight or a light band, smooth and easy)",
            10,
            (
                "glute bridge 2 × 10",
                "banded lateral walk 2 × 10/side",
                "bodyweight split squat 1 × 6/side",
                "single-leg calf raise 2 × 10/side",
            ),
        ),
        Part(
            "Core: staying stable when tired",
            5,
            ("dead bug 2 × 6/side", "side plank 2 × 20 s/side"),
        ),
        Part("Mobility", 4, ("hip flexor stretch, calf stretch",)),
    ),
    note=(
        "Race week: wake the legs up, do not tire them. No heavy lifts, no jumps; "
        "finish fresher than you started."
    ),
    lighter=True,
)

_BY_NAME = {s.name: s for s in (*SESSIONS, ACTIVATION)}


def scale_minutes(minutes: Sequence[int], total: int) -> list[int]:
    """Scale part minutes to `total`, rounding so they still add up exactly (largest remainder)."""
    base = sum(minutes)
    if base <= 0 or total <= 0:
        return [0 for _ in minutes]
    exact = [m * total / base for m in minutes]
    out = [int(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: (out[i] - exact[i], i))
    for i in by_remainder[: total - sum(out)]:
        out[i] += 1
    return out


def render(session: Session, duration_minutes: int = BASE_MINUTES) -> str:
    """The ready-to-do description of `session` for `duration_minutes`."""
    minutes = scale_minutes([p.minutes for p in session.parts], duration_minutes)
    lines = [f"{session.title}, {duration_minutes} min. {NEVER_TO_FAILURE}"]
    if session.note:
        lines.append(session.note)
    lines.append("")
    number = 0
    for part, mins in zip(session.parts, minutes, strict=True):
        if mins <= 0:
            continue
        number += 1
        lines.append(f"{number}. {part.heading}: {mins} min")
        lines.extend(f"   - {line}" for line in part.lines)
    return "\n".join(lines)


def _template(session: Session) -> Template:
    minutes = ACTIVATION_MINUTES if session is ACTIVATION else BASE_MINUTES
    return Template(
        name=session.name,
        title=session.title,
        body=render(session, minutes),
        lighter=session.lighter,
        knee_friendly=session.knee_friendly,
    )


TEMPLATES: tuple[Template, ...] = tuple(_template(s) for s in SESSIONS)
ACTIVATION_TEMPLATE = _template(ACTIVATION)

LABELS = {
    "a": "Session A",
    "b": "Session B",
    "light": "Lighter session",
    "knee-a": "Knee-friendly session A",
    "knee-b": "Knee-friendly session B",
    "knee-light": "Lighter knee-friendly session",
    "activation": "Activation session",
}
_SKIPPED_IN_HEADLINE = ("Warm-up", "Mobility")


def choose_template(
    templates: Sequence[Template], *, lighter: bool, knee_friendly: bool, index: int
) -> Template:
    """The template for one block: matching flags first, then alternating by `index`.

    Empty `templates` means the built-ins. Without an exact flag match, a template with the
    right `lighter` flag is used, then any non-lighter one, then any at all. The day before
    intervals always gets a lighter session: when none of `templates` is lighter, the
    built-in lighter one is used.
    """
    pool = list(templates) or list(TEMPLATES)
    if lighter and not any(t.lighter for t in pool):
        pool = list(TEMPLATES)  # the user's own are all full sessions: use the built-in light one
    for keep in (
        lambda t: t.lighter == lighter and t.knee_friendly == knee_friendly,
        lambda t: t.lighter == lighter,
        lambda t: not t.lighter,
    ):
        matching = [t for t in pool if keep(t)]
        if matching:
            return matching[index % len(matching)]
    return pool[index % len(pool)]


@lru_cache(maxsize=64)
def describe(template: Template, duration_minutes: int) -> str:
    """The block's DESCRIPTION: a built-in rescaled to `duration_minutes`, a user body as is."""
    session = _builtin(template)
    if session is not None:
        return render(session, duration_minutes)
    return template.body


def find_template(name: str, templates: Sequence[Template]) -> Template | None:
    """The template a block names: the user's own first, then the built-ins."""
    for template in (*templates, *TEMPLATES, ACTIVATION_TEMPLATE):
        if template.name == name:
            return template
    return None


def _builtin(template: Template) -> Session | None:
    session = _BY_NAME.get(template.name)
    return session if session is not None and template == _template(session) else None


def label(template: Template) -> str:
    """ "Session A", "Lighter session", ...; a user template's own title."""
    session = _builtin(template)
    return LABELS.get(template.name, template.title) if session else template.title


def headline(template: Template) -> str:
    """One line: the session and its main lifts ("Session A: back squat 4 × 4-5, ...")."""
    session = _builtin(template)
    if session is None:
        first = next((ln.strip() for ln in template.body.splitlines() if ln.strip()), "")
        return f"{template.title}: {first}" if first and first != template.title else template.title
    items = [
        line.split(",")[0].strip()
        for part in session.parts
        if not part.heading.startswith(_SKIPPED_IN_HEADLINE)
        for line in part.lines[
            : 2 if part.heading.startswith(("Heavy", "Lifts", "Activation")) else 1
        ]
    ]
    return f"{label(template)}: {', '.join(items)}"
