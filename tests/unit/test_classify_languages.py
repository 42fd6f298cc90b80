"""Thirteen languages, each with its own titles: runs of every kind, strength, other sports,
meetings, and the words that only look like runs. Accents and case do not matter."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from calsync.core.classify import classify
from calsync.model import ClassifyRules
from calsync.model import Event
from calsync.model import Kind

EZ, IV, LG, ST, OT = Kind.EASY, Kind.INTERVAL, Kind.LONG, Kind.STRENGTH, Kind.OTHER
TZ = ZoneInfo("Europe/Stockholm")

LANGUAGES: dict[str, list[tuple[str, Kind]]] = {
    "en": [
        ("Easy 6 mi", EZ), ("Recovery shakeout", EZ), ("6x1k @ 10k pace", IV), ("3 x 2 mi @ T", IV),
        ("2x20' @ threshold", IV), ("10x400 @ 5k", IV), ("LSR 18 mi", LG), ("LR", LG),
        ("Progression run 12k", IV), ("Z2 60'", EZ), ("Weights", ST), ("Board meeting", OT),
    ],
    "de": [
        ("Lockerer Dauerlauf 45 min", EZ), ("Intervalltraining 10x400m", IV), ("Langer Lauf", LG),
        ("Tempodauerlauf 10 km", IV), ("Schwellenlauf", IV), ("Regenerationslauf", EZ),
        ("Krafttraining Beine", ST), ("Radfahren", OT), ("Zahnarzttermin", OT),
        ("Lebenslauf schreiben", OT), ("Auslaufen", EZ), ("Wettkampf", IV),
        ("Tempowechsellauf 10 km", IV),
    ],
    "fr": [
        ("Footing léger 40'", EZ), ("Fractionné court 12x200", IV), ("Sortie longue 2h", LG),
        ("Séance au seuil", IV), ("Footing de récup", EZ), ("VMA 8x400", IV),
        ("Musculation haut du corps", ST), ("Natation 1500 m", OT), ("Rendez-vous dentiste", OT),
        ("Course à pied tranquille", EZ), ("Côtes 8x30''", IV),
    ],
    "es": [
        ("Rodaje suave 45'", EZ), ("Series 10x400", IV), ("Tirada larga 28 km", LG),
        ("Fartlek", IV), ("Umbral 2x15'", IV), ("Trote regenerativo 30'", EZ),
        ("Gimnasio: fuerza", ST), ("Bicicleta de montaña", OT), ("Cita médico", OT),
        ("Carrera continua", EZ), ("Cuestas", IV),
    ],
    "nl": [
        ("Rustige duurloop 45 min", EZ), ("Intervallen 8x400m", IV), ("Lange duurloop 2 uur", LG),
        ("Tempoloop", IV), ("Drempelloop 3x8'", IV), ("Herstelloop 30 min", EZ),
        ("Krachttraining", ST), ("Wielrennen", OT), ("Afspraak huisarts", OT),
        ("Hardlopen", EZ), ("Heuveltraining 10x1'", IV),
    ],
    "it": [
        ("Corsa lenta 50'", EZ), ("Ripetute 5x1000", IV), ("Lungo 30 km", LG),
        ("Soglia 2x5 km", IV), ("Corsa di recupero", EZ), ("Salite 8x200", IV),
        ("Palestra", ST), ("Bicicletta", OT), ("Appuntamento medico", OT),
        ("Corsa rigenerante", EZ), ("Fartlek 30'", IV),
    ],
    "pt": [
        ("Corrida leve 40'", EZ), ("Intervalado 6x800", IV), ("Longão 32 km", LG),
        ("Limiar 20'", IV), ("Rodagem regenerativa", EZ), ("Tiros 12x200", IV),
        ("Musculação", ST), ("Ciclismo", OT), ("Consulta dentista", OT),
        ("Treino longo 2h30", LG), ("Subidas 8x100m", IV),
    ],
    "sv": [
        ("Lugn löpning 45 min", EZ), ("Intervaller 5x1000 m", IV), ("Långpass 2 tim", LG),
        ("Långpass", LG), ("Tröskelpass", IV), ("Backintervaller", IV), ("Distanspass", EZ),
        ("Återhämtning 30 min", EZ), ("Styrketräning", ST), ("Cykling", OT),
        ("Möte", OT), ("Löpning", EZ), ("Lidingöloppet", IV),
    ],
    "da": [
        ("Rolig løbetur", EZ), ("Intervaller 6x800 m", IV), ("Langtur 2 timer", LG),
        ("Langtur", LG), ("Tempoløb", IV), ("Bakkeløb", IV), ("Restitutionsløb", EZ),
        ("Styrketræning", ST), ("Cykling", OT), ("Svømning", OT), ("Løb 10 km", EZ),
        ("Intervaltræning", IV),
    ],
    "nb": [
        ("Rolig tur 45 min", EZ), ("Intervaller 5x5 min", IV), ("Langtur", LG),
        ("Langkjøring", LG), ("Terskelintervaller 6x6 min", IV), ("Terskeløkt", IV),
        ("Rolig jogg", EZ), ("Styrketrening", ST), ("Sykling", OT), ("Møte med sjefen", OT),
        ("Løpetur 8 km", EZ), ("Bakkeløp", IV),
    ],
    "fi": [
        ("Kevyt lenkki", EZ), ("Intervallit 5x1 km", IV), ("Pitkä lenkki", LG),
        ("Pitkä lenkki 2 h", LG), ("Vetoja", IV), ("Mäkivedot", IV),
        ("Peruskestävyyslenkki", EZ), ("Palauttava lenkki 30 min", EZ), ("Kuntosali", ST),
        ("Pyöräily", OT), ("Palaveri", OT), ("Juoksu 10 km", EZ),
    ],
    "pl": [
        ("Rozbieganie 40 min", EZ), ("Interwały 5x1 km", IV), ("Długie wybieganie", LG),
        ("Dlugie wybieganie 28 km", LG), ("Podbiegi", IV), ("Zabawa biegowa", IV),
        ("Spokojny bieg", EZ), ("Trucht", EZ), ("Siłownia", ST), ("Rower", OT),
        ("Spotkanie", OT), ("Bieg 10 km", EZ), ("Rytmy 8x100 m", EZ),
    ],
    "cs": [
        ("Volný běh 45 min", EZ), ("Intervaly 5x1 km", IV), ("Dlouhý běh", LG),
        ("Dlouhý běh 2 hodiny", LG), ("Úseky", IV), ("Kopce", IV), ("Klus 30 min", EZ),
        ("Regenerační běh", EZ), ("Posilovna", ST), ("Kolo", OT), ("Porada", OT),
        ("Běh 10 km", EZ),
    ],
}  # fmt: skip


def event(summary: str) -> Event:
    start = dt.datetime(2026, 12, 1, tzinfo=TZ)
    return Event("u", start, start + dt.timedelta(days=1), summary=summary, all_day=True)


CASES = [(lang, title, kind) for lang, rows in LANGUAGES.items() for title, kind in rows]


def test_thirteen_languages_with_at_least_ten_titles_each() -> None:
    assert len(LANGUAGES) >= 13
    assert all(len(rows) >= 10 for rows in LANGUAGES.values())
    for rows in LANGUAGES.values():  # every language has runs of each kind and non-runs
        assert {kind for _, kind in rows} >= {EZ, IV, LG, ST, OT}


@pytest.mark.parametrize(("lang", "title", "kind"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_titles_in_each_language(lang: str, title: str, kind: Kind) -> None:
    result = classify(event(title), ClassifyRules())
    assert result.kind is kind, f"{lang}: {result.reason}"


@pytest.mark.parametrize(("lang", "title", "kind"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_case_and_diacritics_do_not_matter(lang: str, title: str, kind: Kind) -> None:
    for variant in (title.upper(), title.lower(), _strip_accents(title)):
        assert classify(event(variant), ClassifyRules()).kind is kind, variant


def _strip_accents(text: str) -> str:
    """What a runner typing fast writes: "Langpass", "Dlugie", "Lobetur"."""
    table = str.maketrans("åäöøæéèêëáàâíóôúüůěščřžýłńśźżąę", "aaooaeeeeaaaioouuuescrzylnszzae")
    return text.translate(table).translate(str.maketrans("ÅÄÖØÆÉŁŚŻ", "AAOOAELSZ"))
