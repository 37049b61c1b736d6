"""Durations, distances, paces and the ``3x10/side`` shorthand.

Every parser here takes the raw TOML value and returns a number or raises
`UnitError` whose message says what was expected; the session parser adds the
file, line and key.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

from .checker import shown_number, type_name
from .model import WorkKind


class UnitError(ValueError):
    """A value could not be read; the message says what was expected."""


_NUMBER = r"\d+(?:\.\d+)?"
_SECONDS_PER_UNIT = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
}
_METRES_PER_UNIT = {
    "m": 1,
    "metre": 1,
    "metres": 1,
    "meter": 1,
    "meters": 1,
    "km": 1000,
    "kilometre": 1000,
    "kilometres": 1000,
    "kilometer": 1000,
    "kilometers": 1000,
}
# A weight as written, to the unit it is in: one table for a session's `load`,
# a progression rule's "+2.5kg" and the shorthand's refusal of "3x10kg".
WEIGHT_UNITS = {
    "kg": "kg", "kgs": "kg", "kilo": "kg", "kilos": "kg", "kilogram": "kg", "kilograms": "kg",
    "lb": "lb", "lbs": "lb", "pound": "lb", "pounds": "lb",
}  # fmt: skip
_DURATION_PART = re.compile(rf"({_NUMBER})\s*([a-z]+)")
# The whole of "1min 30s": checked before the parts are read, so text that is
# not a duration fails in one pass instead of one scan per character.
_DURATION_PARTS = re.compile(rf"(?:{_NUMBER}\s*[a-z]+\s*)+")
_CLOCK = re.compile(r"(?:(\d+):)?(\d+):([0-5]\d)(?:\.(\d+))?")
# Distances and paces are rarer than durations: compiled on first use (re caches them).
_DISTANCE = rf"({_NUMBER})\s*({'|'.join(_METRES_PER_UNIT)})"
_PACE = rf"({_NUMBER})\s*(m/s|km/h)"
DURATION_HELP = 'a duration like "30s", "1min30s", "90s" or "1:30"'
DISTANCE_HELP = 'a distance like "40m" or "1.5km"'
PACE_HELP = 'a pace like "1m/s" or "4km/h"'
DO_HELP = 'a shorthand like "3x12", "3x10/side", "3x30s", "3x40m" or "3x20 taps"'
MAX_TEXT = 100  # characters in one written amount: far beyond any real one
MAX_NUMBER = 10**15  # a bare number beyond this is no amount (and no longer exact as a float)


def _text(value: str, help_: str) -> str:
    """`value` stripped, refused when too long to be an amount.

    The limit keeps every parse here short whatever the input, and keeps
    Python's int() from refusing thousands of digits with its own error.
    """
    text = value.strip()
    if len(text) > MAX_TEXT:
        raise UnitError(
            f"expected {help_}, got text of {len(text):,} characters (at most {MAX_TEXT})"
        )
    return text


def _number(value: int | float, help_: str) -> float:
    """A TOML number as a float; an integer too large for one is refused, not an OverflowError."""
    if isinstance(value, int) and abs(value) > MAX_NUMBER:
        raise UnitError(f"expected {help_}, got an integer of {len(str(abs(value))):,} digits")
    return float(value)


def _describe(value: object) -> str:
    """A value as a message shows it: a string or number as written, else its kind."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return str(value).lower()  # as TOML writes it
    if isinstance(value, int | float):
        return shown_number(value)
    return type_name(value)


