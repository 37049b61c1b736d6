"""The sound cues: packaged WAVs, their generator, and the user's own files."""

from __future__ import annotations

import runpy
import struct
import sys
import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from click.testing import CliRunner

from cuecoach.cli import cli
from cuecoach.cuescript import Cue, CueKind, CueScript, Segment, SegmentKind
from cuecoach.errors import InputError
from cuecoach.export import ExportOptions, render
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


def test_unknown_name_blames_the_option_and_a_missing_file_is_named(tmp_path: Path) -> None:
    mine = tmp_path / "bell.wav"
    write_wav(mine, 0.1, 22050)
    with pytest.raises(InputError) as caught:
        load_sounds(22050, {"go": mine})
    assert str(caught.value) == (
        f"(command line): --sound: unknown sound 'go' in go={mine}; "
        "expected one of start, tick, rest, finish"
    )
    gone = tmp_path / "gone.wav"
    with pytest.raises(InputError, match=f"^{gone}: --sound rest: file not found$"):
        load_sounds(22050, {"rest": gone})
    with pytest.raises(InputError, match=f"^{gone}: --sound rest: file not found$"):
        sound_durations({"rest": gone})


def write_float_wav(path: Path, samples: npt.NDArray[np.float32], rate: int, channels: int) -> None:
    """An IEEE-float WAV (the wave module writes only integer PCM)."""
    data = samples.astype("<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, channels, rate, rate * 4 * channels, 4 * channels, 32)
    body = b"WAVEfmt " + struct.pack("<I", len(fmt)) + fmt + b"data"
    size = struct.pack("<I", len(body) + 4 + len(data))
    path.write_bytes(b"RIFF" + size + body + struct.pack("<I", len(data)) + data)


def tone(seconds: float, rate: int) -> npt.NDArray[np.float32]:
    t = np.arange(round(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_sound_with_non_finite_samples_is_refused_naming_it(tmp_path: Path, bad: float) -> None:
    samples = tone(0.2, 22050)
    samples[100] = bad
    mine = tmp_path / "bad.wav"
    write_float_wav(mine, samples, 22050, 1)
    with pytest.raises(InputError, match=rf"^{mine}: --sound tick: holds samples that are not"):
        load_sounds(44100, {"tick": mine})


def test_a_sound_at_1_hz_is_refused(tmp_path: Path) -> None:
    mine = tmp_path / "slow.wav"
    write_wav(mine, 5.0, 1)
    expected = rf"^{mine}: --sound tick: sample rate 1 Hz is below"
    with pytest.raises(InputError, match=expected):
        load_sounds(44100, {"tick": mine})
    with pytest.raises(InputError, match=expected):
        sound_durations({"tick": mine})


def render_with_music(tmp_path: Path, music: Path) -> None:
    sounds = load_sounds(44100)
    length = round(sounds["start"].duration * 1000)
    cues = (Cue(1000, length, CueKind.SOUND, "test", sound="start"),)
    segments = (Segment(0, 3000, SegmentKind.WORK, "Tone", 1, 1, None),)
    script = CueScript("Music", 3000, segments, cues)
    render(script, {}, sounds, tmp_path / "out.mp3", ExportOptions(music=music))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_music_with_non_finite_samples_is_refused_naming_it(tmp_path: Path, bad: float) -> None:
    samples = np.repeat(tone(2.0, 44100), 2)
    samples[-7] = bad  # late, so it is met while streaming, not at the start
    music = tmp_path / "bed.wav"
    write_float_wav(music, samples, 44100, 2)
    with pytest.raises(InputError, match=rf"^{music}: --music: holds samples that are not"):
        render_with_music(tmp_path, music)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bed.wav"]


@pytest.mark.parametrize(
    ("seconds", "rate", "message"),
    [
        (5.0, 1, "sample rate 1 Hz is below the 8000 Hz accepted"),
        (1 / 44100, 44100, "is shorter than 1 s; a music bed loops"),
    ],
)
def test_implausible_music_is_refused_at_once(
    tmp_path: Path, seconds: float, rate: int, message: str
) -> None:
    music = tmp_path / "bed.wav"
    write_wav(music, seconds, rate, channels=2)
    with pytest.raises(InputError, match=rf"^{music}: --music: {message}$"):
        render_with_music(tmp_path, music)


def test_undecodable_music_is_an_input_error_naming_it(tmp_path: Path) -> None:
    music = tmp_path / "fake.mp3"
    music.write_bytes(b"this is not audio" * 50)
    with pytest.raises(InputError, match=rf"^{music}: --music: cannot be decoded \(expected"):
        render_with_music(tmp_path, music)


def test_undecodable_sound_is_an_input_error_naming_it(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(b"this is not audio" * 50)
    with pytest.raises(InputError, match=r"broken\.mp3: --sound finish: cannot be decoded"):
        load_sounds(22050, {"finish": broken})
    with pytest.raises(InputError, match=r"broken\.mp3: --sound finish: cannot be decoded"):
        sound_durations({"finish": broken})


@pytest.mark.parametrize("option", ["--music", "--sound"])
def test_bad_user_audio_fails_at_the_cli_before_any_speech(tmp_path: Path, option: str) -> None:
    fake = tmp_path / "fake.mp3"
    fake.write_bytes(b"this is not audio" * 50)
    out = tmp_path / "out.mp3"
    value = str(fake) if option == "--music" else f"go={fake}"
    session = str(ROOT / "sessions" / "day1-upper-core.toml")
    result = CliRunner().invoke(cli, ["export", session, "-o", str(out), option, value])
    assert result.exit_code == 2
    expected = (
        f"error: {fake}: --music: cannot be decoded (expected a WAV, MP3, FLAC or Ogg Vorbis file)"
        if option == "--music"
        else f"error: (command line): --sound: unknown sound 'go' in go={fake}; "
        "expected one of start, tick, rest, finish"
    )
    assert result.stderr.strip() == expected
    assert not out.exists()
