"""Stream a cue script to an MP3 (or WAV) for a phone.

The mix is never built whole: rendering walks the timeline in one-second
blocks, each made of silence plus the parts of the clips that overlap it, so
memory stays flat however long the session is. Before that one pass, the gain
that brings the limited mix to the target loudness (ITU-R BS.1770 K-weighting
and gating) is found from the distinct clips alone, laid onto the timeline's
100 ms blocks by bookkeeping; a music bed costs one extra decoding pass.

The MP3 carries a LAME "Info" tag with the encoder delay and padding, so
gapless decoders (miniaudio, ffmpeg, mutagen, phones) report exactly the
script's duration and put every cue on its sample; decoders that ignore the
tag are off by about 50 ms at most. ID3v2.3 tags hold the title, album,
artist, track number, one chapter per exercise and the cues as lyrics, and
nothing that changes between runs, so the same inputs give the same bytes.
"""

from __future__ import annotations

import io
import os
import re
import signal
import struct
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from pathlib import Path
from types import FrameType
from typing import IO, Any, Protocol

import numpy as np
import numpy.typing as npt

from .audio import Clip, Samples, cue_clip, missing_clip, resample
from .cuescript import CueKind, CueScript, to_lrc
from .errors import AudioError

__all__ = [
    "Chapter",
    "ExportOptions",
    "ProgramTrack",
    "Tags",
    "chapters",
    "export_program",
    "render",
    "sigterm_raises",
]

Progress = Callable[[float, float], None]
"""Called as ``progress(done, total)``; only the ratio means anything."""

# MPEG-1 Layer III: the only layer and version the Info frame below is written for.
_SAMPLE_RATE_INDEX = {44100: 0, 48000: 1, 32000: 2}
_BITRATES = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_FRAME_SAMPLES = 1152
_ENCODER_DELAY = 576  # LAME's; decoders that read the Info tag skip it plus their own 529

_BLOCK_SECONDS = 1  # one block per second keeps numpy calls large and memory tiny
_SUB_BLOCK = 0.1  # BS.1770 gating blocks are 400 ms with 75 % overlap: 4 x 100 ms
_MUSIC_ANALYSIS_SHARE = 0.3  # of the progress bar: decoding the music once to measure it
_MAX_GAIN_DB = 40.0  # a nearly silent script is not amplified into noise
# MP3 coding adds overshoot, more at low bitrates: limit this far below the ceiling
# (measured on speech: up to 0.4 dB at 64 kbps, 1.3 dB at 32 kbps per channel).
_CODEC_HEADROOM_DB = 1.0
_LOW_BITRATE_HEADROOM_DB = 2.0  # below 48 kbps per channel
_LIMITER_HALF_WINDOW = 0.0025  # s; gain changes ramp over twice this
_TP_HALF_TAPS = 8  # taps each side of the 4x true-peak interpolator
_K_TAPS = 4096  # K-weighting impulse response length (its tail is below 1e-9 by then)
_K_FFT = 16384  # FFT size for K-weighting by overlap-add
_LOUDNESS_ROUNDS = 4  # secant steps for the gain; two usually land within the tolerance
_LOUDNESS_TOLERANCE = 0.1  # LU
_LIMITED_SLOPE = 0.6  # LU gained per dB near the target once speech is limited: a first guess
_CLIP_BUDGET = 48 << 20  # bytes of resampled clips kept between passes (~4.5 min at 44.1 kHz)


@dataclass(frozen=True)
class ExportOptions:
    """How to render: format settings, loudness, and the optional music bed.

    `bitrate` is for the mono voice-only MP3; with `music` the file is stereo
    at `music_bitrate`. `music_level` is the bed's loudness relative to the
    speech (LU) between cues; under every cue it is lowered by `duck` dB,
    reaching it over `duck_attack` seconds before the cue and recovering over
    `duck_release` after it, and it fades out over the last `music_fade`
    seconds.
    """

    bitrate: int = 64
    music_bitrate: int = 128
    sample_rate: int = 44100
    quality: int = 2  # LAME's algorithm quality: 0 best and slowest ... 9 worst
    loudness: float = -16.0  # LUFS, integrated
    true_peak: float = -1.0  # dBTP ceiling
    music: Path | None = None
    music_level: float = -10.0
    duck: float = -12.0
    duck_attack: float = 0.05
    duck_release: float = 0.4
    music_fade: float = 3.0

    def __post_init__(self) -> None:
        problems = []
        if self.sample_rate not in _SAMPLE_RATE_INDEX:
            problems.append(
                f"sample rate {self.sample_rate} Hz is not one of "
                f"{', '.join(map(str, sorted(_SAMPLE_RATE_INDEX)))}"
            )
        for name, rate in (("bitrate", self.bitrate), ("music bitrate", self.music_bitrate)):
            if rate not in _BITRATES[1:]:
                problems.append(
                    f"{name} {rate} kbps is not one of {', '.join(map(str, _BITRATES[1:]))}"
                )
        if not 0 <= self.quality <= 9:
            problems.append(f"quality {self.quality} is outside 0-9")
        if not -40.0 <= self.loudness <= -5.0:
            problems.append(f"loudness {self.loudness} LUFS is outside -40 to -5")
        if not -20.0 <= self.true_peak <= 0.0:
            problems.append(f"true peak {self.true_peak} dBTP is outside -20 to 0")
        if not -60.0 <= self.duck <= 0.0:
            problems.append(f"music ducking {self.duck} dB is outside -60 to 0")
        if not -40.0 <= self.music_level <= 10.0:
            problems.append(f"music level {self.music_level} LU is outside -40 to 10")
        for name, seconds in (
            ("duck attack", self.duck_attack),
            ("duck release", self.duck_release),
            ("music fade", self.music_fade),
        ):
            if not 0.0 <= seconds <= 60.0:
                problems.append(f"{name} {seconds} s is outside 0-60 s")
        if problems:
            raise AudioError("invalid export settings: " + "; ".join(problems))


@dataclass(frozen=True)
class Tags:
    """ID3 tags of one exported file; `language` is the ISO 639-2 code of the lyrics."""

    title: str
    album: str
    artist: str = "cuecoach"
    track: int | None = None
    track_total: int | None = None
    language: str = "eng"

    def __post_init__(self) -> None:
        if not (len(self.language) == 3 and self.language.isascii() and self.language.isalpha()):
            raise AudioError(f"lyrics language {self.language!r} is not a 3-letter ISO 639-2 code")


