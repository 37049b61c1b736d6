"""Session and program files (TOML) -> validated model.

Every problem in a file is collected (with file, line and key path) and raised
together as one `InputError`; warnings (unknown exercise names, keys that have
no effect where they are written) travel on the `Session`.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from . import units
from .checker import (
    COMMAND_LINE,
    MAX_TEXT,
    Checker,
    shown_number,
    sorted_problems,
    type_name,
    unquoted_hint,
)
from .errors import InputError, Problem
from .library import Library, builtin_library, load_library
from .model import (
    ENGINE_NAMES,
    Exercise,
    Group,
    Item,
    Load,
    Program,
    Session,
    SpeechSettings,
    Timing,
    WorkKind,
)
from .tomlfile import FILE_KEY, KeyPath, TomlDocument, key_path, read_toml
from .wording import LANGUAGES

MINUTE = 60_000
HOUR = 60 * MINUTE


# The parser's own small records are NamedTuples rather than frozen dataclasses:
# a dataclass compiles its generated methods when the module is imported, about
# half a millisecond each, on the start-up path of every command.
class DurationLimit(NamedTuple):
    """Allowed range of a duration key, in milliseconds."""

    low: int
    high: int

    def describe(self) -> str:
        return f"from {_spoken_ms(self.low)} to {_spoken_ms(self.high)}"


def _spoken_ms(ms: int) -> str:
    if ms and ms % HOUR == 0:
        return f"{ms // HOUR}h"
    if ms and ms % MINUTE == 0:
        return f"{ms // MINUTE}min"
    return f"{ms / 1000:g}s"


# The limits a session must stay within; values outside are refused with these named.
TIMING_LIMITS: dict[str, DurationLimit] = {
    "rest": DurationLimit(0, 30 * MINUTE),
    "transition": DurationLimit(0, 30 * MINUTE),
    "rep_time": DurationLimit(500, MINUTE),
    "switch_time": DurationLimit(0, 5 * MINUTE),
}
LEAD_IN_LIMIT = DurationLimit(0, 10 * MINUTE)
GROUP_TRANSITION_LIMIT = DurationLimit(0, 30 * MINUTE)
TIME_LIMIT = DurationLimit(1000, 2 * HOUR)
SETS_RANGE = (1, 20)
REPS_RANGE = (1, 500)
DISTANCE_RANGE = (1.0, 10_000.0)  # metres
PACE_RANGE = (0.1, 10.0)  # metres per second
RATE_RANGE = (80, 450)  # words per minute
VOLUME_RANGE = (0.0, 1.0)
MAX_CUES = 10
MAX_SETUP = 3
CAP_LIMIT = DurationLimit(5_000, 30 * MINUTE)  # an as-many-as-you-can set
TIME_CALL_LIMIT = DurationLimit(1_000, 30 * MINUTE)
MAX_TIME_CALLS = 5
TEMPO_PHASE_LIMIT = DurationLimit(0, 20_000)  # one phase of a rep
TEMPO_LIMIT = DurationLimit(500, MINUTE)  # a whole rep, as for rep_time
LOAD_RANGES = {"kg": (0.5, 500.0), "lb": (1.0, 1100.0), "rpe": (1.0, 10.0)}
# Patterns of keys few sessions write are compiled on first use (re caches them).
_TEMPO = r"^\s*(\d+(?:\.\d+)?)(?:\s*-\s*(\d+(?:\.\d+)?)){2,3}\s*$"
_TEMPO_PART = r"\d+(?:\.\d+)?"
_LOAD_AMOUNT = r"^(\d+(?:\.\d+)?)\s*([a-z]+)$"
_LOAD_RPE = re.compile(r"^rpe\s*(\d+(?:\.\d+)?)$")
_BODYWEIGHT = ("bodyweight", "body weight", "bw")
LOAD_HELP = 'a load like "12kg", "25lb", "bodyweight" or "RPE 8"'
TEMPO_HELP = 'a tempo like "3-1-1" or "3-1-1-0" (seconds down, hold, up, hold)'
# Size limits that keep a parse quick whatever the file holds; far above any
# real session (the guide's days have six exercises, its week two sessions).
MAX_SESSION_EXERCISES = 300
MAX_PROGRAM_EXERCISES = 3000
MAX_DESCRIPTION = 2000
LIBRARY_LANGUAGE = "en"  # the built-in library's form tips are written in English

# Keys of one exercise's own timing; with lead_in and group_transition (which
# belong to the session and to a group) they may also sit in [defaults].
TIMING_KEYS = (*TIMING_LIMITS, "pace", "count_reps", "tempo", "time_calls", "cap")
PLACED_KEYS = ("lead_in", "group_transition")
_LANGUAGE = re.compile(r"^[a-z]{2,3}([-_][a-z0-9]{1,8})*$", re.IGNORECASE)
SPEECH_KEYS = ("engine", "voice", "rate", "volume", "language")
DEFAULTS_KEYS = (*TIMING_KEYS, *PLACED_KEYS, *SPEECH_KEYS, "wording", "library")
AMOUNT_KEYS = ("reps", "time", "distance", "do")
EXERCISE_KEYS = (
    "name",
    "sets",
    *AMOUNT_KEYS,
    "per_side",
    "unit",
    "cues",
    "setup",
    "load",
    "group",
    "progress",
    *TIMING_KEYS,
    *PLACED_KEYS,
)
SESSION_KEYS = ("title", "description", "defaults", "exercise")
PROGRAM_KEYS = ("title", "description", "sessions", "weeks", "deload_every")
_TIMING_FIELDS = {
    "rest": "rest_ms",
    "transition": "transition_ms",
    "rep_time": "rep_time_ms",
    "switch_time": "switch_ms",
}
_KINDS = {"reps": WorkKind.REPS, "time": WorkKind.TIME, "distance": WorkKind.DISTANCE}


# --- values read through units ------------------------------------------------


def _too_long(check: Checker, parts: KeyPath, value: str, expected: str) -> bool:
    """Refuse an amount far longer than any real one before parsing it, so that
    no value costs more than a glance whatever the file holds (as `units` does)."""
    limit = units.MAX_TEXT
    if len(value) > limit:
        check.error(
            parts, f"expected {expected}, got text of {len(value):,} characters (at most {limit})"
        )
        return True
    return False


def _parsed(
    check: Checker, parts: KeyPath, value: object, reader: Callable[[object], float]
) -> float | None:
    try:
        return reader(value)
    except units.UnitError as exc:
        check.error(parts, str(exc))
        return None


def _within(
    check: Checker, parts: KeyPath, seconds: float, limit: DurationLimit, written: object
) -> int | None:
    exact = seconds * 1000  # infinite for TOML's inf, or a huge number
    if not (math.isfinite(exact) and limit.low <= round(exact) <= limit.high):
        if isinstance(written, str):
            shown = f'"{written}"'
        else:
            shown = f"{written}s" if math.isfinite(exact) else str(written)
        check.error(parts, f"expected a duration {limit.describe()}, got {shown}")
        return None
    return round(exact)


def _duration_ms(check: Checker, parts: KeyPath, value: object, limit: DurationLimit) -> int | None:
    seconds = _parsed(check, parts, value, units.parse_duration)
    return None if seconds is None else _within(check, parts, seconds, limit, value)


def _optional_ms(
    check: Checker, table: Mapping[str, Any], parts: KeyPath, key: str, limit: DurationLimit
) -> int | None:
    """The duration `key` of `table` when it is written and valid, else None."""
    return _duration_ms(check, (*parts, key), table[key], limit) if key in table else None


def _timing(check: Checker, table: Mapping[str, Any], parts: KeyPath, base: Timing) -> Timing:
    changes: dict[str, Any] = {}
    for key, limit in TIMING_LIMITS.items():
        ms = _optional_ms(check, table, parts, key, limit)
        if ms is not None:
            changes[_TIMING_FIELDS[key]] = ms
    if "pace" in table:
        pace = _parsed(check, (*parts, "pace"), table["pace"], units.parse_pace)
        if pace is not None and check.number_in(
            (*parts, "pace"), pace, PACE_RANGE, "a pace in m/s"
        ):
            changes["pace_m_per_s"] = pace
    if "count_reps" in table:
        flag = check.boolean((*parts, "count_reps"), table["count_reps"])
        if flag is not None:
            changes["count_reps"] = flag
    if "tempo" in table:
        tempo = _tempo(check, (*parts, "tempo"), table["tempo"])
        if tempo is not None:
            changes["tempo_ms"] = tempo
    elif "rep_time" in table:
        changes["tempo_ms"] = None  # a rep_time written here beats a tempo from [defaults]
    if "time_calls" in table:
        calls = _time_calls(check, (*parts, "time_calls"), table["time_calls"])
        if calls is not None:
            changes["time_calls_ms"] = calls
    cap = _optional_ms(check, table, parts, "cap", CAP_LIMIT)
    if cap is not None:
        changes["cap_ms"] = cap
    return dataclasses.replace(base, **changes)


def _tempo(check: Checker, parts: KeyPath, value: object) -> tuple[int, int, int, int] | None:
    """`tempo = "3-1-1"` or "3-1-1-0": seconds lowering, at the bottom, lifting, at the top."""
    if not isinstance(value, str):
        check.error(parts, f"expected {TEMPO_HELP}, got {type_name(value)}")
        return None
    if _too_long(check, parts, value, TEMPO_HELP):
        return None
    if not re.match(_TEMPO, value):
        check.error(parts, f'expected {TEMPO_HELP}, got "{value}"')
        return None
    phases = [round(float(p) * 1000) for p in re.findall(_TEMPO_PART, value)]
    phases += [0] * (4 - len(phases))
    if max(phases) > TEMPO_PHASE_LIMIT.high:
        check.error(parts, f'expected each phase {TEMPO_PHASE_LIMIT.describe()}, got "{value}"')
        return None
    if not TEMPO_LIMIT.low <= sum(phases) <= TEMPO_LIMIT.high:
        check.error(parts, f'expected a rep {TEMPO_LIMIT.describe()} long, got "{value}"')
        return None
    return (phases[0], phases[1], phases[2], phases[3])


def _time_calls(check: Checker, parts: KeyPath, value: object) -> tuple[int, ...] | None:
    """`time_calls = ["30s", "10s"]`: time left to call, longest first."""
    if not isinstance(value, list):
        check.error(
            parts, f'expected a list of durations like ["30s", "10s"], got {type_name(value)}'
        )
        return None
    if len(value) > MAX_TIME_CALLS:
        check.error(parts, f"expected at most {MAX_TIME_CALLS} time calls, got {len(value)}")
        return None
    calls = [
        _duration_ms(check, (*parts, i), item, TIME_CALL_LIMIT) for i, item in enumerate(value)
    ]
    good = [c for c in calls if c is not None]
    if len(good) < len(calls):
        return None
    if len(set(good)) < len(good):
        check.error(parts, "each time call may be given once")
        return None
    return tuple(sorted(good, reverse=True))


# --- speech settings ----------------------------------------------------------


def _speech_problem(key: str, value: object) -> str | None:
    """What is wrong with one raw speech setting, or None when it is usable."""
    shown = f'"{value}"' if isinstance(value, str) else type_name(value)
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if key not in SPEECH_KEYS:
        return f"unknown speech setting; allowed: {', '.join(SPEECH_KEYS)}"
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return f"expected at most {MAX_TEXT} characters, got {len(value)}"
    if key == "engine" and value not in ENGINE_NAMES:
        return f"expected one of {', '.join(ENGINE_NAMES)}, got {shown}"
    if key == "voice" and (not isinstance(value, str) or not value.strip()):
        return f"expected a voice name or id (see `cuecoach voices`), got {shown}"
    if key == "rate":
        low, high = RATE_RANGE
        whole = isinstance(value, int) and not isinstance(value, bool)
        if not (whole and low <= value <= high):  # type: ignore[operator]
            got = shown_number(value) if whole else shown  # type: ignore[arg-type]
            return f"expected words per minute from {low} to {high}, got {got}"
    if key == "volume":
        low_v, high_v = VOLUME_RANGE
        if not number:
            return f"expected a volume from {low_v:g} to {high_v:g}, got {shown}"
        if not low_v <= value <= high_v:  # type: ignore[operator]
            got = shown_number(value)  # type: ignore[arg-type]
            return f"expected a volume from {low_v:g} to {high_v:g}, got {got}"
    if key == "language":
        if not isinstance(value, str) or not _LANGUAGE.match(value):
            return f'expected a language code like "en" or "es", got {shown}'
        if language_base(value) not in LANGUAGES:
            # Checked here, where the file and line are known, rather than
            # when the wording is loaded.
            return f"no wording for language {shown}; available: {', '.join(LANGUAGES)}"
    return None


def language_base(code: str) -> str:
    """The wording language of a language code: "es-MX" and "es_mx" give "es"."""
    return re.split(r"[-_]", code, maxsplit=1)[0].lower()


def validate_speech(
    values: Mapping[str, object], check: Checker, parts: KeyPath = ()
) -> SpeechSettings:
    """Check raw speech settings, recording each problem on `check` at ``parts + (key,)``.

    Shared by the session parser, the user config reader and the command line's
    flags, so all give the same limits and messages. Returns the usable values
    as a settings layer (languages normalised to "es-mx"); a bad value is left
    unset there.
    """
    good: dict[str, Any] = {}
    for key, value in values.items():
        problem = _speech_problem(key, value)
        if problem is not None:
            check.error((*parts, key), problem)
        else:
            good[key] = value
    volume = good.get("volume")
    language = good.get("language")
    return SpeechSettings(
        engine=good.get("engine"),
        voice=good.get("voice"),
        rate=good.get("rate"),
        volume=float(volume) if volume is not None else None,
        language=language.lower().replace("_", "-") if language is not None else None,
    )


# --- one exercise -------------------------------------------------------------


class _Amount(NamedTuple):
    """How much work one exercise asks for, whichever way it was written."""

    kind: WorkKind
    sets: int
    reps: int | None = None
    unit: str | None = None
    time_ms: int | None = None
    distance_m: float | None = None
    per_side: bool = False
    side_label: str = "side"
    amrap: bool = False


def _distance_in_range(check: Checker, parts: KeyPath, metres: float | None) -> float | None:
    if metres is None or not check.number_in(parts, metres, DISTANCE_RANGE, "a distance in metres"):
        return None
    return metres


def _amount_do(check: Checker, parts: KeyPath, table: Mapping[str, Any]) -> _Amount | None:
    """`do = "3x10 per side"`: sets, amount and sides in one string."""
    here = (*parts, "do")
    written = table["do"]
    if "sets" in table:
        check.error((*parts, "sets"), '"do" already gives the sets; remove one of them')
    try:
        spec = units.parse_do(written)
    except units.UnitError as exc:
        check.error(here, str(exc))
        return None
    if spec.unit is not None and "unit" in table:
        check.error((*parts, "unit"), f'"do" already gives the unit "{spec.unit}"; remove one')
    sets = check.integer(here, spec.sets, SETS_RANGE)
    reps = None if spec.reps is None else check.integer(here, spec.reps, REPS_RANGE)
    time_ms = (
        None if spec.seconds is None else _within(check, here, spec.seconds, TIME_LIMIT, written)
    )
    distance = _distance_in_range(check, here, spec.metres)
    if distance is not None and distance < 5:
        check.warn(here, f'"{written}" is {distance:g} metres; for minutes write "min"')
    if sets is None or (not spec.amrap and all(v is None for v in (reps, time_ms, distance))):
        return None
    return _Amount(
        spec.kind, sets, reps, spec.unit, time_ms, distance, spec.per_side, spec.side_label,
        spec.amrap,
    )  # fmt: skip


def _amount_keyed(
    check: Checker, parts: KeyPath, table: Mapping[str, Any], key: str
) -> _Amount | None:
    """`reps`, `time` or `distance`, with `sets` beside it (one set if left out)."""
    sets = check.integer((*parts, "sets"), table["sets"], SETS_RANGE) if "sets" in table else 1
    here = (*parts, key)
    reps = time_ms = distance = None
    if key == "reps" and isinstance(table[key], str):
        if _too_long(check, here, table[key], 'a whole number or "max"'):
            return None
        if table[key].strip().lower() not in units.AMRAP_WORDS:  # reps = "max"
            hint = unquoted_hint(here, table[key])
            check.error(here, f'expected a whole number or "max", got "{table[key]}"{hint}')
            return None
        return None if sets is None else _Amount(WorkKind.REPS, sets, amrap=True)
    if key == "reps":
        reps = check.integer(here, table[key], REPS_RANGE)
    elif key == "time":
        time_ms = _duration_ms(check, here, table[key], TIME_LIMIT)
    else:
        metres = _parsed(check, here, table[key], units.parse_distance)
        distance = _distance_in_range(check, here, metres)
    if sets is None or all(v is None for v in (reps, time_ms, distance)):
        return None
    return _Amount(_KINDS[key], sets, reps, None, time_ms, distance)


def _amount(check: Checker, parts: KeyPath, table: Mapping[str, Any]) -> _Amount | None:
    """The amount of work, from exactly one of reps, time, distance or do."""
    written = [k for k in AMOUNT_KEYS if k in table]
    if not written:
        check.error(parts, "missing amount: give one of reps, time, distance or do")
        return None
    if len(written) > 1:
        check.error(
            (*parts, written[1]),
            f"give only one of reps, time, distance or do (found {', '.join(written)})",
        )
        return None
    if written[0] == "do":
        return _amount_do(check, parts, table)
    return _amount_keyed(check, parts, table, written[0])


def _sides(
    check: Checker, parts: KeyPath, table: Mapping[str, Any], amount: _Amount | None
) -> bool:
    """Whether each set is done once per side: from "do", or `per_side`."""
    from_do = amount is not None and amount.per_side
    if "per_side" not in table:
        return from_do
    flag = check.boolean((*parts, "per_side"), table["per_side"])
    if flag is False and from_do:
        check.error((*parts, "per_side"), f'false, but "do" says "{table["do"]}" (per side)')
    return from_do or bool(flag)


def _unit(
    check: Checker, parts: KeyPath, table: Mapping[str, Any], kind: WorkKind | None
) -> str | None:
    """What the reps are called when spoken ("taps"), if `unit` is written."""
    if "unit" not in table:
        return None  # beside a "do" that gives a unit too, the clash is reported with the amount
    unit = check.string((*parts, "unit"), table["unit"], limit=30)
    if unit is not None and kind not in (WorkKind.REPS, None):
        check.error((*parts, "unit"), "a unit is only spoken for reps")
    elif unit is not None and not _names_reps(unit):
        # Read as do reads the word after its number: "seconds" or "kg" here
        # would be said ("30 seconds") over a set timed as reps.
        check.error(
            (*parts, "unit"),
            f'"{unit}" is no name for reps: a time, distance or side goes in do '
            '(do = "3x30s", "3x40m", "3x10/side"), a weight in load; unit names the reps, '
            'like "taps"',
        )
    return units.written_unit(unit)


def _names_reps(unit: str) -> bool:
    try:
        spec = units.parse_do(f"1x10 {unit}")
    except units.UnitError:
        return False
    return spec.kind is WorkKind.REPS and not spec.per_side and not spec.amrap


def _cues(check: Checker, parts: KeyPath, table: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The user's own form cues, or None to take the library's."""
    if "cues" not in table:
        return None
    return check.strings((*parts, "cues"), table["cues"], MAX_TEXT, MAX_CUES)


