"""Audio clips and mixing (numpy): the only module that touches samples."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .errors import AudioError, InputError, Problem

Samples = npt.NDArray[np.float32]

# Speech cues are brought to one loudness before mixing; the exporter does the
# final LUFS pass, so this only has to make phrases consistent with each other.
SPEECH_RMS_DBFS = -20.0
SPEECH_PEAK_DBFS = -1.0


@dataclass(frozen=True, eq=False)
class Clip:
    """Mono float32 samples in [-1, 1] at `sample_rate` Hz. Never mutated."""

    samples: Samples
    sample_rate: int

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self.samples) / self.sample_rate


def to_int16(samples: npt.NDArray[np.floating[Any]], gain: float = 1.0) -> npt.NDArray[np.int16]:
    """Little-endian 16-bit PCM of `samples` times `gain`, clipped to [-1, 1] and rounded.

    The one conversion for every writer and device: rounding (not truncation)
    keeps quiet signals symmetric and the quantization error at half a step.
    """
    scaled = np.clip(samples * np.float32(32767.0 * gain), -32767.0, 32767.0)
    pcm: npt.NDArray[np.int16] = np.round(scaled).astype("<i2")
    return pcm


def from_int16_bytes(data: bytes, *, big_endian: bool = False) -> Samples:
    """Float32 samples in [-1, 1) from 16-bit PCM bytes (a trailing odd byte is dropped)."""
    usable = len(data) - len(data) % 2
    pcm = np.frombuffer(data[:usable], dtype=">i2" if big_endian else "<i2")
    return (pcm.astype(np.float32) / np.float32(32768.0)).astype(np.float32)


def decode_pcm_file(data: bytes) -> Clip:
    """A mono clip from the bytes of a WAV (RIFF) or AIFF file.

    Text-to-speech back ends write these: WAV on Windows and Linux, AIFF on macOS
    even when asked for ``.wav``. Multi-channel audio is mixed down to mono.
    """
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return _decode_riff(data)
    if data[:4] == b"FORM" and data[8:12] in (b"AIFF", b"AIFC"):
        return _decode_aiff(data)
    raise AudioError("not a WAV or AIFF file")


def _chunks(data: bytes, start: int, big_endian: bool) -> dict[bytes, bytes]:
    fmt = ">I" if big_endian else "<I"
    found: dict[bytes, bytes] = {}
    pos = start
    while pos + 8 <= len(data):
        cid = data[pos : pos + 4]
        (size,) = struct.unpack(fmt, data[pos + 4 : pos + 8])
        found.setdefault(cid, data[pos + 8 : pos + 8 + size])
        pos += 8 + size + (size & 1)  # chunks are padded to even length
    return found


def _decode_riff(data: bytes) -> Clip:
    chunks = _chunks(data, 12, big_endian=False)
    if b"fmt " not in chunks or b"data" not in chunks:
        raise AudioError("WAV file has no fmt or data chunk")
    fmt_tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", chunks[b"fmt "][:16])
    raw = chunks[b"data"]
    if fmt_tag == 3 and bits == 32:  # IEEE float
        samples = np.frombuffer(raw[: len(raw) - len(raw) % 4], dtype="<f4").astype(np.float32)
    elif fmt_tag in (1, 0xFFFE) and bits == 16:
        samples = from_int16_bytes(raw)
    else:
        raise AudioError(f"unsupported WAV sample format (tag {fmt_tag}, {bits} bits)")
    return Clip(_mono(samples, channels), rate)


def _decode_aiff(data: bytes) -> Clip:
    chunks = _chunks(data, 12, big_endian=True)
    if b"COMM" not in chunks or b"SSND" not in chunks:
        raise AudioError("AIFF file has no COMM or SSND chunk")
    comm = chunks[b"COMM"]
    channels, _, bits = struct.unpack(">hIh", comm[:8])
    rate = round(_extended_to_float(comm[8:18]))
    compression = comm[18:22] if data[8:12] == b"AIFC" else b"NONE"
    if bits != 16 or compression not in (b"NONE", b"sowt"):
        raise AudioError(f"unsupported AIFF sample format ({bits} bits, {compression!r})")
    (offset,) = struct.unpack(">I", chunks[b"SSND"][:4])
    raw = chunks[b"SSND"][8 + offset :]
    samples = from_int16_bytes(raw, big_endian=compression == b"NONE")
    return Clip(_mono(samples, channels), rate)


def _extended_to_float(raw: bytes) -> float:
    """IEEE 754 80-bit extended (AIFF's sample-rate field) to a Python float."""
    exponent, mantissa = struct.unpack(">HQ", raw)
    sign = -1.0 if exponent & 0x8000 else 1.0
    return float(sign * mantissa * 2.0 ** ((exponent & 0x7FFF) - 16383 - 63))


def _mono(samples: Samples, channels: int) -> Samples:
    if channels <= 1:
        return samples
    frames = len(samples) // channels
    mixed: Samples = samples[: frames * channels].reshape(frames, channels).mean(axis=1)
    return mixed.astype(np.float32)


def trim_silence(
    clip: Clip,
    *,
    threshold_db: float = -45.0,
    keep_before: float = 0.015,
    keep_after: float = 0.040,
) -> Clip:
    """The clip without its leading and trailing silence.

    A sample counts as sound when it is within `threshold_db` of the clip's
    peak. A little is kept on each side (more after: breathy endings and
    final consonants are quiet) so nothing audible is cut. An all-silent clip
    becomes empty.
    """
    samples = clip.samples
    peak = float(np.max(np.abs(samples))) if len(samples) else 0.0
    if peak == 0.0:
        return Clip(samples[:0], clip.sample_rate)
    loud = np.flatnonzero(np.abs(samples) >= peak * 10.0 ** (threshold_db / 20.0))
    start = max(0, int(loud[0]) - round(keep_before * clip.sample_rate))
    end = min(len(samples), int(loud[-1]) + 1 + round(keep_after * clip.sample_rate))
    return Clip(samples[start:end], clip.sample_rate)


def normalize(
    clip: Clip, *, rms_dbfs: float = SPEECH_RMS_DBFS, peak_dbfs: float = SPEECH_PEAK_DBFS
) -> Clip:
    """The clip scaled to an RMS level of `rms_dbfs`, but never peaking above `peak_dbfs`.

    RMS rather than peak keeps phrases at a similar perceived level; the peak
    cap prevents clipping on phrases with one loud plosive.
    """
    samples = clip.samples
    if not len(samples):
        return clip
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    peak = float(np.max(np.abs(samples)))
    if rms == 0.0:
        return clip
    gain = min(10.0 ** (rms_dbfs / 20.0) / rms, 10.0 ** (peak_dbfs / 20.0) / peak)
    return Clip((samples * np.float32(gain)).astype(np.float32), clip.sample_rate)


# A user's audio file (music bed, own sound) below this rate is refused: it
# cannot be a real recording, and resampling from it costs without bound.
MIN_FILE_RATE = 8000


def user_file_problem(path: Path, key: str, message: str) -> InputError:
    """The error for a user's audio file, in the one style: ``FILE: key: message``."""
    return InputError([Problem(str(path), None, key, message)])


def check_user_file(path: Path, key: str) -> float:
    """Open a user's audio file far enough to trust it; its duration in seconds.

    Refused (an InputError naming the file and `key`): a missing file, one
    miniaudio cannot decode, and one with an implausible sample rate.
    """
    import miniaudio

    if not path.is_file():
        raise user_file_problem(path, key, "file not found")
    try:
        info = miniaudio.get_file_info(str(path))
    except miniaudio.MiniaudioError:
        raise user_file_problem(
            path, key, "cannot be decoded (expected a WAV, MP3, FLAC or Ogg Vorbis file)"
        ) from None
    if info.sample_rate < MIN_FILE_RATE:
        raise user_file_problem(
            path,
            key,
            f"sample rate {info.sample_rate} Hz is below the {MIN_FILE_RATE} Hz accepted",
        )
    return float(info.duration)


def finite_or_refuse(samples: npt.NDArray[np.float32], path: Path, key: str) -> None:
    """Refuse decoded samples holding NaN or infinity, naming the file they came from."""
    if not np.isfinite(samples).all():
        raise user_file_problem(path, key, "holds samples that are not numbers (NaN or infinity)")


# Windowed-sinc design: zero crossings on each side of the kernel, Kaiser beta,
# and the cutoff as a fraction of the lower Nyquist frequency (the remainder is
# the transition band, so there is no aliasing right at Nyquist).
_SINC_ZEROS = 16
_KAISER_BETA = 8.6
_CUTOFF = 0.95


def resample(clip: Clip, sample_rate: int) -> Clip:
    """The clip at `sample_rate`, by rational polyphase windowed-sinc interpolation.

    Output sample n sits at input position n * M / L (L/M = new/old rate in
    lowest terms), so its fractional part takes only L values: the kernel is
    tabulated once per phase. Duration is kept to the nearest sample and pitch
    is unchanged.
    """
    if sample_rate <= 0:
        raise ValueError(f"sample rate must be positive, not {sample_rate}")
    if sample_rate == clip.sample_rate or not len(clip.samples):
        return Clip(clip.samples, sample_rate)
    ratio = Fraction(sample_rate, clip.sample_rate)
    up, down = ratio.numerator, ratio.denominator
    table, half = _kernel_table(up, down)
    x = np.concatenate([np.zeros(half, np.float32), clip.samples, np.zeros(half + 1, np.float32)])
    # Row i is the kernel's reach for an output whose position floors to input i - 1.
    windows = np.lib.stride_tricks.sliding_window_view(x, table.shape[1])
    n_out = round(len(clip.samples) * sample_rate / clip.sample_rate)
    out = np.empty(n_out, dtype=np.float32)
    # Outputs sharing a phase are `up` apart and their input positions `down`
    # apart, so each phase is one strided matrix-vector product.
    inverse = pow(down, -1, up) if up > 1 else 0
    for phase in range(up):
        first = phase * inverse % up
        if first >= n_out:
            continue
        count = len(range(first, n_out, up))
        start = first * down // up + 1
        rows = windows[start : start + count * down : down]
        out[first::up] = rows @ table[phase]
    return Clip(out, sample_rate)


@lru_cache(maxsize=16)
def _kernel_table(up: int, down: int) -> tuple[npt.NDArray[np.float32], int]:
    """Kernel weights per phase: row p holds taps for input positions floor(t)-half+1+k."""
    cutoff = min(1.0, up / down) * _CUTOFF
    half = int(np.ceil(_SINC_ZEROS / cutoff))
    k = np.arange(2 * half)
    frac = np.arange(up)[:, None] / up
    # Distance from the output instant to each tap, in input samples.
    t = frac - (k[None, :] - half + 1)
    weights = cutoff * np.sinc(cutoff * t)
    edge = np.clip(1.0 - (t / half) ** 2, 0.0, None)
    weights *= np.i0(_KAISER_BETA * np.sqrt(edge)) / np.i0(_KAISER_BETA)
    return weights.astype(np.float32), half
