"""The sound cues (start, tick, rest, finish): packaged WAVs, or the user's own files.

The packaged sounds are made by ``scripts/make_sounds.py`` (see
``audio_cues/README.md``).
"""

from __future__ import annotations

import io
import wave
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .audio import (
    Clip,
    check_user_file,
    finite_or_refuse,
    from_int16_bytes,
    resample,
    user_file_problem,
)
from .errors import AudioError, InputError, Problem
from .soundlengths import SOUND_NAMES, packaged_bytes, packaged_sound_ms


def load_sounds(sample_rate: int, overrides: Mapping[str, Path] | None = None) -> dict[str, Clip]:
    """Every sound in SOUND_NAMES as a mono clip at `sample_rate`.

    `overrides` maps sound names to the user's own files, in any format
    miniaudio decodes (WAV, MP3, FLAC, Ogg Vorbis). An unknown name, or a
    file that is missing, does not decode, has an implausible sample rate
    or holds NaN or infinite samples, is an InputError naming it.
    """
    overrides = dict(overrides or {})
    _check_overrides(overrides)
    clips: dict[str, Clip] = {}
    for name in SOUND_NAMES:
        path = overrides.get(name)
        clips[name] = (
            _decode_user_file(path, sample_rate, name)
            if path is not None
            else resample(_packaged(name), sample_rate)
        )
    return clips


def sound_durations(overrides: Mapping[str, Path] | None = None) -> dict[str, float]:
    """The length in seconds of every sound, as `load_sounds` would load it.

    Reads only the files' headers, so the compiler can time sound cues cheaply.
    """
    overrides = dict(overrides or {})
    _check_overrides(overrides)
    durations: dict[str, float] = {}
    for name in SOUND_NAMES:
        path = overrides.get(name)
        if path is None:
            durations[name] = packaged_sound_ms()[name] / 1000
        else:
            durations[name] = check_user_file(path, f"--sound {name}")
    return durations


def _check_overrides(overrides: Mapping[str, Path]) -> None:
    # The name is what is wrong, not the file: blame the option.
    problems = [
        Problem(
            "(command line)",
            None,
            "--sound",
            f"unknown sound {name!r} in {name}={path}; expected one of {', '.join(SOUND_NAMES)}",
        )
        for name, path in overrides.items()
        if name not in SOUND_NAMES
    ]
    if problems:
        raise InputError(problems)


def _packaged(name: str) -> Clip:
    """A packaged sound at its own rate (mono 16-bit WAV, as make_sounds.py writes it)."""
    with wave.open(io.BytesIO(packaged_bytes(name))) as wav:
        if wav.getnchannels() != 1 or wav.getsampwidth() != 2:
            raise AudioError(f"packaged sound {name}.wav is not mono 16-bit; re-run make_sounds.py")
        return Clip(from_int16_bytes(wav.readframes(wav.getnframes())), wav.getframerate())


def _decode_user_file(path: Path, sample_rate: int, name: str) -> Clip:
    import miniaudio

    key = f"--sound {name}"
    check_user_file(path, key)
    try:
        decoded = miniaudio.decode_file(
            str(path),
            output_format=miniaudio.SampleFormat.FLOAT32,
            nchannels=1,
            sample_rate=sample_rate,
        )
    except miniaudio.MiniaudioError:
        raise user_file_problem(path, key, "cannot be decoded") from None
    samples = np.asarray(decoded.samples, dtype=np.float32)
    if not len(samples):
        raise user_file_problem(path, key, "holds no audio")
    finite_or_refuse(samples, path, key)
    # Keep the [-1, 1] promise of Clip even for a user's clipped master.
    return Clip(np.clip(samples, -1.0, 1.0), sample_rate)
