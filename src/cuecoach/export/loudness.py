"""Loudness (ITU-R BS.1770-4): K-weighting, gating, and the search for the gains.

K-weighting is an FFT convolution with the filter's impulse response, and
gating uses the standard's 400 ms blocks built from 100 ms sub-blocks. The
voice is measured per distinct clip and laid onto the timeline by
bookkeeping, the music bed in one decoding pass; the gain that brings the
limited mix to the target is then found by the secant method.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from .limiter import limited_alone
from .mix import Plan, music_bed, music_envelope
from .options import ExportOptions

_MAX_GAIN_DB = 40.0  # a nearly silent script is not amplified into noise
_K_TAPS = 4096  # K-weighting impulse response length (its tail is below 1e-9 by then)
_K_FFT = 16384  # FFT size for K-weighting by overlap-add
_LOUDNESS_ROUNDS = 4  # secant steps for the gain; two usually land within the tolerance
_LOUDNESS_TOLERANCE = 0.1  # LU
_LIMITED_SLOPE = 0.6  # LU gained per dB near the target once speech is limited: a first guess


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


def _voice_energy(plan: Plan, gain: float, ceiling: float | None) -> npt.NDArray[np.float64]:
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
    for key, starts in plan.timeline.starts_by_key.items():
        samples = plan.timeline.clip(key) * np.float32(gain)
        if ceiling is not None:
            samples = limited_alone(samples, ceiling, plan.rate)
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


class _LoopEnergy:
    """The bed's K-weighted energy over its second loop, cumulative at `hop` resolution.

    The bed loops, and from its second loop on the filter runs in the same
    state as one loop earlier, so every later loop has the second's energy:
    measuring two loops is enough for any session length.
    """

    def __init__(self, start: int, period: int, hop: int) -> None:
        self.start = start  # timeline sample where the second loop begins
        self.period = period
        self._hop = hop
        self._chunks: list[npt.NDArray[np.float64]] = []
        self._rest = np.zeros(0)

    def add(self, energy: npt.NDArray[np.float64]) -> None:
        """Energies of the loop's next samples, in order."""
        energy = np.concatenate([self._rest, energy])
        whole = len(energy) // self._hop * self._hop
        self._chunks.append(energy[:whole].reshape(-1, self._hop).sum(axis=1))
        self._rest = energy[whole:]

    def between(
        self, a: npt.NDArray[np.int64], b: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float64]:
        """Energy of timeline samples [a, b) for each pair, all at or after `start`."""
        chunks = np.concatenate([*self._chunks, [self._rest.sum()]])
        points = np.concatenate([[0.0], np.cumsum(chunks)])
        positions = np.minimum(np.arange(len(points)) * self._hop, self.period)

        def cumulative(t: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
            loops, into = np.divmod(t - self.start, self.period)
            out: npt.NDArray[np.float64] = loops * points[-1] + np.interp(into, positions, points)
            return out

        return cumulative(b) - cumulative(a)


def _music_energy(
    plan: Plan, options: ExportOptions, progress: Callable[[float], None]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The bed's K-weighted mean square per sub-block at unit gain (channels summed),
    and the mean square of its ducking and fade envelope per sub-block."""
    music = np.zeros(plan.sub_blocks)
    ducking = np.zeros(plan.sub_blocks)
    sub = plan.sub_block
    ringing = np.zeros((_K_TAPS - 1, 2), dtype=np.float32)
    loop: _LoopEnergy | None = None
    measured_to = plan.total  # the first sample from which the loop's energy is reused
    with music_bed(plan) as bed:
        assert bed is not None
        for b0 in plan.block_starts:
            n = min(plan.block, plan.total - b0)
            weighted = _k_filtered(bed.read(n), plan.rate)
            weighted[: _K_TAPS - 1] += ringing
            ringing = weighted[n:]
            energy = np.square(weighted[:n], dtype=np.float64).sum(axis=1)
            if loop is None and bed.period is not None and bed.period < plan.total:
                loop = _LoopEnergy(bed.period, bed.period, plan.rate // 1000)
            if loop is not None:
                lo, hi = max(b0, loop.start), min(b0 + n, loop.start + loop.period)
                if hi > lo:
                    loop.add(energy[lo - b0 : hi - b0])
            padded = np.zeros(-(-n // sub) * sub)
            padded[:n] = energy
            first = b0 // sub
            music[first : first + len(padded) // sub] = padded.reshape(-1, sub).mean(1)
            progress((b0 + n) / plan.rate)
            if loop is not None and b0 + n >= loop.start + loop.period:
                # Whole sub-blocks from here on come from the measured loop.
                measured_to = -(-(b0 + n) // sub) * sub
                break
    if measured_to < plan.total:
        assert loop is not None
        a = np.arange(measured_to, plan.total, sub, dtype=np.int64)
        b = np.minimum(a + sub, plan.total)
        music[measured_to // sub :] = loop.between(a, b) / sub
    for b0 in plan.block_starts:
        n = min(plan.block, plan.total - b0)
        envelope = np.zeros(-(-n // sub) * sub)
        envelope[:n] = np.square(music_envelope(plan, options, b0, n))
        first = b0 // sub
        ducking[first : first + len(envelope) // sub] = envelope.reshape(-1, sub).mean(1)
    progress(plan.total / plan.rate)
    return music, ducking


def measure_gains(
    plan: Plan, options: ExportOptions, progress: Callable[[float], None]
) -> Callable[[float], tuple[float, float]]:
    """The gains for the voice (speech and sounds) and for the music bed, as a
    function of the limiter's ceiling (the parts are analysed once).

    The bed sits `music_level` LU from the voice; then both move together
    until the limited mix measures the target loudness. The mix's energy is
    taken as the sum of the parts' (voice and music are uncorrelated).
    Limiting takes loudness off the peaks, more as the gain rises, so the
    gain is found by the secant method on the limited loudness.
    """
    music, ducking = (
        _music_energy(plan, options, progress) if plan.music is not None else (None, None)
    )
    voice = _voice_energy(plan, 1.0, None)
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
        return lambda ceiling: (1.0, ratio)
    return lambda ceiling: _gains(plan, options, music, ratio, unlimited, ceiling)


def _gains(
    plan: Plan,
    options: ExportOptions,
    music: npt.NDArray[np.float64] | None,
    ratio: float,
    unlimited: float,
    ceiling: float,
) -> tuple[float, float]:
    """The voice's and the music's gains that bring the mix, limited to `ceiling`,
    to the target loudness."""

    def miss(gain_db: float) -> float:
        """How far the limited mix at `gain_db` lands from the target, in LU."""
        gain = 10.0 ** (gain_db / 20.0)
        mix = _voice_energy(plan, gain, ceiling)
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
