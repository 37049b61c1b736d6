"""`cuecoach export` from start to end: load the file, hear each session, render.

The public function `export_file` is what the CLI (and anything else that
exports, such as a publisher) calls; the rest of the package renders one
script it is handed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import AudioError, InputError, Problem
from ..library import load_library
from ..model import Program, Session, SpeechSettings
from ..parse import load
from ..pipeline import Heard, Progress, hear_session

if TYPE_CHECKING:
    from . import Tags

# ISO 639-2 codes of the wording languages, for the lyrics' ID3 language field.
ID3_LANGUAGES = {"en": "eng", "es": "spa"}


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


def _tags(heard: Heard, album: str, track: int | None = None, total: int | None = None) -> Tags:
    """The ID3 tags of one session's file, its lyrics tagged in the session's language."""
    from . import Tags

    language = ID3_LANGUAGES[heard.language]
    return Tags(heard.session.title, album, track=track, track_total=total, language=language)


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
    from ..cuescript import to_json, to_lrc
    from ..sounds import load_sounds
    from . import ExportOptions, ProgramTrack, export_program, render, sigterm_raises

    if request.music is not None and not request.music.is_file():
        raise InputError(
            [Problem("(command line)", None, "--music", f"no such file {request.music}")]
        )
    rate: dict[str, int] = {}
    if request.bitrate is not None:
        rate["music_bitrate" if request.music else "bitrate"] = request.bitrate
    options = ExportOptions(sample_rate=request.sample_rate, music=request.music, **rate)
    sounds = load_sounds(options.sample_rate, request.sounds)
    loaded = load(path, load_library(request.library))

    def heard(session: Session) -> Heard:
        warn(session.warnings)
        return hear_session(
            session, wording=request.wording, speech=request.speech, sounds=request.sounds,
            sample_rate=options.sample_rate, progress=speech_progress,
        )  # fmt: skip

    with sigterm_raises():
        if isinstance(loaded, Program):
            if request.cues is not None:
                raise InputError([Problem("(command line)", None, "--cues",
                                          "takes a session file, not a program")])  # fmt: skip
            tracks = []
            for session in loaded.sessions:
                one = heard(session)
                tracks.append(
                    ProgramTrack(one.script, one.speech_clips(), _tags(one, loaded.title))
                )
            folder = request.output or Path(path.stem)
            written = export_program(tracks, sounds, folder, loaded.title, options, render_progress)
            if request.lrc:
                for track, audio in zip(tracks, written, strict=False):
                    _write_text(audio.with_suffix(".lrc"), to_lrc(track.script))
            return written
        out = request.output or Path(path.stem + ".mp3")
        one = heard(loaded)
        script = one.script
        tags = _tags(one, loaded.title, track=1, total=1)
        render(script, one.speech_clips(), sounds, out, options, tags, render_progress)
        written = [out]
        if request.cues is not None:
            _write_text(request.cues, to_json(script))
            written.append(request.cues)
        if request.lrc:
            _write_text(out.with_suffix(".lrc"), to_lrc(script))
            written.append(out.with_suffix(".lrc"))
        return written