def _name(check: Checker, parts: KeyPath, table: Mapping[str, Any]) -> str | None:
    if "name" not in table:
        check.error((*parts, "name"), "missing: every exercise needs a name")
        return None
    return check.string((*parts, "name"), table["name"], limit=100)


def _group_name(check: Checker, parts: KeyPath, table: Mapping[str, Any]) -> str | None:
    return check.string((*parts, "group"), table["group"], limit=50) if "group" in table else None


class _Tips(NamedTuple):
    """Movement and setup tips, and the language they are written in (None: the user's)."""

    cues: tuple[str, ...] = ()
    setup: tuple[str, ...] = ()
    language: str | None = None


def _tips(
    check: Checker, parts: KeyPath, table: Mapping[str, Any], name: str, library: Library
) -> _Tips:
    """The exercise's tips: the user's own when `cues` or `setup` is written (both
    then come from the session, so one language covers them), else the library's.
    Warns when the exercise is not in the library."""
    cues = _cues(check, parts, table)
    setup = None
    if "setup" in table:
        setup = check.strings((*parts, "setup"), table["setup"], MAX_TEXT, MAX_SETUP)
    info = library.find(name)
    if info is None:
        close = library.suggest(name)
        hint = f"; closest known: {', '.join(close)}" if close else ""
        check.warn(
            (*parts, "name"),
            f'"{name}" is not in the exercise library (no built-in form cues){hint}',
        )
    if "cues" in table or "setup" in table:
        return _Tips(cues or (), setup or ())  # a bad list is reported already
    if info is None:
        return _Tips()
    return _Tips(info.cues, info.setup, LIBRARY_LANGUAGE)


