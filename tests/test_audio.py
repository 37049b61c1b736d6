"""Clip processing: PCM conversions, file decoding, trimming, levels, resampling."""

from __future__ import annotations

import io
import struct
import wave

import numpy as np
import pytest

from cuecoach.audio import (
    Clip,
    decode_pcm_file,
    from_int16_bytes,
    normalize,
    resample,
    to_int16,
    trim_silence,
)
from cuecoach.errors import AudioError

RATE = 22050


def tone(freq: float, seconds: float, rate: int = RATE, amp: float = 0.5) -> Clip:
    t = np.arange(round(seconds * rate)) / rate
    return Clip((amp * np.sin(2 * np.pi * freq * t)).astype(np.float32), rate)


def dominant_hz(clip: Clip) -> float:
    spectrum = np.abs(np.fft.rfft(clip.samples))
    return float(np.argmax(spectrum) * clip.sample_rate / len(clip.samples))


def test_int16_round_trip_and_clipping() -> None:
    samples = np.array([0.0, 0.5, -0.5, 1.0, -1.0, 2.0], dtype=np.float32)
    data = to_int16(samples).tobytes()
    assert len(data) == 2 * len(samples)
    # Rounded, not truncated: a value just under a step lands on that step.
    assert to_int16(np.array([0.99 / 32767, -0.99 / 32767], np.float32)).tolist() == [1, -1]
    assert to_int16(np.array([0.5], np.float32), gain=2.0).tolist() == [32767]
    back = from_int16_bytes(data)
    assert back.dtype == np.float32
    np.testing.assert_allclose(back[:5], samples[:5], atol=1 / 16384)
    assert back[5] == pytest.approx(1.0, abs=1 / 16384)  # clipped, not wrapped


def test_decode_stereo_wav_to_mono() -> None:
    left = (np.linspace(-0.5, 0.5, 100) * 32767).astype("<i2")
    frames = np.column_stack([left, left]).tobytes()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(frames)
    clip = decode_pcm_file(buffer.getvalue())
    assert clip.sample_rate == 16000
    assert len(clip.samples) == 100
    np.testing.assert_allclose(clip.samples, left / 32768.0, atol=1e-4)


def _aiff(samples: np.ndarray, rate: int) -> bytes:
    # 80-bit extended float for the sample rate, as macOS writes it.
    exponent = rate.bit_length() - 1
    mantissa = rate << (63 - exponent)
    extended = struct.pack(">HQ", exponent + 16383, mantissa)
    comm = struct.pack(">hIh", 1, len(samples), 16) + extended
    pcm = samples.astype(">i2").tobytes()
    ssnd = struct.pack(">II", 0, 0) + pcm
    body = b"AIFF" + b"COMM" + struct.pack(">I", len(comm)) + comm
    body += b"SSND" + struct.pack(">I", len(ssnd)) + ssnd
    return b"FORM" + struct.pack(">I", len(body)) + body


def test_decode_aiff() -> None:
    pcm = np.array([0, 16384, -16384, 32767], dtype=np.int16)
    clip = decode_pcm_file(_aiff(pcm, 22050))
    assert clip.sample_rate == 22050
    np.testing.assert_allclose(clip.samples, pcm / 32768.0, atol=1e-6)


def test_decode_rejects_other_data() -> None:
    with pytest.raises(AudioError, match="not a WAV or AIFF"):
        decode_pcm_file(b"ID3\x04" + bytes(100))


def test_trim_removes_leading_and_trailing_silence() -> None:
    body = tone(300, 0.5)
    padded = Clip(
        np.concatenate(
            [
                np.zeros(round(0.4 * RATE), np.float32),
                body.samples,
                np.zeros(round(0.6 * RATE), np.float32),
            ]
        ),
        RATE,
    )
    trimmed = trim_silence(padded)
    # The tone plus the little kept on each side (15 ms before, 40 ms after).
    assert trimmed.duration == pytest.approx(0.5 + 0.055, abs=0.005)
    assert trimmed.sample_rate == RATE


def test_trim_keeps_quiet_onsets() -> None:
    # A soft consonant 30 dB below the vowel peak must survive.
    soft = tone(3000, 0.05, amp=0.5 * 10 ** (-30 / 20))
    loud = tone(200, 0.3)
    clip = Clip(
        np.concatenate([np.zeros(round(0.2 * RATE), np.float32), soft.samples, loud.samples]), RATE
    )
    assert trim_silence(clip).duration >= 0.35


def test_trim_of_silence_is_empty() -> None:
    assert len(trim_silence(Clip(np.zeros(RATE, np.float32), RATE)).samples) == 0


def test_normalize_reaches_rms_target_and_respects_peak() -> None:
    quiet = tone(440, 1.0, amp=0.01)
    out = normalize(quiet, rms_dbfs=-20.0, peak_dbfs=-1.0)
    rms_db = 20 * np.log10(np.sqrt(np.mean(np.square(out.samples, dtype=np.float64))))
    assert rms_db == pytest.approx(-20.0, abs=0.05)
    spiky = Clip(np.concatenate([np.zeros(RATE, np.float32), np.array([0.9], np.float32)]), RATE)
    capped = normalize(spiky, rms_dbfs=-20.0, peak_dbfs=-1.0)
    assert float(np.max(np.abs(capped.samples))) == pytest.approx(10 ** (-1 / 20), rel=1e-4)


@pytest.mark.parametrize("new_rate", [44100, 48000, 16000, 11025, 22051])
def test_resample_keeps_duration_and_pitch(new_rate: int) -> None:
    source = tone(440, 2.0)
    out = resample(source, new_rate)
    assert out.sample_rate == new_rate
    assert out.samples.dtype == np.float32
    assert out.duration == pytest.approx(source.duration, abs=1 / new_rate)
    assert dominant_hz(out) == pytest.approx(440, abs=1.0)
    # Away from the edges the amplitude is preserved (no gain or loss in the filter).
    middle = out.samples[new_rate // 10 : -new_rate // 10]
    assert float(np.max(np.abs(middle))) == pytest.approx(0.5, abs=0.01)


def test_resample_removes_content_above_the_new_nyquist() -> None:
    out = resample(tone(10000, 1.0), 16000)  # 10 kHz cannot exist at 16 kHz
    # Away from the edges, where the tone's abrupt start and end are broadband.
    assert float(np.max(np.abs(out.samples[800:-800]))) < 0.005


def test_resample_to_same_rate_is_identity() -> None:
    source = tone(440, 0.1)
    assert resample(source, RATE).samples is source.samples
