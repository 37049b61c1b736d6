"""The WAV sink: 16-bit PCM, for checking a mix by ear or in an editor.

The length is known before the first sample, so the header is written once,
final, and the file is never rewritten in place.
"""

from __future__ import annotations

import struct
from typing import IO

import numpy as np
import numpy.typing as npt

from ..errors import AudioError
from .mix import Plan


class WavSink:
    """16-bit PCM WAV; the length is known up front, so the header is final from the start."""

    input_gain = 1.0

    def __init__(self, file: IO[bytes], plan: Plan) -> None:
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