def _one_load(check: Checker, parts: KeyPath, value: object) -> Load | None:
    """One set's load: "12kg", "12 kg", "25lb", "bodyweight" or "RPE 8"."""
    if not isinstance(value, str):
        check.error(parts, f"expected {LOAD_HELP}, got {type_name(value)}")
        return None
    if _too_long(check, parts, value, LOAD_HELP):
        return None
    text = " ".join(value.lower().split())
    if text in _BODYWEIGHT:
        return Load(None, "bodyweight")
    unit = None
    if m := _LOAD_RPE.match(text):
        amount, unit = float(m.group(1)), "rpe"
    elif (m := re.match(_LOAD_AMOUNT, text)) and m.group(2) in units.WEIGHT_UNITS:
        amount, unit = float(m.group(1)), units.WEIGHT_UNITS[m.group(2)]
    if unit is None:
        check.error(parts, f'expected {LOAD_HELP}, got "{value}"')
        return None
    what = "an RPE" if unit == "rpe" else f"a load in {unit}"
    if not check.number_in(parts, amount, LOAD_RANGES[unit], what):
        return None
    return Load(amount, unit)


def _loads(
    check: Checker, parts: KeyPath, table: Mapping[str, Any], sets: int | None
) -> tuple[Load, ...]:
    """`load`: one value for every set, or a list with one value per set."""
    if "load" not in table:
        return ()
    here = (*parts, "load")
    raw = table["load"]
    if not isinstance(raw, list):
        one = _one_load(check, here, raw)
        return () if one is None or sets is None else (one,) * sets
    loads = [_one_load(check, (*here, i), item) for i, item in enumerate(raw[: SETS_RANGE[1] + 1])]
    if sets is not None and len(raw) != sets:
        check.error(here, f"expected one load per set ({sets}), got {len(raw)}")
        return ()
    good = tuple(load for load in loads if load is not None)
    return good if len(good) == len(raw) else ()


