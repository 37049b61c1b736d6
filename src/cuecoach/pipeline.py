"""The steps every command shares: load a session, settle its speech and wording,
synthesize its phrases when it will be heard, and compile it.

Kept apart from the CLI so that script, export, play and the tests run one path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .compile import SOUND_SECONDS, candidate_phrases, compile_session
from .cuescript import CueScript
from .errors import AudioError, InputError, Problem
from .library import load_library
from .model import Program, Session, SpeechSettings
from .parse import load, load_session
from .wording import Wording, load_wording

if TYPE_CHECKING:
    from .audio import Clip
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

    def speech_clips(self) -> dict[str, Clip]:
        """The clip of every speech cue in the script (all synthesized already)."""
        assert self.speaker is not None, "prepared without speech"
        return self.speaker.clips(c.text for c in self.script.cues if c.text)


def speech_language(session: Session, cli: SpeechSettings) -> str | None:
    """The language a session speaks, from the same layers as its voice
    (defaults < user config < session < CLI), without loading an engine."""
    from .speech.settings import config_path, merge_speech, read_speech_config

    return merge_speech(read_speech_config(config_path()), session.speech, cli).language


def session_wording(session: Session, override: Path | None, language: str | None) -> Wording:
    """The wording a session speaks: `override` (a --wording file) beats the session's own."""
    return load_wording(language, override or session.wording)


def prepare(
    path: Path,
    *,
    library: Path | None = None,
    **options: Any,
) -> Prepared:
    """Load the session file `path` and prepare it (see `prepare_session`)."""
    session = load_session(path, load_library(library) if library is not None else None)
    return prepare_session(session, **options)


def prepare_session(
    session: Session,
    *,
    wording: Path | None = None,
    speech: SpeechSettings | None = None,
    speak: bool = False,
    sounds: Mapping[str, Path] | None = None,
    sample_rate: int | None = None,
    progress: Progress | None = None,
) -> Prepared:
    """Choose the session's wording and compile it.

    With `speak`, resolve the speech settings (config < session < `speech`),
    synthesize every phrase at `sample_rate` (reporting `progress(done,
    total)`), and compile with the measured clip and sound lengths, so the
    script is exactly what will be heard.
    """
    cli = speech or SpeechSettings()
    if not speak:
        words = session_wording(session, wording, speech_language(session, cli))
        return Prepared(session, words, compile_session(session, words))

    from .sounds import sound_durations
    from .speech import DEFAULT_SAMPLE_RATE, Speaker, resolve_speech

    settings = resolve_speech(session.speech, cli)
    words = session_wording(session, wording, settings.language)
    speaker = Speaker(
        settings, sample_rate=sample_rate or DEFAULT_SAMPLE_RATE, pronounce=words.pronounce
    )
    speaker.clips(candidate_phrases(session, words), progress)
    measured = {**SOUND_SECONDS, **sound_durations(sounds)}
    script = compile_session(session, words, speaker.duration, measured)
    return Prepared(session, words, script, speaker)


@dataclass(frozen=True)
class ExportRequest:
    """What `cuecoach export` was asked for."""

    output: Path | None = None  # file for a session, folder for a program
    bitrate: int | None = None
    sample_rate: int = 44100
    cues: Path | None = None  # also write the rendered script as JSON here
    lrc: bool = False  # also write .lrc lyrics next to each audio file
    music: Path | None = None
    wording: Path | None = None
    library: Path | None = None
    speech: SpeechSettings = field(default_factory=SpeechSettings)
    sounds: Mapping[str, Path] = field(default_factory=dict)


def _write_text(path: Path, text: str) -> None:
    """Write `text` next to `path` first and rename, so a failure leaves no half file."""
    temp = path.with_name(f".{path.name}.part")
    try:
        temp.write_text(text, encoding="utf-8")
        temp.replace(path)
    except OSError as err:
        temp.unlink(missing_ok=True)
        raise AudioError(f"cannot write {path}: {err.strerror or err}") from err


def export_file(
    path: Path,
    request: ExportRequest,
    *,
    warn: Callable[[tuple[Problem, ...]], None] = lambda _: None,
    speech_progress: Progress | None = None,
    render_progress: Callable[[float, float], None] | None = None,
) -> list[Path]:
    """Export the session or program at `path` as `request` says; return the files written.

    A session becomes one MP3 (or WAV), by default named after the session file
    in the current folder; a program becomes a folder of numbered MP3s and a
    playlist. Every file is written whole or not at all.
    """
    from .cuescript import to_json, to_lrc
    from .export import ExportOptions, ProgramTrack, Tags, export_program, render, sigterm_raises
    from .sounds import load_sounds

    if request.music is not None and not request.music.is_file():
        raise InputError(
            [Problem("(command line)", None, "--music", f"no such file {request.music}")]
        )
    rate: dict[str, int] = {}
    if request.bitrate is not None:
        rate["music_bitrate" if request.music else "bitrate"] = request.bitrate
    options = ExportOptions(sample_rate=request.sample_rate, music=request.music, **rate)
    sounds = load_sounds(options.sample_rate, request.sounds)
    loaded = load(path, load_library(request.library) if request.library is not None else None)

    def heard(session: Session) -> tuple[CueScript, dict[str, Clip]]:
        warn(session.warnings)
        prepared = prepare_session(
            session, wording=request.wording, speech=request.speech, speak=True,
            sounds=request.sounds, sample_rate=options.sample_rate, progress=speech_progress,
        )  # fmt: skip
        return prepared.script, prepared.speech_clips()

    with sigterm_raises():
        if isinstance(loaded, Program):
            if request.cues is not None:
                raise InputError([Problem("(command line)", None, "--cues",
                                          "takes a session file, not a program")])  # fmt: skip
            tracks = []
            for session in loaded.sessions:
                script, clips = heard(session)
                tracks.append(ProgramTrack(script, clips, Tags(session.title, loaded.title)))
            folder = request.output or Path(path.stem)
            written = export_program(tracks, sounds, folder, loaded.title, options, render_progress)
            if request.lrc:
                for track, audio in zip(tracks, written, strict=False):
                    _write_text(audio.with_suffix(".lrc"), to_lrc(track.script))
            return written
        out = request.output or Path(path.stem + ".mp3")
        script, clips = heard(loaded)
        tags = Tags(loaded.title, loaded.title, track=1, track_total=1)
        render(script, clips, sounds, out, options, tags, render_progress)
        written = [out]
        if request.cues is not None:
            _write_text(request.cues, to_json(script))
            written.append(request.cues)
        if request.lrc:
            _write_text(out.with_suffix(".lrc"), to_lrc(script))
            written.append(out.with_suffix(".lrc"))
        return written
