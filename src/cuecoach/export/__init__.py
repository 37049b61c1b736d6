"""Stream a cue script to an MP3 (or WAV) for a phone.

The mix is never built whole: rendering walks the timeline in one-second
blocks, each made of silence plus the parts of the clips that overlap it, so
memory stays flat however long the session is. Before that one pass, the gain
that brings the limited mix to the target loudness (ITU-R BS.1770 K-weighting
and gating) is found from the distinct clips alone, laid onto the timeline's
100 ms blocks by bookkeeping; a music bed costs one extra decoding pass.

This module holds the public API and the orchestration: `render` runs the
passes for one file, `export_program` writes numbered tracks and a playlist.
The parts sit in modules named after what they hold: `options` (the
settings), `mix` (the plan of what is heard when, the voice, the music bed),
`loudness` (measurement and gain search), `limiter` (true-peak limiting),
`encoding` (the final pass), `wav` and `mp3` (the sinks; the MP3 is
gapless), `tags` (ID3 tags, chapters, lyrics) and `files` (file names);
files are written through `cuecoach.outputs`, all of a run or none.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from ..audio import Clip
from ..cuescript import CueScript
from ..errors import AudioError
from ..outputs import make_folder, output_file
from .encoding import Sink, encode
from .files import file_name, one_line
from .limiter import TruePeakMeter, limiter_ceiling
from .loudness import measure_gains
from .mix import Plan, make_plan
from .mp3 import Mp3Sink, decoded_blocks
from .options import ExportOptions
from .tags import Chapter, Tags, chapters, id3_bytes
from .wav import WavSink

__all__ = [
    "Chapter",
    "ExportOptions",
    "ProgramTrack",
    "Tags",
    "chapters",
    "export_program",
    "render",
]


Progress = Callable[[float, float], None]
"""Called as ``progress(done, total)``; only the ratio means anything."""

# Encodings at most, each with the limiter lower if the last overshot (and the
# gain raised to keep the loudness). espeak's loud consonants can be overshot by
# 3.5 dB at 64 kbps, whatever the limiter does just there; the sample sessions
# take two or three encodings with espeak.
_PEAK_ATTEMPTS = 6
# Meters differ in their interpolation by a few hundredths of a dB, and a new
# encoding overshoots a little differently: aim this far under the limit.
_PEAK_MARGIN = 10.0 ** (-0.15 / 20.0)

_MUSIC_ANALYSIS_SHARE = 0.3  # of the progress bar: decoding the music once to measure it


@dataclass(frozen=True)
class ProgramTrack:
    """One session of a program, ready to render."""

    script: CueScript
    clips: Mapping[str, Clip]
    tags: Tags
    label: str | None = None  # the file's number, like "W2-01"; default its position


def render(
    script: CueScript,
    clips: Mapping[str, Clip],
    sounds: Mapping[str, Clip],
    out: Path,
    options: ExportOptions | None = None,
    tags: Tags | None = None,
    progress: Progress | None = None,
) -> None:
    """Write `script` as an MP3 at `out` (a WAV when `out` ends in ``.wav``).

    `clips` maps each speech cue's text to its clip and `sounds` each sound
    name to its clip, at any sample rate. The file is written to a temporary
    name in the same folder and moved into place at the end: on any error or
    interruption it is removed and an existing `out` is left untouched.
    `tags` defaults to the script's title as title and album; WAV files get
    no tags. Raises AudioError when a clip is missing or audio cannot be
    decoded or written.
    """
    options = options or ExportOptions()
    tags = tags or Tags(title=script.title, album=script.title)
    out = Path(out)
    plan = make_plan(script, clips, sounds, options)
    report = progress or _no_progress
    total = script.duration_ms / 1000
    # Only a music bed makes the analysis take long enough to show on a progress bar.
    share = _MUSIC_ANALYSIS_SHARE if plan.music is not None else 0.0
    report(0.0, total)
    gains_at = measure_gains(plan, options, lambda done: report(done * share, total))
    wav = out.suffix.lower() == ".wav"
    target = 10.0 ** (options.true_peak / 20.0) * _PEAK_MARGIN
    ceiling = limiter_ceiling(options, plan)
    voice_gain, music_gain = gains_at(ceiling)

    def encode_progress(done: float) -> None:
        report(total * share + done * (1 - share), total)

    try:
        with output_file(out) as file:
            for attempt in range(_PEAK_ATTEMPTS):
                sink: Sink = (
                    WavSink(file, plan)
                    if wav
                    else Mp3Sink(file, plan, options, id3_bytes(script, tags))
                )
                encode(
                    plan,
                    voice_gain,
                    music_gain,
                    options,
                    ceiling,
                    sink,
                    # A second encoding does not move the bar backwards.
                    encode_progress if attempt == 0 else (lambda done: None),
                )
                if wav:
                    break
                # The codec overshoots the limiter by an amount no margin bounds
                # for every input: check the decoded file, and if it peaks over
                # the limit, encode again with the limiter that much lower.
                peak = _decoded_true_peak(file, plan, ceiling)
                if peak <= target or attempt == _PEAK_ATTEMPTS - 1:
                    break
                ceiling *= target / peak * _PEAK_MARGIN
                # The mix limited lower is quieter: bring it back to the loudness.
                voice_gain, music_gain = gains_at(ceiling)
                file.seek(0)
                file.truncate()
    except OSError as err:
        raise AudioError(f"cannot write {out}: {err.strerror or err}") from err
    report(total, total)


def export_program(
    tracks: Sequence[ProgramTrack],
    sounds: Mapping[str, Clip],
    folder: Path,
    playlist_title: str,
    options: ExportOptions | None = None,
    progress: Progress | None = None,
) -> list[Path]:
    """Write each track as a numbered MP3 in `folder`, plus an ``.m3u8`` playlist.

    Files are named ``01 Title.mp3`` ...; a track whose tags have no track
    number gets its position. The playlist (UTF-8, extended M3U, paths
    relative to the folder) is named after `playlist_title`. Returns the
    files written: the tracks in order, then the playlist.
    `progress(done, total)` covers the whole program.
    """
    folder = Path(folder)
    try:
        make_folder(folder)
    except OSError as err:
        raise AudioError(f"cannot create {folder}: {err.strerror or err}") from err
    width = max(2, len(str(len(tracks))))
    total = sum(track.script.duration_ms for track in tracks) / 1000
    report = progress or _no_progress
    done_before = 0.0
    lines = ["#EXTM3U", f"#PLAYLIST:{one_line(playlist_title)}"]
    written: list[Path] = []
    for number, track in enumerate(tracks, start=1):
        tags = track.tags
        if tags.track is None:
            tags = replace(tags, track=number, track_total=len(tracks))
        name = f"{track.label or f'{number:0{width}d}'} {file_name(tags.title)}.mp3"
        offset = done_before

        def track_progress(done: float, _total: float, offset: float = offset) -> None:
            report(offset + done, total)

        render(track.script, track.clips, sounds, folder / name, options, tags, track_progress)
        written.append(folder / name)
        done_before += track.script.duration_ms / 1000
        lines += [f"#EXTINF:{round(track.script.duration_ms / 1000)},{one_line(tags.title)}", name]
    playlist = folder / f"{file_name(playlist_title)}.m3u8"
    try:
        with output_file(playlist) as file:
            file.write(("\n".join(lines) + "\n").encode("utf-8"))
    except OSError as err:
        raise AudioError(f"cannot write {playlist}: {err.strerror or err}") from err
    return [*written, playlist]


def _decoded_true_peak(file: IO[bytes], plan: Plan, ceiling: float) -> float:
    """The true peak (linear) of the MP3 `file` once decoded."""
    meter = TruePeakMeter(plan.channels, ceiling / 2.0)
    for block in decoded_blocks(file, plan.channels, plan.rate):
        meter.feed(block)
    file.seek(0, os.SEEK_END)
    return meter.peak


def _no_progress(done: float, total: float) -> None:
    """Progress callback that ignores progress."""