def _exercise(
    check: Checker, index: int, table: object, base: Timing, library: Library
) -> Exercise | None:
    parts: KeyPath = ("exercise", index)
    if not isinstance(table, dict):
        check.error(parts, f"expected a table like [[exercise]], got {type_name(table)}")
        return None
    before = len(check.problems)
    check.unknown_keys(table, parts, EXERCISE_KEYS)
    name = _name(check, parts, table)
    amount = _amount(check, parts, table)
    per_side = _sides(check, parts, table, amount)
    unit = _unit(check, parts, table, amount.kind if amount else None)
    group = _group_name(check, parts, table)
    timing = _timing(check, table, parts, base)
    loads = _loads(check, parts, table, amount.sets if amount else None)
    tips = _tips(check, parts, table, name, library) if name is not None else None
    if len(check.problems) > before or name is None or amount is None or tips is None:
        return None
    exercise = Exercise(
        name=name,
        sets=amount.sets,
        kind=amount.kind,
        reps=amount.reps,
        unit=amount.unit or unit,
        time_ms=amount.time_ms,
        distance_m=amount.distance_m,
        per_side=per_side,
        cues=tips.cues,
        cues_language=tips.language,
        group=group,
        timing=timing,
        line=check.source.line(parts),
        load=loads,
        amrap=amount.amrap,
        side_label=amount.side_label if per_side else "side",
        tips_setup=tips.setup,
    )
    if "progress" in table:
        exercise = _progress(check, (*parts, "progress"), table["progress"], exercise)
    if amount.kind is WorkKind.DISTANCE and exercise.work_ms > TIME_LIMIT.high:
        check.error(
            (*parts, next(k for k in AMOUNT_KEYS if k in table)),
            f"{amount.distance_m:g} m at {timing.pace_m_per_s:g} m/s takes longer than "
            f"{_spoken_ms(TIME_LIMIT.high)}",
        )
        return None
    return exercise


