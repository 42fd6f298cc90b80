"""Classification: what each occurrence is (easy, interval, long, strength, other) and why.

Pure: no I/O, no clock, no logging. `classify(event, rules)` gives a `Classified` whose `reason`
a person can read ("interval: "6 x 800m" matches a repeat pattern"). The rules, in order:

1. An event calsync wrote itself (`event.managed`) is a strength block. An event of a busy-only
   calendar (`event.runs_source` False) is `other`: it is never a run.
2. User keywords (`rules.keywords`, per kind) win over everything built in: the first one found
   decides the kind outright, looking in the title, then the categories (kinds tried in the
   order other, strength, interval, long, easy), then the description, but the description
   only when the title says nothing itself (no run, sport, strength, meeting or training word:
   "Morning Run" with "walk breaks" in its notes stays a run for a user's other = ["walk"]).
3. Is it a run? Text is compared accent- and case-insensitively, on whole words, in English,
   German, French, Spanish, Dutch, Italian and Portuguese.
   - An explicit run word in the title (run, jog, Lauf and its compounds, footing, rodaje,
     hardlopen, duurloop, corsa, corrida, ...) or the runner emoji makes it a run, even next to
     another sport ("Brick: bike + run"); not in "school run", "dry run", "run through", nor
     in "aqua jogging" or "pool running" (another sport).
   - Otherwise a strength word (gym, Krafttraining, musculation, fuerza, ...) makes it
     `strength`; another sport (cycling, swimming, yoga, rowing, walking, ...) or a meeting or
     appointment word makes it `other`, even with speed words in it ("Bike intervals"). The
     same is then asked of the categories ("Running", "Cycling", "Strength").
   - A training marker or a race distance in the title makes it a run with no run word ("Z2
     45'", "Threshold 3x10'", "6 x 800m @ 5k pace", "Sortie longue", "Berlin Marathon").
   - A description that names another sport or strength makes it `other` / `strength`.
   - A generic word (training, workout, sortie, course, carrera, treino, ...) or a run word in
     the description counts only with support: a training marker, a distance or a duration
     ("Morning session" with "10 km" in the description). Anything else is `other`.
4. Which run? First that applies:
   - a named long run in the title (long run, LSD, Sortie longue, Tirada larga, Langer Lauf,
     lange duurloop, lungo, longão; "long" alone only at the end or before a figure or "run":
     not "long intervals") -> `long` (a long run with a fast finish is still long);
   - a speed marker in the title: a repeat pattern ("6 x 800m", "5x1000", "3x10'", "8×400";
     short reps of at most 150 m or 30 s, or reps followed by "strides", are strides and do not
     count), a pace ("@ 5k pace", "marathon pace", "allure 10 km"), Z4/Z5, or a speed word
     (intervals, reps, track, tempo, threshold, fartlek, hills, time trial, race, parkrun,
     relay, Intervalle, Schwelle, Fractionné, seuil, series, umbral, drempel, ripetute,
     soglia, limiar, tiros, Wettkampf, wedstrijd, gara, ...) -> `interval`;
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
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from functools import lru_cache

from calsync.model import Classified
from calsync.model import ClassifyRules
from calsync.model import Event
from calsync.model import Kind

__all__ = ["classify", "classify_all"]

MILE_KM = 1.609344
HALF_MARATHON_KM = 21.0975
MARATHON_KM = 42.195
_MAX_CLOCK_HOURS = 5  # "7h", "18h30", "07:00:00": a time of day, not a duration

# --- text: normalised for matching, with a way back to the original for quotes -------------

_PUNCT = str.maketrans(
    {
        "×": "x",
        "’": "'",
        "‘": "'",
        "′": "'",
        "´": "'",
        "″": "''",
        "“": '"',
        "”": '"',
        "–": "-",
        "—": "-",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
    }
)
_TOKEN = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")


@lru_cache(maxsize=4096)
def _fold(char: str) -> str:
    """One character without accents, lower-cased ("é" -> "e", "ß" -> "ss", "×" -> "x")."""
    decomposed = unicodedata.normalize("NFKD", char)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return kept.translate(_PUNCT).casefold()


@dataclass(frozen=True, slots=True)
class _Text:
    """A text as written (`raw`) and normalised (`norm`), with its words."""

    raw: str
    norm: str
    index: tuple[int, ...] | None  # norm position -> raw position; None: the same positions
    tokens: tuple[tuple[str, int, int], ...]  # (word, start, end) in norm
    words: frozenset[str]

    def quote(self, start: int, end: int) -> str:
        """The original text behind `norm[start:end]`."""
        if self.index is None:
            return self.raw[start:end]
        if start >= end:
            return ""
        return self.raw[self.index[start] : self.index[end - 1] + 1]


@lru_cache(maxsize=256)  # one classification asks for the same text several times
def _text(raw: str) -> _Text:
    if raw.isascii():
        norm, index = raw.lower(), None
    else:
        parts: list[str] = []
        positions: list[int] = []
        for i, char in enumerate(raw):
            folded = _fold(char)
            parts.append(folded)
            positions.extend([i] * len(folded))
        norm, index = "".join(parts), tuple(positions)
    tokens = tuple((m.group(), m.start(), m.end()) for m in _TOKEN.finditer(norm))
    return _Text(raw, norm, index, tokens, frozenset(t[0] for t in tokens))


@dataclass(frozen=True, slots=True)
class _Hit:
    """A marker found in a text: what it is (`label`) and the words as written (`quote`)."""

    label: str
    quote: str
    start: int = 0


# --- vocabularies ---------------------------------------------------------------------------


def _split(words: str) -> frozenset[str]:
    return frozenset(words.split())


def _phrases(*phrases: str) -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(p.split()) for p in phrases)


@dataclass(frozen=True, slots=True)
class _Vocab:
    """Single words, multi-word phrases (as token tuples) and emoji, all with one label."""

    label: str
    words: frozenset[str]
    phrases: frozenset[tuple[str, ...]] = frozenset()
    emoji: str = ""
    firsts: frozenset[str] = field(init=False, default=frozenset())  # first words of phrases
    starts: frozenset[str] = field(init=False, default=frozenset())  # words | firsts

    def __post_init__(self) -> None:
        object.__setattr__(self, "firsts", frozenset(p[0] for p in self.phrases))
        object.__setattr__(self, "starts", self.words | self.firsts)

    def find(self, text: _Text, reject: Callable[[_Text, int], bool] | None = None) -> _Hit | None:
        """The first word or phrase of this vocabulary in `text` (that `reject` lets through)."""
        if not self.starts.isdisjoint(text.words):
            tokens = text.tokens
            for i, (word, start, end) in enumerate(tokens):
                hit_end = end if word in self.words else self._phrase_end(tokens, i)
                if hit_end is not None and (reject is None or not reject(text, i)):
                    return _Hit(self.label, text.quote(start, hit_end), start)
        for char in self.emoji:
            at = text.raw.find(char)
            if at >= 0:
                return _Hit(self.label, char, at)
        return None

    def _phrase_end(self, tokens: tuple[tuple[str, int, int], ...], i: int) -> int | None:
        if tokens[i][0] not in self.firsts:
            return None
        for size in (2, 3, 4):
            if i + size > len(tokens):
                break
            if tuple(t[0] for t in tokens[i : i + size]) in self.phrases:
                return tokens[i + size - 1][2]
        return None


def _first(text: _Text, vocabs: Iterable[_Vocab]) -> _Hit | None:
    """The earliest hit of any of `vocabs` in `text`."""
    hits = [hit for vocab in vocabs if (hit := vocab.find(text)) is not None]
    return min(hits, key=lambda h: h.start) if hits else None


_RUN = _Vocab(
    "run",
    _split(
        "run runs running runner jog jogs jogging joggen trailrun trailrunning treadmill parkrun "
        "shakeout courir footing correr rodaje trote trotar hardlopen hardloop hardlooptraining "
        "duurloop herstelloop tempoloop looptraining loopje corsa corsetta correre corrida "
        "rodagem longao"
    ),
    _phrases("course a pied", "carrera continua", "carrera a pie", "shake out", "trail run"),
    emoji="\U0001f3c3",  # 🏃 (with any skin tone or gender)
)
# German compounds: Dauerlauf, Morgenlauf, Tempolauf, Bergläufe, Lauftraining, Laufband, ...
_LAUF = re.compile(r"lauf")
_NOT_LAUF = (
    "ablauf",
    "verlauf",
    "umlauf",
    "durchlauf",
    "zulauf",
    "vorlauf",
    "rucklauf",
    "ruecklauf",
    "kreislauf",
    "lebenslauf",
    "einlauf",
    "auflauf",
    "uberlauf",
    "nachlauf",
    "leerlauf",
    "langlauf",  # cross-country skiing
    "laufend",
    "laufzeit",
    "anlauf",
)
_GENERIC = _Vocab(
    "generic",
    _split(
        "course sortie carrera training workout session entrainement seance entrenamiento "
        "entreno sesion sessie allenamento seduta treino treinamento einheit tirada trail"
    ),
)
_STRENGTH = _Vocab(
    "strength",
    _split(
        "strength gym weights weightlifting lifting kettlebell kettlebells crossfit bodypump "
        "squat squats deadlift deadlifts lunges pushups pullups plank planks "
        "krafttraining kraft kraftraum fitnessstudio muskelaufbau kniebeugen "
        "musculation muscu renforcement renfo ppg gainage pompes "
        "fuerza gimnasio pesas sentadillas kracht krachttraining sportschool fitness "
        "pesi palestra forza potenziamento musculacao forca academia ginasio pesos"
    ),
    _phrases(
        "weight training",
        "strength training",
        "s c",
        "circuit training",
        "salle de sport",
        "push ups",
        "pull ups",
    ),
    emoji="\U0001f3cb\U0001f4aa",  # 🏋 💪
)
_SPORTS = (
    _Vocab(
        "cycling",
        _split(
            "cycling cycle bike bikes biking ride rides mtb zwift spin spinning velo cyclisme "
            "rad radfahren radtour rennrad fahrrad radeln bici bicicleta bicicletta ciclismo "
            "fiets fietsen fietstocht wielrennen mountainbike gravel peloton hometrainer"
        ),
        _phrases("indoor cycling", "home trainer"),
        emoji="\U0001f6b4\U0001f6b5\U0001f6b2",  # 🚴 🚵 🚲
    ),
    _Vocab(
        "swimming",
        _split(
            "swim swims swimming schwimmen natation natacion zwemmen nuoto natacao nadar "
            "piscine piscina zwembad schwimmbad hallenbad freibad"
        ),
        _phrases("open water"),
        emoji="\U0001f3ca",  # 🏊
    ),
    _Vocab(
        "yoga, mobility or therapy",
        _split(
            "yoga pilates stretching stretch mobility dehnen etirements estiramientos "
            "barre meditation massage physio physiotherapie kine kinesitherapie fisio "
            "fisioterapia fysio fysiotherapie osteo"
        ),
        _phrases("foam rolling"),
        emoji="\U0001f9d8",  # 🧘
    ),
    _Vocab(
        "rowing or paddling",
        _split("rowing rower erg aviron rudern remo roeien canottaggio kayak canoe sup paddle"),
    ),
    _Vocab(
        "walking or hiking",
        _split(
            "walk walks walking hike hiking wandern wanderung spaziergang spazieren randonnee "
            "marche senderismo caminata caminar wandelen wandeling camminata passeggiata "
            "escursione caminhada trekking"
        ),
    ),
    _Vocab(
        "another sport",
        _split(
            "tennis padel squash badminton football soccer fussball futbol voetbal calcio "
            "futebol basketball basket volleyball golf ski skiing langlauf climbing bouldering "
            "klettern escalade escalada arrampicata boxing boxen boxe judo karate dance "
            "dancing tanzen danse baile bailar dansen danza skating hockey rugby surf surfing "
            "elliptical crosstrainer stepper aquajogging aquafit aquarunning"
        ),
        _phrases(
            "aqua jogging",
            "aqua jog",
            "aqua running",
            "pool running",
            "pool run",
            "water running",
            "deep water running",
        ),
    ),
)
_ADMIN = _Vocab(
    "meeting or appointment",
    _split(
        "meeting meetings call calls standup interview appointment dentist doctor dinner "
        "birthday party flight webinar conference workshop review sync presentation demo "
        "offsite besprechung termin arzt zahnarzt abendessen geburtstag reunion rdv diner "
        "medecin dentiste anniversaire cita cena cumpleanos vergadering afspraak overleg "
        "tandarts huisarts verjaardag riunione appuntamento medico compleanno reuniao "
        "consulta jantar dentista aniversario"
    ),
    _phrases("stand up", "one on one"),
)
_LONG = _Vocab(
    "long",
    _split("lsd ldl longrun longao lungo lunghissimo longo"),
    _phrases(
        "long run",
        "long runs",
        "long slow distance",
        "langer lauf",
        "langer dauerlauf",
        "lange einheit",
        "lange runde",
        "sortie longue",
        "footing long",
        "course longue",
        "tirada larga",
        "rodaje largo",
        "carrera larga",
        "salida larga",
        "lange duurloop",
        "lange loop",
        "lange afstand",
        "corsa lunga",
        "fondo lungo",
        "corrida longa",
        "treino longo",
        "rodagem longa",
    ),
)
# "long" alone is a long run only at the end or before these ("Long 25k", "Sunday long"),
# never in "long intervals" or "long weekend".
_LONG_NEXT = _split("run runs running jog easy slow steady trail aerobic endurance z2 sunday")
_INTERVAL = _Vocab(
    "speed",
    _split(
        "interval intervals intervall intervalle intervallen intervalli intervalo intervalos "
        "intervalado intervalados intervaltraining intervalltraining reps repeats repetitions "
        "lt lt2 "
        "hills track tempo tempos tempolauf tempodauerlauf tdl threshold fartlek fartleks race "
        "races racing raceday parkrun vo2 vo2max vvo2 speed speedwork sprints yasso yassos "
        "relay relays staffel relais relevos estafeta estafette staffetta "
        "ladder pyramid progression progressive surges z4 z5 z4a z4b z5a z5b z5c "
        "schwelle schwellenlauf schwellentraining berglauf berglaufe bergsprints "
        "bergintervalle hugel hugellauf fahrtspiel wettkampf wettkampfe rennen volkslauf "
        "bahntraining bahnintervalle tempowechsel "
        "fractionne fractionnes series seuil vma cotes piste competition "
        "fraccionado fraccionados umbral cuestas pista competicion tiros "
        "drempel drempeltraining drempelloop heuvels heuveltraining wedstrijd baantraining "
        "tempoloop piramide ripetute soglia salite gara variazioni progressivo "
        "limiar subidas prova competicao"
    ),
    _phrases(
        "hill repeats",
        "hill reps",
        "hill sprints",
        "time trial",
        "vo2 max",
        "speed work",
        "race pace",
        "marathon pace",
        "goal pace",
        "tempo run",
        "lactate threshold",
        "cambios de ritmo",
        "carrera popular",
        "allure specifique",
        "ritmo gara",
        "passo gara",
        "z 4",
        "z 5",
        "zone 4",
        "zone 5",
        "zona 4",
        "zona 5",
    ),
)
_EASY = _Vocab(
    "easy",
    _split(
        "easy recovery recover shakeout z1 z2 aerobic steady slow gentle jog jogging "
        "locker lockerer lockere lockeres lockeren ruhig ruhiger langsam regeneration "
        "regenerationslauf regenerativ ga1 grundlage grundlagenausdauer kompensation "
        "facile lent lente recuperation recup footing decrassage tranquille souple "
        "suave rodaje recuperacion regenerativo trote tranquilo lento lenta "
        "rustig rustige herstel herstelloop duurloop losloop "
        "rigenerante defaticamento scarico recupero leve recuperacao rodagem regenerativa"
    ),
    _phrases(
        "zone 1",
        "zone 2",
        "zona 1",
        "zona 2",
        "z 1",
        "z 2",
        "endurance fondamentale",
        "shake out",
        "corsa lenta",
    ),
    emoji="\U0001f422",  # 🐢
)
_STRIDES = _split(
    "strides stride steigerungen steigerung steigerungslauf steigerungslaufe accelerations "
    "aceleraciones progresivos rectas versnellingen allunghi aceleracoes pickups lignes"
)

# --- patterns on normalised text --------------------------------------------------------------

_REPEAT = re.compile(
    r"(?<![\w.,])(\d{1,2})\s*x\s*\(?\s*(\d{1,5}(?:[.,]\d{1,2})?)\s*"
    r"(minutes?|minuten|minutos|minuti|mins?|miles?|mi|km|k|m|seconds?|secs?|s|h|''|'|\")?"
    r"(?!\w)"
)
_PACE = re.compile(
    r"@\s*(?:half\s*)?(?:\d+(?:[.,]\d+)?\s*(?:km|k|mi|miles?)|hmp|mp|marathon|threshold|tempo"
    r"|race|goal|mile)(?!\w)"
    r"|(?<!\w)(?:\d+(?:[.,]\d+)?\s*(?:km|k|mi)|mile|(?:half\s*)?marathon|race|goal|threshold"
    r"|tempo|hm|mp)\s*(?:pace|effort)(?!\w)"
    r"|(?<!\w)(?:allure|ritmo|passo)\s*(?:de\s*|di\s*)?(?:\d+\s*(?:km|k)|semi|marathon|maraton"
    r"|maratona|mezza|gara|prova|competicion|carrera|seuil|umbral|soglia|limiar|vma)(?!\w)"
)
_DISTANCE = re.compile(
    r"(?<![\w.,:])(\d{1,5}(?:[.,]\d{1,3})?)\s*"
    r"(kilometers?|kilometres?|kilometros?|quilometros?|chilometri|chilometro|kms?|k"
    r"|miles?|mi|meilen|meters?|metres?|metros?|metri|m)(?!\w)"
)
_RACE_DISTANCE = re.compile(
    r"(?<!\w)(half|halve|halb|semi|media|mezza|meia|demi)?[\s-]*(marathon|maraton|maratona)"
    r"(?!\w)(?!\s*(?:pace|tempo|ritmo|effort|allure|training|plan|block|week|distance))"
)
_HMS = re.compile(r"(?<![\d:.,])(\d{1,2}):([0-5]\d):([0-5]\d)(?![\d:])")
_HOURS = re.compile(
    r"(?<![\w.,:])(\d{1,2}(?:[.,]\d{1,2})?)\s*"
    r"(hours?|hrs?|h|std|stunden?|heures?|horas?|hora|uur|ore|ora)"
    r"(?:\s*(\d{1,2})\s*(?:minutes?|minuten|minutos|minuti|mins?|m|')?)?(?!\w)"
)
_HOURS_COLON = re.compile(r"(?<![\d:.,])(\d{1,2}):([0-5]\d)\s*h(?!\w)")
_MINUTES = re.compile(
    r"(?<![\w.,'])(\d{1,3})\s*"
    r"(minutes?|minuten|minutos|minuti|minuut|minuto|mins?|m|'(?!'))(?!\w)"
)


class _Mask:
    """Positions of a text already taken by a pattern (repeats, paces, durations read)."""

    __slots__ = ("_taken",)

    def __init__(self, size: int, spans: Iterable[tuple[int, int]] = ()) -> None:
        self._taken = bytearray(size + 1)
        for span in spans:
            self.add(span)

    def add(self, span: tuple[int, int]) -> None:
        self._taken[span[0] : span[1]] = b"\x01" * (span[1] - span[0])

    def covers(self, span: tuple[int, int]) -> bool:
        return bool(self._taken[span[0]] or self._taken[max(span[0], span[1] - 1)])


def _may_pace(norm: str) -> bool:
    """A cheap test before the pace pattern (long descriptions are common)."""
    return any(w in norm for w in ("@", "pace", "effort", "allure", "ritmo", "passo"))


@lru_cache(maxsize=256)
def _masked(norm: str, *, paces: bool) -> tuple[tuple[int, int], ...]:
    """Spans of repeat patterns (and, with `paces`, of paces) in a normalised text."""
    spans = [m.span() for m in _REPEAT.finditer(norm)] if "x" in norm else []
    if paces and _may_pace(norm):
        spans += [m.span() for m in _PACE.finditer(norm)]
    return tuple(spans)


def _number(value: str) -> float:
    return float(value.replace(",", "."))


@dataclass(frozen=True, slots=True)
class _Repeat:
    quote: str
    strides: bool


def _repeats(text: _Text) -> list[_Repeat]:
    """Every repeat pattern ("6 x 800m", "3x10'"), and whether it is only strides."""
    if "x" not in text.norm:
        return []
    found = []
    for m in _REPEAT.finditer(text.norm):
        count, size, unit = int(m.group(1)), _number(m.group(2)), m.group(3) or ""
        if count < 2 or size <= 0:
            continue
        short = (unit in ("s", "sec", "secs", "second", "seconds", "''", '"') and size <= 30) or (
            unit in ("m", "") and 30 < size <= 150
        )
        after = text.norm[m.end() : m.end() + 24]
        strides = short or any(w in _STRIDES for w in _TOKEN.findall(after)[:2])
        found.append(_Repeat(text.quote(*m.span()), strides))
    return found


# --- distances and durations ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Distance:
    km: float
    miles: float | None  # set when written in miles
    quote: str


def _distances(text: _Text) -> list[_Distance]:
    if _DIGIT.search(text.norm) is None and "mara" not in text.norm:
        return []
    masked = _Mask(len(text.norm), _masked(text.norm, paces=True))
    found = []
    for m in _DISTANCE.finditer(text.norm):
        if masked.covers(m.span()):
            continue
        value, unit = _number(m.group(1)), m.group(2)
        miles = None
        if unit.startswith(("mi", "meilen")):
            miles, km = value, value * MILE_KM
        elif unit.startswith("m"):
            if value < 100:  # "45m" is minutes
                continue
            km = value / 1000
        else:
            km = value
        if 0 < km <= 500:
            found.append(_Distance(km, miles, text.quote(*m.span())))
    # "Recovery run after the marathon": with an easy word, a race's name is context, not the
    # distance of this run.
    races = "mara" in text.norm and _EASY.find(text) is None
    for m in _RACE_DISTANCE.finditer(text.norm) if races else ():
        if not masked.covers(m.span()):
            km = HALF_MARATHON_KM if m.group(1) else MARATHON_KM
            found.append(_Distance(km, None, text.quote(*m.span()).strip()))
    return found


def _durations(text: _Text) -> list[float]:
    """Minutes of every duration written in the text (not those of repeats).

    "18h30", "7h" and "07:00:00" past `_MAX_CLOCK_HOURS` are times of day, not durations.
    """
    norm = text.norm
    if _DIGIT.search(norm) is None:
        return []
    found: list[tuple[tuple[int, int], float | None]] = []
    colon = ":" in norm
    for m in _HMS.finditer(norm) if colon else ():
        h, mins, secs = int(m.group(1)), int(m.group(2)), int(m.group(3))
        found.append((m.span(), None if h > _MAX_CLOCK_HOURS else h * 60 + mins + secs / 60))
    for m in _HOURS_COLON.finditer(norm) if colon else ():
        found.append((m.span(), int(m.group(1)) * 60 + int(m.group(2))))
    for m in _HOURS.finditer(norm):
        hours = _number(m.group(1))
        clock = m.group(2) == "h" and hours > _MAX_CLOCK_HOURS
        found.append((m.span(), None if clock else hours * 60 + int(m.group(3) or 0)))
    for m in _MINUTES.finditer(norm):
        count = int(m.group(1))
        if m.group(2) != "m" or count < 100:  # "800m" is metres
            found.append((m.span(), float(count)))
    taken = _Mask(len(norm), _masked(norm, paces=False))
    minutes = []
    for span, minute in found:  # longer forms first: "1h30" is not also "30" minutes
        if taken.covers(span):
            continue
        taken.add(span)
        if minute is not None and 0 < minute <= 24 * 60:
            minutes.append(minute)
    return minutes


@dataclass(frozen=True, slots=True)
class _Measures:
    distances: tuple[_Distance, ...]
    distance_where: str  # "in the title" / "in the description"
    minutes: float | None
    minutes_where: str  # "planned" / "planned in the description" / "in the calendar"

    @property
    def km(self) -> float | None:
        return round(max(d.km for d in self.distances), 2) if self.distances else None


def _measure(summary: _Text, description: _Text, calendar: float | None) -> _Measures:
    distances, distance_where = _distances(summary), "in the title"
    if not distances:
        distances, distance_where = _distances(description), "in the description"
    minutes, where = calendar, "in the calendar"
    planned = _durations(summary)
    if planned:
        minutes, where = max(planned), "planned"
    elif calendar is None:
        described = _durations(description)
        if described:
            minutes, where = max(described), "planned in the description"
    return _Measures(tuple(distances), distance_where, minutes, where if minutes else "")


def _hm(minutes: float) -> str:
    whole = round(minutes)
    return f"{whole} min" if whole < 60 else f"{whole // 60}h {whole % 60:02d}m"


def _km(value: float) -> str:
    return f"{round(value, 1):g} km"


_PLAIN_KM = re.compile(r"[\d.,]+\s*(?:km|kms|k)", re.IGNORECASE)


def _long_by_numbers(m: _Measures, rules: ClassifyRules) -> str | None:
    """Why the run is long by its distance or duration, or None."""
    limit_mi = max(1, round(rules.long_km / MILE_KM))
    for d in sorted(m.distances, key=lambda d: -d.km):
        if d.miles is not None and d.miles >= limit_mi:
            return f'"{d.quote}" {m.distance_where} (>= {limit_mi} mi, {_km(rules.long_km)})'
        if d.km >= rules.long_km:
            written = "" if _PLAIN_KM.fullmatch(d.quote) else f' ("{d.quote}")'
            return f"{_km(d.km)}{written} {m.distance_where} (>= {_km(rules.long_km)})"
    if m.minutes is not None and m.minutes >= rules.long_minutes:
        return f"{_hm(m.minutes)} {m.minutes_where} (>= {rules.long_minutes} min)"
    return None


def _figures(m: _Measures) -> str:
    parts = [_km(m.km)] if m.km is not None else []
    if m.minutes is not None:
        parts.append(_hm(m.minutes))
    return f" ({', '.join(parts)})" if parts else ""


# --- the built-in rules -----------------------------------------------------------------------

# "School run", "dry run", "run through the slides", "running late": not runs.
_RUN_NOT_AFTER = _split(
    "school dry test trial supply coffee beer food shopping errand errands milk grocery "
    "airport print production pilot bank aqua pool water"
)
_RUN_NOT_BEFORE = _split("through errands late behind")


def _not_really_run(text: _Text, i: int) -> bool:
    word = text.tokens[i][0]
    if word not in ("run", "runs", "running", "jog", "jogging"):
        return False
    before = text.tokens[i - 1][0] if i > 0 else ""
    after = text.tokens[i + 1][0] if i + 1 < len(text.tokens) else ""
    return before in _RUN_NOT_AFTER or after in _RUN_NOT_BEFORE


def _lauf(text: _Text) -> _Hit | None:
    """A German run compound: Dauerlauf, Bergläufe, Lauftraining (not Ablauf, Lebenslauf)."""
    norm = text.norm
    for m in _LAUF.finditer(norm):
        start, end = m.start(), m.end()
        while start > 0 and norm[start - 1].isalnum():
            start -= 1
        while end < len(norm) and norm[end].isalnum():
            end += 1
        if not any(bad in norm[start:end] for bad in _NOT_LAUF):
            return _Hit("run", text.quote(start, end), start)
    return None


def _run_word(text: _Text) -> _Hit | None:
    return _RUN.find(text, _not_really_run) or _lauf(text)


def _long_alone(text: _Text) -> _Hit | None:
    if "long" not in text.words:
        return None
    tokens = text.tokens
    for i, (word, start, end) in enumerate(tokens):
        if word != "long":
            continue
        nxt = tokens[i + 1][0] if i + 1 < len(tokens) else None
        if nxt is None or nxt[0].isdigit() or nxt in _LONG_NEXT:
            return _Hit("long", text.quote(start, end), start)
    return None


def _named_long(text: _Text) -> str | None:
    hit = _LONG.find(text) or _long_alone(text)
    return None if hit is None else f'"{hit.quote}" names a long run'


def _speed(text: _Text) -> str | None:
    """Why `text` describes a speed session, or None."""
    return _speed_of(text.raw)


@lru_cache(maxsize=1024)
def _speed_of(raw: str) -> str | None:
    text = _text(raw)
    for rep in _repeats(text):
        if not rep.strides:
            return f'"{rep.quote}" matches a repeat pattern'
    pace = _PACE.search(text.norm) if _may_pace(text.norm) else None
    if pace is not None:
        return f'"{text.quote(*pace.span())}" is a race or threshold pace'
    hit = _INTERVAL.find(text)
    return None if hit is None else f'"{hit.quote}" is a speed-session word'


def _marker(text: _Text) -> bool:
    """A training marker: a named long run, a speed marker, an easy-run word or a race distance
    ("Berlin Marathon")."""
    found = _named_long(text) or _speed(text) or _EASY.find(text)
    if found or not text.words.isdisjoint(_STRIDES):  # "Strides": an easy day's session
        return True
    return "mara" in text.norm and _RACE_DISTANCE.search(text.norm) is not None


def _race(text: _Text) -> str | None:
    """A title that is a race ("Berlin Marathon", "Semi-marathon de Paris"): the hardest
    session of all, so the day before it is treated as the day before intervals. Not when
    the title says easy ("Recovery run after the marathon")."""
    if "mara" not in text.norm or _EASY.find(text) is not None:
        return None
    match = _RACE_DISTANCE.search(text.norm)
    if match is None:
        return None
    return f'"{text.quote(*match.span()).strip(" -")}" is a race'


def _not_a_run(text: _Text, where: str = "", *, meetings: bool = True) -> tuple[Kind, str] | None:
    """Strength, another sport or (with `meetings`) a meeting named in `text`."""
    hit = _STRENGTH.find(text)
    if hit is not None:
        return Kind.STRENGTH, f'"{hit.quote}"{where} is a strength session'
    hit = _first(text, _SPORTS)
    if hit is not None:
        label = f'"{hit.quote}"' if hit.label == "another sport" else hit.label
        return Kind.OTHER, f"not a run ({label}{where})"
    hit = _ADMIN.find(text) if meetings else None
    if hit is not None:
        return Kind.OTHER, f'not a run ("{hit.quote}"{where}: {hit.label})'
    return None


@dataclass(frozen=True, slots=True)
class _Fields:
    summary: _Text
    categories: _Text
    description: _Text


_IN = {"summary": "", "categories": " in the categories", "description": " in the description"}


def _verdict_if_not_run(f: _Fields, m: _Measures) -> tuple[Kind, str] | None:
    """None for a run; otherwise its kind (strength or other) and the reason."""
    for name in ("summary", "categories"):
        text: _Text = getattr(f, name)
        if _run_word(text):
            return None
        verdict = _not_a_run(text, _IN[name])
        if verdict is not None:
            return verdict
    if _marker(f.summary):
        return None
    described = _run_word(f.description)
    if described is None:
        verdict = _not_a_run(f.description, _IN["description"], meetings=False)
        if verdict is not None:
            return verdict
    generic = _GENERIC.find(f.summary) or _GENERIC.find(f.categories)
    if generic is not None or described is not None:
        planned = m.minutes_where.startswith("planned")
        if m.distances or planned or _marker(f.categories) or _marker(f.description):
            return None
    return Kind.OTHER, "no run, strength or training marker"


def _run_kind(f: _Fields, m: _Measures, rules: ClassifyRules) -> tuple[Kind, str]:
    names = ["summary", "categories"]
    if _EASY.find(f.summary) is None:
        names.append("description")
    for name in names:
        text: _Text = getattr(f, name)
        why = _named_long(text)
        if why is not None:
            return Kind.LONG, why + _IN[name]
        why = _speed(text)
        if why is not None:
            return Kind.INTERVAL, why + _IN[name]
    why = _race(f.summary)
    if why is not None:
        return Kind.INTERVAL, why
    why = _long_by_numbers(m, rules)
    if why is not None:
        return Kind.LONG, why
    for name in ("summary", "categories", "description"):
        hit = _EASY.find(getattr(f, name))
        if hit is not None:
            return Kind.EASY, f'"{hit.quote}"{_IN[name]} marks an easy run{_figures(m)}'
    return Kind.EASY, f"a run with no speed or long marker{_figures(m)}"


# --- user keywords ----------------------------------------------------------------------------

_USER_ORDER = (Kind.OTHER, Kind.STRENGTH, Kind.INTERVAL, Kind.LONG, Kind.EASY)
_Keywords = tuple[tuple[str, tuple[str, ...]], ...]


def _keyword_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    parts = []
    for word in words:
        folded = "".join(_fold(c) for c in word.strip())
        if not folded:
            continue
        body = r"[\s\-_]*".join(re.escape(piece) for piece in folded.split())
        before = r"(?<!\w)" if re.match(r"\w", folded) else ""
        after = r"(?!\w)" if re.search(r"\w$", folded) else ""
        parts.append(before + body + after)
    return re.compile("|".join(parts)) if parts else None


@lru_cache(maxsize=64)
def _user_patterns(keywords: _Keywords) -> tuple[tuple[Kind, re.Pattern[str]], ...]:
    by_kind = dict(keywords)
    out = []
    for kind in _USER_ORDER:
        pattern = _keyword_pattern(by_kind.get(kind.value, ()))
        if pattern is not None:
            out.append((kind, pattern))
    return tuple(out)


def _user_kind(keywords: _Keywords, f: _Fields) -> tuple[Kind, str] | None:
    """The kind a user keyword gives: title, then categories, then (vague titles) description."""
    patterns = _user_patterns(keywords)
    for name in ("summary", "categories", "description"):
        text: _Text = getattr(f, name)
        if name == "description" and (
            _run_word(f.summary) or _not_a_run(f.summary) or _marker(f.summary)
        ):
            return None  # the title speaks for itself
        for kind, pattern in patterns:
            m = pattern.search(text.norm)
            if m is not None:
                return kind, f'your keyword "{text.quote(*m.span())}"{_IN[name]}'
    return None


# --- the API ----------------------------------------------------------------------------------


@lru_cache(maxsize=16384)
def _decide(
    texts: tuple[str, str, str],
    calendar: float | None,
    long_minutes: int,
    long_km: float,
    keywords: _Keywords,
) -> tuple[Kind, str, float | None, float | None]:
    """Kind, reason, km and minutes for one set of texts (recurring events share them)."""
    f = _Fields(*(_text(t) for t in texts))
    m = _measure(f.summary, f.description, calendar)
    rules = ClassifyRules(long_minutes=long_minutes, long_km=long_km)
    user = _user_kind(keywords, f) if keywords else None
    if user is not None:
        kind, why = user
    else:
        verdict = _verdict_if_not_run(f, m)
        kind, why = _run_kind(f, m, rules) if verdict is None else verdict
    minutes = None if m.minutes is None else round(m.minutes, 1)
    return kind, f"{kind.value}: {why}", m.km, minutes


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
    if not event.runs_source:
        return Classified(event, Kind.OTHER, "other: busy-only calendar")
    keywords = tuple(sorted((Kind(k).value, tuple(v)) for k, v in rules.keywords.items() if v))
    kind, reason, km, minutes = _decide(
        (event.summary, ", ".join(event.categories), event.description),
        _calendar_minutes(event),
        rules.long_minutes,
        rules.long_km,
        keywords,
    )
    return Classified(event, kind, reason, distance_km=km, duration_minutes=minutes)


def classify_all(events: Iterable[Event], rules: ClassifyRules) -> list[Classified]:
    """`classify` for every occurrence, in the given order."""
    return [classify(event, rules) for event in events]
