"""The plan of what is heard when, and the voice and music streams built from it.

The plan places each cue's clip on the timeline in output samples. The clip
bank resamples each distinct clip to the output rate once and keeps it while
memory allows; the voice is then produced one block at a time from the
placements that overlap that block. The music bed loops the music file as a
decoded stream, and its envelope ducks it under every cue and fades it out
at the end.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..audio import Clip, Samples, cue_clip, missing_clip, resample
from ..cuescript import CueScript
from ..errors import AudioError
from ..timecode import to_samples
from .options import ExportOptions

_BLOCK_SECONDS = 1  # one block per second keeps numpy calls large and memory tiny
_SUB_BLOCK = 0.1  # BS.1770 gating blocks are 400 ms with 75 % overlap: 4 x 100 ms
_CLIP_BUDGET = 48 << 20  # bytes of resampled clips kept between passes (~4.5 min at 44.1 kHz)

Key = tuple[str, str]  # ("speech", text) or ("sound", name)


@dataclass(frozen=True)
class _Placement:
    start: int  # first output sample
    length: int  # in output samples
    key: Key


@dataclass(frozen=True)
class Plan:
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


def make_plan(
    script: CueScript,
    clips: Mapping[str, Clip],
    sounds: Mapping[str, Clip],
    options: ExportOptions,
) -> Plan:
    if script.duration_ms <= 0:
        raise AudioError(f"cannot export {script.title!r}: the script has no duration")
    rate = options.sample_rate
    total = to_samples(script.duration_ms, rate)
    sources: dict[Key, Clip] = {}
    placements: list[_Placement] = []
    for cue in script.cues:
        clip = cue_clip(cue, clips, sounds)
        if clip is None:
            raise missing_clip(cue)
        key: Key = (cue.kind.value, cue.text or cue.sound or "")
        sources[key] = clip
        length = round(len(clip.samples) * rate / clip.sample_rate)
        start = to_samples(cue.at_ms, rate)
        if length and start < total:
            placements.append(_Placement(start, length, key))
    placements.sort(key=lambda p: p.start)
    return Plan(
        rate=rate,
        channels=2 if options.music is not None else 1,
        total=total,
        placements=tuple(placements),
        sources=sources,
        music=options.music,
    )


class ClipBank:
    """Each distinct clip at the output rate, resampled on first use.

    Clips are kept for the later passes while they fit in `_CLIP_BUDGET`
    bytes; beyond that they are resampled again when needed, so a session
    with hours of distinct phrases still renders in bounded memory.
    """

    def __init__(self, plan: Plan) -> None:
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


def voice_blocks(plan: Plan, bank: ClipBank) -> Iterator[Samples]:
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


def music_envelope(plan: Plan, options: ExportOptions, b0: int, n: int) -> Samples:
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
def music_bed(plan: Plan) -> Iterator[_MusicBed | None]:
    if plan.music is None:
        yield None
        return
    bed = _MusicBed(Path(plan.music), plan.rate)
    try:
        yield bed
    finally:
        bed.close()
