"""The exercise library: built-in entries, a user's own file, and name matching.

Session files name exercises freely ("Push-Ups", "pushups", "Press-Up"), so
every lookup goes through `normalise_name`, which maps those spellings to one
key. The built-in library ships as ``cuecoach/data/exercises.toml``; a user
library file in the same format adds entries or overrides built-in ones.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .checker import Checker, sorted_problems, type_name
from .errors import InputError, Problem
from .packaged import DATA_DIR
from .tomlfile import KeyPath, TomlDocument, read_toml

CATEGORIES = ("push", "pull", "core", "carry", "mobility", "lower", "advanced")
FIELDS = ("name", "aliases", "category", "muscles", "cues", "setup", "why")
OPTIONAL_FIELDS = ("setup",)  # not every exercise needs setting up

# Limits for a user library. They are generous; they exist to catch mistakes
# (a paragraph pasted into a cue, a cue list meant for several exercises).
MAX_NAME_CHARS = 80
MAX_ALIASES = 30
MAX_MUSCLES = 15
MAX_MUSCLE_CHARS = 40
MIN_CUES = 1
MAX_CUES = 6
MAX_SETUP = 3
MAX_CUE_CHARS = 120
MAX_WHY_CHARS = 400
MAX_ENTRIES = 1000  # keeps loading a library quick whatever the file holds


@dataclass(frozen=True)
class ExerciseInfo:
    """One library entry: how to name, describe and coach an exercise."""

    name: str
    aliases: tuple[str, ...]
    category: str
    muscles: tuple[str, ...]
    cues: tuple[str, ...]  # movement tips, spoken during a set
    why: str
    setup: tuple[str, ...] = ()  # setup tips, spoken before a set ("A weight in each hand")

    def match_keys(self) -> tuple[str, ...]:
        """Normalised name and aliases, name first, without repeats or empties."""
        return tuple(dict.fromkeys(k for k in map(normalise_name, self.names()) if k))

    def names(self) -> tuple[str, ...]:
        """The canonical name followed by the aliases, as written."""
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Library:
    """An ordered set of exercises with case- and punctuation-insensitive lookup."""

    entries: tuple[ExerciseInfo, ...]
    _index: Mapping[str, ExerciseInfo] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Canonical names claim their key before any alias does, so a stray
        # alias can never hide another entry's real name; after that, first
        # entry wins. Validated libraries have no clashes at all.
        index: dict[str, ExerciseInfo] = {}
        for entry in self.entries:
            key = normalise_name(entry.name)
            if key:
                index.setdefault(key, entry)
        for entry in self.entries:
            for key in entry.match_keys():
                index.setdefault(key, entry)
        object.__setattr__(self, "_index", index)

    def find(self, name: str) -> ExerciseInfo | None:
        """The entry whose name or alias matches `name` once normalised, or None."""
        key = normalise_name(name)
        return self._index.get(key) if key else None

    def suggest(self, name: str, limit: int = 3) -> tuple[str, ...]:
        """Up to `limit` canonical names closest to `name`, best first.

        Aliases take part in the matching ("Press-Up" finds "Push-Up"), but
        only canonical names are returned, each at most once.
        """
        import difflib  # only for a name not found: kept off every command's start-up

        key = normalise_name(name)
        if not key or limit <= 0:
            return ()
        close = difflib.get_close_matches(key, list(self._index), n=len(self._index), cutoff=0.6)
        names = dict.fromkeys(self._index[k].name for k in close)
        return tuple(names)[:limit]


def normalise_name(name: str) -> str:
    """Matching key of an exercise name: "Push-Ups", "push up" and "Pushup" give "pushup".

    Casefolds, spells "&" as "and", drops everything that is not a letter or
    digit (in any script), then drops one trailing "s" so plurals match.
    """
    folded = name.casefold().replace("&", "and")
    key = "".join(ch for ch in folded if ch.isalnum())
    return key.removesuffix("s")


BUILTIN_FILE = DATA_DIR / "exercises.toml"


@functools.cache
def builtin_library() -> Library:
    """The library that ships with cuecoach (read once, then cached)."""
    return read_complete_library(BUILTIN_FILE)


def read_complete_library(path: Path) -> Library:
    """The library in `path`, held to the built-in data's rules: every entry complete.

    Raises InputError for any problem; for the packaged file that is only
    reachable if it is broken, and still a clear message rather than a
    traceback deep inside a lookup.
    """
    _, entries, problems = _read_entries(path, builtin=True)
    if problems:
        raise InputError(sorted_problems(problems))
    return Library(tuple(entry for _, entry in entries))


def _read_entries(
    path: Path, *, builtin: bool
) -> tuple[TomlDocument, list[tuple[int, ExerciseInfo]], list[Problem]]:
    """The entries of the library file `path` and every problem with them."""
    doc = read_toml(path)
    entries, problems = _parse_entries(doc, builtin=builtin)
    return doc, entries, problems + _duplicate_problems(doc, entries)


def load_library(user_file: Path | None = None, builtin: Library | None = None) -> Library:
    """The built-in library, plus the entries of `user_file` if given.

    `builtin` is the built-in library when the caller has it already (see
    `librarycache`); by default it is read and checked here.

    A user entry whose name or any alias matches a built-in entry overrides
    it: fields the user leaves out keep the built-in values, the user's name
    becomes the display name (the built-in name stays findable as an alias),
    and user aliases are added to the built-in ones. Other user entries are
    new exercises appended after the built-in ones; only `name` is required.
    Every problem in the file is reported in one InputError.
    """
    builtin = builtin if builtin is not None else builtin_library()
    if user_file is None:
        return builtin
    doc, entries, problems = _read_entries(user_file, builtin=False)

    merged = list(builtin.entries)
    position = {entry.name: i for i, entry in enumerate(merged)}
    added: list[ExerciseInfo] = []
    for index, user in entries:
        matches = dict.fromkeys(
            found.name for key in user.match_keys() if (found := builtin.find(key)) is not None
        )
        if len(matches) > 1:
            listed = " and ".join(f"'{m}'" for m in matches)
            problems.append(
                doc.problem(
                    ("exercise", index),
                    f"name and aliases match more than one built-in exercise ({listed}); "
                    "an entry may override only one",
                )
            )
        elif matches:
            (target,) = matches
            i = position[target]
            merged[i] = _override(merged[i], user, doc.data["exercise"][index])
        else:
            added.append(user)
    if problems:
        raise InputError(sorted_problems(problems))
    return Library((*merged, *added))


def _override(base: ExerciseInfo, user: ExerciseInfo, raw: Mapping[str, Any]) -> ExerciseInfo:
    """`base` with the fields written in the user's table `raw` replaced."""
    aliases = [base.name, *base.aliases, *user.aliases]
    return ExerciseInfo(
        name=user.name,
        aliases=tuple(a for a in dict.fromkeys(aliases) if a != user.name),
        category=user.category if "category" in raw else base.category,
        muscles=user.muscles if "muscles" in raw else base.muscles,
        cues=user.cues if "cues" in raw else base.cues,
        why=user.why if "why" in raw else base.why,
        setup=user.setup if "setup" in raw else base.setup,
    )


