"""Reading TOML input files with line numbers for error messages.

`tomllib` gives values but no positions, so a small scanner maps key paths to
the line that wrote them. Key paths use 0-based list indexes internally and are
shown 1-based to people (``exercise[3].do`` is the third ``[[exercise]]``).
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .errors import InputError, Problem

KeyPath = tuple[str | int, ...]
FILE_KEY = "(file)"

_BARE_KEY = r"[A-Za-z0-9_-]+"
_KEY_PART = rf'(?:{_BARE_KEY}|"(?:[^"\\]|\\.)*"|\'[^\']*\')'
_DOTTED_KEY = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
# The patterns that find where a key is written are kept as text and compiled on
# first use (re caches them): a file without problems never needs its key lines,
# and compiling them costs every command's start-up.
_ARRAY_HEADER = rf"^\s*\[\[\s*({_DOTTED_KEY})\s*\]\]"
_TABLE_HEADER = rf"^\s*\[\s*({_DOTTED_KEY})\s*\]"
_ASSIGNMENT = rf"^\s*({_DOTTED_KEY})\s*="
_DECODE_POSITION = r"\s*\(at (?:line (\d+), column \d+|end of document)\)$"
_NESTING_CHAR = r"[#\"'\[\]{}]"
# A one-line string's body after its opening quote: a basic string skips the
# character after each backslash; a literal string has no escapes.
_STRING_BODY = {'"': r'(?:[^"\\]|\\.?)*', "'": r"[^']*"}


def key_path(parts: Sequence[str | int]) -> str:
    """Human key path: ``("exercise", 2, "do")`` -> ``exercise[3].do``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += f".{part}" if out else part
    return out or FILE_KEY


def _split_key(text: str) -> tuple[str, ...]:
    return tuple(p[1:-1] if p[0] in "\"'" else p for p in re.findall(_KEY_PART, text))


class _Scanner:
    """Walks TOML source lines and records where each key path is written."""

    def __init__(self) -> None:
        self.lines: dict[KeyPath, int] = {}
        self.table: KeyPath = ()
        self.array_counts: dict[tuple[str, ...], int] = {}

    def scan(self, text: str, stop_at: int | None = None) -> None:
        depth = 0  # open brackets/braces carried over from earlier lines
        in_multiline: str | None = None
        for number, raw in enumerate(text.splitlines(), start=1):
            if stop_at is not None and number >= stop_at:
                return
            line = raw
            if in_multiline:
                if in_multiline not in line:
                    continue
                line = line.split(in_multiline, 1)[1]
                in_multiline = None
            if depth == 0:
                self._record(line, number)
            depth, in_multiline = _track_nesting(line, depth)

    def _record(self, line: str, number: int) -> None:
        if m := re.match(_ARRAY_HEADER, line):
            name = _split_key(m.group(1))
            index = self.array_counts.get(name, 0)
            self.array_counts[name] = index + 1
            self.table = (*name, index)
            self.lines.setdefault(self.table, number)
        elif m := re.match(_TABLE_HEADER, line):
            self.table = _split_key(m.group(1))
            self.lines.setdefault(self.table, number)
        elif m := re.match(_ASSIGNMENT, line):
            self.lines.setdefault((*self.table, *_split_key(m.group(1))), number)


def _track_nesting(line: str, depth: int) -> tuple[int, str | None]:
    """Bracket depth after `line`, and an unclosed multi-line string delimiter."""
    # Jumps from one character that matters to the next (regex searches rather
    # than a Python loop over every character), so that finding the key lines of
    # a large file, such as a user's library, stays quick.
    nesting_char = re.compile(_NESTING_CHAR)
    i = 0
    while found := nesting_char.search(line, i):
        i = found.start()
        ch = line[i]
        if ch == "#":
            break
        if line.startswith(('"""', "'''"), i):
            delim = line[i : i + 3]
            end = line.find(delim, i + 3)
            if end < 0:
                return depth, delim
            i = end + 3
            continue
        if ch in "\"'":
            body = re.compile(_STRING_BODY[ch], re.DOTALL).match(line, i + 1)
            assert body is not None  # both patterns match the empty string
            i = body.end() + 1
            continue
        if ch in "[{":
            depth += 1
        else:
            depth = max(0, depth - 1)
        i += 1
    # A table header like [defaults] opens and closes on its own line.
    return depth, None