def _progress(check: Checker, parts: KeyPath, value: object, exercise: Exercise) -> Exercise:
    """The exercise with its progression rule, checked against it."""
    # Imported here: most sessions have no rules, and `check` should start fast.
    from .progression import RuleError, parse_rule, rule_problem

    text = check.string(parts, value)
    if text is None:
        return exercise
    try:
        problem = rule_problem(parse_rule(text), exercise)
    except RuleError as exc:
        problem = str(exc)
    if problem is not None:
        check.error(parts, problem)
        return exercise
    return dataclasses.replace(exercise, progress=text)


def _no_effect(
    check: Checker, parts: KeyPath, table: Mapping[str, Any], key: str, why: str
) -> None:
    if key in table:
        check.warn((*parts, key), f"has no effect {why}")


def _unused_keys(check: Checker, index: int, table: Mapping[str, Any], exercise: Exercise) -> None:
    """Warn about timing keys this exercise cannot use."""
    parts: KeyPath = ("exercise", index)
    if exercise.kind is not WorkKind.REPS:
        for key in ("rep_time", "count_reps", "tempo"):
            _no_effect(check, parts, table, key, f"on a {exercise.kind.value} exercise")
    elif "tempo" in table:
        _no_effect(check, parts, table, "rep_time", "beside tempo: a rep lasts the tempo")
    if not exercise.amrap:
        _no_effect(check, parts, table, "cap", 'unless reps = "max" or do = "3xAMRAP"')
    else:  # the set lasts its cap, said "as many reps as you can"
        for key in ("rep_time", "count_reps", "tempo", "unit"):
            _no_effect(check, parts, table, key, "on an as-many-as-you-can set")
    if exercise.kind is not WorkKind.DISTANCE:
        _no_effect(check, parts, table, "pace", f"on a {exercise.kind.value} exercise")
    if not exercise.per_side:
        _no_effect(check, parts, table, "switch_time", "on an exercise without sides")
    if exercise.group is None:
        _no_effect(check, parts, table, "group_transition", "outside a group")
    if index != 0:
        _no_effect(
            check, parts, table, "lead_in", "here: the lead-in comes before the first exercise only"
        )


