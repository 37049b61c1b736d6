"""Benchmark the MP3 exporter against lameenc alone and against a naive pydub mix.

Run from the repository root::

    python scripts/bench_export.py [--minutes 50] [--rss-minutes 120] [--skip-naive] [--quality]
    python scripts/bench_export.py --compare REV [--rounds 3] [--minutes 12]

Builds a realistic cue script (sets, rests, countdowns, form cues, ticks)
of about `--minutes`, then times in the same run:

(a) the whole export from a cold phrase cache: synthesizing every distinct
    phrase, then ``cuecoach.export.render`` (every resample, both analysis
    passes, limiting, tagging and encoding included);
(b) lameenc alone encoding the very same PCM at the same settings;
(c) the naive approach: a silent pydub AudioSegment, one ``overlay`` per cue,
    and a pydub export (WAV when ffmpeg is missing, which flatters it);
(d) the export with a music bed (stereo, 128 kbit/s) against lameenc alone
    encoding that very PCM, both in CPU seconds (target: at most 1.5x).

`--quality` also encodes both mixes at several bitrates and LAME qualities and
prints CPU time, SNR and log-spectral distance (0-15 kHz) of the decoded MP3.
On a 12-minute script (2026-11): speech at 64 kbit/s, q2 1.36 s / 21.6 dB /
2.56 dB, q5 1.14 s / 22.1 dB / 2.35 dB; the music mix at 96 kbit/s, q2 11.1 s /
17.1 dB / 2.39 dB, q5 6.8 s / 17.5 dB / 2.13 dB. Quality 5 is as good or better
on both measures at 60-85 % of the CPU, hence the default; q7 scores better still
on these measures but turns off LAME's noise shaping, whose benefit they
do not see, so it was not chosen on them.

Before those, it renders a `--rss-minutes` session in subprocesses and reports
each one's peak resident memory: first from a cold phrase cache (the default
engine synthesizes every phrase), then from the cache it filled, without and
with the music bed (the export itself).

``--compare REV`` instead times (d) alone, under git revision REV's sources and
under this checkout's, in turn for `--rounds` rounds, each export against
lameenc alone in the same subprocess: before and after figures side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
import wave
from pathlib import Path
from typing import Any

import numpy as np

from cuecoach.audio import Clip, to_int16
from cuecoach.cuescript import Cue, CueKind, CueScript, Segment, SegmentKind
from cuecoach.export import ExportOptions, Tags, render
from cuecoach.sounds import load_sounds, sound_durations
from peak_memory import peak_rss_kib

EXERCISES = (
    ("Push-Ups", "Elbows at 45 degrees. Brace your core."),
    ("Dumbbell Rows", "Pull to your hip. Keep your back flat."),
    ("Goblet Squats", "Chest up. Knees track over your toes."),
    ("Plank", "Squeeze your glutes. Do not let your hips sag."),
    ("Lunges", "Long stride. Back knee towards the floor."),
    ("Overhead Press", "Ribs down. Press straight up."),
    ("Glute Bridges", "Drive through your heels. Pause at the top."),
    ("Side Plank", "Stack your feet. Lift your hips high."),
    ("Romanian Deadlifts", "Hinge at the hips. Soft knees."),
    ("Farmer's Carry", "Tall posture. Short quick steps."),
)


def build_script(minutes: float, speak: dict[str, float]) -> CueScript:
    """A session of about `minutes`: exercises of 4 sets until the time is used.

    `speak` maps every phrase to its spoken length; new phrases are added to it
    with a rough estimate, and the caller measures them afterwards.
    """
    segments: list[Segment] = []
    cues: list[Cue] = []
    sound_length = sound_durations()
    now = 0.0

    def say(at: float, text: str, exercise: str | None, set_: int | None = None) -> None:
        speak.setdefault(text, 0.08 * len(text) + 0.3)
        cues.append(
            Cue(
                round(at * 1000),
                round(speak[text] * 1000),
                CueKind.SPEECH,
                "bench",
                text=text,
                exercise=exercise,
                set=set_,
            )
        )

    def sound(at: float, name: str, exercise: str | None) -> None:
        cues.append(
            Cue(
                round(at * 1000),
                round(sound_length[name] * 1000),
                CueKind.SOUND,
                "bench",
                sound=name,
                exercise=exercise,
            )
        )

    def segment(
        kind: SegmentKind,
        length: float,
        exercise: str | None,
        set_: int | None = None,
        sets: int | None = None,
    ) -> float:
        nonlocal now
        start = now
        now = round(now + length, 3)
        segments.append(
            Segment(round(start * 1000), round(now * 1000), kind, exercise, set_, sets, None)
        )
        return start

    round_number = 0
    first = EXERCISES[0][0]
    start = segment(SegmentKind.LEAD_IN, 10.0, first)
    say(start, f"Get ready. First up: {first}.", first)
    while now < minutes * 60 - 300:
        for index, (name, form) in enumerate(EXERCISES):
            if now >= minutes * 60 - 300:
                break
            label = f"{name}, round {round_number + 1}" if round_number else name
            if index or round_number:
                start = segment(SegmentKind.TRANSITION, 30.0, label)
                say(start, f"Next up: {label}. {form}", label)
                for count in (3, 2, 1):
                    say(start + 30.0 - count, str(count), label)
            for set_ in range(1, 5):
                timed = name in ("Plank", "Side Plank")
                work = 40.0 if timed else 36.0
                start = segment(SegmentKind.WORK, work, label, set_, 4)
                sound(start, "start", label)
                say(
                    start + 0.5,
                    f"Set {set_} of 4." + (" Hold for 40 seconds." if timed else " 12 reps."),
                    label,
                    set_,
                )
                say(start + work / 2, form, label, set_)
                say(start + work - 10.0, "10 seconds left.", label, set_)
                if timed:
                    for count in (3, 2, 1):
                        sound(start + work - count, "tick", label)
                if set_ < 4:
                    start = segment(SegmentKind.REST, 60.0, label, None, 4)
                    sound(start, "rest", label)
                    say(start + 0.6, f"Rest. Set {set_ + 1} in 60 seconds.", label)
                    for count in (3, 2, 1):
                        say(start + 60.0 - count, str(count), label)
        round_number += 1
    start = segment(SegmentKind.FINISH, 10.0, None)
    sound(start, "finish", None)
    say(start + 1.2, "Workout complete. Great job!", None)
    cues.sort(key=lambda cue: cue.at_ms)
    return CueScript("Benchmark session", round(now * 1000), tuple(segments), tuple(cues))


def speak_all(script: CueScript, cache: Path) -> dict[str, Clip]:
    """Clips for every phrase, from the real text-to-speech engine."""
    from cuecoach.speech import Speaker, resolve_speech

    speaker = Speaker(resolve_speech(config=cache / "no-config.toml"), cache_dir=cache)
    return speaker.clips(cue.text for cue in script.cues if cue.text)


def _encoder(channels: int, rate: int, bitrate: int, quality: int) -> Any:
    import lameenc

    encoder = lameenc.Encoder()
    encoder.set_bit_rate(bitrate)
    encoder.set_in_sample_rate(rate)
    encoder.set_out_sample_rate(rate)
    encoder.set_channels(channels)
    encoder.set_quality(quality)
    encoder.silence()
    return encoder


def lameenc_alone(wav_path: Path, options: ExportOptions) -> float:
    """CPU seconds lameenc takes to encode the PCM in `wav_path` (read in 1 s blocks),
    at the settings the exporter uses for that many channels."""
    with wave.open(str(wav_path)) as wav:
        channels = wav.getnchannels()
        bitrate = options.music_bitrate if channels == 2 else options.bitrate
        encoder = _encoder(channels, wav.getframerate(), bitrate, options.quality)
        started = time.process_time()
        while block := wav.readframes(wav.getframerate()):
            encoder.encode(block)
        encoder.flush()
        return time.process_time() - started


def music_bed(path: Path, seconds: float = 30.0, rate: int = 44100) -> Path:
    """A looping stereo stand-in for music: harmonic voices with vibrato and a noise beat.

    Made a second at a time, so that making it does not count in the peak
    memory of the export that uses it.
    """
    rng = np.random.default_rng(1)
    total = round(seconds * rate)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        for start in range(0, total, rate):
            t = np.arange(start, min(start + rate, total)) / rate
            vibrato = 3.0 * np.sin(2 * np.pi * 5 * t)
            tones = sum(
                0.08 * np.sin(2 * np.pi * f * t + vibrato) for f in (110, 220, 330, 440, 660, 880)
            )
            beat = rng.standard_normal(len(t)) * np.exp(-(t % 0.5) * 30) * 0.2
            stereo = np.stack([tones + beat, 0.8 * tones + 0.6 * beat], axis=1)
            out.writeframes(to_int16(stereo.astype(np.float32)).tobytes())
    return path


def _spectra(x: Any, rate: int, frame: int = 2048) -> Any:
    """Magnitude spectra (0-15 kHz) of `x`, shape (n, channels), per frame and channel."""
    frames = len(x) // frame
    shaped = x[: frames * frame].reshape(frames, frame, x.shape[1]).transpose(0, 2, 1)
    return np.abs(np.fft.rfft(shaped * np.hanning(frame), axis=-1))[..., : 15000 * frame // rate]


def quality_table(wav_path: Path, bitrates: tuple[int, ...]) -> None:
    """Per bitrate and LAME quality: CPU time, SNR and log-spectral distance (0-15 kHz)
    of the decoded MP3 against the PCM in `wav_path`."""
    import miniaudio

    with wave.open(str(wav_path)) as wav:
        channels, rate = wav.getnchannels(), wav.getframerate()
        pcm = wav.readframes(wav.getnframes())
    ref = np.frombuffer(pcm, "<i2").reshape(-1, channels).astype(np.float64)
    for bitrate in bitrates:
        for quality in (2, 5, 7):
            encoder = _encoder(channels, rate, bitrate, quality)
            started = time.process_time()
            data = b"".join(
                bytes(encoder.encode(pcm[i : i + rate * channels * 2]))
                for i in range(0, len(pcm), rate * channels * 2)
            )
            data += bytes(encoder.flush())
            seconds = time.process_time() - started
            decoded = miniaudio.decode(
                data,
                output_format=miniaudio.SampleFormat.SIGNED16,
                nchannels=channels,
                sample_rate=rate,
            )
            # LAME's delay plus the decoder's: 576 + 529 samples.
            out = np.frombuffer(decoded.samples, "<i2").reshape(-1, channels)[1105:]
            n = min(len(out), len(ref))
            a, b = ref[:n], out[:n].astype(np.float64)
            snr = 10 * np.log10(np.sum(a**2) / np.sum((b - a) ** 2))
            ra, rb = _spectra(a, rate), _spectra(b, rate)
            energy = (ra**2).sum(-1)
            floor = ra.max() * 1e-4
            lsd = np.sqrt(np.mean((20 * np.log10((ra + floor) / (rb + floor))) ** 2, axis=-1))
            print(
                f"    {channels} ch {bitrate:3d} kbps q{quality}: {seconds:6.2f} s CPU  "
                f"SNR {snr:5.1f} dB  LSD {lsd[energy > energy.max() * 1e-4].mean():4.2f} dB"
            )


def naive(script: CueScript, clips: dict[str, Clip], sounds: dict[str, Clip], out: Path) -> float:
    """Seconds for the naive mix: silent AudioSegment, one overlay per cue, export."""
    with warnings.catch_warnings():
        # pydub imports audioop (deprecated) and warns when ffmpeg is missing.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        from pydub import AudioSegment

    def segment(clip: Clip) -> AudioSegment:
        pcm = to_int16(clip.samples).tobytes()
        return AudioSegment(data=pcm, sample_width=2, frame_rate=clip.sample_rate, channels=1)

    started = time.perf_counter()
    parts = {("speech", t): segment(c) for t, c in clips.items()}
    parts.update({("sound", n): segment(c) for n, c in sounds.items()})
    track = AudioSegment.silent(duration=script.duration_ms, frame_rate=44100)
    for cue in script.cues:
        key = (
            ("speech", cue.text or "") if cue.kind is CueKind.SPEECH else ("sound", cue.sound or "")
        )
        track = track.overlay(parts[key], position=cue.at_ms)
    track.export(str(out), format="mp3" if shutil.which("ffmpeg") else "wav")
    return time.perf_counter() - started


def rss_child(minutes: float, folder: Path, music: bool) -> None:
    """Render a `minutes` session, with the music bed if `music` (the subprocess side
    of the memory measurement)."""
    speak: dict[str, float] = {}
    script = build_script(minutes, speak)
    clips = speak_all(script, folder / "cache")
    options = ExportOptions(music=music_bed(folder / "bed.wav") if music else None)
    render(script, clips, load_sounds(22050), folder / "long.mp3", options, Tags("Long", "Bench"))
    print(peak_rss_kib())


def music_cpu(
    script: CueScript, clips: dict[str, Clip], sounds: dict[str, Clip], folder: Path
) -> tuple[float, float]:
    """CPU seconds of the export with a music bed, and of lameenc alone encoding its PCM."""
    options = ExportOptions(music=music_bed(folder / "bed.wav"))
    started = time.process_time()
    render(script, clips, sounds, folder / "music.mp3", options, Tags("Bench", "Bench"))
    rendered = time.process_time() - started
    render(script, clips, sounds, folder / "music.wav", options)
    return rendered, lameenc_alone(folder / "music.wav", options)


def music_child(minutes: float, folder: Path) -> None:
    """Print `music_cpu` of a `minutes` session as JSON (the subprocess side of --compare)."""
    script = build_script(minutes, {})
    clips = speak_all(script, folder / "cache")
    print(json.dumps(music_cpu(script, clips, load_sounds(22050), folder)))


def compare(rev: str, rounds: int, minutes: float, folder: Path) -> None:
    """Export with music under the sources of `rev` and of this checkout, turn about in
    subprocesses, and print each one's CPU against lameenc alone in the same process."""
    root = Path(__file__).resolve().parent.parent
    before = folder / "before"
    before.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", rev, "src"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(before)], input=archive, check=True)
    print(f"export with music, {minutes:g} min, CPU seconds (before = {rev}):")
    for round_ in range(1, rounds + 1):
        for label, src in (("before", before / "src"), ("after", root / "src")):
            work = folder / f"{label}-{round_}"
            work.mkdir()
            (work / "cache").symlink_to(folder / "cache", target_is_directory=True)
            child = subprocess.run(
                [sys.executable, __file__, "--music-child", str(work), "--minutes", str(minutes)],
                check=True,
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONPATH": str(src)},
            )
            rendered, alone = json.loads(child.stdout.splitlines()[-1])
            print(
                f"  round {round_} {label:6s}: render {rendered:6.2f}  lameenc alone "
                f"{alone:6.2f}  render/lameenc = {rendered / alone:.2f}"
            )


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=50.0)
    parser.add_argument("--rss-minutes", type=float, default=120.0)
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument(
        "--quality", action="store_true", help="also compare LAME bitrates and qualities"
    )
    parser.add_argument(
        "--compare",
        metavar="REV",
        help="only time the export with music under git revision REV's sources and this "
        "checkout's, turn about",
    )
    parser.add_argument("--rounds", type=int, default=3, help="turns each for --compare")
    parser.add_argument("--rss-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--rss-music", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--music-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        rss_child(args.rss_minutes, args.rss_child, args.rss_music)
        return
    if args.music_child:
        music_child(args.minutes, args.music_child)
        return
    options = ExportOptions()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.compare:
            compare(args.compare, args.rounds, args.minutes, folder)
            return
        # Each in a process of its own, which reports its own peak. The first
        # synthesizes every phrase (the default engine: Piper's model and
        # onnxruntime's buffers dominate); the others find them in its cache, so
        # they measure the export itself, which streams however long the session.
        for what, music in (("cold cache", False), ("voice only", False), ("with music", True)):
            command = [sys.executable, __file__, "--rss-child", str(folder)]
            command += ["--rss-minutes", str(args.rss_minutes)]
            done = subprocess.run(
                command + ["--rss-music"] * music, check=True, capture_output=True, text=True
            )
            peak_kib = int(done.stdout.split()[-1])
            print(
                f"peak RSS of a {args.rss_minutes:.0f}-minute export ({what}): "
                f"{peak_kib / 1024:.0f} MB"
            )

        script = build_script(args.minutes, {})
        sounds = load_sounds(22050)

        # (a) is the whole export from a cold phrase cache: speech, then render.
        started = time.perf_counter()
        clips = speak_all(script, folder / "cache")
        spoken = time.perf_counter() - started
        render(script, clips, sounds, folder / "out.mp3", options, Tags("Bench", "Bench"))
        rendered = time.perf_counter() - started
        speech_cues = sum(1 for cue in script.cues if cue.kind is CueKind.SPEECH)
        print(
            f"script: {script.duration_ms / 60_000:.1f} min, {len(script.cues)} cues "
            f"({speech_cues} speech, {len(clips)} distinct phrases)"
        )
        print(f"(a) cold export to MP3:   {rendered:7.2f} s   (speech {spoken:.2f} s of it)")
        render(script, clips, sounds, folder / "out.wav", options)
        alone = lameenc_alone(folder / "out.wav", options)
        print(f"(b) lameenc alone:        {alone:7.2f} s   render/lameenc = {rendered / alone:.2f}")
        # With a music bed, both in CPU seconds (the machine may be shared).
        music_seconds, music_alone = music_cpu(script, clips, sounds, folder)
        print(
            f"(d) export with music:    {music_seconds:7.2f} s CPU; lameenc alone "
            f"{music_alone:.2f} s CPU; render/lameenc = {music_seconds / music_alone:.2f}"
        )
        if args.quality:
            print("encoder settings on the voice-only mix, then the mix with music:")
            quality_table(folder / "out.wav", (32, 48, 64))
            quality_table(folder / "music.wav", (96, 128, 160))
        if not args.skip_naive:
            kind = "MP3" if shutil.which("ffmpeg") else "WAV, no ffmpeg"
            slow = naive(script, clips, sounds, folder / "naive")
            print(f"(c) naive pydub ({kind}): {slow:7.2f} s   naive/render = {slow / rendered:.1f}")


if __name__ == "__main__":
    main()
