"""The built-in exercise library, kept checked in the user's cache folder.

Reading the packaged TOML and checking every entry cost each command about six
milliseconds, a sixth of `check`'s start-up. The first run reads and checks it
in full (`library.builtin_library`) and stores the entries with marshal; later
runs load them without checking again while the packaged file and the code
that reads it are unchanged (the size and modification time of each). A
missing, stale or unreadable snapshot is rebuilt, never an error, and a user's
own library file still goes through the full checker on top.
"""

from __future__ import annotations

import functools
import marshal
import os
from dataclasses import astuple, fields
from pathlib import Path

from . import checker, library
from .errors import AudioError
from .library import BUILTIN_FILE, ExerciseInfo, Library, builtin_library, load_library
from .outputs import replace_file
from .userdirs import user_folder

# The packaged data and the code that turns it into entries: a change to any
# of them makes the snapshot stale.
SOURCES = (BUILTIN_FILE, Path(library.__file__), Path(checker.__file__))
FORMAT_VERSION = 1  # bump when the snapshot's layout changes


def snapshot_path() -> Path:
    """Where the snapshot lives: ``library.marshal`` in the user cache folder."""
    return user_folder("cache") / "library.marshal"


Key = tuple[int | tuple[str, ...] | tuple[int, int], ...]


def _key() -> Key:
    """What the snapshot must have been made from to be used."""
    stats = [os.stat(path) for path in SOURCES]
    names = tuple(f.name for f in fields(ExerciseInfo))
    return (FORMAT_VERSION, names, *((s.st_size, s.st_mtime_ns) for s in stats))


def builtin_from_snapshot(path: Path) -> Library:
    """The built-in library from the snapshot at `path`, made first if missing or stale."""
    key = _key()
    try:
        stored_key, records = marshal.loads(path.read_bytes())
        if stored_key == key:
            return Library(tuple(ExerciseInfo(*record) for record in records))
    except (OSError, EOFError, ValueError, TypeError):
        pass  # no snapshot yet, or not one this code can read: made again below
    found = builtin_library()
    data = marshal.dumps((key, tuple(astuple(entry) for entry in found.entries)))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_file(path, data)
    except (OSError, AudioError):  # AudioError: the writer's "cannot write" for any file
        pass  # a cache folder that cannot be written costs speed, not correctness
    return found


@functools.cache
def cached_builtin() -> Library:
    """The built-in library through the user's snapshot (read once per process)."""
    return builtin_from_snapshot(snapshot_path())


def cached_library(user_file: Path | None = None) -> Library:
    """`library.load_library`, with the built-in part from the snapshot."""
    return load_library(user_file, builtin=cached_builtin())
