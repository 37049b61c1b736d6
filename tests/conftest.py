"""Shared test setup: no test touches the real user's config or cache."""

from __future__ import annotations

import signal
from dataclasses import dataclass
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent
SESSIONS = ROOT / "sessions"


def ctrl_c_as_a_terminal_gives_it() -> None:
    """For a child process (``preexec_fn``) that a test sends SIGINT.

    A shell without job control starts background jobs with Ctrl-C ignored,
    and the ignore is inherited: a test run that way would see the command
    finish as if never interrupted.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@dataclass(frozen=True)
class UserDirs:
    """The private stand-ins for the user's folders that every test runs with."""

    home: Path
    config: Path  # XDG_CONFIG_HOME
    cache: Path  # XDG_CACHE_HOME


@pytest.fixture(autouse=True)
def user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> UserDirs:
    """Point HOME and the XDG folders at a fresh folder of their own.

    Kept apart from `tmp_path` so that a test listing its own folder sees only
    what it wrote there, not the phrase cache.
    """
    home = tmp_path_factory.mktemp("home")
    dirs = UserDirs(home, home / "config", home / "cache")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(dirs.config))
    monkeypatch.setenv("XDG_CACHE_HOME", str(dirs.cache))
    monkeypatch.setenv("HOME", str(dirs.home))
    return dirs