@dataclass(frozen=True)
class Chapter:
    """One exercise's stretch of the file, in seconds."""

    title: str
    start: float
    end: float


@dataclass(frozen=True)
class ProgramTrack:
    """One session of a program, ready to render."""

    script: CueScript
    clips: Mapping[str, Clip]
    tags: Tags


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
    plan = _plan(script, clips, sounds, options)
    bank = _ClipBank(plan)
    report = progress or _no_progress
    total = script.duration
    # Only a music bed makes the analysis take long enough to show on a progress bar.
    share = _MUSIC_ANALYSIS_SHARE if plan.music is not None else 0.0
    report(0.0, total)
    voice_gain, music_gain = _measure_gains(
        plan, bank, options, lambda done: report(done * share, total)
    )
    wav = out.suffix.lower() == ".wav"
    try:
        with _atomic_file(out) as file:
            sink: _Sink = (
                _WavSink(file, plan)
                if wav
                else _Mp3Sink(file, plan, options, _id3_bytes(script, tags))
            )
            _encode(
                plan,
                bank,
                voice_gain,
                music_gain,
                options,
                sink,
                lambda done: report(total * share + done * (1 - share), total),
            )
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
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise AudioError(f"cannot create {folder}: {err.strerror or err}") from err
    width = max(2, len(str(len(tracks))))
    total = sum(track.script.duration for track in tracks)
    report = progress or _no_progress
    done_before = 0.0
    lines = ["#EXTM3U", f"#PLAYLIST:{_one_line(playlist_title)}"]
    written: list[Path] = []
    for number, track in enumerate(tracks, start=1):
        tags = track.tags
        if tags.track is None:
            tags = replace(tags, track=number, track_total=len(tracks))
        name = f"{number:0{width}d} {_file_name(tags.title)}.mp3"
        offset = done_before

        def track_progress(done: float, _total: float, offset: float = offset) -> None:
            report(offset + done, total)

        render(track.script, track.clips, sounds, folder / name, options, tags, track_progress)
        written.append(folder / name)
        done_before += track.script.duration
        lines += [f"#EXTINF:{round(track.script.duration)},{_one_line(tags.title)}", name]
    playlist = folder / f"{_file_name(playlist_title)}.m3u8"
    try:
        with _atomic_file(playlist) as file:
            file.write(("\n".join(lines) + "\n").encode("utf-8"))
    except OSError as err:
        raise AudioError(f"cannot write {playlist}: {err.strerror or err}") from err
    return [*written, playlist]


