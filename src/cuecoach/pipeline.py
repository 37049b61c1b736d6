"""The steps every command shares: load a session, pick its wording, compile it.

Kept apart from the CLI so that export, play and tests run the same path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .compile import DurationFn, compile_session, estimate_speech_seconds
from .cuescript import CueScript
from .library import Library, load_library
from .model import Session
from .parse import load_session
from .wording import Wording, load_wording


@dataclass(frozen=True)
class Prepared:
    """A loaded session with the wording it speaks and its compiled script."""

    session: Session
    wording: Wording
    script: CueScript


def session_wording(session: Session, override: Path | None, language: str | None) -> Wording:
    """The wording a session speaks: `override` (a --wording file) beats the session's own."""
    return load_wording(language or session.speech.language, override or session.wording)


def prepare(
    path: Path,
    *,
    wording: Path | None = None,
    library: Path | None = None,
    language: str | None = None,
    durations: DurationFn = estimate_speech_seconds,
) -> Prepared:
    """Load `path`, choose its wording and compile it."""
    lib: Library | None = load_library(library) if library is not None else None
    session = load_session(path, lib)
    words = session_wording(session, wording, language)
    return Prepared(session, words, compile_session(session, words, durations))
