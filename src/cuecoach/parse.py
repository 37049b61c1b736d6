"""Session and program files (TOML) -> validated model.

Every problem in a file is collected (with file, line and key path) and raised
together as one `InputError`; warnings (unknown exercise names, odd but legal
values) travel on the `Session`.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import units
from .errors import InputError, Problem
from .library import Library, builtin_library, load_library
from .model import (
    ENGINE_NAMES,
    Exercise,
    Group,
    Item,
    Program,
    Session,
    SpeechSettings,
    Timing,
    WorkKind,
)
from .tomlfile import FILE_KEY, KeyPath, TomlDocument, key_path, read_toml

MINUTE = 60_000
HOUR = 60 * MINUTE


@dataclass(frozen=True)
class DurationLimit:
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
    "lead_in": DurationLimit(0, 10 * MINUTE),
    "group_transition": DurationLimit(0, 30 * MINUTE),
}
TIME_LIMIT = DurationLimit(1000, 2 * HOUR)
SETS_RANGE = (1, 20)
REPS_RANGE = (1, 500)
DISTANCE_RANGE = (1.0, 10_000.0)  # metres
PACE_RANGE = (0.1, 10.0)  # metres per second
RATE_RANGE = (80, 450)  # words per minute
VOLUME_RANGE = (0.0, 1.0)
MAX_CUES = 10
MAX_TEXT = 200
LIBRARY_LANGUAGE = "en"  # the built-in library's form tips are written in English

TIMING_KEYS = (*TIMING_LIMITS, "pace", "count_reps")
_LANGUAGE = re.compile(r"^[a-z]{2,3}([-_][a-z0-9]{1,8})*$", re.IGNORECASE)
SPEECH_KEYS = ("engine", "voice", "rate", "volume", "language")
DEFAULTS_KEYS = (*TIMING_KEYS, *SPEECH_KEYS, "wording", "library")
EXERCISE_KEYS = (
    "name",
    "sets",
    "reps",
    "time",
    "distance",
    "do",
    "per_side",
    "unit",
    "cues",
    "group",
    *TIMING_KEYS,
)
SESSION_KEYS = ("title", "description", "defaults", "exercise")
PROGRAM_KEYS = ("title", "description", "sessions")
_TIMING_FIELDS = {
    "rest": "rest_ms",
    "transition": "transition_ms",
    "rep_time": "rep_time_ms",
    "switch_time": "switch_ms",
    "lead_in": "lead_in_ms",
    "group_transition": "group_transition_ms",
}


def _type_name(value: object) -> str:
    names = {
        bool: "a boolean",
        int: "a whole number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }
    return names.get(type(value), type(value).__name__)


@dataclass
class _Checker:
    """Reads values out of one document, collecting problems instead of raising."""

    doc: TomlDocument
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def error(self, parts: KeyPath, message: str) -> None:
        self.problems.append(self.doc.problem(parts, message))

    def warn(self, parts: KeyPath, message: str) -> None:
        self.warnings.append(self.doc.problem(parts, message))

    def unknown_keys(self, table: dict[str, Any], parts: KeyPath, allowed: Sequence[str]) -> None:
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                hint = (
                    f'; did you mean "{close[0]}"?' if close else f"; allowed: {', '.join(allowed)}"
                )
                self.error((*parts, key), f"unknown key{hint}")

    def string(self, parts: KeyPath, value: object, limit: int = MAX_TEXT) -> str | None:
        if not isinstance(value, str):
            self.error(parts, f"expected a string, got {_type_name(value)}")
            return None
        text = " ".join(value.split())
        if not text:
            self.error(parts, "expected a non-empty string")
            return None
        if len(text) > limit:
            self.error(parts, f"expected at most {limit} characters, got {len(text)}")
            return None
        return text

    def integer(self, parts: KeyPath, value: object, bounds: tuple[int, int]) -> int | None:
        low, high = bounds
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(
                parts, f"expected a whole number from {low} to {high}, got {_type_name(value)}"
            )
            return None
        if not low <= value <= high:
            self.error(parts, f"expected a whole number from {low} to {high}, got {value}")
            return None
        return value

    def boolean(self, parts: KeyPath, value: object) -> bool | None:
        if not isinstance(value, bool):
            self.error(parts, f"expected true or false, got {_type_name(value)}")
            return None
        return value

    def parsed(
        self, parts: KeyPath, value: object, reader: Callable[[object], float]
    ) -> float | None:
        try:
            return reader(value)
        except units.UnitError as exc:
            self.error(parts, str(exc))
            return None
        except OverflowError:  # a whole number past any float, e.g. 310 digits
            self.error(parts, "number far too large")
            return None

    def duration_ms(self, parts: KeyPath, value: object, limit: DurationLimit) -> int | None:
        seconds = self.parsed(parts, value, units.parse_duration)
        return None if seconds is None else self.within(parts, seconds, limit, value)

    def within(
        self, parts: KeyPath, seconds: float, limit: DurationLimit, written: object
    ) -> int | None:
        exact = seconds * 1000  # infinite for TOML's inf, or a huge number
        if not (math.isfinite(exact) and limit.low <= round(exact) <= limit.high):
            if isinstance(written, str):
                shown = f'"{written}"'
            else:
                shown = f"{written}s" if math.isfinite(exact) else str(written)
            self.error(parts, f"expected a duration {limit.describe()}, got {shown}")
            return None
        return round(exact)

    def number_in(
        self, parts: KeyPath, value: float, bounds: tuple[float, float], what: str
    ) -> bool:
        low, high = bounds
        if not low <= value <= high:
            self.error(parts, f"expected {what} from {low:g} to {high:g}, got {value:g}")
            return False
        return True

    def path(self, parts: KeyPath, value: object) -> Path | None:
        text = self.string(parts, value, limit=1000)
        if text is None:
            return None
        target = self.doc.path.parent / Path(text).expanduser()
        try:
            found = target.is_file()
        except OSError:  # a name too long for the file system, say
            found = False
        if not found:
            self.error(parts, f'no such file "{text}" (looked for {target})')
            return None
        return target


def _timing(check: _Checker, table: dict[str, Any], parts: KeyPath, base: Timing) -> Timing:
    changes: dict[str, Any] = {}
    for key, limit in TIMING_LIMITS.items():
        if key in table:
            ms = check.duration_ms((*parts, key), table[key], limit)
            if ms is not None:
                changes[_TIMING_FIELDS[key]] = ms
    if "pace" in table:
        pace = check.parsed((*parts, "pace"), table["pace"], units.parse_pace)
        if pace is not None and check.number_in(
            (*parts, "pace"), pace, PACE_RANGE, "a pace in m/s"
        ):
            changes["pace_m_per_s"] = pace
    if "count_reps" in table:
        flag = check.boolean((*parts, "count_reps"), table["count_reps"])
        if flag is not None:
            changes["count_reps"] = flag
    return dataclasses.replace(base, **changes)


def validate_speech(values: dict[str, Any]) -> list[tuple[str, str]]:
    """Problems with raw speech settings as (key, message); empty when all are usable.

    Shared by the session parser and the user config reader, so both give the
    same limits and messages.
    """
    problems: list[tuple[str, str]] = []
    for key, value in values.items():
        shown = f'"{value}"' if isinstance(value, str) else _type_name(value)
        if key not in SPEECH_KEYS:
            problems.append((key, f"unknown speech setting; allowed: {', '.join(SPEECH_KEYS)}"))
        elif key == "engine" and value not in ENGINE_NAMES:
            problems.append((key, f"expected one of {', '.join(ENGINE_NAMES)}, got {shown}"))
        elif key == "voice" and (not isinstance(value, str) or not value.strip()):
            problems.append(
                (key, f"expected a voice name or id (see `cuecoach voices`), got {shown}")
            )
        elif key == "rate":
            low, high = RATE_RANGE
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                got = value if isinstance(value, int) and not isinstance(value, bool) else shown
                problems.append((key, f"expected words per minute from {low} to {high}, got {got}"))
        elif key == "volume":
            low_v, high_v = VOLUME_RANGE
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if not number or not low_v <= value <= high_v:
                got = f"{value:g}" if isinstance(value, float) else value if number else shown
                problems.append((key, f"expected a volume from {low_v:g} to {high_v:g}, got {got}"))
        elif key == "language" and (not isinstance(value, str) or not _LANGUAGE.match(value)):
            problems.append((key, f'expected a language code like "en" or "es", got {shown}'))
    return problems


def speech_settings(values: dict[str, Any]) -> SpeechSettings:
    """Validated raw speech values as a settings layer (languages normalised to "es-mx")."""
    volume = values.get("volume")
    language = values.get("language")
    return SpeechSettings(
        engine=values.get("engine"),
        voice=values.get("voice"),
        rate=values.get("rate"),
        volume=float(volume) if volume is not None else None,
        language=language.lower().replace("_", "-") if language is not None else None,
    )


def _speech(check: _Checker, table: dict[str, Any]) -> SpeechSettings:
    values = {key: table[key] for key in SPEECH_KEYS if key in table}
    problems = validate_speech(values)
    for key, message in problems:
        check.error(("defaults", key), message)
    return SpeechSettings() if problems else speech_settings(values)


def _exercise(
    check: _Checker, index: int, table: object, base: Timing, library: Library
) -> Exercise | None:
    parts: KeyPath = ("exercise", index)
    if not isinstance(table, dict):
        check.error(parts, f"expected a table like [[exercise]], got {_type_name(table)}")
        return None
    before = len(check.problems)
    check.unknown_keys(table, parts, EXERCISE_KEYS)
    name = None
    if "name" not in table:
        check.error((*parts, "name"), "missing: every exercise needs a name")
    else:
        name = check.string((*parts, "name"), table["name"], limit=100)

    amount_keys = [k for k in ("reps", "time", "distance", "do") if k in table]
    kind: WorkKind | None = None
    reps = time_ms = None
    distance = None
    sets: int | None = 1
    unit: str | None = None
    per_side = False
    if not amount_keys:
        check.error(parts, "missing amount: give one of reps, time, distance or do")
    elif len(amount_keys) > 1:
        check.error(
            (*parts, amount_keys[1]),
            f"give only one of reps, time, distance or do (found {', '.join(amount_keys)})",
        )
    elif amount_keys[0] == "do":
        if "sets" in table:
            check.error((*parts, "sets"), '"do" already gives the sets; remove one of them')
        spec = None
        try:
            spec = units.parse_do(table["do"])
        except units.UnitError as exc:
            check.error((*parts, "do"), str(exc))
        if spec is not None:
            kind, per_side, unit = spec.kind, spec.per_side, spec.unit
            sets = check.integer((*parts, "do"), spec.sets, SETS_RANGE)
            if spec.reps is not None:
                reps = check.integer((*parts, "do"), spec.reps, REPS_RANGE)
            if spec.seconds is not None:
                time_ms = check.within((*parts, "do"), spec.seconds, TIME_LIMIT, table["do"])
            if spec.metres is not None:
                distance = spec.metres
                if check.number_in(
                    (*parts, "do"), distance, DISTANCE_RANGE, "a distance in metres"
                ):
                    if distance < 5:
                        check.warn(
                            (*parts, "do"),
                            f'"{table["do"]}" is {distance:g} metres; for minutes write "min"',
                        )
                else:
                    distance = None
            if unit is not None and "unit" in table:
                check.error((*parts, "unit"), f'"do" already gives the unit "{unit}"; remove one')
    else:
        kind = {"reps": WorkKind.REPS, "time": WorkKind.TIME, "distance": WorkKind.DISTANCE}[
            amount_keys[0]
        ]
        if "sets" in table:
            sets = check.integer((*parts, "sets"), table["sets"], SETS_RANGE)
        if "reps" in table:
            reps = check.integer((*parts, "reps"), table["reps"], REPS_RANGE)
        if "time" in table:
            time_ms = check.duration_ms((*parts, "time"), table["time"], TIME_LIMIT)
        if "distance" in table:
            distance = check.parsed((*parts, "distance"), table["distance"], units.parse_distance)
            if distance is not None and not check.number_in(
                (*parts, "distance"), distance, DISTANCE_RANGE, "a distance in metres"
            ):
                distance = None

    if "per_side" in table:
        flag = check.boolean((*parts, "per_side"), table["per_side"])
        if flag is False and per_side:
            check.error((*parts, "per_side"), f'false, but "do" says "{table["do"]}" (per side)')
        elif flag is not None:
            per_side = per_side or flag
    if "unit" in table and unit is None:
        unit = check.string((*parts, "unit"), table["unit"], limit=30)
        if unit is not None and kind not in (WorkKind.REPS, None):
            check.error((*parts, "unit"), "a unit is only spoken for reps")
    cues: tuple[str, ...] | None = None
    if "cues" in table:
        raw = table["cues"]
        if not isinstance(raw, list):
            check.error((*parts, "cues"), f"expected a list of strings, got {_type_name(raw)}")
        elif len(raw) > MAX_CUES:
            check.error((*parts, "cues"), f"expected at most {MAX_CUES} cues, got {len(raw)}")
        else:
            texts = [check.string((*parts, "cues", i), cue) for i, cue in enumerate(raw)]
            cues = tuple(t for t in texts if t is not None)
    group = None
    if "group" in table:
        group = check.string((*parts, "group"), table["group"], limit=50)
    timing = _timing(check, table, parts, base)
    if "lead_in" in table and index != 0:
        check.warn((*parts, "lead_in"), "lead_in only applies to the first exercise; ignored here")

    if len(check.problems) > before or name is None or kind is None or sets is None:
        return None
    info = library.find(name)
    if info is None:
        close = library.suggest(name)
        hint = f"; closest known: {', '.join(close)}" if close else ""
        check.warn(
            (*parts, "name"),
            f'"{name}" is not in the exercise library (no built-in form cues){hint}',
        )
    cues_language = None
    if cues is None:
        cues = info.cues if info is not None else ()
        cues_language = LIBRARY_LANGUAGE
    exercise = Exercise(
        name=name,
        sets=sets,
        kind=kind,
        reps=reps,
        unit=unit,
        time_ms=time_ms,
        distance_m=distance,
        per_side=per_side,
        cues=cues,
        cues_language=cues_language,
        group=group,
        timing=timing,
        line=check.doc.line(parts),
    )
    if kind is WorkKind.DISTANCE and exercise.work_ms > TIME_LIMIT.high:
        check.error(
            (*parts, amount_keys[0]),
            f"{distance:g} m at {timing.pace_m_per_s:g} m/s takes longer than "
            f"{_spoken_ms(TIME_LIMIT.high)}",
        )
        return None
    return exercise


def _group_items(check: _Checker, exercises: list[tuple[int, Exercise]]) -> tuple[Item, ...]:
    items: list[Item] = []
    closed: set[str] = set()
    i = 0
    while i < len(exercises):
        index, first = exercises[i]
        if first.group is None:
            items.append(first)
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
        for member_index, member in run[1:]:
            if member.sets != first.sets:
                check.error(
                    ("exercise", member_index, "sets"),
                    f'group "{first.group}" needs the same number of sets in every exercise: '
                    f"{first.name} has {first.sets}, {member.name} has {member.sets}",
                )
        if len(run) == 1:
            check.warn(("exercise", index, "group"), f'group "{first.group}" has one exercise')
            items.append(first)
        else:
            items.append(Group(first.group, tuple(member for _, member in run)))
    return tuple(items)


def _session(doc: TomlDocument, library: Library | None) -> Session:
    check = _Checker(doc)
    data = doc.data
    check.unknown_keys(data, (), SESSION_KEYS)
    title = doc.path.stem.replace("-", " ").replace("_", " ").title()
    if "title" in data:
        title = check.string(("title",), data["title"]) or title
    description = ""
    if "description" in data:
        description = check.string(("description",), data["description"], limit=2000) or ""

    defaults = data.get("defaults", {})
    base = Timing()
    speech = SpeechSettings()
    wording = user_library = None
    if not isinstance(defaults, dict):
        check.error(("defaults",), f"expected a table [defaults], got {_type_name(defaults)}")
    else:
        check.unknown_keys(defaults, ("defaults",), DEFAULTS_KEYS)
        base = _timing(check, defaults, ("defaults",), base)
        speech = _speech(check, defaults)
        if "wording" in defaults:
            wording = check.path(("defaults", "wording"), defaults["wording"])
        if "library" in defaults:
            user_library = check.path(("defaults", "library"), defaults["library"])
    if user_library is not None:
        library = load_library(user_library)
    library = library or builtin_library()

    raw = data.get("exercise")
    exercises: list[tuple[int, Exercise]] = []
    if raw is None:
        check.error(("exercise",), "a session needs at least one [[exercise]]")
    elif not isinstance(raw, list):
        check.error(("exercise",), f"expected [[exercise]] tables, got {_type_name(raw)}")
    else:
        if not raw:
            check.error(("exercise",), "a session needs at least one [[exercise]]")
        for index, table in enumerate(raw):
            exercise = _exercise(check, index, table, base, library)
            if exercise is not None:
                exercises.append((index, exercise))
    items = _group_items(check, exercises)
    if check.problems:
        raise InputError(sorted(check.problems, key=_problem_order))
    if isinstance(raw, list) and "lead_in" in raw[0]:
        # The first exercise's own lead_in is the session's lead-in.
        base = dataclasses.replace(base, lead_in_ms=exercises[0][1].timing.lead_in_ms)
    return Session(
        title=title,
        items=items,
        path=doc.path,
        description=description,
        speech=speech,
        wording=wording,
        library=user_library,
        warnings=tuple(check.warnings),
        lead_in_ms=base.lead_in_ms,
    )


def _problem_order(problem: Problem) -> tuple[int, str]:
    return (problem.line or 0, problem.key)


def is_program(data: dict[str, Any]) -> bool:
    """A program file lists sessions instead of exercises."""
    return "sessions" in data and "exercise" not in data


def _program(doc: TomlDocument, library: Library | None) -> Program:
    check = _Checker(doc)
    data = doc.data
    check.unknown_keys(data, (), PROGRAM_KEYS)
    title = doc.path.stem.replace("-", " ").replace("_", " ").title()
    if "title" in data:
        title = check.string(("title",), data["title"]) or title
    raw = data["sessions"]
    sessions: list[Session] = []
    problems: list[Problem] = []
    if not isinstance(raw, list) or not raw:
        check.error(("sessions",), 'expected a list of session files, like ["day1.toml"]')
        raw = []
    for index, entry in enumerate(raw):
        path = check.path(("sessions", index), entry)
        if path is None:
            continue
        try:
            sub = read_toml(path)
            if is_program(sub.data):
                check.error(("sessions", index), f'"{entry}" is a program; list session files')
                continue
            sessions.append(_session(sub, library))
        except InputError as exc:
            problems.extend(exc.problems)
    if check.problems or problems:
        raise InputError([*sorted(check.problems, key=_problem_order), *problems])
    return Program(title=title, sessions=tuple(sessions), path=doc.path)


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


__all__ = ["TIMING_LIMITS", "is_program", "key_path", "load", "load_session"]