def _group(
    check: Checker, run: list[tuple[int, Exercise]], tables: list[Any], default_member_ms: int
) -> Group:
    """A group of the exercises in `run`; its settings are written on its first exercise."""
    first_index, first = run[0]
    for member_index, member in run[1:]:
        if member.sets != first.sets:
            check.error(
                ("exercise", member_index, "sets"),
                f'group "{first.group}" needs the same number of sets in every exercise: '
                f"{first.name} has {first.sets}, {member.name} has {member.sets}",
            )
        for key in ("rest", "transition", "group_transition"):
            _no_effect(
                check,
                ("exercise", member_index),
                tables[member_index],
                key,
                f'here: group "{first.group}" takes it from its first exercise, {first.name}',
            )
    member_ms = _optional_ms(
        check, tables[first_index], ("exercise", first_index), "group_transition",
        GROUP_TRANSITION_LIMIT,
    )  # fmt: skip
    return Group(
        first.group or "",
        tuple(member for _, member in run),
        rest_ms=first.timing.rest_ms,
        transition_ms=first.timing.transition_ms,
        member_transition_ms=default_member_ms if member_ms is None else member_ms,
    )


def _group_items(
    check: Checker, exercises: list[tuple[int, Exercise]], tables: list[Any], member_ms: int
) -> list[tuple[int, Item]]:
    """Runs of exercises with one `group` become Groups; each item with its first index."""
    items: list[tuple[int, Item]] = []
    closed: set[str] = set()
    i = 0
    while i < len(exercises):
        index, first = exercises[i]
        if first.group is None:
            items.append((index, first))
            i += 1
            continue
        run = [(index, first)]
        while i + len(run) < len(exercises) and exercises[i + len(run)][1].group == first.group:
            run.append(exercises[i + len(run)])
        i += len(run)
        if first.group in closed:
            check.error(
                ("exercise", index, "group"),
                f'group "{first.group}" is split: its exercises must be next to each other',
            )
            continue
        closed.add(first.group)
        if len(run) == 1:
            check.warn(("exercise", index, "group"), f'group "{first.group}" has one exercise')
            items.append((index, first))
        else:
            items.append((index, _group(check, run, tables, member_ms)))
    return items


