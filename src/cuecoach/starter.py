"""Files `cuecoach init` and `cuecoach import` write: starters, samples, and the
one careful way to write new files (never over an existing one)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from .errors import CuecoachError
from .outputs import make_folder, staged_outputs, write_text
from .packaged import DATA_DIR

STARTER_SESSION = """\
# A cuecoach session. Check it with `cuecoach check {file}`, hear it with
# `cuecoach play {file}`, or make an MP3 with `cuecoach export {file}`.
title = {title}

# Timing for every exercise; each [[exercise]] may override any of these.
[defaults]
rest = "60s"          # between sets
transition = "30s"    # between exercises
rep_time = "3s"       # how long one rep takes
switch_time = "5s"    # between the sides of a per-side set

# "do" is SETS x AMOUNT: "3x12" reps, "3x10/side", "3x30s" holds, "3x40m" carries.
[[exercise]]
name = "Push-Ups"
do = "3x10"
# Grow week by week when this session is part of a program with `weeks = N`.
progress = "+1 rep per week up to 15, then +1 set"

[[exercise]]
name = "Goblet Squat"
do = "3x10"
rep_time = "4s"       # slow on the way down

[[exercise]]
name = "Side Plank"
do = "2x30s/side"
progress = "+5s per week up to 60s"
"""

STARTER_PROGRAM = """\
# A cuecoach program: sessions done in turn, growing week by week.
# `cuecoach plan {file}` prints every week; `cuecoach export {file}` writes them all.
title = {title}
sessions = [{sessions}]
weeks = 6            # how long the progression rules run
deload_every = 4     # every 4th week is lighter: half the sets
"""

SAMPLES = DATA_DIR / "samples"


def sample_names() -> tuple[str, ...]:
    """Names of the shipped sample sessions and programs ("day1-upper-core" ...)."""
    return tuple(sorted(e.name.removesuffix(".toml") for e in SAMPLES.glob("*.toml")))


def sample_files(name: str) -> dict[str, str]:
    """The sample `name` ("day1" finds "day1-upper-core"), with the sessions a
    program lists, as {file name: text}."""
    import tomllib

    names = sample_names()
    key = name.strip().lower().removesuffix(".toml")  # "Day1", "week.toml" as typed
    matches = [n for n in names if n == key] or [n for n in names if n.startswith(key)]
    if len(matches) != 1 or not key:
        which = "matches more than one" if len(matches) > 1 and key else "is no"
        raise CuecoachError(f'"{name}" {which} sample; samples: {", ".join(names)}')
    files = {f"{matches[0]}.toml": (SAMPLES / f"{matches[0]}.toml").read_text("utf-8")}
    listed = tomllib.loads(files[f"{matches[0]}.toml"]).get("sessions", [])
    for session in listed if isinstance(listed, list) else []:
        files[session] = (SAMPLES / session).read_text("utf-8")
    return files


def _title(name: str) -> str:
    return name.replace("-", " ").replace("_", " ").strip().title() or "My Session"


def _quoted(text: str) -> str:
    # A JSON string is a valid TOML basic string: a quote in a name stays text.
    return json.dumps(text, ensure_ascii=False)


def _stem(name: str) -> str:
    """The file name stem for NAME: here, in the current folder ("legs.toml" is "legs")."""
    stem = name.strip().removesuffix(".toml")
    if not stem or stem.startswith(".") or any(c in stem for c in "/\\\0"):
        raise CuecoachError(
            f'expected a NAME for a file in this folder, like "leg-day", got "{name}"'
        )
    return stem


def starter_session(name: str) -> dict[str, str]:
    """A commented starter session, `name`.toml."""
    stem = _stem(name)
    file = f"{stem}.toml"
    return {file: STARTER_SESSION.format(file=file, title=_quoted(_title(stem)))}


def starter_program(name: str) -> dict[str, str]:
    """A starter program `name`.toml and its two sessions."""
    stem = _stem(name)
    title = _title(stem)
    days = [f"{stem}-day1.toml", f"{stem}-day2.toml"]
    files = {
        day: STARTER_SESSION.format(file=day, title=_quoted(f"{title} – Day {i}"))
        for i, day in enumerate(days, 1)
    }
    listed = ", ".join(_quoted(d) for d in days)
    files[f"{stem}.toml"] = STARTER_PROGRAM.format(
        file=f"{stem}.toml", title=_quoted(title), sessions=listed
    )
    return files


def write_new_files(folder: Path, files: Mapping[str, str]) -> list[Path]:
    """Write `files` ({name: text}) into `folder`; refuse, writing nothing, when any exists.

    The files are written under temporary names and renamed together: all appear, or none.
    """
    targets = [folder / name for name in files]
    existing = [str(t) for t in targets if t.exists()]
    if existing:
        them = "them" if len(existing) > 1 else "it"
        raise CuecoachError(
            f"not overwriting {', '.join(existing)}; move {them} or pick another name"
        )
    try:
        with staged_outputs():  # every file, or none
            make_folder(folder)
            for target, text in zip(targets, files.values(), strict=True):
                write_text(target, text)
    except OSError as err:
        raise CuecoachError(f"cannot write in {folder}: {err.strerror or err}") from err
    return targets
