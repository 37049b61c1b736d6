"""Reading values out of a TOML document, collecting problems instead of stopping.

One checker serves every input file (sessions, programs, libraries, the user
config) and the command line's flags, so a value of the wrong type or size is
described in the same words wherever it is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple, Protocol

from .errors import InputError, Problem
from .tomlfile import KeyPath, key_path

MAX_TEXT = 200  # characters in a title, a cue or a name, unless a key says otherwise
MAX_PATH = 1000  # characters in a file name


class Source(Protocol):
    """Where values come from: turns a key path and a message into a Problem."""

    def problem(self, parts: Sequence[str | int], message: str) -> Problem: ...

    def line(self, parts: Sequence[str | int]) -> int | None: ...


# A NamedTuple and a plain class rather than dataclasses: a dataclass compiles its
# generated methods at import, about half a millisecond each, and every command
# that reads a file imports this module.
class Flags(NamedTuple):
    """Values with no file, such as the command line's: ``("rate",)`` is shown ``--rate``."""

    name: str = "(command line)"
    prefix: str = "--"

    def problem(self, parts: Sequence[str | int], message: str) -> Problem:
        return Problem(self.name, None, self.prefix + key_path(parts).replace("_", "-"), message)

    def line(self, parts: Sequence[str | int]) -> int | None:
        return None


COMMAND_LINE = Flags()


def unquoted_hint(parts: Sequence[str | int], value: object) -> str:
    """A hint for a number written in quotes ("3"), which TOML reads as text."""
    if not isinstance(value, str) or not value.strip().isdigit() or not parts:
        return ""
    return f"; write numbers without quotes: {parts[-1]} = {value.strip()}"


def type_name(value: object) -> str:
    """How a TOML value's type is called in messages ("got a whole number")."""
    if isinstance(value, bool):  # before int: bool is a subclass of int
        return "true or false"
    names = {int: "a whole number", float: "a number", str: "a string", list: "a list"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    if isinstance(value, dict):
        return "a table"
    return "a date or time"  # the only other TOML value types


def shown_number(value: int | float) -> str:
    """A number as a message shows it: huge integers by their length, not their digits."""
    if isinstance(value, float):
        return f"{value:g}"
    if abs(value) > 10**15:  # beyond any real value; thousands of digits help nobody
        return f"an integer of {len(str(abs(value))):,} digits"
    return str(value)


def problem_order(problem: Problem) -> tuple[int, str]:
    """Sort key putting problems in the order a reader meets them in the file."""
    # A problem with no line (the file as a whole) comes first; Problem's own
    # ordering would compare None with an int.
    return (problem.line if problem.line is not None else 0, problem.key)


def sorted_problems(problems: Iterable[Problem]) -> list[Problem]:
    return sorted(problems, key=problem_order)


class Checker:
    """Reads values out of one source, collecting problems and warnings."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, parts: KeyPath, message: str) -> None:
        self.problems.append(self.source.problem(parts, message))

    def warn(self, parts: KeyPath, message: str) -> None:
        self.warnings.append(self.source.problem(parts, message))

    def raise_problems(self) -> None:
        """Raise every problem found so far, in file order, as one InputError."""
        if self.problems:
            raise InputError(sorted_problems(self.problems))

    def unknown_keys(
        self, table: Mapping[str, object], parts: KeyPath, allowed: Sequence[str]
    ) -> None:
        for key in table:
            if key not in allowed:
                import difflib  # only for a mistake: kept off the start-up of every command

                close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                hint = (
                    f'; did you mean "{close[0]}"?' if close else f"; allowed: {', '.join(allowed)}"
                )
                self.error((*parts, key), f"unknown key{hint}")

    def string(
        self, parts: KeyPath, value: object, limit: int = MAX_TEXT, what: str = "a string"
    ) -> str | None:
        """`value` with its white space tidied, if it is a non-blank string within `limit`."""
        if not isinstance(value, str):
            self.error(parts, f"expected {what}, got {type_name(value)}")
            return None
        text = " ".join(value.split())
        if len(text) > limit:
            self.error(parts, f"expected at most {limit} characters, got {len(text)}")
            return None
        if not text:
            self.error(parts, f"expected {what} with some text in it, got an empty string")
            return None
        return text

    def strings(
        self, parts: KeyPath, value: object, limit: int, most: int, least: int = 0
    ) -> tuple[str, ...] | None:
        """`value` as a tuple of good strings, or None when it is not a usable list."""
        if not isinstance(value, list):
            self.error(parts, f"expected a list of strings, got {type_name(value)}")
            return None
        if not least <= len(value) <= most:
            wanted = f"at most {most}" if least == 0 else f"{least} to {most}"
            self.error(parts, f"expected {wanted} items, got {len(value)}")
            return None
        texts = [self.string((*parts, i), item, limit) for i, item in enumerate(value)]
        return tuple(t for t in texts if t is not None)

    def integer(self, parts: KeyPath, value: object, bounds: tuple[int, int]) -> int | None:
        low, high = bounds
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(
                parts,
                f"expected a whole number from {low} to {high}, got {type_name(value)}"
                + unquoted_hint(parts, value),
            )
            return None
        if not low <= value <= high:
            self.error(
                parts, f"expected a whole number from {low} to {high}, got {shown_number(value)}"
            )
            return None
        return value

    def boolean(self, parts: KeyPath, value: object) -> bool | None:
        if not isinstance(value, bool):
            self.error(parts, f"expected true or false, got {type_name(value)}")
            return None
        return value

    def number_in(
        self, parts: KeyPath, value: float, bounds: tuple[float, float], what: str
    ) -> bool:
        low, high = bounds
        if not low <= value <= high:
            self.error(parts, f"expected {what} from {low:g} to {high:g}, got {value:g}")
            return False
        return True

    def path(self, parts: KeyPath, value: object, folder: Path) -> Path | None:
        """The existing file `value` names, relative to `folder`."""
        text = self.string(parts, value, limit=MAX_PATH)
        if text is None:
            return None
        target = folder / Path(text).expanduser()
        try:
            found = target.is_file()
        except OSError:  # a name too long for the file system, say
            found = False
        if not found:
            self.error(parts, f'no such file "{text}" (looked for {target})')
            return None
        return target