def _last_item_warnings(check: Checker, items: list[tuple[int, Item]], tables: list[Any]) -> None:
    """Warn about rests and transitions that never happen: one set, or the last item."""
    for position, (index, item) in enumerate(items):
        lead = item.members[0] if isinstance(item, Group) else item
        table = tables[index]
        parts: KeyPath = ("exercise", index)
        if lead.sets == 1:
            _no_effect(check, parts, table, "rest", "with a single set")
        if position == len(items) - 1:
            _no_effect(check, parts, table, "transition", "on the last exercise")


def _title(check: Checker, doc: TomlDocument) -> str:
    if "title" in doc.data:
        title = check.string(("title",), doc.data["title"])
        if title is not None:
            return title
    return doc.path.stem.replace("-", " ").replace("_", " ").title()


class _Defaults(NamedTuple):
    """The [defaults] table: each exercise's base timing plus session-wide settings."""

    timing: Timing = Timing()  # frozen: one shared default is safe
    speech: SpeechSettings = SpeechSettings()
    lead_in_ms: int = 10_000
    lead_in_given: bool = False
    member_transition_ms: int = 10_000
    wording: Path | None = None
    library: Path | None = None


def _defaults(check: Checker, doc: TomlDocument) -> _Defaults:
    table = doc.data.get("defaults", {})
    parts: KeyPath = ("defaults",)
    if not isinstance(table, dict):
        check.error(parts, f"expected a table [defaults], got {type_name(table)}")
        return _Defaults()
    check.unknown_keys(table, parts, DEFAULTS_KEYS)
    speech = validate_speech({k: table[k] for k in SPEECH_KEYS if k in table}, check, parts)
    lead_in = _optional_ms(check, table, parts, "lead_in", LEAD_IN_LIMIT)
    member = _optional_ms(check, table, parts, "group_transition", GROUP_TRANSITION_LIMIT)
    folder = doc.path.parent
    unset = _Defaults()
    return _Defaults(
        timing=_timing(check, table, parts, Timing()),
        speech=speech,
        lead_in_ms=unset.lead_in_ms if lead_in is None else lead_in,
        lead_in_given=lead_in is not None,
        member_transition_ms=unset.member_transition_ms if member is None else member,
        wording=check.path((*parts, "wording"), table["wording"], folder)
        if "wording" in table
        else None,
        library=check.path((*parts, "library"), table["library"], folder)
        if "library" in table
        else None,
    )


