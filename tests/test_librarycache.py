"""The built-in library's snapshot: made on first use, used while it matches
the packaged file and the code that reads it, made again when it does not."""

from __future__ import annotations

import marshal
from dataclasses import astuple
from pathlib import Path
from typing import Any

import pytest

from conftest import UserDirs
from cuecoach.library import builtin_library
from cuecoach.librarycache import FORMAT_VERSION, builtin_from_snapshot, snapshot_path


def stored(path: Path) -> tuple[Any, tuple[tuple[Any, ...], ...]]:
    key, records = marshal.loads(path.read_bytes())
    return key, records


def test_the_first_use_stores_the_checked_library(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "library.marshal"
    assert builtin_from_snapshot(path) == builtin_library()
    _, records = stored(path)
    assert records == tuple(astuple(e) for e in builtin_library().entries)


def test_a_snapshot_that_matches_is_used_without_reading_the_library(tmp_path: Path) -> None:
    path = tmp_path / "library.marshal"
    builtin_from_snapshot(path)
    key, records = stored(path)
    renamed = (("Renamed Push-Up", *records[0][1:]), *records[1:])
    path.write_bytes(marshal.dumps((key, renamed)))
    assert builtin_from_snapshot(path).entries[0].name == "Renamed Push-Up"


@pytest.mark.parametrize(
    "content",
    [b"",                                                # empty
     b"\x00not marshal",                                 # not marshal data
     marshal.dumps("a string"),                          # another shape
     marshal.dumps(((FORMAT_VERSION - 1,), ((),)))],     # made by other code
)  # fmt: skip
def test_a_stale_or_broken_snapshot_is_made_again(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "library.marshal"
    path.write_bytes(content)
    assert builtin_from_snapshot(path) == builtin_library()
    assert builtin_from_snapshot(path.with_name("fresh.marshal")) == builtin_library()
    assert path.read_bytes() == path.with_name("fresh.marshal").read_bytes()


def test_a_cache_folder_that_cannot_be_written_costs_nothing_but_time(tmp_path: Path) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder", encoding="utf-8")
    assert builtin_from_snapshot(blocker / "library.marshal") == builtin_library()


def test_the_snapshot_lives_in_the_user_cache_folder(user_dirs: UserDirs) -> None:
    assert snapshot_path() == user_dirs.cache / "cuecoach" / "library.marshal"