# --- validation ---------------------------------------------------------------


def _parse_entries(
    doc: TomlDocument, *, builtin: bool
) -> tuple[list[tuple[int, ExerciseInfo]], list[Problem]]:
    """Every well-named entry of `doc` with its index, and every problem found.

    An entry with a bad field is still returned (without that field) so that
    later checks, such as duplicate names, can run in the same pass.
    """
    check = Checker(doc)
    for key in doc.data:
        if key != "exercise":
            check.error((key,), "unknown key; a library file holds only [[exercise]] tables")
    raw_entries = doc.data.get("exercise", [])
    if not isinstance(raw_entries, list):
        check.error(
            ("exercise",),
            f"expected an array of tables written [[exercise]], got {type_name(raw_entries)}",
        )
        return [], check.problems
    if len(raw_entries) > MAX_ENTRIES:
        check.error(
            ("exercise", MAX_ENTRIES),
            f"a library may hold at most {MAX_ENTRIES} exercises; this file has {len(raw_entries)}",
        )
        return [], check.problems

    entries: list[tuple[int, ExerciseInfo]] = []
    for index, raw in enumerate(raw_entries):
        here: KeyPath = ("exercise", index)
        if not isinstance(raw, dict):
            check.error(here, f"expected a table written [[exercise]], got {type_name(raw)}")
            continue
        check.unknown_keys(raw, here, FIELDS)
        # The built-in file must be complete; a user entry needs only a name.
        required = [f for f in FIELDS if f not in OPTIONAL_FIELDS] if builtin else ["name"]
        for key in required:
            if key not in raw:
                check.error(here, f"missing '{key}'")

        name = None
        if "name" in raw:
            name = check.string((*here, "name"), raw["name"], MAX_NAME_CHARS)
            if name and not normalise_name(name):
                check.error((*here, "name"), "expected a name with at least one letter or digit")
                name = None
        aliases: tuple[str, ...] | None = ()
        if "aliases" in raw:
            aliases = check.strings((*here, "aliases"), raw["aliases"], MAX_NAME_CHARS, MAX_ALIASES)
        category = None
        if "category" in raw:
            category = check.string((*here, "category"), raw["category"], MAX_NAME_CHARS)
            if category and category not in CATEGORIES:
                check.error(
                    (*here, "category"),
                    f"unknown category '{category}'; expected one of: {', '.join(CATEGORIES)}",
                )
        muscles: tuple[str, ...] | None = ()
        if "muscles" in raw:
            muscles = check.strings(
                (*here, "muscles"), raw["muscles"], MAX_MUSCLE_CHARS, MAX_MUSCLES
            )
        cues: tuple[str, ...] | None = ()
        if "cues" in raw:
            cues = check.strings((*here, "cues"), raw["cues"], MAX_CUE_CHARS, MAX_CUES, MIN_CUES)
        setup: tuple[str, ...] | None = ()
        if "setup" in raw:
            setup = check.strings((*here, "setup"), raw["setup"], MAX_CUE_CHARS, MAX_SETUP)
        why = None
        if "why" in raw:
            why = check.string((*here, "why"), raw["why"], MAX_WHY_CHARS)
        if name:
            entry = ExerciseInfo(
                name,
                aliases or (),
                category or "",
                muscles or (),
                cues or (),
                why or "",
                setup or (),
            )
            entries.append((index, entry))
    return entries, check.problems


