"""Synthesise cuecoach's sound cues (start, tick, rest, finish) as small WAV files.

Run from the repository root::

    python scripts/make_sounds.py

Writes ``audio_cues/NAME.wav`` and the packaged copies in
``src/cuecoach/data/sounds/``. The output is deterministic (no randomness, no
timestamps in a WAV header), so re-running it leaves git with nothing to commit.
"""

from __future__ import annotations

import argparse
import shutil
import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

from cuecoach.audio import to_int16

RATE = 22050  # small files; the exporter resamples once per clip anyway
ROOT = Path(__file__).resolve().parent.parent
Wave = npt.NDArray[np.float64]


def _time(seconds: float) -> Wave:
    t: Wave = np.arange(round(seconds * RATE)) / RATE
    return t


def _tone(seconds: float, freq: float, *, decay: float, attack: float = 0.005) -> Wave:
    """A sine with a short linear attack and an exponential decay (time constant `decay`)."""
    t = _time(seconds)
    envelope = np.minimum(t / attack, 1.0) * np.exp(-t / decay)
    tone: Wave = np.sin(2 * np.pi * freq * t) * envelope
    return tone


def _bell(seconds: float, freq: float, *, decay: float) -> Wave:
    """A soft bell: the fundamental plus quieter, faster-decaying inharmonic partials."""
    return (
        _tone(seconds, freq, decay=decay)
        + 0.25 * _tone(seconds, freq * 2.76, decay=decay / 2)
        + 0.08 * _tone(seconds, freq * 5.4, decay=decay / 4)
    )


def _at(total: float, offset: float, sound: Wave) -> Wave:
    """`sound` placed `offset` seconds into a silent buffer `total` seconds long."""
    out = np.zeros(round(total * RATE))
    start = round(offset * RATE)
    part = sound[: len(out) - start]
    out[start : start + len(part)] = part
    return out


def _shaped(sound: Wave, peak: float) -> Wave:
    """Scaled to `peak` with a 10 ms fade-out, so no clip ends on a click."""
    fade = min(len(sound), round(0.010 * RATE))
    sound = sound.copy()
    sound[len(sound) - fade :] *= np.linspace(1.0, 0.0, fade)
    return sound * (peak / float(np.max(np.abs(sound))))


def start() -> Wave:
    """The "go" signal: a bright, short two-partial beep."""
    beep = _tone(0.3, 1318.5, decay=0.09) + 0.35 * _tone(0.3, 2637.0, decay=0.05)
    return _shaped(beep, 0.45)


def tick() -> Wave:
    """A soft click for the last seconds of a timed hold: quiet enough to sit under speech."""
    return _shaped(_tone(0.08, 1760.0, decay=0.015, attack=0.001), 0.3)


def rest() -> Wave:
    """A soft falling two-tone chime: the set is over."""
    total = 0.5
    chime = _at(total, 0.0, _bell(total, 783.99, decay=0.12))
    chime += _at(total, 0.18, _bell(total, 659.25, decay=0.14))
    return _shaped(chime, 0.45)


def finish() -> Wave:
    """A rising C-major arpeggio that rings into a chord: the session is done."""
    total = 1.0
    chord = np.zeros(round(total * RATE))
    for i, freq in enumerate((523.25, 659.25, 783.99, 1046.50)):
        chord += _at(total, 0.12 * i, _bell(total, freq, decay=0.45))
    return _shaped(chord, 0.45)


SOUNDS = {"start": start, "tick": tick, "rest": rest, "finish": finish}


def write_wav(path: Path, sound: Wave) -> None:
    """Mono 16-bit PCM at RATE."""
    pcm = to_int16(sound)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm.tobytes())


def main() -> None:
    """Write every sound to audio_cues/ and copy it into the package."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    args = parser.parse_args()
    cues = args.root / "audio_cues"
    packaged = args.root / "src" / "cuecoach" / "data" / "sounds"
    cues.mkdir(exist_ok=True)
    packaged.mkdir(parents=True, exist_ok=True)
    for name, make in SOUNDS.items():
        path = cues / f"{name}.wav"
        write_wav(path, make())
        shutil.copyfile(path, packaged / path.name)
        print(f"{path.relative_to(args.root)}  ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