def _session(doc: TomlDocument, library: Library | None) -> Session:
    check = Checker(doc)
    data = doc.data
    check.unknown_keys(data, (), SESSION_KEYS)
    title = _title(check, doc)
    description = ""
    if "description" in data:
        description = (
            check.string(("description",), data["description"], limit=MAX_DESCRIPTION) or ""
        )
    defaults = _defaults(check, doc)
    if defaults.library is not None:
        library = load_library(defaults.library)
    library = library or builtin_library()

    raw = data.get("exercise")
    tables: list[Any] = []
    if raw is None or raw == []:
        check.error(("exercise",), "a session needs at least one [[exercise]]")
    elif not isinstance(raw, list):
        check.error(("exercise",), f"expected [[exercise]] tables, got {type_name(raw)}")
    elif len(raw) > MAX_SESSION_EXERCISES:
        check.error(
            ("exercise", MAX_SESSION_EXERCISES),
            f"a session may hold at most {MAX_SESSION_EXERCISES} exercises; "
            f"this file has {len(raw)}",
        )
    else:
        tables = raw
    exercises: list[tuple[int, Exercise]] = []
    for index, table in enumerate(tables):
        exercise = _exercise(check, index, table, defaults.timing, library)
        if exercise is not None:
            exercises.append((index, exercise))
            _unused_keys(check, index, table, exercise)
    items = _group_items(check, exercises, tables, defaults.member_transition_ms)
    _last_item_warnings(check, items, tables)
    lead_in = None
    if tables and isinstance(tables[0], dict):
        # The first exercise's own lead_in is the session's lead-in.
        lead_in = _optional_ms(check, tables[0], ("exercise", 0), "lead_in", LEAD_IN_LIMIT)
    check.raise_problems()
    return Session(
        title=title,
        items=tuple(item for _, item in items),
        path=doc.path,
        description=description,
        speech=defaults.speech,
        wording=defaults.wording,
        library=defaults.library,
        warnings=tuple(sorted_problems(check.warnings)),
        lead_in_ms=defaults.lead_in_ms if lead_in is None else lead_in,
        lead_in_given=lead_in is not None or defaults.lead_in_given,
    )


def exercise_problems(table: Mapping[str, Any], library: Library) -> list[str]:
    """What `check` would say against one exercise table, messages only.

    For writers of session files (`cuecoach import`): a file they write is one
    `check` accepts, with the very same limits.
    """
    check = Checker(COMMAND_LINE)
    _exercise(check, 0, dict(table), Timing(), library)
    return [problem.message for problem in check.problems]


def is_program(data: dict[str, Any]) -> bool:
    """A program file lists sessions instead of exercises."""
    return "sessions" in data and "exercise" not in data


def _program(doc: TomlDocument, library: Library | None) -> Program:
    check = Checker(doc)
    check.unknown_keys(doc.data, (), PROGRAM_KEYS)
    title = _title(check, doc)
    if "description" in doc.data:
        check.string(("description",), doc.data["description"], limit=MAX_DESCRIPTION)
    raw = doc.data["sessions"]
    sessions: list[Session] = []
    problems: list[Problem] = []
    if not isinstance(raw, list) or not raw:
        check.error(("sessions",), 'expected a list of session files, like ["day1.toml"]')
        raw = []
    exercise_count = 0
    for index, entry in enumerate(raw):
        path = check.path(("sessions", index), entry, doc.path.parent)
        if path is None:
            continue
        try:
            sub = read_toml(path)
            if is_program(sub.data):
                check.error(("sessions", index), f'"{entry}" is a program; list session files')
                continue
            session = _session(sub, library)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        sessions.append(session)
        exercise_count += len(session.exercises)
        if exercise_count > MAX_PROGRAM_EXERCISES:
            check.error(
                ("sessions", index),
                f"a program may hold at most {MAX_PROGRAM_EXERCISES} exercises in all; "
                f"its sessions up to this one have {exercise_count}",
            )
            break
    from .progression import MAX_WEEKS

    weeks = deload_every = None
    if "weeks" in doc.data:
        weeks = check.integer(("weeks",), doc.data["weeks"], (1, MAX_WEEKS))
    if "deload_every" in doc.data:
        deload_every = check.integer(("deload_every",), doc.data["deload_every"], (2, MAX_WEEKS))
        if "weeks" not in doc.data:
            check.error(("deload_every",), 'needs "weeks", the length of the program')
    if check.problems or problems:
        raise InputError([*sorted_problems(check.problems), *problems])
    return Program(
        title=title,
        sessions=tuple(sessions),
        path=doc.path,
        weeks=weeks,
        deload_every=deload_every,
    )


def load(path: Path, library: Library | None = None) -> Session | Program:
    """Load a session or program file; raises InputError listing every problem."""
    doc = read_toml(path)
    if is_program(doc.data):
        return _program(doc, library)
    return _session(doc, library)


def load_session(path: Path, library: Library | None = None) -> Session:
    """Load a session file (not a program); raises InputError listing every problem."""
    loaded = load(path, library)
    if isinstance(loaded, Program):
        raise InputError(
            [Problem(str(path), None, FILE_KEY, "is a program file; give one of its sessions")]
        )
    return loaded


__all__ = [
    "TIMING_LIMITS",
    "is_program",
    "key_path",
    "language_base",
    "load",
    "load_session",
    "validate_speech",
]
