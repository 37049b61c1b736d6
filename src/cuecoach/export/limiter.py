"""The true-peak limiter and its ceiling.

A look-ahead limiter, one block behind its input, keeps the 4x-oversampled
true peak (as BS.1770's meter finds it) at or below a ceiling set below the
requested true-peak limit by the MP3 codec's overshoot. The loudness
analysis limits each distinct clip alone the same way, so the gain search
sees what the limiter will do to the timeline.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt

from ..audio import Samples
from .mix import Plan
from .options import ExportOptions

# MP3 coding adds overshoot, more at low bitrates: limit this far below the ceiling
# (measured with ffmpeg's true-peak meter on the decoded files: up to 1.14 dB on
# Day 2's speech at 64 kbps, 1.0 dB on Day 1 with a music bed at 128 kbps, 1.3 dB
# at 32 kbps per channel). The exporter checks the decoded file and encodes again
# lower when this is not enough: espeak's loud consonants overshoot by 2-3.5 dB.
_CODEC_HEADROOM_DB = 1.5
_LOW_BITRATE_HEADROOM_DB = 2.0  # below 48 kbps per channel
_LIMITER_HALF_WINDOW = 0.0025  # s; gain changes ramp over twice this
_TP_HALF_TAPS = 8  # taps each side of the 4x true-peak interpolator


def limiter_ceiling(options: ExportOptions, plan: Plan) -> float:
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
    # Channel by channel: numpy's reduction across a short last axis is slow.
    magnitude = np.abs(x[:, 0])
    for channel in range(1, x.shape[1]):
        np.maximum(magnitude, np.abs(x[:, channel]), out=magnitude)
    inner = magnitude[1:-1]
    maxima = 1 + np.flatnonzero(
        (inner >= floor) & (inner >= magnitude[:-2]) & (inner >= magnitude[2:])
    )
    peaks: npt.NDArray[np.float32] = magnitude.copy()
    if not len(maxima):
        return peaks
    half = _TP_HALF_TAPS
    # The points after sample m - 1 and after sample m, for each maximum m: the
    # taps reach `half` samples either side, zeros beyond the ends of `x`.
    bases = np.concatenate([maxima - 1, maxima])
    taps = bases[:, None] + np.arange(1 - half, half + 1)[None, :]
    if taps[0, 0] >= 0 and taps[-1, -1] < len(x):
        windows = x[taps]  # (k, taps, channels)
    else:
        padded = np.concatenate(
            [np.zeros((half, x.shape[1]), np.float32), x, np.zeros((half, x.shape[1]), np.float32)]
        )
        windows = padded[taps + half]
    between = np.abs(np.einsum("ktc,pt->kpc", windows, _interpolators())).max(axis=(1, 2))
    # Maxima are distinct, so each sample takes the larger of its two points at once.
    count = len(maxima)
    peaks[maxima] = np.maximum(peaks[maxima], np.maximum(between[:count], between[count:]))
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


class Limiter:
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
            tail = self._current[-self._context :]
            self._before = np.concatenate([self._before, tail])[-self._context :]
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
        peaks = _true_peaks(window, floor)
        if peaks.max() <= np.float32(self._ceiling):  # then every sample needs gain 1
            return block
        needed = np.minimum(np.float32(1.0), self._ceiling / np.maximum(peaks, np.float32(1e-9)))
        # The gain differs from 1 only within 2 * half of a sample that needs it.
        half = self._half
        needy = np.flatnonzero(needed < 1.0)
        lo = max(0, int(needy[0]) - 4 * half)
        hi = min(len(window), int(needy[-1]) + 4 * half + 1)
        width = 2 * half + 1
        smooth = _moving_mean(_moving_min(needed[lo:hi], width), width)
        gain = np.ones(len(window), dtype=np.float32)
        gain[lo + 2 * half : lo + 2 * half + len(smooth)] = smooth
        gain = gain[self._context : self._context + len(block)]
        # Channel by channel: numpy broadcasts over a last axis of 2 slowly.
        out = np.empty_like(block)
        for channel in range(block.shape[1]):
            np.multiply(block[:, channel], gain, out=out[:, channel])
        return out


class TruePeakMeter:
    """The largest 4x-oversampled true peak of a stream fed in blocks of shape (n, channels).

    A sample counts once the `_TP_HALF_TAPS` samples on each side of it have
    arrived: the interpolator needs them, and padding a loud block's edge with
    zeros would read as an overshoot that is not in the stream.
    """

    def __init__(self, channels: int, floor: float) -> None:
        self._tail = np.zeros((2 * _TP_HALF_TAPS, channels), dtype=np.float32)
        self._floor = floor  # peaks below this need not be exact (see _true_peaks)
        self.peak = 0.0

    def feed(self, block: npt.NDArray[np.float32]) -> None:
        """Take the next block."""
        window = np.concatenate([self._tail, block])
        half = _TP_HALF_TAPS
        if len(window) > 2 * half:
            peaks = _true_peaks(window, self._floor)[half : len(window) - half]
            self.peak = max(self.peak, float(peaks.max()))
        self._tail = window[-2 * half :]


def limited_alone(samples: Samples, ceiling: float, rate: int) -> Samples:
    """A mono clip limited as the timeline's limiter does when nothing else plays near it."""
    limiter = Limiter(ceiling, rate, 1)
    limiter.push(samples[:, None])
    limited = limiter.finish()
    assert limited is not None
    return limited[:, 0]