def parse_duration(value: object) -> float:
    """Seconds from ``30``, ``"30s"``, ``"1min30s"``, ``"1:30"``, ``"1h"``.

    A bare number means seconds. A bare ``m`` is refused because in
    cuecoach ``m`` means metres.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise UnitError(f"expected {DURATION_HELP}, got {_describe(value)}")
    seconds = (
        _number(value, DURATION_HELP)
        if isinstance(value, int | float)
        else _duration_from_text(value)
    )
    if math.isnan(seconds) or seconds < 0:  # NaN or negative
        raise UnitError(f"expected {DURATION_HELP} of 0 or more, got {_describe(value)}")
    return seconds


def _duration_from_text(value: str) -> float:
    text = _text(value, DURATION_HELP).lower()
    if re.fullmatch(_NUMBER, text):
        return float(text)
    if m := _CLOCK.fullmatch(text):
        hours, minutes, secs, frac = m.groups()
        return int(hours or 0) * 3600 + int(minutes) * 60 + int(secs) + float(f"0.{frac or 0}")
    if _DURATION_PARTS.fullmatch(text):
        total = 0.0
        for number, unit in _DURATION_PART.findall(text):
            if unit == "m":
                raise UnitError(
                    f'"{value}": "m" means metres; for minutes write '
                    f'"{number}min" or "{float(number) * 60:g}s"'
                )
            if unit not in _SECONDS_PER_UNIT:
                raise UnitError(f'"{value}": unknown time unit "{unit}"; expected {DURATION_HELP}')
            total += float(number) * _SECONDS_PER_UNIT[unit]
        return total
    raise UnitError(f"expected {DURATION_HELP}, got {_describe(value)}")


def parse_distance(value: object) -> float:
    """Metres from ``40``, ``"40m"`` or ``"1.5km"`` (a bare number means metres)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise UnitError(f"expected {DISTANCE_HELP}, got {_describe(value)}")
    if isinstance(value, int | float):
        metres = _number(value, DISTANCE_HELP)
    else:
        text = _text(value, DISTANCE_HELP).lower()
        if re.fullmatch(_NUMBER, text):
            metres = float(text)
        elif m := re.fullmatch(_DISTANCE, text):
            metres = float(m.group(1)) * _METRES_PER_UNIT[m.group(2)]
        else:
            raise UnitError(f"expected {DISTANCE_HELP}, got {_describe(value)}")
    if math.isnan(metres) or metres < 0:
        raise UnitError(f"expected {DISTANCE_HELP} of 0 or more, got {_describe(value)}")
    return metres


