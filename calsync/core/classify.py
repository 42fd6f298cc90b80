"""Classification: what each occurrence is (easy, interval, long, strength, other) and why.

Pure: no I/O, no clock, no logging (the built-in vocabulary is package data,
calsync/data/keywords.toml, read once at import). `classify(event, rules)` gives a `Classified`
whose `reason` a person can read ("interval: "6 x 800m" matches a repeat pattern"). The rules,
in order:

1. An event calsync wrote itself (`event.managed`) is a strength block, and so is the user's
   copy of one (`calsync.core.copies`: their own session, whatever its calendar). An event
   of a busy-only calendar (`event.runs_source` False) is `other`: it is never a run. Every
   other event comes from a runs calendar (an account's `runs`, or a SOURCE given to `plan`).
   X-CALSYNC-* properties other than those are never read.
2. User keywords (`rules.keywords`, per kind) win over everything built in: the first one found
   decides the kind outright, looking in the title, then the categories (kinds tried in the
   order other, strength, interval, long, easy), then the description, but the description
   only when the title says nothing itself (no run, sport, strength, meeting or training word:
   "Morning Run" with "walk breaks" in its notes stays a run for a user's other = ["walk"]).
3. Is it a run? Text is folded (accents stripped, case folded, "ø" = "o", "ł" = "l") and
   compared on whole words, or on parts of words for compounds ("Dauerlauf", "Tempoløb",
   "Bakkeintervaller"), in thirteen languages: English, German, French, Spanish, Dutch,
   Italian, Portuguese, Swedish, Danish, Norwegian, Finnish, Polish and Czech.
   - Context first: helping at a race, its expo or bib pick-up ("Marshal at parkrun",
     "Volunteer: Berlin Marathon water station", "Marathon expo - bib pickup") is `other`,
     unless the runner is pacing someone ("Pacing Anna at the Brighton Half").
   - An explicit run word in the title (run, jog, Lauf and its compounds, footing, rodaje,
     hardlopen, löpning, løb, juoksu, bieg, běh, ...) or the runner emoji makes it a run, even
     next to another sport ("Brick: bike + run"); not in "school run", "dry run", "run
     through", nor in "aqua jogging" or "pool running" (another sport). A social event after
     the run word, with no figure and no marker, is not a run ("Run club breakfast",
     "Lauftreff Weihnachtsfeier", "Run club AGM"; "Breakfast run" and "Club 10k + breakfast"
     are runs).
   - Otherwise a strength word (gym, Krafttraining, musculation, styrketräning, siłownia, ...)
     makes it `strength`; another sport (cycling, swimming, yoga, rowing, walking, ...) or a
     meeting, appointment or work word (meeting, review, planning, retro, project, ...) makes
     it `other`, even with speed words in it ("Bike intervals", "Sprint planning"). The same
     is then asked of the categories ("Running", "Cycling", "Strength"). A rest day ("Rest",
     "Day off", "Ruhetag", "vilodag") is `other`.
   - A training marker or a race distance in the title makes it a run with no run word ("Z2
     45'", "Threshold 3x10'", "6 x 800m @ 5k pace", "Sortie longue", "Berlin Marathon",
     Garmin Coach's "Base", "Anaerobic", "Sprint").
   - A distance in the title makes it a run ("Base 8 km", "Saturday 20 km"): this is a runs
     calendar. So does a planned duration in a title of words with no meaning of their own
     (weekdays, times of day: "Sunday 2h"), not "Focus time 2h". Not with a social word.
   - A description that names another sport or strength makes it `other` / `strength`.
   - A generic word (training, workout, sortie, course, carrera, treino, pass, trening, ...)
     or a run word in the description counts only with support: a training marker, a
     distance or a duration ("Morning session" with "10 km" in the description). Anything
     else is `other`; when such an `other` still looks like training (a distance, duration or
     training words in the description, a sports category, a training calendar's name)
     `Classified.suspicious` says what, and `unread_warnings` turns those into one warning
     line a title.
4. Which run? First that applies:
   - a named long run in the title (long run, LSD, LR, LSR, Sortie longue, Tirada larga,
     Langer Lauf, lange duurloop, lungo, longão, långpass, langtur, langkjøring, pitkä lenkki,
     długie wybieganie, dlouhý běh; "long" alone only at the end or before a figure or "run":
     not "long intervals") -> `long` (a long run with a fast finish is still long);
   - a speed marker in the title: a repeat pattern ("6 x 800m", "5x1000", "3x10'", "8×400";
     short reps of at most 150 m or 30 s, or reps followed by "strides", are strides and do not
     count), a pace ("@ 5k pace", "marathon pace", "@ T", "@ I", "@ R", "@ MP", "@ HMP",
     "T pace", "allure 10 km"), Z4/Z5, a speed word (intervals, reps, track, tempo, threshold,
     fartlek, hills, time trial, progression, VO2max, MP, relay, Intervalle, Schwelle,
     Fractionné, seuil, series, umbral, drempel, ripetute, soglia, limiar, tiros, intervaller,
     tröskel, terskel, vedot, interwały, podbiegi, úseky, ...; "tempo" after "lugnt" or
     "ruhiges" is a pace, not a tempo run) or a race word (race, parkrun, Wettkampf,
     wedstrijd, gara, tävling, -loppet, zawody, závod, ...) -> `interval`; a race word in a
     title that says easy ("parkrun, easy with a friend") does not count;
   - the same markers in the categories;
   - the same markers in the description, unless the title says the run is easy ("Easy run"
     with "intervals on Thursday" in its notes stays easy);
   - a race distance in the title ("Berlin Marathon", "Semi-marathon de Paris", "Meia
     maratona"; not "marathon pace", "marathon training" or an easy title) -> `interval`: a
     race is the hardest session, and the day before it is the day before intervals;
   - a distance of at least `rules.long_km` (miles are compared with that threshold rounded to
     whole miles, so 18 km means 11 mi) or a duration of at least `rules.long_minutes` ->
     `long`;
   - everything else -> `easy` (recovery, shakeouts, Z2, strides included).
5. Distances and durations. The title's figures win over the description's; within one text
   the largest figure counts (the total of "25 km with 10 km @ MP"). Distances: km, k, mi,
   metres (100 m or more; "45m" is read as 45 minutes), "half marathon"/"marathon" in every
   language (not "marathon pace"), decimal commas. Durations: "2h", "1h30", "1.5 h", "90'",
   "90 min", "1:45:00", hours and minutes in every language; "18h30", "7h" or "07:00:00" (more
   than 5 hours) are times of day. Repeats and paces are neither. The duration is the one
   planned in the title, else the event's DTSTART/DTEND (elapsed time, so DST-safe) for a timed
   event, else (all-day events) the one in the description: a calendar block is the planned
   session, while a description's figures are often its parts ("WU 15', ..."); a title's
   figure wins over the block, which may include travel and a shower. `Classified.distance_km`
   and `duration_minutes` carry what was used.

Where the code is: this module is the entry (`classify`, `classify_all`); `text` (folding and
words), `vocab` and `keywords` (the word tables of calsync/data/keywords.toml), `measures`
(rule 5), `markers` (run, speed, long and race markers), `user_keywords` (rule 2),
`not_a_run` (rule 3), `run_kind` (rule 4) and `unread` (what still looks like training).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache

from calsync.core.copies import COPY_REASON
from calsync.core.copies import copied
from calsync.core.measures import measure
from calsync.core.not_a_run import FALLBACK
from calsync.core.not_a_run import verdict_if_not_run
from calsync.core.run_kind import run_kind
from calsync.core.text import Fields
from calsync.core.text import as_text
from calsync.core.unread import looks_like_training
from calsync.core.unread import unread_warnings
from calsync.core.user_keywords import Keywords
from calsync.core.user_keywords import user_kind
from calsync.model import Classified
from calsync.model import ClassifyRules
from calsync.model import Event
from calsync.model import Kind

__all__ = ["classify", "classify_all", "unread_warnings"]


@lru_cache(maxsize=16384)
def _decide(
    texts: tuple[str, str, str],
    calendar: float | None,
    long_minutes: int,
    long_km: float,
    keywords: Keywords,
    calendar_name: str,
) -> tuple[Kind, str, float | None, float | None, str]:
    """Kind, reason, km, minutes and what looks like training in a "no run" (recurring events
    share them)."""
    f = Fields(*(as_text(t) for t in texts))
    m = measure(f.summary, f.description, calendar)
    rules = ClassifyRules(long_minutes=long_minutes, long_km=long_km)
    user = user_kind(keywords, f) if keywords else None
    if user is not None:
        kind, why = user
    else:
        verdict = verdict_if_not_run(f, m)
        kind, why = run_kind(f, m, rules) if verdict is None else verdict
    minutes = None if m.minutes is None else round(m.minutes, 1)
    suspicious = looks_like_training(f, m, calendar_name) if why == FALLBACK else ""
    return kind, f"{kind.value}: {why}", m.km, minutes, suspicious


def _calendar_name(source: str) -> str:
    """The calendar's name, or a file's name without its folder ("training.ics")."""
    return source.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1][:200]


def _calendar_minutes(event: Event) -> float | None:
    """Elapsed minutes between DTSTART and DTEND of a timed event (None for all-day ones)."""
    if event.all_day:
        return None
    seconds = (event.end.astimezone(dt.UTC) - event.start.astimezone(dt.UTC)).total_seconds()
    return seconds / 60 if seconds > 0 else None


def classify(event: Event, rules: ClassifyRules) -> Classified:
    """The kind of one occurrence and the reason, with the distance and duration found."""
    if event.managed:
        return Classified(event, Kind.STRENGTH, "strength: a calsync strength block")
    if copied(event):  # the user's copy of a block, wherever it is: their own session
        return Classified(event, Kind.STRENGTH, COPY_REASON)
    if not event.runs_source:
        return Classified(event, Kind.OTHER, "other: busy-only calendar")
    keywords = tuple(sorted((Kind(k).value, tuple(v)) for k, v in rules.keywords.items() if v))
    kind, reason, km, minutes, suspicious = _decide(
        (event.summary, ", ".join(event.categories), event.description),
        _calendar_minutes(event),
        rules.long_minutes,
        rules.long_km,
        keywords,
        _calendar_name(event.source),
    )
    return Classified(
        event, kind, reason, distance_km=km, duration_minutes=minutes, suspicious=suspicious
    )


def classify_all(events: Iterable[Event], rules: ClassifyRules) -> list[Classified]:
    """`classify` for every occurrence, in the given order."""
    return [classify(event, rules) for event in events]
