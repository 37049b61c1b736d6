"""Hostile variations of valid input files, and the loaders they are fed to.

Shared by tests/test_fuzz.py (a few hundred inputs in CI) and
scripts/fuzz_loaders.py (100,000 and more). Every mutation is driven by one
`random.Random`, so a seed reproduces an input exactly. A loader may refuse
an input only with a CuecoachError; anything else is a crash.
"""

from __future__ import annotations

import json
import math
import random
import re
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cuecoach.compile import compile_session
from cuecoach.errors import CuecoachError
from cuecoach.library import load_library
from cuecoach.model import Program
from cuecoach.parse import load
from cuecoach.soundlengths import packaged_sound_ms
from cuecoach.speech.settings import read_speech_config
from cuecoach.wording import load_wording

ROOT = Path(__file__).parent.parent
_DATA = ROOT / "src" / "cuecoach" / "data"
_VALID = Path(__file__).parent / "data" / "valid"

CONFIG_SAMPLE = b"""# cuecoach user config
[speech]
engine = "espeak"
voice = "en-us"
rate = 170
volume = 0.9
language = "en"
"""


def seed_files() -> dict[str, list[bytes]]:
    """The valid files each kind of loader starts from."""
    sessions = sorted((ROOT / "sessions").glob("*.toml"))
    sessions += [p for p in sorted(_VALID.glob("*.toml")) if not p.name.endswith(".words.toml")]
    wordings = [*sorted((_DATA / "wording").glob("*.toml")), *_VALID.glob("*.words.toml")]
    library = _DATA / "exercises.toml"
    return {
        "session": [p.read_bytes() for p in sessions],
        "wording": [p.read_bytes() for p in wordings],
        # The whole library, and one entry of it so that small mutations matter.
        "library": [library.read_bytes(), _first_entry(library.read_bytes())],
        "config": [CONFIG_SAMPLE],
    }


def _first_entry(text: bytes) -> bytes:
    entries = text.split(b"[[exercise]]")
    return b"[[exercise]]" + entries[1]


def prepare_folder(folder: Path) -> None:
    """Put the sample sessions and the valid cases beside the fuzzed file, so that
    programs and wording references reach real files too."""
    for path in [*(ROOT / "sessions").glob("*.toml"), *_VALID.glob("*.toml")]:
        shutil.copy(path, folder / path.name)


# --- Mutations ---------------------------------------------------------------

_HOSTILE_STRINGS = [
    "",
    " ",
    "\u001b]0;owned\u0007",
    "\u001b[2J",
    "1" * 5000 + "!",
    "1" + "0" * 309 + ":00:00",
    "9" * 400,
    "3x" + "9" * 400,
    "99999999999999999999x99999999999999999999",
    "max",
    "3xAMRAP",
    "0x0",
    "-1x-1",
    "1e309s",
    "nan",
    "inf s",
    "1:2:3:4",
    "{sets:set}",
    "{",
    "}{",
    "{reps|}",
    "30s each side",
    "10 per leg",
    "5 km",
    "400 m at 5:00/km",
    "Push-Up",
    "x" * 3000,
    "\u0000",
    "\ud7ff\ufeff\u202e",
    "day1-upper-core.toml",
    "week.toml",
    "/dev/zero",
    ".",
    "custom-wording.words.toml",
]
_HOSTILE_NUMBERS: list[Any] = [
    0,
    -1,
    1,
    2**63,
    -(2**63),
    10**310,
    int("9" * 4000),
    math.nan,
    math.inf,
    -math.inf,
    -0.0,
    1e308,
    5e-324,
    0.5,
    True,
    False,
]
_TOKENS = [b"[", b"]", b"{", b"}", b'"', b"'", b'"""', b"=", b"\n", b"[[exercise]]\n", b",",
           b"#", b"\\", b"\x00", b"\xff", b"\x1b", b"9" * 400, b"." * 50, b"[" * 600, b"{a=" * 400,
           b"\r", b"\t", b"nan", b"inf", b"1979-05-27T07:32:00Z", b"sessions = [\"week.toml\"]\n"]  # fmt: skip


