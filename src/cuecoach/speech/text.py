"""What an engine is given to say: the written cue text made speakable.

The cue script, lyrics and chapters keep the written text ("Cat-Cow + Thread
Needle", "12 kg"); only the engine gets the spoken form ("Cat-Cow plus Thread
Needle", "12 kilograms"). Symbols, units after a number and abbreviations
are spelled out per language, then the wording file's ``[pronounce]`` table
replaces whole words as the user wrote them. Pure: no engine, no numpy.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class _Words:
    """The words one language uses for symbols and units."""

    plus: str
    and_: str
    per: str
    # unit as written -> (singular, plural); matched after a number, case-sensitively
    # where case matters ("m" metres but "M" is not a unit).
    units: Mapping[str, tuple[str, str]]
    # whole words as written -> spoken
    abbreviations: Mapping[str, str]
    # Counts said with a full stop, not the "!" every other count gets: English
    # "8!" is heard "Hey." from both engines, "8." is heard.
    calm_counts: frozenset[str] = frozenset()


_LANGUAGES: Mapping[str, _Words] = {
    "en": _Words(
        plus="plus",
        and_="and",
        per="per",
        units={
            "kg": ("kilogram", "kilograms"),
            "kgs": ("kilogram", "kilograms"),
            "lb": ("pound", "pounds"),
            "lbs": ("pound", "pounds"),
            "km": ("kilometre", "kilometres"),
            "m": ("metre", "metres"),
            "s": ("second", "seconds"),
            "sec": ("second", "seconds"),
            "secs": ("second", "seconds"),
            "min": ("minute", "minutes"),
            "mins": ("minute", "minutes"),
            "h": ("hour", "hours"),
        },
        abbreviations={
            "RPE": "R P E",
            "AMRAP": "am rap",
            "EMOM": "every minute on the minute",
            "DB": "dumbbell",
            "KB": "kettlebell",
            "BB": "barbell",
            "BW": "bodyweight",
            "e.g.": "for example",
            "vs": "versus",
            "vs.": "versus",
        },
        calm_counts=frozenset({"8"}),
    ),
    "es": _Words(
        plus="más",
        and_="y",
        per="por",
        units={
            "kg": ("kilo", "kilos"),
            "lb": ("libra", "libras"),
            "lbs": ("libra", "libras"),
            "km": ("kilómetro", "kilómetros"),
            "m": ("metro", "metros"),
            "s": ("segundo", "segundos"),
            "seg": ("segundo", "segundos"),
            "min": ("minuto", "minutos"),
            "h": ("hora", "horas"),
        },
        abbreviations={"RPE": "erre pe e", "AMRAP": "am rap"},
    ),
}

_NUMBER = r"(\d+(?:[.,]\d+)?)"


@cache
def _patterns(language: str) -> tuple[_Words, re.Pattern[str], re.Pattern[str]]:
    words = _LANGUAGES.get(language, _LANGUAGES["en"])
    units = "|".join(sorted(map(re.escape, words.units), key=len, reverse=True))
    # "12 kg", "12kg", "40 m/s": a unit right after a number, alone as a word.
    unit = re.compile(rf"{_NUMBER}\s?({units})(?![\w])")
    abbreviations = "|".join(sorted(map(re.escape, words.abbreviations), key=len, reverse=True))
    abbreviation = re.compile(rf"(?<![\w.])({abbreviations})(?![\w])")
    return words, unit, abbreviation


def _after_number(words: _Words, number: str, unit: str) -> str:
    one, many = words.units[unit]
    return f"{number} {one if number == '1' else many}"


def spoken(text: str, language: str = "en", pronounce: Mapping[str, str] | None = None) -> str:
    """`text` as the engine should be given it.

    "+" and "&" become words, "/" becomes "per" after a unit with a number
    ("5 km/h") and "and" between names ("Downward Dog / Plank Flow"), units
    after a number and known abbreviations are spelled out, then every
    `pronounce` entry (a whole word or phrase, matched ignoring case)
    replaces what it names; a lone number gets "!" (or, for a few, a full
    stop) and any other phrase without final punctuation a full stop.
    """
    words, unit, abbreviation = _patterns(language.split("-", maxsplit=1)[0])
    out = re.sub(r"\s*\+\s*", f" {words.plus} ", text)
    out = re.sub(r"\s+&\s+", f" {words.and_} ", out)
    out = re.sub(
        rf"{_NUMBER}\s?([^\W\d]+)/([^\W\d]+)",
        lambda m: _per(words, m),
        out,
    )
    out = unit.sub(lambda m: _after_number(words, m.group(1), m.group(2)), out)
    out = re.sub(r"\s*/\s*", f" {words.and_} ", out)
    out = abbreviation.sub(lambda m: words.abbreviations[m.group(1)], out)
    for written, said in (pronounce or {}).items():
        out = re.sub(rf"(?<!\w){re.escape(written)}(?!\w)", said, out, flags=re.IGNORECASE)
    out = " ".join(out.split())
    # A count is called out: Piper says "2." so that it is heard "tune", "2!"
    # is heard right (scripts/bench_intelligibility.py); see `calm_counts`.
    if re.fullmatch(r"\d+", out):
        return out + ("." if out in words.calm_counts else "!")
    # Said as a sentence: a phrase ends with a falling tone and its full length,
    # which the recognizer then hears.
    return out if not out or out[-1] in ".!?…" else out + "."


def _per(words: _Words, match: re.Match[str]) -> str:
    number, top, bottom = match.groups()
    said_top = _after_number(words, number, top) if top in words.units else f"{number} {top}"
    said_bottom = words.units[bottom][0] if bottom in words.units else bottom
    return f"{said_top} {words.per} {said_bottom}"
