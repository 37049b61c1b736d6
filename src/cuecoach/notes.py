"""Workout notes as people write them -> session and program TOML (`cuecoach import`).

Pure: text in, file texts out. A heading starts a session; a line like
``Push-Ups – 3×12`` (separators ``-`` ``–`` ``—`` ``:``, and ``x`` ``X`` ``×``)
is an exercise; a distance in brackets after the name (``Farmer's Carry
(40m) – 3×1``) is the distance of each carry. Lines that are neither, and
headings with no exercise under them (but the first, which names the
program), are listed with their line numbers, never dropped silently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from .library import Library
from .parse import exercise_problems

_BULLET = re.compile(r"^\s*(?:[•*·▪◦‣-]|\d+[.)])\s+")
# NAME, a separator with space before it, a colon or only space, then SETS x AMOUNT
# (in brackets or not).
_EXERCISE = re.compile(
    r"^(?P<name>.+?)(?:\s*(?:\s[-–—]|:)\s*|\s+)\(?(?P<amount>\d+\s*(?:[x×]|sets?\b)\s*\S.*)$",
    re.IGNORECASE,
)
# How people write the parts of an amount, and the shorthand each becomes.
_SETS_OF = re.compile(r"^(\d+)\s*sets?\s*(?:of|[x×,])?\s*", re.IGNORECASE)  # "3 sets of 12"
_SIDES = re.compile(
    r"\s*\(?\b(?:on\s+)?(?:each|ea|per|a)\s+(side|leg|arm)s?\)?", re.IGNORECASE
)  # "each leg", "on each side", "ea side"
_REPS_WORD = re.compile(r"\s*\breps?\b", re.IGNORECASE)  # "12 reps": reps are the default
_LOAD = re.compile(
    r"\s*(?:(?:@|with|at)\s*(?P<load>\d+(?:\.\d+)?\s*(?:kg|lb)s?|rpe\s*\d+(?:\.\d+)?)"
    r"|(?:@|with|at)?\s*\(?(?P<bodyweight>bodyweight|body\s*weight|bw)\)?)\s*$",
    re.IGNORECASE,
)  # "@ 12kg", "@ RPE 8", "bodyweight"
# A line that tried to give an amount ("Squats 3 x 8-12", "Jumping jacks 1 min")
# is listed as not read, never taken for a heading.
_TRIED_AMOUNT = re.compile(
    r"\d\s*(?:[x×]\s*\d|sets?\b|reps?\b|s\b|secs?\b|seconds?\b|mins?\b|minutes?\b"
    r"|m\b|km\b|kg\b|lbs?\b)",
    re.IGNORECASE,
)
# ... and so did "Pull-ups, three sets of eight": an amount in words.
_AMOUNT_IN_WORDS = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty)"
    r"\s+(?:sets?|reps?|rounds?|times|seconds?|minutes?)\b",
    re.IGNORECASE,
)
_DISTANCE_IN_NAME = re.compile(r"\s*\((?P<distance>\d+(?:\.\d+)?\s*k?m)\)\s*$", re.IGNORECASE)
# A comment after the amount: "(rest 30s)", " – focus on hips".
_COMMENT = re.compile(r"\s*(?:\((?P<paren>[^()]*)\)|\s[-–—]\s+(?P<dash>[^-–—]+))\s*$")
_REST = re.compile(r"(?:rest|rest:)\s*(?P<rest>\d[\w:. ]*?)(?:\s+between\s+sets)?", re.IGNORECASE)
MAX_HEADING = 80
# A line without an amount reads as a heading. With no exercise under it, it
# names no session: it may be an exercise in words the reader does not know
# ("Bench press, heavy"), so it is listed rather than dropped.
_NO_EXERCISES = "read as a heading, but no exercise follows it"


@dataclass(frozen=True)
class NoteExercise:
    """One exercise line, read."""

    name: str  # as written: the library finds it by its name or an alias
    do: str  # the shorthand for `do`, like "3x10/side" or "3x40m"
    line: int
    load: str | None = None  # "12kg", from "3×10 @ 12kg"
    closest: tuple[str, ...] | None = None  # library names like it, when it is not in it
    rest: str | None = None  # "30s", from "3x30s (rest 30s)"
    note: str | None = None  # a comment after the amount, kept in the file


@dataclass(frozen=True)
class NoteSession:
    """A heading and the exercises under it."""

    title: str
    exercises: tuple[NoteExercise, ...]


@dataclass(frozen=True)
class Notes:
    """What a notes file says: sessions, a program title, and the lines not understood."""

    title: str | None
    sessions: tuple[NoteSession, ...]
    unread: tuple[tuple[int, str, str], ...]  # (line number, text, why)


def _exercise(text: str, line: int, library: Library) -> NoteExercise | str:
    """An exercise line read, or why it cannot be read."""
    m = _EXERCISE.match(text)
    if m is None:
        return "expected NAME – SETS×AMOUNT, like “Push-Ups – 3×12”"
    name = m["name"].strip().replace("’", "'")
    amount = m["amount"].strip()
    if amount.count(")") > amount.count("("):  # "Push-ups (3x12)"
        amount = amount.removesuffix(")").strip()
    read = _amount(name, amount, library)
    comment = _COMMENT.search(amount)
    if isinstance(read, str) and comment is not None:
        # "Plank 3x30s (rest 30s)", "Side Plank – 3×30s/side – focus on hips"
        said = (comment["paren"] or comment["dash"]).strip()
        rest = _REST.fullmatch(said)
        extra = {"rest": rest["rest"]} if rest else {}
        without = _amount(name, amount[: comment.start()], library, extra)
        if not isinstance(without, str):
            read = replace(
                without, rest=rest["rest"] if rest else None, note=None if rest else said
            )
    if isinstance(read, str):
        return read
    return replace(read, line=line)


def _amount(
    name: str, amount: str, library: Library, extra: Mapping[str, str] | None = None
) -> NoteExercise | str:
    """An exercise of `name` doing `amount` (with a load, and `extra` keys), or why not."""
    load = None
    if weight := _LOAD.search(amount):
        if weight["bodyweight"]:
            load = "bodyweight"
        elif weight["load"].lower().startswith("rpe"):
            load = "RPE " + weight["load"][3:].strip()
        else:
            load = weight["load"].replace(" ", "").lower().removesuffix("s")
        amount = amount[: weight.start()]
    amount = _SETS_OF.sub(r"\1x", amount).replace("×", "x").replace("X", "x")
    amount = re.sub(r"\s*x\s*", "x", amount, count=1)
    amount = _REPS_WORD.sub("", _SIDES.sub(r"/\1", amount)).strip()
    if d := _DISTANCE_IN_NAME.search(name):
        # "Farmer's Carry (40m) – 3×1": one carry of 40 m per set.
        name = name[: d.start()]
        sets, _, rest = amount.partition("x")
        side = re.fullmatch(r"1\s*(/\s*(?:side|leg|arm)s?)?", rest)
        if side is None:
            return f'a distance in the name takes 1 per set, like "3×1", not "{rest}"'
        amount = f"{sets}x{d['distance'].replace(' ', '')}{side[1] or ''}"
    table = {"name": name, "do": amount, **(extra or {})} | ({"load": load} if load else {})
    if problems := exercise_problems(table, library):
        return "; ".join(problems)  # the file written must pass `check`
    closest = None if library.find(name) is not None else library.suggest(name)
    return NoteExercise(name, amount, 0, load, closest)


def _is_heading(text: str) -> bool:
    # "Plank - 3 rounds" tried to be an exercise; "Day 1: Upper Body" did not.
    tried = re.search(r"(?:\s[-–—]|:)\s*\d", text) is not None and not text.lower().startswith(
        ("day", "week", "session")
    )
    # ... as did "10 push-ups" and "3 rounds:": a count first is no heading.
    tried = tried or _TRIED_AMOUNT.search(text) is not None or text[:1].isdigit()
    tried = tried or _AMOUNT_IN_WORDS.search(text) is not None
    return len(text) <= MAX_HEADING and not tried and not text.endswith((".", ",", ";"))


def read_notes(text: str, library: Library) -> Notes:
    """Sessions from workout notes; see the module docstring."""
    title: str | None = None
    heading: str | None = None
    sessions: list[NoteSession] = []
    current: list[NoteExercise] = []
    unread: list[tuple[int, str, str]] = []
    bare: tuple[int, str] | None = None  # the heading's line while no exercise follows it

    def close() -> None:
        if current:
            sessions.append(NoteSession(heading or f"Session {len(sessions) + 1}", tuple(current)))
            current.clear()

    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        bullet = _BULLET.match(raw)
        body = line[bullet.end() - (len(raw) - len(raw.lstrip())) :] if bullet else line
        read = _exercise(body.strip(), number, library)
        if isinstance(read, NoteExercise):
            current.append(read)
            bare = None
        elif bullet is None and _is_heading(body):
            close()
            if bare is not None and title is None and not sessions:
                title = heading  # a first heading with no exercises under it names the program
            elif bare is not None:
                unread.append((*bare, _NO_EXERCISES))
            # Markdown marks are no part of the title: "## Day 1", "**Day 1**".
            heading = body.strip("#*_ ").rstrip(":").strip()
            bare = (number, line)
        else:
            unread.append((number, line, read))
    close()
    if bare is not None:
        unread.append((*bare, _NO_EXERCISES))
    return Notes(title, tuple(sessions), tuple(sorted(unread)))


def _string(text: str) -> str:
    # A JSON string is a valid TOML basic string: same quotes and escapes.
    return json.dumps(text, ensure_ascii=False)


def session_toml(session: NoteSession, source: str) -> str:
    """A session file for `session`, saying where it came from."""
    out = [f"# Imported from {source} by `cuecoach import`; edit freely.", ""]
    out.append(f"title = {_string(session.title)}")
    for exercise in session.exercises:
        out += ["", "[[exercise]]"]
        if exercise.closest is not None:
            known = f"; closest: {', '.join(exercise.closest)}" if exercise.closest else ""
            out.append(f"# not in the exercise library{known}")
        out.append(f"name = {_string(exercise.name)}")
        out.append(f"do = {_string(exercise.do)}")
        if exercise.load is not None:
            out.append(f"load = {_string(exercise.load)}")
        if exercise.rest is not None:
            out.append(f"rest = {_string(exercise.rest)}")
        if exercise.note is not None:
            out.append(f"# {exercise.note}")
    return "\n".join(out) + "\n"


def program_toml(title: str, files: list[str], source: str) -> str:
    """A program file listing the session `files` (names relative to it)."""
    listed = ", ".join(_string(f) for f in files)
    return (
        f"# Imported from {source} by `cuecoach import`.\n"
        f"title = {_string(title)}\nsessions = [{listed}]\n"
    )


def slug(title: str) -> str:
    """A file name stem for a title: "Day 1: Upper Body" -> "day-1-upper-body"."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "session"