@contextmanager
def sigterm_raises() -> Iterator[None]:
    """Inside the block, SIGTERM raises SystemExit(143) instead of killing the process.

    That lets a running export remove its temporary file on the way out. Does
    nothing outside the main thread, where signal handlers cannot be set.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def chapters(script: CueScript) -> list[Chapter]:
    """One chapter per run of an exercise, in time order, tiling the whole file.

    A chapter starts at the first segment naming its exercise (the lead-in or
    transition before its sets names it already) and ends where the next
    exercise's starts; the last runs to the end, finish included. An exercise
    done in one go gets one chapter; in a superset the exercises alternate, so
    each set gets its own chapter and skipping a chapter skips one set.
    """
    runs: list[tuple[str, float]] = []
    for segment in script.segments:
        name = segment.exercise
        if name is not None and (not runs or runs[-1][0] != name):
            runs.append((name, segment.start))
    if not runs:
        return []
    starts = [0.0] + [start for _, start in runs[1:]]
    ends = [*starts[1:], script.duration]
    return [
        Chapter(name, start, end) for (name, _), start, end in zip(runs, starts, ends, strict=True)
    ]


def _no_progress(done: float, total: float) -> None:
    """Progress callback that ignores progress."""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _file_name(title: str) -> str:
    """`title` made safe as a file name on every common file system."""
    name = re.sub(r'[\x00-\x1f<>:"/\\|?*]+', "-", _one_line(title)).strip(" .-")
    return name[:80].rstrip(" .-") or "session"


# --- the plan: what is heard when ----------------------------------------------------

Key = tuple[str, str]  # ("speech", text) or ("sound", name)


@dataclass(frozen=True)
class _Placement:
    start: int  # first output sample
    length: int  # in output samples
    key: Key


@dataclass(frozen=True)
class _Plan:
    rate: int
    channels: int
    total: int  # output samples
    placements: tuple[_Placement, ...]  # sorted by start
    sources: Mapping[Key, Clip]
    music: Path | None

    @property
    def block(self) -> int:
        return _BLOCK_SECONDS * self.rate

    @property
    def block_starts(self) -> range:
        return range(0, self.total, self.block)

    @property
    def sub_block(self) -> int:
        return round(_SUB_BLOCK * self.rate)

    @property
    def sub_blocks(self) -> int:
        return -(-self.total // self.sub_block)

    @cached_property
    def starts(self) -> npt.NDArray[np.int64]:
        return np.array([p.start for p in self.placements], dtype=np.int64)

    @cached_property
    def longest(self) -> int:
        return max((p.length for p in self.placements), default=0)

    @cached_property
    def starts_by_key(self) -> dict[Key, list[int]]:
        found: dict[Key, list[int]] = {}
        for placement in self.placements:
            found.setdefault(placement.key, []).append(placement.start)
        return found


def _plan(
    script: CueScript,
    clips: Mapping[str, Clip],
    sounds: Mapping[str, Clip],
    options: ExportOptions,
) -> _Plan:
    if script.duration <= 0:
        raise AudioError(f"cannot export {script.title!r}: the script has no duration")
    rate = options.sample_rate
    total = round(script.duration * rate)
    sources: dict[Key, Clip] = {}
    placements: list[_Placement] = []
    for cue in script.cues:
        clip = cue_clip(cue, clips, sounds)
        if clip is None:
            raise missing_clip(cue)
        key: Key = (cue.kind.value, cue.text or cue.sound or "")
        sources[key] = clip
        length = round(len(clip.samples) * rate / clip.sample_rate)
        start = round(cue.at * rate)
        if length and start < total:
            placements.append(_Placement(start, length, key))
    placements.sort(key=lambda p: p.start)
    return _Plan(
        rate=rate,
        channels=2 if options.music is not None else 1,
        total=total,
        placements=tuple(placements),
        sources=sources,
        music=options.music,
    )


class _ClipBank:
    """Each distinct clip at the output rate, resampled on first use.

    Clips are kept for the later passes while they fit in `_CLIP_BUDGET`
    bytes; beyond that they are resampled again when needed, so a session
    with hours of distinct phrases still renders in bounded memory.
    """

    def __init__(self, plan: _Plan) -> None:
        self._plan = plan
        self._kept: dict[Key, Samples] = {}
        self._kept_bytes = 0

    def get(self, key: Key) -> Samples:
        """The clip for `key` at the output rate."""
        kept = self._kept.get(key)
        if kept is not None:
            return kept
        samples = resample(self._plan.sources[key], self._plan.rate).samples
        if self._kept_bytes + samples.nbytes <= _CLIP_BUDGET:
            self._kept[key] = samples
            self._kept_bytes += samples.nbytes
        return samples


def _voice_blocks(plan: _Plan, bank: _ClipBank) -> Iterator[Samples]:
    """The speech and sounds, mono at the output rate, one block at a time.

    A clip is held from its first use in the pass to its last, so clips the
    bank cannot keep are resampled at most once per pass.
    """
    last_use = {p.key: i for i, p in enumerate(plan.placements)}
    held: dict[Key, Samples] = {}
    active: list[tuple[int, _Placement, Samples]] = []
    upcoming = 0
    for b0 in plan.block_starts:
        b1 = min(b0 + plan.block, plan.total)
        out = np.zeros(b1 - b0, dtype=np.float32)
        while upcoming < len(plan.placements) and plan.placements[upcoming].start < b1:
            placement = plan.placements[upcoming]
            if placement.key not in held:
                held[placement.key] = bank.get(placement.key)
            active.append((upcoming, placement, held[placement.key]))
            upcoming += 1
        still_active = []
        for index, placement, samples in active:
            lo = max(b0, placement.start)
            hi = min(b1, placement.start + len(samples))
            if hi > lo:
                out[lo - b0 : hi - b0] += samples[lo - placement.start : hi - placement.start]
            if placement.start + len(samples) > b1:
                still_active.append((index, placement, samples))
            elif last_use[placement.key] == index:
                del held[placement.key]
        active = still_active
        yield out


def _music_envelope(plan: _Plan, options: ExportOptions, b0: int, n: int) -> Samples:
    """The music bed's gain over samples [b0, b0 + n): ducked under cues, faded at the end.

    Ducking looks ahead (this is offline), so the bed is already down when a
    cue starts: it ramps down over the attack before the cue and back up
    over the release after it, linearly in dB.
    """
    rate = plan.rate
    attack = max(1, round(options.duck_attack * rate))
    release = max(1, round(options.duck_release * rate))
    t = np.arange(b0, b0 + n, dtype=np.float64)
    depth = np.zeros(n)
    first = int(np.searchsorted(plan.starts, b0 - release - plan.longest))
    last = int(np.searchsorted(plan.starts, b0 + n + attack))
    for placement in plan.placements[first:last]:
        end = placement.start + placement.length
        rise = (t - (placement.start - attack)) / attack
        fall = ((end + release) - t) / release
        depth = np.maximum(depth, np.clip(np.minimum(rise, fall), 0.0, 1.0))
    gain = 10.0 ** (options.duck * depth / 20.0)
    fade = max(1, round(options.music_fade * rate))
    gain *= np.clip((plan.total - t) / fade, 0.0, 1.0)
    return gain.astype(np.float32)


class _MusicBed:
    """The music file as an endless stereo stream (it loops), decoded as it is read."""

    def __init__(self, path: Path, rate: int) -> None:
        self._path = path
        self._rate = rate
        self._buffer = np.zeros((0, 2), dtype=np.float32)
        self._empty_loop = True
        if not path.is_file():
            raise AudioError(f"{path}: music file not found")
        self._stream = self._open()

    def _open(self) -> Any:
        import miniaudio

        try:
            return miniaudio.stream_file(
                str(self._path),
                output_format=miniaudio.SampleFormat.FLOAT32,
                nchannels=2,
                sample_rate=self._rate,
                frames_to_read=self._rate,
            )
        except miniaudio.MiniaudioError as err:
            raise AudioError(f"{self._path}: cannot decode the music file ({err})") from err

    def read(self, n: int) -> npt.NDArray[np.float32]:
        """The next `n` stereo frames, shape (n, 2)."""
        import miniaudio

        parts = [self._buffer]
        have = len(self._buffer)
        while have < n:
            try:
                chunk = next(self._stream)
            except StopIteration:
                if self._empty_loop:
                    raise AudioError(f"{self._path}: the music file holds no audio") from None
                self._stream = self._open()
                self._empty_loop = True
                continue
            except miniaudio.MiniaudioError as err:
                raise AudioError(f"{self._path}: cannot decode the music file ({err})") from err
            frames = np.frombuffer(chunk, dtype=np.float32).reshape(-1, 2)
            if len(frames):
                self._empty_loop = False
                parts.append(frames)
                have += len(frames)
        data = np.concatenate(parts)
        self._buffer = data[n:]
        return data[:n]

    def close(self) -> None:
        """Release the decoder."""
        self._stream.close()


@contextmanager
def _music_bed(plan: _Plan) -> Iterator[_MusicBed | None]:
    if plan.music is None:
        yield None
        return
    bed = _MusicBed(Path(plan.music), plan.rate)
    try:
        yield bed
    finally:
        bed.close()


# --- loudness (ITU-R BS.1770-4) --------------------------------------------------------


@lru_cache(maxsize=4)
def _k_weighting(rate: int) -> npt.NDArray[np.float64]:
    """The K-weighting filter (shelf, then high-pass) at `rate`, as its impulse response.

    Biquad coefficients from libebur128's analogue prototypes, so every
    sample rate matches the standard's 48 kHz filter. The response has
    decayed below 1e-9 within `_K_TAPS` samples, so filtering is an FFT
    convolution: numpy only, and no sample-by-sample recursion.
    """
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = np.tan(np.pi * f0 / rate)
    vh = 10.0 ** (gain_db / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / q + k * k
    shelf = (
        (vh + vb * k / q + k * k) / a0,
        2.0 * (k * k - vh) / a0,
        (vh - vb * k / q + k * k) / a0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / q + k * k) / a0,
    )
    f0, q = 38.13547087602444, 0.5003270373238773
    k = np.tan(np.pi * f0 / rate)
    a0 = 1.0 + k / q + k * k
    high_pass = (1.0, -2.0, 1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0)
    response = [1.0] + [0.0] * (_K_TAPS - 1)
    for b0, b1, b2, a1, a2 in (shelf, high_pass):
        s1 = s2 = 0.0
        for n, x in enumerate(response):
            y = b0 * x + s1
            s1 = b1 * x - a1 * y + s2
            s2 = b2 * x - a2 * y
            response[n] = y
    return np.array(response)


@lru_cache(maxsize=4)
def _k_spectrum(rate: int) -> npt.NDArray[np.complexfloating[Any, Any]]:
    return np.fft.rfft(_k_weighting(rate).astype(np.float32), _K_FFT)


def _k_filtered(x: npt.NDArray[np.float32], rate: int) -> npt.NDArray[np.float32]:
    """`x` (samples along axis 0) K-weighted, with the filter's ringing: n + _K_TAPS - 1 long.

    FFT convolution by overlap-add in pieces of one fixed size, so the filter's
    spectrum is computed once; in single precision, as loudness needs nowhere
    near double's accuracy.
    """
    hop = _K_FFT - _K_TAPS + 1
    response = _k_spectrum(rate)
    if x.ndim > 1:
        response = response[:, None]
    out = np.zeros((len(x) + _K_TAPS - 1, *x.shape[1:]), dtype=np.float32)
    for start in range(0, len(x), hop):
        piece = np.fft.rfft(x[start : start + hop], _K_FFT, axis=0)
        weighted = np.fft.irfft(piece * response, _K_FFT, axis=0)
        end = min(start + _K_FFT, len(out))
        out[start:end] += weighted[: end - start]
    return out


def _gated_loudness(energies: npt.NDArray[np.float64]) -> float:
    """Integrated loudness (LUFS) from mean squares per 100 ms sub-block; -inf for silence."""
    if len(energies) < 4:
        blocks = np.array([energies.mean()]) if len(energies) else np.zeros(1)
    else:
        blocks = (energies[:-3] + energies[1:-2] + energies[2:-1] + energies[3:]) / 4.0
    with np.errstate(divide="ignore"):
        loudness = -0.691 + 10.0 * np.log10(blocks)
    above_absolute = loudness >= -70.0
    if not above_absolute.any():
        return float("-inf")
    relative = -0.691 + 10.0 * np.log10(blocks[above_absolute].mean()) - 10.0
    gated = blocks[above_absolute & (loudness > relative)]
    return float(-0.691 + 10.0 * np.log10(gated.mean()))


def _voice_energy(
    plan: _Plan, bank: _ClipBank, gain: float, ceiling: float | None
) -> npt.NDArray[np.float64]:
    """K-weighted mean square of the speech and sounds per 100 ms sub-block.

    Measured per distinct clip rather than along the timeline: each clip is
    scaled by `gain`, limited to `ceiling` (as the timeline's limiter treats
    a clip with nothing else within a few milliseconds of it), weighted once,
    and its cumulative energy is laid onto the sub-blocks at every place it
    is heard. Clips that overlap count as the sum of their energies.
    """
    energy = np.zeros(plan.sub_blocks)
    sub = plan.sub_block
    hop = plan.rate // 1000  # cumulative energy is kept every millisecond
    for key, starts in plan.starts_by_key.items():
        samples = bank.get(key) * np.float32(gain)
        if ceiling is not None:
            samples = _limited_alone(samples, ceiling, plan.rate)
        weighted = _k_filtered(samples, plan.rate)
        cumulative = np.concatenate([[0.0], np.cumsum(np.square(weighted, dtype=np.float64))])
        length = len(cumulative) - 1
        positions = np.minimum(np.arange(0, length + hop, hop), length)
        points = cumulative[positions]
        for start in starts:
            first = start // sub
            last = min((start + length - 1) // sub, plan.sub_blocks - 1)
            edges = np.clip(np.arange(first, last + 2) * sub - start, 0, length)
            energy[first : last + 1] += np.diff(np.interp(edges, positions, points))
    # A mono voice copied to both channels of a stereo file counts twice.
    out: npt.NDArray[np.float64] = energy / sub * plan.channels
    return out


def _music_energy(
    plan: _Plan, options: ExportOptions, progress: Callable[[float], None]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The bed's K-weighted mean square per sub-block at unit gain (channels summed),
    and the mean square of its ducking and fade envelope per sub-block."""
    music = np.zeros(plan.sub_blocks)
    ducking = np.zeros(plan.sub_blocks)
    sub = plan.sub_block
    ringing = np.zeros((_K_TAPS - 1, 2), dtype=np.float32)
    with _music_bed(plan) as bed:
        assert bed is not None
        for b0 in plan.block_starts:
            n = min(plan.block, plan.total - b0)
            weighted = _k_filtered(bed.read(n), plan.rate)
            weighted[: _K_TAPS - 1] += ringing
            ringing = weighted[n:]
            padded = np.zeros((-(-n // sub) * sub, 2))
            padded[:n] = np.square(weighted[:n])
            first = b0 // sub
            music[first : first + len(padded) // sub] = padded.reshape(-1, sub, 2).sum(2).mean(1)
            envelope = np.zeros(len(padded))
            envelope[:n] = np.square(_music_envelope(plan, options, b0, n))
            ducking[first : first + len(padded) // sub] = envelope.reshape(-1, sub).mean(1)
            progress((b0 + n) / plan.rate)
    return music, ducking


def _measure_gains(
    plan: _Plan, bank: _ClipBank, options: ExportOptions, progress: Callable[[float], None]
) -> tuple[float, float]:
    """The gains for the voice (speech and sounds) and for the music bed.

    The bed sits `music_level` LU from the voice; then both move together
    until the limited mix measures the target loudness. The mix's energy is
    taken as the sum of the parts' (voice and music are uncorrelated).
    Limiting takes loudness off the peaks, more as the gain rises, so the
    gain is found by the secant method on the limited loudness.
    """
    music, ducking = (
        _music_energy(plan, options, progress) if plan.music is not None else (None, None)
    )
    voice = _voice_energy(plan, bank, 1.0, None)
    ratio = 0.0
    if music is not None and ducking is not None:
        music_loudness = _gated_loudness(music)
        voice_loudness = _gated_loudness(voice)
        if np.isfinite(music_loudness):
            reference = voice_loudness if np.isfinite(voice_loudness) else music_loudness
            ratio = 10.0 ** ((reference + options.music_level - music_loudness) / 20.0)
            music = music * ducking * ratio**2
    unlimited = _gated_loudness(voice if music is None else voice + music)
    if not np.isfinite(unlimited):
        return 1.0, ratio
    ceiling = _ceiling(options, plan)

    def miss(gain_db: float) -> float:
        """How far the limited mix at `gain_db` lands from the target, in LU."""
        gain = 10.0 ** (gain_db / 20.0)
        mix = _voice_energy(plan, bank, gain, ceiling)
        if music is not None:
            mix = mix + gain**2 * music
        return _gated_loudness(mix) - options.loudness

    x0 = min(options.loudness - unlimited, _MAX_GAIN_DB)
    f0 = miss(x0)
    x1 = min(x0 - f0 / _LIMITED_SLOPE, _MAX_GAIN_DB)
    for _ in range(_LOUDNESS_ROUNDS):
        if abs(f0) <= _LOUDNESS_TOLERANCE or x1 == x0:
            break
        f1 = miss(x1)
        slope = (f1 - f0) / (x1 - x0)
        x0, f0 = x1, f1
        # Limiting never adds loudness, so a slope near zero means the ceiling
        # holds everything down; do not chase it with huge gains.
        x1 = min(x1 - f1 / max(slope, 0.2), _MAX_GAIN_DB)
    # Rounded, so that float noise in the analysis (FFT and BLAS builds differ)
    # cannot change a single sample of the output.
    gain = 10.0 ** (round(x0, 2) / 20.0)
    if ratio > 0.0:
        ratio = 10.0 ** (round(20.0 * np.log10(ratio), 2) / 20.0)
    return gain, gain * ratio


# --- true-peak limiting ----------------------------------------------------------------


def _ceiling(options: ExportOptions, plan: _Plan) -> float:
    """The limiter's ceiling (linear): the true-peak limit less the codec's overshoot.

    WAV exports use the MP3's ceiling too, so both formats hold the same mix.
    """
    bitrate = options.music_bitrate if plan.channels == 2 else options.bitrate
    low = bitrate / plan.channels < 48
    headroom = _LOW_BITRATE_HEADROOM_DB if low else _CODEC_HEADROOM_DB
    return float(10.0 ** ((options.true_peak - headroom) / 20.0))


@lru_cache(maxsize=1)
def _interpolators() -> npt.NDArray[np.float32]:
    """Kernels for the points 1/4, 2/4 and 3/4 of the way to the next sample.

    A Kaiser-windowed sinc over 2 x `_TP_HALF_TAPS` samples, as BS.1770's 4x
    oversampling true-peak meter uses. Row p, tap j weighs sample
    ``n - _TP_HALF_TAPS + 1 + j`` for the point after sample n.
    """
    j = np.arange(-_TP_HALF_TAPS + 1, _TP_HALF_TAPS + 1)
    kernels = []
    for phase in (0.25, 0.5, 0.75):
        t = j - phase
        window = np.i0(5.0 * np.sqrt(1.0 - (t / (_TP_HALF_TAPS + 1)) ** 2)) / np.i0(5.0)
        kernels.append(np.sinc(t) * window)
    return np.array(kernels, dtype=np.float32)


def _true_peaks(x: npt.NDArray[np.float32], floor: float) -> npt.NDArray[np.float32]:
    """Per sample, its magnitude over all channels of `x` (shape (n, channels)); at each
    local maximum above `floor`, the largest 4x-interpolated magnitude on either side.

    Between samples a band-limited signal peaks next to a local maximum of
    its samples, and overshoots them by less than 6 dB unless nearly all its
    energy sits at the Nyquist frequency; so only loud local maxima are
    interpolated, which keeps this cheap on speech.
    """
    magnitude = np.abs(x).max(axis=1)
    inner = magnitude[1:-1]
    maxima = 1 + np.flatnonzero(
        (inner >= floor) & (inner >= magnitude[:-2]) & (inner >= magnitude[2:])
    )
    peaks: npt.NDArray[np.float32] = magnitude.copy()
    if not len(maxima):
        return peaks
    half = _TP_HALF_TAPS
    padded = np.concatenate(
        [np.zeros((half, x.shape[1]), np.float32), x, np.zeros((half, x.shape[1]), np.float32)]
    )
    # The points after sample m - 1 and after sample m, for each maximum m.
    bases = np.concatenate([maxima - 1, maxima])
    windows = padded[bases[:, None] + 1 + np.arange(2 * half)[None, :]]  # (k, taps, channels)
    between = np.abs(np.einsum("ktc,pt->kpc", windows, _interpolators())).max(axis=(1, 2))
    np.maximum.at(peaks, np.concatenate([maxima, maxima]), between)
    return peaks


def _moving_min(a: npt.NDArray[np.float32], width: int) -> npt.NDArray[np.float32]:
    """``out[i] = a[i:i + width].min()`` in O(n) (van Herk / Gil-Werman)."""
    n = len(a)
    padded = np.concatenate([a, np.full(-n % width, np.inf, dtype=a.dtype)]).reshape(-1, width)
    prefix = np.minimum.accumulate(padded, axis=1).ravel()
    suffix = np.minimum.accumulate(padded[:, ::-1], axis=1)[:, ::-1].ravel()
    out: npt.NDArray[np.float32] = np.minimum(suffix[: n - width + 1], prefix[width - 1 : n])
    return out


def _moving_mean(a: npt.NDArray[np.float32], width: int) -> npt.NDArray[np.float64]:
    """``out[i] = a[i:i + width].mean()``."""
    sums = np.concatenate([[0.0], np.cumsum(a, dtype=np.float64)])
    out: npt.NDArray[np.float64] = (sums[width:] - sums[:-width]) / width
    return out


class _Limiter:
    """A look-ahead limiter that keeps the true peak at or below `ceiling`.

    The gain at each sample is the mean of a moving minimum of the gains the
    peaks around it need, so it never exceeds what any nearby peak allows and
    changes smoothly. It works one block behind its input: a block is
    limited when the next one arrives (or at `finish`), since peaks early in
    the next block pull the gain down late in this one.
    """

    def __init__(self, ceiling: float, rate: int, channels: int) -> None:
        self._ceiling = ceiling
        self._half = max(1, round(_LIMITER_HALF_WINDOW * rate))
        self._context = 2 * self._half + _TP_HALF_TAPS
        self._before = np.zeros((self._context, channels), dtype=np.float32)
        self._current: npt.NDArray[np.float32] | None = None

    def push(self, block: npt.NDArray[np.float32]) -> npt.NDArray[np.float32] | None:
        """Take the next block, shape (n, channels); return the previous one, limited."""
        limited = None if self._current is None else self._limit(self._current, block)
        if self._current is not None:
            self._before = np.concatenate([self._before, self._current])[-self._context :]
        self._current = block
        return limited

    def finish(self) -> npt.NDArray[np.float32] | None:
        """The last block, limited."""
        if self._current is None:
            return None
        return self._limit(self._current, self._current[:0])

    def _limit(
        self, block: npt.NDArray[np.float32], after: npt.NDArray[np.float32]
    ) -> npt.NDArray[np.float32]:
        ahead = np.zeros((self._context, block.shape[1]), dtype=np.float32)
        ahead[: min(len(after), self._context)] = after[: self._context]
        window = np.concatenate([self._before, block, ahead])
        floor = self._ceiling / 2.0  # see _true_peaks: nothing quieter can overshoot it
        if float(np.abs(window).max()) < floor:
            return block
        needed = np.minimum(
            np.float32(1.0),
            self._ceiling / np.maximum(_true_peaks(window, floor), np.float32(1e-9)),
        )
        if float(needed.min()) >= 1.0:
            return block
        # The gain differs from 1 only within 2 * half of a sample that needs it.
        half = self._half
        needy = np.flatnonzero(needed < 1.0)
        lo = max(0, int(needy[0]) - 4 * half)
        hi = min(len(window), int(needy[-1]) + 4 * half + 1)
        width = 2 * half + 1
        smooth = _moving_mean(_moving_min(needed[lo:hi], width), width)
        gain = np.ones(len(window), dtype=np.float32)
        gain[lo + 2 * half : lo + 2 * half + len(smooth)] = smooth
        return block * gain[self._context : self._context + len(block), None]


def _limited_alone(samples: Samples, ceiling: float, rate: int) -> Samples:
    """A mono clip limited as the timeline's limiter does when nothing else plays near it."""
    limiter = _Limiter(ceiling, rate, 1)
    limiter.push(samples[:, None])
    limited = limiter.finish()
    assert limited is not None
    return limited[:, 0]


# --- encoding --------------------------------------------------------------------------


class _Sink(Protocol):
    input_gain: float

    def write(self, pcm: npt.NDArray[np.int16]) -> None: ...

    def close(self) -> None: ...


def _mixed(
    plan: _Plan,
    bank: _ClipBank,
    voice_gain: float,
    music_gain: float,
    options: ExportOptions,
    progress: Callable[[float], None],
) -> Iterator[npt.NDArray[np.float32]]:
    """The final mix, limited, block by block: shape (n, channels)."""
    limiter = _Limiter(_ceiling(options, plan), plan.rate, plan.channels)
    with _music_bed(plan) as bed:
        for b0, voice in zip(plan.block_starts, _voice_blocks(plan, bank), strict=True):
            mixed = (voice * np.float32(voice_gain))[:, None]
            if bed is not None:
                envelope = _music_envelope(plan, options, b0, len(voice)) * np.float32(music_gain)
                mixed = bed.read(len(voice)) * envelope[:, None] + mixed
            limited = limiter.push(mixed.astype(np.float32))
            if limited is not None:
                yield limited
            progress((b0 + len(voice)) / plan.rate)
    last = limiter.finish()
    if last is not None:
        yield last


def _encode(
    plan: _Plan,
    bank: _ClipBank,
    voice_gain: float,
    music_gain: float,
    options: ExportOptions,
    sink: _Sink,
    progress: Callable[[float], None],
) -> None:
    """Mix, limit and write the whole timeline."""
    scale = np.float32(32767.0 * sink.input_gain)
    for block in _mixed(plan, bank, voice_gain, music_gain, options, progress):
        sink.write(np.round(np.clip(block * scale, -32767.0, 32767.0)).astype("<i2"))
    sink.close()


class _WavSink:
    """16-bit PCM WAV; the length is known up front, so the header is final from the start."""

    input_gain = 1.0

    def __init__(self, file: IO[bytes], plan: _Plan) -> None:
        self._file = file
        self._expected = plan.total * plan.channels * 2
        self._written = 0
        frame = plan.channels * 2
        file.write(
            b"RIFF"
            + struct.pack("<I", 36 + self._expected)
            + b"WAVEfmt "
            + struct.pack("<IHHIIHH", 16, 1, plan.channels, plan.rate, plan.rate * frame, frame, 16)
            + b"data"
            + struct.pack("<I", self._expected)
        )

    def write(self, pcm: npt.NDArray[np.int16]) -> None:
        data = pcm.tobytes()
        self._file.write(data)
        self._written += len(data)

    def close(self) -> None:
        if self._written != self._expected:
            raise AudioError(f"wrote {self._written} bytes of audio instead of {self._expected}")


class _Mp3Sink:
    """CBR MP3 from lameenc, behind the ID3 tag and a LAME Info frame written last."""

    # lameenc's LAME scales its input by 0.95 (a decoded tone comes back 0.45 dB
    # low); undo that, so the MP3 decodes at the level the limiter and meter
    # chose. The loudness and true-peak tests catch it should that change.
    input_gain = 1.0 / 0.95

    def __init__(self, file: IO[bytes], plan: _Plan, options: ExportOptions, id3: bytes) -> None:
        import lameenc

        self._file = file
        self._plan = plan
        self._options = options
        self._bitrate = options.music_bitrate if plan.channels == 2 else options.bitrate
        self._info_size = _frame_length(_info_bitrate(self._bitrate, plan), plan.rate)
        file.write(id3)
        self._info_at = file.tell()
        file.write(bytes(self._info_size))  # replaced by the Info frame in close()
        self._frames = _FrameCounter(plan.rate)
        self._crc = _Crc16()
        self._audio_bytes = 0
        self._encoder = lameenc.Encoder()
        self._encoder.set_bit_rate(self._bitrate)
        self._encoder.set_in_sample_rate(plan.rate)
        self._encoder.set_out_sample_rate(plan.rate)
        self._encoder.set_channels(plan.channels)
        self._encoder.set_quality(options.quality)
        self._encoder.silence()

    def write(self, pcm: npt.NDArray[np.int16]) -> None:
        self._emit(bytes(self._encoder.encode(pcm.tobytes())))

    def _emit(self, data: bytes) -> None:
        self._file.write(data)
        self._frames.feed(data)
        self._crc.update(data)
        self._audio_bytes += len(data)

    def close(self) -> None:
        self._emit(bytes(self._encoder.flush()))
        frames, header = self._frames.result()
        padding = frames * _FRAME_SAMPLES - _ENCODER_DELAY - self._plan.total
        if not 0 <= padding < 4096:
            raise AudioError(
                f"the MP3 encoder produced {frames} frames for {self._plan.total} samples"
            )
        info = _info_frame(
            header=header,
            bitrate=_info_bitrate(self._bitrate, self._plan),
            rate=self._plan.rate,
            channels=self._plan.channels,
            quality=self._options.quality,
            stream_bitrate=self._bitrate,
            frames=frames,
            stream_bytes=self._info_size + self._audio_bytes,
            padding=padding,
            music_crc=self._crc.digest(),
        )
        self._file.seek(self._info_at)
        self._file.write(info)
        self._file.seek(0, os.SEEK_END)


class _FrameCounter:
    """Counts MPEG-1 Layer III frames in a byte stream fed in arbitrary pieces."""

    def __init__(self, rate: int) -> None:
        self._rate = rate
        self._skip = 0  # bytes left of the current frame
        self._partial = b""  # a header split across pieces
        self.frames = 0
        self.first_header = b""

    def feed(self, data: bytes) -> None:
        """Account for the next piece of the stream."""
        if self._partial:
            data = self._partial + data
            self._partial = b""
        pos = self._skip
        while pos + 4 <= len(data):
            header = data[pos : pos + 4]
            if header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
                raise AudioError("the MP3 encoder produced an unexpected stream")
            if not self.first_header:
                self.first_header = header
            self.frames += 1
            pos += _frame_length(_BITRATES[header[2] >> 4], self._rate) + (header[2] >> 1 & 1)
        if pos < len(data):
            self._partial = data[pos:]
            self._skip = 0
        else:
            self._skip = pos - len(data)

    def result(self) -> tuple[int, bytes]:
        """The number of frames and the first frame's header."""
        if self._partial or not self.frames:
            raise AudioError("the MP3 encoder produced a truncated stream")
        return self.frames, self.first_header


def _frame_length(bitrate: int, rate: int) -> int:
    """Bytes in an unpadded MPEG-1 Layer III frame."""
    return 144_000 * bitrate // rate


def _side_info_length(channels: int) -> int:
    return 17 if channels == 1 else 32


def _info_bitrate(bitrate: int, plan: _Plan) -> int:
    """The stream's own bitrate when the Info tag fits in such a frame, else the next that does."""
    needed = 4 + _side_info_length(plan.channels) + 120 + 36
    for candidate in _BITRATES:
        if candidate >= bitrate and _frame_length(candidate, plan.rate) >= needed:
            return candidate
    raise AssertionError("a 320 kbps frame always fits the Info tag")


def _info_frame(
    *,
    header: bytes,
    bitrate: int,
    rate: int,
    channels: int,
    quality: int,
    stream_bitrate: int,
    frames: int,
    stream_bytes: int,
    padding: int,
    music_crc: int,
) -> bytes:
    """A silent first frame holding the Xing "Info" and LAME tags (CBR).

    Layout as LAME's own VbrTag.c writes it: frame count and byte count of the
    stream, a linear seek table, then the LAME extension with the encoder
    delay and padding that make playback gapless and sample-exact.
    """
    first = bytes(
        [
            0xFF,
            header[1],
            _BITRATES.index(bitrate) << 4 | _SAMPLE_RATE_INDEX[rate] << 2 | (header[2] & 0x01),
            header[3],
        ]
    )
    toc = bytes(i * 256 // 100 for i in range(100))
    vbr_scale = 100 - 10 * 4 - quality  # LAME's default VBR quality 4 with -q quality
    xing = b"Info" + struct.pack(">III", 0x0F, frames, stream_bytes) + toc
    xing += struct.pack(">I", vbr_scale)
    source_rate = {32000: 0, 44100: 1, 48000: 2}[rate]
    stereo_mode = 0 if channels == 1 else 3  # mono / joint stereo, lameenc's default
    lame = (
        b"LAME3.100"
        + bytes([0x01])  # tag revision 0, CBR
        + bytes([0])  # lowpass unknown
        + bytes(8)  # no ReplayGain
        + bytes([0])  # encoding flags, ATH type
        + bytes([min(stream_bitrate, 255)])
        + bytes([_ENCODER_DELAY >> 4, (_ENCODER_DELAY & 0x0F) << 4 | padding >> 8, padding & 0xFF])
        + bytes([source_rate << 6 | stereo_mode << 2])
        + bytes([0])  # MP3Gain
        + bytes(2)  # surround info, preset
        + struct.pack(">IH", stream_bytes, music_crc)
    )
    frame = first + bytes(_side_info_length(channels)) + xing + lame
    frame += struct.pack(">H", _crc16(frame))
    return frame + bytes(_frame_length(bitrate, rate) - len(frame))


# --- CRC-16 (the LAME tag's checksum: CRC-16/ARC) --------------------------------------


@lru_cache(maxsize=1)
def _crc_table() -> npt.NDArray[np.uint32]:
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ 0xA001, table >> 1).astype(np.uint32)
    return table


def _crc16(data: bytes, crc: int = 0) -> int:
    """CRC-16/ARC of `data`, continuing from `crc`; a byte at a time, for short inputs."""
    table = _crc_table()
    for byte in data:
        crc = (crc >> 8) ^ int(table[(crc ^ byte) & 0xFF])
    return crc


@lru_cache(maxsize=4)
def _crc_skip_tables(width: int) -> tuple[list[int], list[int]]:
    """How a CRC changes over `width` zero bytes, for its low and its high byte.

    The CRC is linear, so carrying a CRC `c` across `width` bytes of data is
    the CRC of the data from zero XOR ``low[c & 0xFF] ^ high[c >> 8]``.
    """
    table = _crc_table()
    crc = np.concatenate([np.arange(256), np.arange(256) << 8]).astype(np.uint32)
    for _ in range(width):
        crc = (crc >> 8) ^ table[crc & 0xFF]
    return [int(v) for v in crc[:256]], [int(v) for v in crc[256:]]


class _Crc16:
    """CRC-16/ARC of a long stream, computed a megabyte at a time.

    Rows of the buffer are checksummed side by side with numpy and then
    chained, since a byte-at-a-time loop in Python would cost seconds per hour
    of audio.
    """

    _ROW = 1024
    _BATCH = 1 << 20

    def __init__(self) -> None:
        self._crc = 0
        self._pending = bytearray()

    def update(self, data: bytes) -> None:
        """Add `data` to the checksummed stream."""
        self._pending += data
        if len(self._pending) >= self._BATCH:
            self._consume_rows()

    def digest(self) -> int:
        """The CRC of everything added."""
        self._consume_rows()
        crc = _crc16(bytes(self._pending), self._crc)
        self._crc, self._pending = crc, bytearray()
        return crc

    def _consume_rows(self) -> None:
        whole = len(self._pending) // self._ROW * self._ROW
        if not whole:
            return
        rows = np.frombuffer(bytes(self._pending[:whole]), dtype=np.uint8).reshape(-1, self._ROW)
        del self._pending[:whole]
        table = _crc_table()
        columns = np.ascontiguousarray(rows.T).astype(np.uint32)
        crcs = np.zeros(len(rows), dtype=np.uint32)
        crcs[0] = self._crc
        for column in columns:
            crcs = (crcs >> 8) ^ table[(crcs ^ column) & 0xFF]
        low, high = _crc_skip_tables(self._ROW)
        crc = int(crcs[0])
        for row_crc in crcs[1:].tolist():
            crc = low[crc & 0xFF] ^ high[crc >> 8] ^ row_crc
        self._crc = crc


# --- tags ------------------------------------------------------------------------------


def _id3_bytes(script: CueScript, tags: Tags) -> bytes:
    """The ID3v2.3 tag: text frames, chapters with a table of contents, lyrics.

    Version 2.3 because phones and car stereos read it more widely than 2.4.
    No dates or times, so re-exports are byte-identical. Frames are written in
    the order added, chapters in time order: mutagen would sort them by size.
    """
    import mutagen.id3

    id3: Any = mutagen.id3  # its frame classes are unannotated; strict mypy would refuse each call
    utf8 = id3.Encoding.UTF8  # mutagen converts it to UTF-16 for v2.3
    tag = _OrderedTag()
    tag.add(id3.TIT2(encoding=utf8, text=[tags.title]))
    tag.add(id3.TALB(encoding=utf8, text=[tags.album]))
    tag.add(id3.TPE1(encoding=utf8, text=[tags.artist]))
    if tags.track is not None:
        track = str(tags.track)
        if tags.track_total is not None:
            track += f"/{tags.track_total}"
        tag.add(id3.TRCK(encoding=utf8, text=[track]))
    parts = chapters(script)
    ids = [f"chp{i}" for i in range(1, len(parts) + 1)]
    if parts:
        tag.add(
            id3.CTOC(
                element_id="toc",
                flags=id3.CTOCFlags.TOP_LEVEL | id3.CTOCFlags.ORDERED,
                child_element_ids=ids,
                sub_frames=[id3.TIT2(encoding=utf8, text=[tags.title])],
            )
        )
    for element_id, chapter in zip(ids, parts, strict=True):
        tag.add(
            id3.CHAP(
                element_id=element_id,
                start_time=round(chapter.start * 1000),
                end_time=round(chapter.end * 1000),
                start_offset=0xFFFFFFFF,  # "not used": players seek by time
                end_offset=0xFFFFFFFF,
                sub_frames=[id3.TIT2(encoding=utf8, text=[chapter.title])],
            )
        )
    speech = [c for c in script.cues if c.kind is CueKind.SPEECH and c.text]
    if speech:
        tag.add(id3.USLT(encoding=utf8, lang=tags.language, desc="", text=to_lrc(script)))
        tag.add(
            id3.SYLT(
                encoding=utf8,
                lang=tags.language,
                format=2,  # timestamps in milliseconds
                type=1,  # lyrics
                desc="",
                text=[(_one_line(c.text or ""), round(c.at * 1000)) for c in speech],
            )
        )
    return tag.to_bytes()


class _OrderedTag:
    """ID3v2.3 frames kept in the order they are added, serialized by mutagen one by one."""

    def __init__(self) -> None:
        self.frames: list[Any] = []

    def add(self, frame: Any) -> None:
        self.frames.append(frame)

    def to_bytes(self) -> bytes:
        import mutagen.id3

        id3: Any = mutagen.id3  # unannotated, like the frame classes above
        body = b""
        for frame in self.frames:
            single = id3.ID3()
            single.add(frame)
            buffer = io.BytesIO()
            single.save(buffer, v2_version=3, padding=lambda info: 0)
            body += buffer.getvalue()[10:]  # drop that one-frame tag's own header
        size = len(body)
        syncsafe = bytes((size >> shift) & 0x7F for shift in (21, 14, 7, 0))
        return b"ID3\x03\x00\x00" + syncsafe + body


# --- atomic files ----------------------------------------------------------------------


@contextmanager
def _atomic_file(path: Path) -> Iterator[IO[bytes]]:
    """A temporary file next to `path` that replaces it only if the block completes."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w+b") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temp, _new_file_mode(path))
        os.replace(temp, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def _new_file_mode(path: Path) -> int:
    """The existing file's permissions, or what a plain ``open`` would give (mkstemp uses 0600)."""
    with suppress(FileNotFoundError):
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