@dataclass(frozen=True)
class TomlDocument:
    """A parsed TOML file plus where its keys are written."""

    path: Path
    data: dict[str, Any]
    text: str = field(repr=False)  # the source, scanned for key lines when one is first asked

    @property
    def name(self) -> str:
        return str(self.path)

    @cached_property
    def lines(self) -> dict[KeyPath, int]:
        """Where each key path is written. Found on first use: a file without
        problems may never need it (the built-in library, read on every run)."""
        scanner = _Scanner()
        scanner.scan(self.text)
        return scanner.lines

    def line(self, parts: Sequence[str | int]) -> int | None:
        """Line of `parts`, or of its nearest written ancestor."""
        parts = tuple(parts)
        while parts:
            if parts in self.lines:
                return self.lines[parts]
            parts = parts[:-1]
        return None

    def problem(self, parts: Sequence[str | int], message: str) -> Problem:
        return Problem(self.name, self.line(parts), key_path(parts), message)


MAX_INPUT_BYTES = 256_000
"""The largest TOML file read: hand-written sessions and wordings are a few
kilobytes, the built-in library 20; refusing more keeps a stray log or disk
image from stalling us (every check is linear, but not free)."""

MAX_NESTING = 50  # arrays and tables inside each other; our files need 3
MAX_KEY_PARTS = 32  # in one dotted key; tomllib takes time quadratic in them
_MAX_DIGITS = 4300  # Python's int() refuses longer numbers (sys.get_int_max_str_digits)
_LONG_NUMBER = rf"[0-9_]{{{_MAX_DIGITS + 1},}}"  # looked for only once a number fails
# Possessive, and starting only where a key can, so that nothing is scanned twice.
_KEY_ATOM = r"""(?:[A-Za-z0-9_-]++|"(?:[^"\\]|\\.)*+"|'[^']*+')"""
_LONG_DOTTED_KEY = re.compile(
    rf"(?<![A-Za-z0-9_-])(?:{_KEY_ATOM}[ \t]*+\.[ \t]*+){{{MAX_KEY_PARTS}}}"
)


