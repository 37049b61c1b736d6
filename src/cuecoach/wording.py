"""Cue wording: every spoken phrase comes from a wording table.

The default tables are data files inside the package (one per language); a
user file overrides any subset of keys. Keys and placeholders are checked
when a file loads, so a typo fails at once with its name instead of being
spoken aloud in the middle of a workout.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .errors import InputError, Problem
from .packaged import DATA_DIR
from .tomlfile import FILE_KEY, TomlDocument, read_toml

NUMBERS = frozenset(
    {
        "set",
        "sets",
        "round",
        "rounds",
        "reps",
        "n",
        "seconds",
        "minutes",
        "hours",
        "metres",
        "kilometres",
        "kg",
        "lb",
        "rpe",
    }
)

# Each key and the placeholders it may use.
PLACEHOLDERS: Mapping[str, frozenset[str]] = {
    "get_ready": frozenset({"exercise"}),
    "week_intro": frozenset({"week"}),
    "deload_intro": frozenset({"week"}),
    "get_ready_group": frozenset({"next", "rounds"}),
    "set_first": frozenset({"exercise", "set", "sets", "amount"}),
    "set_next": frozenset({"exercise", "set", "sets", "amount"}),
    "set_last": frozenset({"exercise", "set", "sets", "amount"}),
    "set_only": frozenset({"exercise", "amount"}),
    "set_only_unnamed": frozenset({"amount"}),
    "round_first": frozenset({"exercise", "round", "rounds", "amount"}),
    "round_last": frozenset({"exercise", "round", "rounds", "amount"}),
    "round_member": frozenset({"exercise", "round", "rounds", "amount"}),
    "round_unnamed": frozenset({"round", "rounds", "amount"}),
    "round_last_unnamed": frozenset({"round", "rounds", "amount"}),
    "round_member_unnamed": frozenset({"round", "rounds", "amount"}),
    "tempo_lower": frozenset(),
    "tempo_bottom": frozenset(),
    "tempo_lift": frozenset(),
    "tempo_top": frozenset(),
    "countdown": frozenset({"n"}),
    "rep_count": frozenset({"n"}),
    "halfway": frozenset({"exercise"}),
    "switch_sides": frozenset(),
    "rest": frozenset({"duration"}),
    "rest_next": frozenset({"duration", "next"}),
    "time_left": frozenset({"duration"}),
    "up_next": frozenset({"next", "sets", "amount"}),
    "up_next_load": frozenset({"next", "sets", "amount", "load"}),
    "up_next_loads": frozenset({"next", "sets", "amount", "load"}),
    "up_next_group": frozenset({"next", "rounds"}),
    "up_next_member_load": frozenset({"exercise", "load"}),
    "up_next_member_loads": frozenset({"exercise", "load"}),
    "form_cue": frozenset({"cue"}),
    "finish": frozenset({"title"}),
    "amount_reps": frozenset({"reps", "unit"}),
    "amount_per_side": frozenset({"amount", "side"}),
    "side_side": frozenset(),
    "side_leg": frozenset(),
    "side_arm": frozenset(),
    "amount_amrap": frozenset({"duration"}),
    "amount_load": frozenset({"amount", "load"}),
    "load_kg": frozenset({"kg"}),
    "load_lb": frozenset({"lb"}),
    "load_bodyweight": frozenset(),
    "load_rpe": frozenset({"rpe"}),
    "unit_reps": frozenset(),
    "duration_seconds": frozenset({"seconds"}),
    "duration_minutes": frozenset({"minutes"}),
    "duration_minutes_seconds": frozenset({"minutes", "seconds"}),
    "duration_hours": frozenset({"hours"}),
    "duration_hours_minutes": frozenset({"hours", "minutes"}),
    "duration_hours_rest": frozenset({"hours", "rest"}),
    "distance_metres": frozenset({"metres"}),
    "distance_kilometres": frozenset({"kilometres"}),
    "list_and": frozenset({"items", "last"}),
    "list_separator": frozenset(),
}
_WORDING_DIR = DATA_DIR / "wording"
# One default wording file per language, found by name.
LANGUAGES = tuple(
    sorted(e.name.removesuffix(".toml") for e in _WORDING_DIR.iterdir() if e.name.endswith(".toml"))
)

_FORMATTER = string.Formatter()
# The table of words the engine should say differently ("Dumbbell" = "dumb bell").
PRONOUNCE_TABLE = "pronounce"
# Keys whose text may be blank: the rest would be spoken as silence, or fail to synthesize.
_MAY_BE_BLANK = frozenset({"list_separator"})


def _check_template(key: str, template: str) -> list[str]:
    """Problems with one template: unknown placeholders, bad plural forms, bad braces."""
    allowed = PLACEHOLDERS[key]
    try:
        fields = [f for f in _FORMATTER.parse(template) if f[1] is not None]
    except ValueError as exc:
        return [f"{exc} (write {{{{ and }}}} for literal braces)"]
    problems = []
    for _, name, spec, conversion in fields:
        if name not in allowed:
            known = ", ".join(f"{{{n}}}" for n in sorted(allowed)) or "none"
            problems.append(f"unknown placeholder {{{name}}}; this phrase can use: {known}")
        elif conversion:
            problems.append(f"{{{name}!{conversion}}}: conversions are not supported")
        elif spec and name not in NUMBERS:
            problems.append(
                f"{{{name}:{spec}}}: only number placeholders take word forms, "
                f"written like {{sets:set|sets}}"
            )
        elif spec and "|" not in spec:
            problems.append(
                f"{{{name}:{spec}}}: the |plural part is missing; "
                f"write both forms, like {{{name}:{spec}|{spec}s}}"
            )
        elif spec and spec.count("|") != 1:
            problems.append(
                f"{{{name}:{spec}}}: write exactly two word forms, singular|plural, "
                f"like {{sets:set|sets}}"
            )
    if key not in _MAY_BE_BLANK and not template.strip():
        problems.append("is blank: every phrase must say something")
    return problems


def _plain(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _fill(value: object, spec: str) -> str:
    """One placeholder's text: the number, or the `one|other` word agreeing with it."""
    if spec:
        one, other = spec.split("|")
        return one if value == 1 else other
    return _plain(value)


