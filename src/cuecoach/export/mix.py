"""The plan of what is heard when, and the voice and music streams built from it.

The plan holds the cue clips placed on the timeline (`cuecoach.timeline`,
shared with live play), the channel count and the music file; the voice is
produced from it one block at a time. The music bed loops the music file as a
decoded stream, and its envelope ducks it under every cue and fades it out
at the end.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..audio import Clip, Samples, finite_or_refuse, user_file_problem
from ..cuescript import CueScript
from ..errors import AudioError
from ..timeline import Timeline
from .options import MIN_MUSIC_SECONDS, MUSIC_KEY, ExportOptions, check_music

_BLOCK_SECONDS = 1  # one block per second keeps numpy calls large and memory tiny
_SUB_BLOCK = 0.1  # BS.1770 gating blocks are 400 ms with 75 % overlap: 4 x 100 ms
_CLIP_BUDGET = 48 << 20  # bytes of resampled clips kept between passes (~4.5 min at 44.1 kHz)


@dataclass(frozen=True)
class Plan:
    timeline: Timeline
    channels: int
    music: Path | None
    _spans: dict[float, tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def rate(self) -> int:
        return self.timeline.rate

    @property
    def total(self) -> int:  # output samples
        return self.timeline.total

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

    def spans(self, hold: float) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """`duck_spans` of this plan, worked out once per `hold`."""
        cache = self._spans
        if hold not in cache:
            cache[hold] = duck_spans(self, hold)
        return cache[hold]


def make_plan(
    script: CueScript,
    clips: Mapping[str, Clip],
    sounds: Mapping[str, Clip],
    options: ExportOptions,
) -> Plan:
    if script.duration_ms <= 0:
        raise AudioError(f"cannot export {script.title!r}: the script has no duration")
    timeline = Timeline(script, clips, sounds, options.sample_rate, budget=_CLIP_BUDGET)
    return Plan(timeline, 2 if options.music is not None else 1, options.music)


def voice_blocks(plan: Plan) -> Iterator[Samples]:
    """The speech and sounds, mono at the output rate, one block at a time."""
    for b0 in plan.block_starts:
        yield plan.timeline.block(b0, min(plan.block, plan.total - b0))


def duck_spans(plan: Plan, hold: float) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Starts and ends (output samples) of the stretches the bed stays ducked for:
    every clip, with gaps shorter than `hold` seconds bridged, so the bed does not
    swell back up between "3", "2" and "1"."""
    bridge = round(hold * plan.rate)
    starts: list[int] = []
    ends: list[int] = []
    for placement in plan.timeline.placements:
        if not placement.length:
            continue
        if ends and placement.onset - ends[-1] < bridge:
            ends[-1] = max(ends[-1], placement.end)
        else:
            starts.append(placement.onset)
            ends.append(placement.end)
    return np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64)


def music_envelope(plan: Plan, options: ExportOptions, b0: int, n: int) -> Samples:
    """The music bed's gain over samples [b0, b0 + n): ducked under cues, faded at the end.

    Ducking looks ahead (this is offline), so the bed is already down when a
    cue starts: it ramps down over the attack before the cue and back up
    over the release after it, linearly in dB, and stays down across short
    gaps (see `duck_spans`).
    """
    rate = plan.rate
    attack = max(1, round(options.duck_attack * rate))
    release = max(1, round(options.duck_release * rate))
    starts, ends = plan.spans(options.duck_hold)
    fade = max(1, round(options.music_fade * rate))
    fading = b0 + n > plan.total - fade
    # Spans are disjoint and sorted, so those near the block are a contiguous run.
    first = int(np.searchsorted(ends, b0 - release, side="right"))
    last = int(np.searchsorted(starts, b0 + n + attack))
    if last <= first and not fading:  # most blocks of a session have no cue near them
        return np.ones(n, dtype=np.float32)
    gain = np.ones(n)
    if last > first:
        # Each span is worked out over the samples it ducks alone, and the gain
        # over the samples some span ducks: elsewhere the depth is 0 and the
        # gain 1, so this is the same figure for every sample, computed on far
        # fewer of them.
        depth = np.zeros(n)
        ducked_from, ducked_to = n, 0
        for start, end in zip(starts[first:last].tolist(), ends[first:last].tolist(), strict=True):
            lo, hi = max(b0, start - attack), min(b0 + n, end + release)
            if hi <= lo:
                continue
            t = np.arange(lo, hi, dtype=np.float64)
            rise = (t - (start - attack)) / attack
            fall = ((end + release) - t) / release
            part = depth[lo - b0 : hi - b0]
            np.maximum(part, np.clip(np.minimum(rise, fall), 0.0, 1.0), out=part)
            ducked_from, ducked_to = min(ducked_from, lo - b0), max(ducked_to, hi - b0)
        if ducked_to > ducked_from:
            ducked = slice(ducked_from, ducked_to)
            gain[ducked] = 10.0 ** (options.duck * depth[ducked] / 20.0)
    if fading:
        t = np.arange(b0, b0 + n, dtype=np.float64)
        gain *= np.clip((plan.total - t) / fade, 0.0, 1.0)
    return gain.astype(np.float32)


class _MusicBed:
    """The music file as an endless stereo stream (it loops), decoded as it is read."""

    def __init__(self, path: Path, rate: int) -> None:
        self._path = path
        self._rate = rate
        self._buffer = np.zeros((0, 2), dtype=np.float32)
        check_music(path)  # again: the file may have changed since the options were made
        self._loop_frames = 0
        self.period: int | None = None  # frames in one loop, once the first has been read
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
        except miniaudio.MiniaudioError:
            raise user_file_problem(self._path, MUSIC_KEY, "cannot be decoded") from None

    def read(self, n: int) -> npt.NDArray[np.float32]:
        """The next `n` stereo frames, shape (n, 2)."""
        import miniaudio

        parts = [self._buffer]
        have = len(self._buffer)
        while have < n:
            try:
                chunk = next(self._stream)
            except StopIteration:
                if self._loop_frames < MIN_MUSIC_SECONDS * self._rate:
                    raise user_file_problem(
                        self._path, MUSIC_KEY, "holds less audio than its header says"
                    ) from None
                if self.period is None:
                    self.period = self._loop_frames
                self._stream = self._open()
                self._loop_frames = 0
                continue
            except miniaudio.MiniaudioError:
                raise user_file_problem(self._path, MUSIC_KEY, "cannot be decoded") from None
            frames = np.frombuffer(chunk, dtype=np.float32).reshape(-1, 2)
            finite_or_refuse(frames, self._path, MUSIC_KEY)
            self._loop_frames += len(frames)
            parts.append(frames)
            have += len(frames)
        data = np.concatenate(parts)
        self._buffer = data[n:]
        return data[:n]

    def close(self) -> None:
        """Release the decoder."""
        self._stream.close()


@contextmanager
def music_bed(plan: Plan) -> Iterator[_MusicBed | None]:
    if plan.music is None:
        yield None
        return
    bed = _MusicBed(Path(plan.music), plan.rate)
    try:
        yield bed
    finally:
        bed.close()
