"""The final pass: the mix, limited, quantized to 16 bits and written to a sink.

The mix is built block by block from the voice and the ducked music bed and
limited as it goes, so memory stays flat however long the session is. A
sink is the file format's end of the pass: `WavSink` (wav.py) or `Mp3Sink`
(mp3.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol

import numpy as np
import numpy.typing as npt

from ..audio import to_int16
from .limiter import Limiter
from .mix import Plan, music_bed, music_envelope, voice_blocks
from .options import ExportOptions


class Sink(Protocol):
    input_gain: float

    def write(self, pcm: npt.NDArray[np.int16]) -> None: ...

    def close(self) -> None: ...


def _mixed(
    plan: Plan,
    voice_gain: float,
    music_gain: float,
    options: ExportOptions,
    ceiling: float,
    progress: Callable[[float], None],
) -> Iterator[npt.NDArray[np.float32]]:
    """The final mix, limited to `ceiling`, block by block: shape (n, channels)."""
    limiter = Limiter(ceiling, plan.rate, plan.channels)
    with music_bed(plan) as bed:
        for b0, voice in zip(plan.block_starts, voice_blocks(plan), strict=True):
            # Each block is fresh, so it is scaled and mixed in place.
            np.multiply(voice, np.float32(voice_gain), out=voice)
            mixed = voice[:, None]
            if bed is not None:
                envelope = music_envelope(plan, options, b0, len(voice))
                np.multiply(envelope, np.float32(music_gain), out=envelope)
                mixed = bed.read(len(voice))
                # Channel by channel: numpy broadcasts over a last axis of 2 slowly.
                for channel in range(mixed.shape[1]):
                    np.multiply(mixed[:, channel], envelope, out=mixed[:, channel])
                    np.add(mixed[:, channel], voice, out=mixed[:, channel])
            limited = limiter.push(mixed)
            if limited is not None:
                yield limited
            progress((b0 + len(voice)) / plan.rate)
    last = limiter.finish()
    if last is not None:
        yield last


def encode(
    plan: Plan,
    voice_gain: float,
    music_gain: float,
    options: ExportOptions,
    ceiling: float,
    sink: Sink,
    progress: Callable[[float], None],
) -> None:
    """Mix, limit to `ceiling` and write the whole timeline."""
    for block in _mixed(plan, voice_gain, music_gain, options, ceiling, progress):
        sink.write(to_int16(block, sink.input_gain))
    sink.close()
