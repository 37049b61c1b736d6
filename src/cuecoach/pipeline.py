"""The steps every command shares: load a session, settle its speech and wording,
synthesize its phrases when it will be heard, and compile it.

Kept apart from the CLI so that script, export, play and the tests run one path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .compile import SOUND_SECONDS, candidate_phrases, compile_session
from .cuescript import CueScript
from .library import load_library
from .model import Session, SpeechSettings
from .parse import load_session
from .wording import Wording, load_wording

if TYPE_CHECKING:
    from .speech import Speaker

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Prepared:
    """A loaded session with the wording it speaks, its script, and (when it will
    be heard) the speaker whose clips the script's timing was measured from."""

    session: Session
    wording: Wording
    script: CueScript
    speaker: Speaker | None = None


def speech_language(session: Session, cli: SpeechSettings) -> str | None:
    """The language a session speaks: CLI flag > session > user config."""
    from .speech.settings import config_path, read_speech_config

    if cli.language or session.speech.language:
        return cli.language or session.speech.language
    return read_speech_config(config_path()).language


def session_wording(session: Session, override: Path | None, language: str | None) -> Wording:
    """The wording a session speaks: `override` (a --wording file) beats the session's own."""
    return load_wording(language, override or session.wording)


def prepare(
    path: Path,
    *,
    wording: Path | None = None,
    library: Path | None = None,
    speech: SpeechSettings | None = None,
    speak: bool = False,
    sounds: Mapping[str, Path] | None = None,
    progress: Progress | None = None,
) -> Prepared:
    """Load `path`, choose its wording and compile it.

    With `speak`, resolve the speech settings (config < session < `speech`),
    synthesize every phrase (reporting `progress(done, total)`), and compile
    with the measured clip and sound lengths, so the script is exactly what
    will be heard.
    """
    cli = speech or SpeechSettings()
    session = load_session(path, load_library(library) if library is not None else None)
    if not speak:
        words = session_wording(session, wording, speech_language(session, cli))
        return Prepared(session, words, compile_session(session, words))

    from .sounds import sound_durations
    from .speech import Speaker, resolve_speech

    speaker = Speaker(resolve_speech(session.speech, cli))
    words = session_wording(session, wording, speaker.settings.language)
    speaker.clips(candidate_phrases(session, words), progress)
    measured = {**SOUND_SECONDS, **sound_durations(sounds)}
    script = compile_session(session, words, speaker.duration, measured)
    return Prepared(session, words, script, speaker)
