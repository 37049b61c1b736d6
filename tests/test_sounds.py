"""The sound cues: packaged WAVs, their generator, and the user's own files."""

from __future__ import annotations

import runpy
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from cuecoach.errors import AudioError, InputError
from cuecoach.soundlengths import SOUND_NAMES
from cuecoach.sounds import load_sounds, sound_durations

ROOT = Path(__file__).resolve().parent.parent
EXPECTED_SECONDS = {"start": 0.3, "tick": 0.08, "rest": 0.5, "finish": 1.0}


def write_wav(path: Path, seconds: float, rate: int, channels: int = 1) -> None:
    t = np.arange(round(seconds * rate)) / rate
    tone = np.repeat(0.5 * np.sin(2 * np.pi * 440.0 * t), channels)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(np.round(tone * 32767).astype("<i2").tobytes())


def test_every_sound_loads_at_the_asked_rate() -> None:
    sounds = load_sounds(44100)
    assert tuple(sounds) == SOUND_NAMES == ("start", "tick", "rest", "finish")
    for name, clip in sounds.items():
        assert clip.sample_rate == 44100
        assert clip.samples.dtype == np.float32
        assert clip.duration == pytest.approx(EXPECTED_SECONDS[name], abs=0.001)
        peak = float(np.abs(clip.samples).max())
        assert 0.1 < peak <= 1.0
        assert abs(float(clip.samples[-1])) < 0.01  # faded out: no click at the end


def test_durations_come_from_the_headers() -> None:
    durations = sound_durations()
    assert durations == pytest.approx(EXPECTED_SECONDS, abs=0.001)
    loaded = load_sounds(22050)
    assert durations == {name: clip.duration for name, clip in loaded.items()}


def test_packaged_copies_match_audio_cues_and_the_generator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["make_sounds.py", "--root", str(tmp_path)])
    runpy.run_path(str(ROOT / "scripts" / "make_sounds.py"), run_name="__main__")
    for name in SOUND_NAMES:
        made = (tmp_path / "audio_cues" / f"{name}.wav").read_bytes()
        assert made == (ROOT / "audio_cues" / f"{name}.wav").read_bytes(), name
        packaged = ROOT / "src" / "cuecoach" / "data" / "sounds" / f"{name}.wav"
        assert made == packaged.read_bytes(), name


def test_user_file_overrides_a_sound(tmp_path: Path) -> None:
    mine = tmp_path / "bell.wav"
    write_wav(mine, 0.25, 16000, channels=2)
    sounds = load_sounds(44100, {"start": mine})
    assert sounds["start"].sample_rate == 44100
    assert sounds["start"].duration == pytest.approx(0.25, abs=0.001)
    assert sounds["tick"].duration == pytest.approx(0.08, abs=0.001)
    assert sound_durations({"start": mine})["start"] == pytest.approx(0.25, abs=0.001)


def test_unknown_name_and_missing_file_are_input_errors(tmp_path: Path) -> None:
    mine = tmp_path / "bell.wav"
    write_wav(mine, 0.1, 22050)
    with pytest.raises(InputError) as caught:
        load_sounds(22050, {"beep": mine, "rest": tmp_path / "gone.wav"})
    messages = [str(problem) for problem in caught.value.problems]
    assert messages == sorted(
        [
            f"{mine}: sounds.beep: unknown sound 'beep'; expected one of start, tick, rest, finish",
            f"{tmp_path / 'gone.wav'}: sounds.rest: file not found",
        ]
    )


def test_undecodable_file_is_an_audio_error_naming_it(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(b"this is not audio" * 50)
    with pytest.raises(AudioError, match=r"broken\.mp3"):
        load_sounds(22050, {"finish": broken})
    with pytest.raises(AudioError, match=r"broken\.mp3"):
        sound_durations({"finish": broken})