def _duplicate_problems(
    doc: TomlDocument, entries: Iterable[tuple[int, ExerciseInfo]]
) -> list[Problem]:
    """A problem for each name or alias that an earlier entry already uses."""
    problems: list[Problem] = []
    owner: dict[str, tuple[int, str]] = {}
    for index, entry in entries:
        # Walk the aliases as written (bad ones included) so that key paths
        # carry the alias's real position in the file.
        raw_aliases = doc.data["exercise"][index].get("aliases")
        written_names: list[tuple[KeyPath, object]] = [(("name",), entry.name)]
        if isinstance(raw_aliases, list):
            written_names += [(("aliases", i), a) for i, a in enumerate(raw_aliases)]
        for where, written in written_names:
            if not isinstance(written, str) or not (key := normalise_name(written)):
                continue  # already reported as a type problem
            first = owner.setdefault(key, (index, entry.name))
            if first[0] == index:
                continue  # an entry may repeat its own name in its aliases
            parts: KeyPath = ("exercise", index, *where)
            problems.append(
                doc.problem(
                    parts,
                    f"duplicate name: '{written}' matches exercise[{first[0] + 1}] "
                    f"('{first[1]}'); names and aliases must be unique",
                )
            )
    return problems


__all__ = [
    "CATEGORIES",
    "ExerciseInfo",
    "Library",
    "builtin_library",
    "load_library",
    "normalise_name",
]
