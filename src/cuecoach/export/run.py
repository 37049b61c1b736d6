"""`cuecoach export` from start to end: load the file, hear each session, render.

The public function `export_file` is what the CLI calls. This module is also
the export's one door for other parts: a publisher that renders sessions one
by one takes `render`, `Tags`, `ExportOptions` and `chapters` from here, never
from the renderer's own modules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError, Problem
from ..library import load_library
from ..model import Program, Session, SpeechSettings
from ..parse import load
from ..pipeline import Heard, Progress, hear_session
from ..progression import program_weeks, session_at_week, week_title
from . import Chapter, ExportOptions, Tags, chapters, render

__all__ = [
    "Chapter",
    "ExportOptions",
    "ExportRequest",
    "Tags",
    "chapters",
    "export_file",
    "render",
]

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
    week: int | None = None  # one week of a progressing program; None: every week


def _tags(heard: Heard, album: str, track: int | None = None, total: int | None = None) -> Tags:
    """The ID3 tags of one session's file, its lyrics tagged in the session's language."""
    language = ID3_LANGUAGES[heard.language]
    title = week_title(heard.session)
    return Tags(title, album, track=track, track_total=total, language=language)


def _check_export_outputs(path: Path, loaded: Session | Program, request: ExportRequest) -> None:
    """Refuse, before any work, outputs that clash with the inputs, each other or their format."""
    from ..outputs import check_audio_name, check_outputs
    from ..speech.settings import config_path

    sessions = loaded.sessions if isinstance(loaded, Program) else (loaded,)
    inputs = [path, config_path(), *request.sounds.values()]
    inputs += [p for p in (request.music, request.wording, request.library) if p is not None]
    inputs += [p for s in sessions for p in (s.path, s.wording) if p is not None]
    if isinstance(loaded, Program):
        if request.cues is not None:
            raise InputError([Problem("(command line)", None, "--cues",
                                      "takes a session file, not a program")])  # fmt: skip
        check_outputs([], inputs, ("--output", request.output or Path(path.stem)))
        return
    out = _session_output(path, request)
    check_audio_name("--output", out)
    if request.bitrate is not None and out.suffix.lower() == ".wav":
        raise InputError([Problem("(command line)", None, "--bitrate",
                                  "a WAV file is not compressed; leave out --bitrate "
                                  "or write an .mp3")])  # fmt: skip
    files = [("--output", out)]
    files += [("--cues", request.cues)] if request.cues is not None else []
    files += [("--lrc", out.with_suffix(".lrc"))] if request.lrc else []
    check_outputs(files, inputs)


def _session_output(path: Path, request: ExportRequest) -> Path:
    """Where a session's audio goes: -o, named after the session file inside -o
    when that is a folder (as `cp` does), or in the current folder."""
    named = Path(path.stem + ".mp3")
    if request.output is None:
        return named
    return request.output / named if request.output.is_dir() else request.output


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
    playlist (with `weeks`, every week's sessions, "W2-01 ...", or only
    `request.week`'s). Every file is written whole or not at all.
    """
    from ..cuescript import to_json, to_lrc
    from ..outputs import exit_on_signals, staged_outputs, write_text
    from ..sounds import load_sounds
    from . import ProgramTrack, export_program

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
    _check_export_outputs(path, loaded, request)

    def heard(session: Session) -> Heard:
        warn(session.warnings)
        return hear_session(
            session, wording=request.wording, speech=request.speech, sounds=request.sounds,
            sample_rate=options.sample_rate, progress=speech_progress,
        )  # fmt: skip

    with exit_on_signals(), staged_outputs():
        if isinstance(loaded, Program):
            tracks = []
            for label, session in program_weeks(loaded, request.week):
                one = heard(session)
                tags = _tags(one, loaded.title)
                tracks.append(ProgramTrack(one.script, one.speech_clips(), tags, label))
            folder = request.output or Path(path.stem)
            written = export_program(tracks, sounds, folder, loaded.title, options, render_progress)
            if request.lrc:
                for track, audio in zip(tracks, written, strict=False):
                    write_text(audio.with_suffix(".lrc"), to_lrc(track.script))
            return written
        out = _session_output(path, request)
        one = heard(loaded if request.week is None else session_at_week(loaded, request.week))
        script = one.script
        tags = _tags(one, loaded.title, track=1, total=1)
        render(script, one.speech_clips(), sounds, out, options, tags, render_progress)
        written = [out]
        if request.cues is not None:
            write_text(request.cues, to_json(script))
            written.append(request.cues)
        if request.lrc:
            write_text(out.with_suffix(".lrc"), to_lrc(script))
            written.append(out.with_suffix(".lrc"))
        return written
