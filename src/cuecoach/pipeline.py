"""The steps every command shares: settle a session's speech and wording,
synthesize its phrases when it will be heard, and compile it.

Two entry points, one per result: `script_session` times the script from
estimated phrase lengths (check, script); `hear_session` synthesizes every
phrase first and times it from the measured clips (script --measured, play,
export). Kept apart from the CLI so that the commands and the tests run one path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .compile import candidate_phrases, compile_session
from .cuescript import CueScript
from .model import Session, SpeechSettings
from .soundlengths import packaged_sound_ms
from .wording import Wording, load_wording

if TYPE_CHECKING:
    from .audio import Clip
    from .speech import Speaker

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Scripted:
    """A session with the wording it speaks and its script."""

    session: Session
    wording: Wording
    script: CueScript

    @property
    def language(self) -> str:
        """The one language of the session's wording, voice and lyrics tags ("en")."""
        return self.wording.language


@dataclass(frozen=True)
class Heard(Scripted):
    """A script timed from real speech, with the speaker that holds every clip."""

    speaker: Speaker

    def speech_clips(self) -> dict[str, Clip]:
        """The clip of every speech cue in the script (all synthesized already)."""
        return self.speaker.clips(c.text for c in self.script.cues if c.text)


def speech_language(session: Session, cli: SpeechSettings) -> str | None:
    """The language a session speaks, from the same layers as its voice
    (defaults < user config < session < CLI), without loading an engine."""
    from .speech.settings import config_path, merge_speech, read_speech_config

    return merge_speech(read_speech_config(config_path()), session.speech, cli).language


def session_wording(session: Session, override: Path | None, language: str | None) -> Wording:
    """The wording a session speaks: `override` (a --wording file) beats the session's own."""
    return load_wording(language, override or session.wording)


def script_session(
    session: Session,
    *,
    wording: Path | None = None,
    speech: SpeechSettings | None = None,
) -> Scripted:
    """Choose the session's wording (in the language its speech layers give) and
    compile it with estimated phrase lengths; no engine is loaded."""
    words = session_wording(session, wording, speech_language(session, speech or SpeechSettings()))
    return Scripted(session, words, compile_session(session, words, sound_ms=packaged_sound_ms()))


def hear_session(
    session: Session,
    *,
    wording: Path | None = None,
    speech: SpeechSettings | None = None,
    sounds: Mapping[str, Path] | None = None,
    sample_rate: int | None = None,
    progress: Progress | None = None,
) -> Heard:
    """Resolve the speech settings (config < session < `speech`), synthesize every
    phrase at `sample_rate` (reporting `progress(done, total)`), and compile with
    the measured clip and sound lengths, so the script is exactly what is heard."""
    from .sounds import sound_durations
    from .speech import DEFAULT_SAMPLE_RATE, Speaker, resolve_speech

    settings = resolve_speech(session.speech, speech or SpeechSettings())
    words = session_wording(session, wording, settings.language)
    speaker = Speaker(
        settings, sample_rate=sample_rate or DEFAULT_SAMPLE_RATE, pronounce=words.pronounce
    )
    speaker.clips(candidate_phrases(session, words), progress)
    # Every phrase is in the speaker's memory now: the engine's model would only
    # weigh on the export or the live session that follows.
    speaker.engine.close()
    measured = {name: round(sec * 1000) for name, sec in sound_durations(sounds).items()}
    script = compile_session(session, words, speaker.duration, sound_ms=measured)
    return Heard(session, words, script, speaker)