def mutate(rng: random.Random, seed: bytes, others: list[bytes]) -> bytes:
    """A hostile variation of the valid file `seed` (`others` are files to splice in)."""
    if rng.random() < 0.5:
        try:
            data = tomllib.loads(seed.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            pass
        else:
            for _ in range(rng.randint(1, 4)):
                mutated = _mutate_value(rng, data, depth=0)
                data = mutated if isinstance(mutated, dict) else data
            return dumps(data).encode("utf-8")
    out = bytearray(seed)
    for _ in range(rng.randint(1, 6)):
        _mutate_bytes(rng, out, others)
    return bytes(out)


def _mutate_bytes(rng: random.Random, out: bytearray, others: list[bytes]) -> None:
    at = rng.randint(0, len(out))
    choice = rng.randrange(7)
    if choice == 0 and out:
        out[min(at, len(out) - 1)] = rng.randrange(256)
    elif choice == 1:
        out[at:at] = rng.choice(_TOKENS)
    elif choice == 2:
        del out[at : at + rng.randint(1, 64)]
    elif choice == 3:
        end = min(len(out), at + rng.randint(1, 200))
        out[at:at] = out[at:end] * rng.randint(1, 20)
    elif choice == 4:
        other = rng.choice(others)
        start = rng.randint(0, len(other))
        out[at:at] = other[start : start + rng.randint(1, 400)]
    elif choice == 5:
        del out[at:]
    else:  # make a whole line bare text, the classic missing quotes
        text = bytes(out)
        for match in re.finditer(rb'= "([^"\n]*)"', text):
            if rng.random() < 0.2:
                out[:] = text[: match.start()] + b"= " + match.group(1) + text[match.end() :]
                break


def _mutate_value(rng: random.Random, value: Any, depth: int) -> Any:
    """`value` with one part replaced, deleted, duplicated or given a stranger."""
    if isinstance(value, dict) and value and rng.random() < 0.8:
        key = rng.choice(list(value))
        choice = rng.randrange(10)
        if choice == 0:
            del value[key]
        elif choice == 1:
            value[rng.choice([key + "s", key[:-1], "speach", "exercise", "x" * 200])] = value[key]
        else:
            value[key] = _mutate_value(rng, value[key], depth + 1)
        return value
    if isinstance(value, list) and value and rng.random() < 0.8:
        index = rng.randrange(len(value))
        choice = rng.randrange(8)
        if choice == 0:
            del value[index]
        elif choice == 1:
            value.extend([value[index]] * rng.randint(1, 60))
        else:
            value[index] = _mutate_value(rng, value[index], depth + 1)
        return value
    return _hostile_value(rng, depth)


def _hostile_value(rng: random.Random, depth: int) -> Any:
    choice = rng.randrange(6)
    if choice <= 1:
        return rng.choice(_HOSTILE_STRINGS)
    if choice == 2:
        return rng.choice(_HOSTILE_NUMBERS)
    if choice == 3 and depth < 30:
        return [_hostile_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if choice == 4 and depth < 30:
        return {rng.choice(["name", "do", "rest", "x"]): _hostile_value(rng, depth + 1)}
    return rng.choice(_HOSTILE_STRINGS) * rng.randint(1, 3)


def dumps(data: dict[str, Any]) -> str:
    """`data` as TOML: plain keys first, then tables and arrays of tables."""
    return _table(data, ())


def _table(data: dict[str, Any], prefix: tuple[str, ...]) -> str:
    lines: list[str] = []
    nested: list[str] = []
    for key, value in data.items():
        path = (*prefix, key)
        if isinstance(value, dict):
            nested.append(f"\n[{_dotted(path)}]\n{_table(value, path)}")
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            nested += [f"\n[[{_dotted(path)}]]\n{_table(v, path)}" for v in value]
        else:
            lines.append(f"{_key(key)} = {_value(value)}\n")
    return "".join(lines) + "".join(nested)


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(_key(k) for k in path)


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)  # fmt: skip
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value))


# --- Loaders -------------------------------------------------------------------


def _session(path: Path) -> None:
    loaded = load(path)
    for session in loaded.sessions if isinstance(loaded, Program) else (loaded,):
        compile_session(session, load_wording(None, session.wording), sound_ms=packaged_sound_ms())


def _wording(path: Path) -> None:
    wording = load_wording("en", path)
    session = load(path.parent / "spec-example.toml")
    assert not isinstance(session, Program)
    compile_session(session, wording, sound_ms=packaged_sound_ms())


LOADERS: dict[str, Callable[[Path], object]] = {
    "session": _session,  # a session or program, compiled as `check` does
    "wording": _wording,  # a wording file, used to compile a session
    "library": load_library,
    "config": read_speech_config,
}


def crash_of(kind: str, path: Path) -> BaseException | None:
    """The exception, other than the project's own errors, that loading `path` raises."""
    try:
        LOADERS[kind](path)
    except CuecoachError:
        return None
    except Exception as exc:  # anything else is what we are looking for
        return exc
    return None
