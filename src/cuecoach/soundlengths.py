"""The lengths of the packaged sounds, read from their WAV headers.

The compiler is pure, so it takes sound lengths as an argument; the shells
pass these (or the lengths of the user's own files). Kept apart from
`sounds` so that timing a script needs no audio libraries.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Mapping
from functools import cache

from .packaged import DATA_DIR

SOUND_NAMES: tuple[str, ...] = ("start", "tick", "rest", "finish")
"""Every sound a cue script may name, in the order they are usually heard."""


def packaged_bytes(name: str) -> bytes:
    return (DATA_DIR / "sounds" / f"{name}.wav").read_bytes()


@cache
def packaged_sound_ms() -> Mapping[str, int]:
    """Name -> length in ms of every packaged sound (headers only)."""
    lengths: dict[str, int] = {}
    for name in SOUND_NAMES:
        with wave.open(io.BytesIO(packaged_bytes(name))) as wav:
            lengths[name] = round(wav.getnframes() * 1000 / wav.getframerate())
    return lengths