Template = tuple[tuple[str, str | None, str], ...]


@dataclass(frozen=True, eq=False)
class Wording:
    """A complete, checked wording table."""

    language: str
    templates: Mapping[str, str]
    # written word or phrase -> what the engine is given instead (see speech.text)
    pronounce: Mapping[str, str] = field(default_factory=dict)
    _parsed: dict[str, Template] = field(default_factory=dict, repr=False)
    _said: dict[tuple[object, ...], str] = field(default_factory=dict, repr=False)

    def say(self, key: str, **values: object) -> str:
        """The phrase for `key` with its placeholders filled in."""
        memo = (key, *sorted(values.items()))
        text = self._said.get(memo)
        if text is None:
            parts = self._parsed.get(key)
            if parts is None:
                parts = self._parsed[key] = tuple(
                    (literal, name, spec or "")
                    for literal, name, spec, _ in _FORMATTER.parse(self.templates[key])
                )
            raw = "".join(
                literal + ("" if name is None else _fill(values[name], spec))
                for literal, name, spec in parts
            )
            text = self._said[memo] = " ".join(raw.split())
        return text

    def forms(self, key: str) -> tuple[str, str]:
        """A `one|other` template (like ``unit_reps``) as its two word forms."""
        return split_forms(self.templates[key])

    def count(self, n: int, forms: tuple[str, str]) -> str:
        """The word of `forms` that agrees with `n`."""
        return forms[0] if n == 1 else forms[1]

    def duration(self, seconds: float) -> str:
        """A spoken length: "45 seconds", "90 seconds", "2 minutes 30 seconds"."""
        whole = round(seconds)
        if abs(seconds - whole) > 1e-9:
            return self.say("duration_seconds", seconds=round(seconds, 1))
        if whole < 120:
            return self.say("duration_seconds", seconds=whole)
        if whole < 3600:
            minutes, secs = divmod(whole, 60)
            if secs:
                return self.say("duration_minutes_seconds", minutes=minutes, seconds=secs)
            return self.say("duration_minutes", minutes=minutes)
        hours, rest = divmod(whole, 3600)
        minutes, secs = divmod(rest, 60)
        if secs:
            # "1 hour 30 seconds", "1 hour 1 minute 30 seconds": no second is dropped.
            return self.say("duration_hours_rest", hours=hours, rest=self._under_an_hour(rest))
        if minutes:
            return self.say("duration_hours_minutes", hours=hours, minutes=minutes)
        return self.say("duration_hours", hours=hours)

    def _under_an_hour(self, seconds: int) -> str:
        minutes, secs = divmod(seconds, 60)
        if not minutes:
            return self.say("duration_seconds", seconds=secs)
        return self.say("duration_minutes_seconds", minutes=minutes, seconds=secs)

    def distance(self, metres: float) -> str:
        """A spoken distance: "40 metres", "12.25 metres", "1.5 kilometres"."""
        # As exact as it was written, to the centimetre: round(12.25, 1) would say "12.2".
        if metres >= 1000:
            return self.say("distance_kilometres", kilometres=round(metres / 1000, 5))
        return self.say("distance_metres", metres=round(metres, 2))

    def join(self, items: list[str]) -> str:
        """Names as a spoken list: "A", "A and B", "A, B and C"."""
        if len(items) == 1:
            return items[0]
        head = self.templates["list_separator"].join(items[:-1])
        return self.say("list_and", items=head, last=items[-1])