def parse_pace(value: object) -> float:
    """Metres per second from ``1``, ``"1m/s"`` or ``"4km/h"``."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise UnitError(f"expected {PACE_HELP}, got {_describe(value)}")
    if isinstance(value, int | float):
        pace = _number(value, PACE_HELP)
    else:
        text = _text(value, PACE_HELP).lower().replace(" ", "")
        if re.fullmatch(_NUMBER, text):
            pace = float(text)
        elif m := re.fullmatch(_PACE, text):
            pace = float(m.group(1)) / (3.6 if m.group(2) == "km/h" else 1.0)
        else:
            raise UnitError(f"expected {PACE_HELP}, got {_describe(value)}")
    if math.isnan(pace) or pace <= 0:
        raise UnitError(f"expected {PACE_HELP} above 0, got {_describe(value)}")
    return pace


class DoSpec(NamedTuple):
    """What a ``do`` shorthand says: sets and one set's amount.

    A NamedTuple, not a dataclass: it is the parser's own record, and a
    dataclass costs start-up time when this module is imported.
    """

    sets: int
    kind: WorkKind
    reps: int | None = None
    unit: str | None = None
    seconds: float | None = None
    metres: float | None = None
    per_side: bool = False
    side_label: str = "side"  # as written: "side", "leg" or "arm" (spoken "per leg")
    amrap: bool = False  # as many reps as you can; reps is then None


SIDE_LABELS = ("side", "leg", "arm")
# Spanish sessions write sides their way: "3x8 por pierna", "3x30s cada lado".
_SPANISH_SIDES = {"lado": "side", "pierna": "leg", "brazo": "arm"}
AMRAP_WORDS = ("amrap", "max")
# Sides at the end of a do: "/side", "/legs", "per side", "per-side", "each leg", "a side", "each".
_SIDES = re.compile(
    r"(?:/\s*(?P<slash>[^\W\d_]+)"
    r"|(?<![^\s\d])(?:on\s+)?(?P<prep>per|each|ea|a|por|cada)[\s-]+(?P<word>[^\W\d_]+)"
    r"|(?<![^\s\d])(?P<each>each|ea))\s*$",
    re.IGNORECASE,
)  # "on each side" and "ea" (each) as notes write them
_DO = re.compile(r"(?P<sets>\d+)\s*[x×]\s*(?P<rest>.*)", re.DOTALL | re.IGNORECASE)
_AMOUNT = re.compile(
    rf"(?P<amount>{_NUMBER}(?::[0-5]\d)?|(?:{'|'.join(AMRAP_WORDS)})\b)\s*(?P<words>.*)",
    re.DOTALL | re.IGNORECASE,
)
# Words a user may mean as a unit or a side: a close miss is an error with a
# suggestion, never a silent rep name ("3x30 secnds" is not 30 "secnds").
_UNIT_WORDS = (*_SECONDS_PER_UNIT, *_METRES_PER_UNIT, "side", "sides", "leg", "legs", "arm", "arms")
# The default unit written out: "3x10 rep" is said "10 reps", as "3x10" is.
_DEFAULT_UNITS = ("rep", "reps")
# Units a user may write that cuecoach does not time: never a silent rep name
# ("3x400 yards" is not 400 reps of 3 s).
_FOREIGN_UNITS = {
    **dict.fromkeys(("mile", "miles", "mi", "yard", "yards", "yd", "yds", "ft", "feet", "foot"),
                    "distance"),
    **dict.fromkeys(WEIGHT_UNITS, "load"),
}  # fmt: skip
_FOREIGN_HINT = {
    "distance": 'distances are in metres or km, like "3x400m" or "3x1.6km"',
    "load": 'a weight goes in its own key, like load = "12kg"; do gives sets and reps',
}
_SIDE_WORDS = ("on", "per", "each", "ea", "a")  # the start of a side phrase
_SMALLEST_METRES = 5  # "3x1m" under this is far likelier minutes than metres: refused


def _side(value: str, match: re.Match[str]) -> str | None:
    """The side label a matched side phrase names, or None when it is no side phrase."""
    if match.group("each") is not None:
        return "side"
    word = (match.group("slash") or match.group("word")).lower()
    label = word.removesuffix("s")
    if label in SIDE_LABELS:
        return label
    if label in _SPANISH_SIDES:
        return _SPANISH_SIDES[label]
    if match.group("prep") == "a":
        return None  # "3x5 a minute" is no side; read on
    written = match.group(0).strip()
    raise UnitError(
        f'"{value}": "{written}" is not a side; write per side, per leg or per arm '
        "(or /side, /leg, /arm, each side)"
    )


def _looks_like_unit(value: str, word: str, rest: str) -> None:
    """Refuse a rep word that is a near miss of a unit or side word.

    A side word followed by more words names the reps ("10 leg raises").
    """
    import difflib  # only a do that names its reps needs it: not every start-up

    close = difflib.get_close_matches(word.lower(), _UNIT_WORDS, n=1, cutoff=0.75)
    if close and close[0].removesuffix("s") in SIDE_LABELS:
        if rest:
            return
        label = close[0].removesuffix("s")
        raise UnitError(f'"{value}": for sides write "per {label}", "each {label}" or "/{label}"')
    if close and close[0] == word.lower():  # a known unit, then words it cannot read
        raise UnitError(
            f'"{value}": "{rest}" after "{word}" is not understood; sides are written '
            '"per side", "each leg" or "/arm"'
        )
    if close:
        raise UnitError(f'"{value}": unknown unit "{word}"; did you mean "{close[0]}"?')


def parse_do(value: object) -> DoSpec:
    """Read ``SETS x AMOUNT [UNIT] [SIDES]``: ``"3x12"``, ``"3 × 10/side"``,
    ``"3x30s per side"``, ``"3x40 metres"``, ``"3x20 taps"``, ``"3x8 each leg"``,
    ``"2x1:30"``, ``"3xAMRAP"``."""
    if not isinstance(value, str):
        raise UnitError(f"expected {DO_HELP}, got {_describe(value)}")
    text = _text(value, DO_HELP).removesuffix(".")  # "3x10 each side." as a sentence ends
    m = _DO.fullmatch(text)
    amount_match = _AMOUNT.fullmatch(m.group("rest")) if m else None
    if m is None or amount_match is None:
        raise UnitError(f"expected {DO_HELP}, got {_describe(value)}")
    amount = amount_match.group("amount").lower()
    # Sides in brackets, as notes write them: "3x10 (each side)".
    words = amount_match.group("words").strip()
    if (bracket := re.search(r"\(([^()]*)\)$", words)) and _SIDES.fullmatch(bracket[1].strip()):
        words = f"{words[: bracket.start()]} {bracket[1]}".strip()
    side_label = None
    if side := _SIDES.search(words):
        side_label = _side(value, side)
        if side_label is not None:
            words = words[: side.start()].strip()
            if (twice := _SIDES.search(words)) and _side(value, twice) is not None:
                raise UnitError(f'"{value}": write the sides once, at the end ("3x10 per side")')
    spec = _amount_of(value, m.group("sets"), amount, words)
    if side_label is None:
        return spec
    return spec._replace(per_side=True, side_label=side_label)


def _amount_of(value: str, sets_text: str, amount: str, words: str) -> DoSpec:
    """The sets and amount of a do shorthand, its sides already taken off."""
    sets = int(sets_text)
    unit = words.lower() or None
    if amount in AMRAP_WORDS:
        if words and unit not in _DEFAULT_UNITS:  # "3xmax reps" is how people write it
            raise UnitError(f'"{value}": "{amount}" takes no unit after it')
        return DoSpec(sets, WorkKind.REPS, amrap=True)
    if ":" in amount:
        if unit is not None:
            raise UnitError(f'"{value}": a time like "1:30" takes no unit after it')
        return DoSpec(sets, WorkKind.TIME, seconds=parse_duration(amount))
    if unit is not None and unit in _METRES_PER_UNIT:
        if unit == "m" and float(amount) < _SMALLEST_METRES:
            raise UnitError(
                f'"{value}": "m" means metres; for minutes write "{sets_text}x{amount}min" '
                f'or "{sets_text}x{float(amount) * 60:g}s"'
            )
        return DoSpec(sets, WorkKind.DISTANCE, metres=parse_distance(amount + unit))
    time_units = re.findall(r"[a-z]+", unit or "")
    if (
        unit is not None
        and _DURATION_PARTS.fullmatch(amount + unit)
        and all(t in _SECONDS_PER_UNIT or t == "m" for t in time_units)
    ):
        try:
            seconds = parse_duration(amount + unit)
        except UnitError as exc:
            raise UnitError(f'"{value}": {exc}') from None
        return DoSpec(sets, WorkKind.TIME, seconds=seconds)
    if unit is not None:
        # A unit stands alone ("400 yards") or with a number ("10 at 12kg"):
        # "foot taps" names reps.
        unit_words = re.findall(r"[^\W\d_]+", unit)
        alone = len(unit_words) == 1 or re.search(r"[\d@]", unit)
        for word in unit_words if alone else ():
            if word in _FOREIGN_UNITS:
                raise UnitError(f'"{value}": {_FOREIGN_HINT[_FOREIGN_UNITS[word]]}')
        first, _, rest = unit.partition(" ")
        _looks_like_unit(value, first, rest.strip())
        last = unit.split()[-1].removesuffix("s")
        if last in _SIDE_WORDS:  # "3x10 on/side": a side phrase cut short
            raise UnitError(
                f'"{value}": "{unit}" is no rep name; write sides "per side", '
                '"on each leg" or "/arm"'
            )
        if last in SIDE_LABELS:  # "3x10 left side", "3x10 both sides": no side phrase
            raise UnitError(f'"{value}": for sides write "per {last}", "each {last}" or "/{last}"')
        # Letters only (with ' | -): "3x10x2" or "3x10 2" is no rep name.
        word = r"[^\W\d_](?:[^\W\d_]|['|-])*"
        if not re.fullmatch(rf"{word}(?:\s+{word})*", unit):
            raise UnitError(f"expected {DO_HELP}, got {_describe(value)}")
    if "." in amount:
        raise UnitError(f'"{value}": a rep count must be a whole number')
    return DoSpec(sets, WorkKind.REPS, reps=int(amount), unit=written_unit(words))


def written_unit(words: str | None) -> str | None:
    """The rep unit as written, or None for the default one ("reps")."""
    if words is None or words.strip().lower() in _DEFAULT_UNITS:
        return None
    return words.strip() or None