def read_input(path: Path, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of the regular file `path`, at most `limit` of them.

    Anything else (a folder, a named pipe, a device, a file over the limit) is
    refused at once with an InputError: the type is checked before opening, and
    the open cannot block, so a FIFO or /dev/zero never hangs or fills memory.
    """
    name = str(path)

    def refuse(message: str) -> InputError:
        return InputError([Problem(name, None, FILE_KEY, message)])

    try:
        _check_regular(os.stat(path), limit, refuse)
        # O_NONBLOCK: should the path become a FIFO after the stat, open still returns.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except (FileNotFoundError, NotADirectoryError):
        raise refuse("no such file") from None
    except OSError as exc:
        raise refuse(f"cannot read: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as file:
        _check_regular(os.fstat(fd), limit, refuse)
        try:
            data = file.read(limit + 1)
        except OSError as exc:
            raise refuse(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > limit:  # grew after the stat
        raise refuse(_too_big(len(data), limit))
    return data


def _check_regular(info: os.stat_result, limit: int, refuse: Callable[[str], InputError]) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise refuse("is a folder; expected a .toml file")
    if (kind := file_kind(info.st_mode)) is not None:
        raise refuse(f"is {kind}, not a regular file")
    if info.st_size > limit:
        raise refuse(_too_big(info.st_size, limit))


def file_kind(mode: int) -> str | None:
    """What a file of stat mode `mode` is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _too_big(size: int, limit: int) -> str:
    return f"is too big ({size:,} bytes; the limit is {limit:,} bytes)"


def read_text(path: Path) -> str:
    """The UTF-8 text of the regular file `path` (see `read_input`), without a BOM;
    text that is not UTF-8 is an InputError naming the line."""
    raw = read_input(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            [Problem(str(path), line, FILE_KEY, f"not UTF-8 text (byte 0x{raw[exc.start]:02x})")]
        ) from None
    return text.removeprefix("\ufeff")


def read_toml(path: Path) -> TomlDocument:
    """Read and parse `path`; any failure is an InputError naming the file and line."""
    name = str(path)
    text = read_text(path)
    if long_key := _LONG_DOTTED_KEY.search(text):
        line = _line_at(text, long_key.start())
        message = f"a dotted key of more than {MAX_KEY_PARTS} parts"
        raise InputError([Problem(name, line, FILE_KEY, message)])
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line_no: int | None = None
        if m := re.search(_DECODE_POSITION, message):
            line_no = int(m.group(1)) if m.group(1) else _line_at(text, len(text))
            message = message[: m.start()]
        message = message[0].lower() + message[1:] if message else "invalid TOML"
        raise _syntax_error(name, text, line_no, f"invalid TOML: {message}") from None
    except RecursionError:
        raise _too_deep(name, text) from None
    except ValueError as exc:  # int()'s digit limit, which tomllib lets through
        long = re.search(_LONG_NUMBER, text)
        if long is None:
            raise _syntax_error(name, text, None, f"invalid TOML: {exc}") from None
        raise _syntax_error(
            name,
            text,
            _line_at(text, long.start()),
            f"number too long (over {_MAX_DIGITS} digits)",
        ) from None
    if _nesting(data) > MAX_NESTING:
        raise _too_deep(name, text)
    return TomlDocument(path, data, text)


def _syntax_error(name: str, text: str, line_no: int | None, message: str) -> InputError:
    """`message` at `line_no`, under the key written there; suggests quotes for bare text."""
    scanner = _Scanner()
    scanner.scan(text, stop_at=line_no)
    parts: KeyPath = scanner.table
    if line_no is not None:
        lines = text.splitlines()
        bad_line = lines[line_no - 1] if line_no <= len(lines) else ""
        if m := re.match(_ASSIGNMENT, bad_line):
            key = _split_key(m.group(1))
            parts = (*parts, *key)
            if fix := _quoted_fix(bad_line[m.end() :].strip()):
                message = f"text needs quotes: {m.group(1).strip()} = {fix}"
    return InputError([Problem(name, line_no, key_path(parts), message)])


def _quoted_fix(value: str) -> str | None:
    """`value` in quotes, when it is bare text that quoting would make valid."""
    if not value[:1].isalnum():  # text starts like a word; "= 3" or "[x" are other slips
        return None
    try:
        tomllib.loads(f"v = {value}")
    except tomllib.TOMLDecodeError:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    except (RecursionError, ValueError):  # a value, only too deep or too long
        return None
    return None


def _line_at(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def _nesting(data: dict[str, Any]) -> int:
    """How deep arrays and tables sit inside each other in `data` (without recursion)."""
    deepest = 0
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(value, dict):
            stack += [(v, depth + 1) for v in value.values()]
        elif isinstance(value, list):
            stack += [(v, depth + 1) for v in value]
    return deepest


def _too_deep(name: str, text: str) -> InputError:
    return _syntax_error(
        name, text, _deep_line(text), f"arrays or tables nested more than {MAX_NESTING} deep"
    )


def _deep_line(text: str) -> int | None:
    """The line where brackets first nest deeper than the limit (strings aside, roughly)."""
    depth = 0
    line = 1
    for ch in text:
        if ch == "\n":
            line += 1
        elif ch in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return line
        elif ch in "]}":
            depth -= 1
    return None