def split_forms(text: str) -> tuple[str, str]:
    """``"tap|taps"`` -> ("tap", "taps"); a single word serves both."""
    one, _, other = text.partition("|")
    return one.strip(), (other or one).strip()


def wording_text(language: str = "en") -> str:
    """The default wording file of `language`, comments included."""
    return (_WORDING_DIR / f"{language}.toml").read_text(encoding="utf-8")


Tables = tuple[dict[str, str], dict[str, str]]  # templates, pronounce


def _load(path: Path, base: Tables | None) -> Tables:
    doc = read_toml(path)
    problems: list[Problem] = []
    templates = dict(base[0]) if base else {}
    pronounce = dict(base[1]) if base else {}
    for key, value in doc.data.items():
        if key == PRONOUNCE_TABLE:
            problems.extend(_load_pronounce(doc, value, pronounce))
            continue
        if key not in PLACEHOLDERS:
            import difflib  # only for a mistake: kept off every command's start-up

            close = difflib.get_close_matches(key, [*PLACEHOLDERS, PRONOUNCE_TABLE], n=1)
            hint = f'; did you mean "{close[0]}"?' if close else ""
            problems.append(doc.problem((key,), f"unknown wording key{hint}"))
            continue
        if not isinstance(value, str):
            problems.append(doc.problem((key,), "expected a string"))
            continue
        problems.extend(doc.problem((key,), msg) for msg in _check_template(key, value))
        templates[key] = value
    if base is None:
        missing = sorted(set(PLACEHOLDERS) - set(templates))
        if missing:
            problems.append(
                Problem(str(path), None, FILE_KEY, f"missing keys: {', '.join(missing)}")
            )
    if problems:
        raise InputError(problems)
    return templates, pronounce


def _load_pronounce(doc: TomlDocument, table: object, pronounce: dict[str, str]) -> list[Problem]:
    """Check the [pronounce] table and add its entries to `pronounce`."""
    if not isinstance(table, dict):
        return [
            doc.problem(
                (PRONOUNCE_TABLE,), 'expected a table like [pronounce] Dumbbell = "dumb bell"'
            )
        ]
    problems = []
    for written, said in table.items():
        if not written.strip():
            problems.append(
                doc.problem((PRONOUNCE_TABLE, written), "a blank word cannot be pronounced")
            )
        elif not isinstance(said, str) or not said.strip():
            problems.append(
                doc.problem(
                    (PRONOUNCE_TABLE, written), "expected the words to say instead, as text"
                )
            )
        else:
            pronounce[written] = said
    return problems


@cache
def _builtin(language: str) -> Tables:
    return _load(_WORDING_DIR / f"{language}.toml", None)


def load_wording(language: str | None = None, user_file: Path | None = None) -> Wording:
    """The default wording of `language` (English if None), with `user_file` on top."""
    lang = (language or "en").split("-")[0].split("_")[0].lower()
    if lang not in LANGUAGES:
        raise InputError(
            [
                Problem(
                    "(settings)",
                    None,
                    "language",
                    f'no wording for language "{language}"; available: {", ".join(LANGUAGES)}',
                )
            ]
        )
    tables = _builtin(lang)
    if user_file is not None:
        tables = _load(user_file, tables)
    return Wording(lang, tables[0], tables[1])
