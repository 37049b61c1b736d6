"""Benchmark the live player's cue timing on the real clock.

Plays a generated session (cues every few seconds) through the real scheduler
in real time, on miniaudio's NULL backend (a device that consumes frames at
the sample rate without a sound card) or on a clock-paced output, and
compares when each cue's first sample was handed to the output (the time of
the pull that carried it plus its offset in that buffer) with when the script
schedules it:

    raw error   = handed_at - (first pull + cue.at)
    lead        = median raw error: the device's constant buffering, the same
                  for every cue, so nobody hears it
    onset error = |raw error - lead|
    drift       = least-squares slope of raw error over the session, times its length

Targets: onset error p99 < 5 ms, max < 20 ms, drift < 5 ms.

    python scripts/bench_live.py [--seconds 120] [--output null|paced]
"""

from __future__ import annotations

import argparse
import io
import sys

import numpy as np

from cuecoach.audio import Clip, Samples
from cuecoach.cuescript import Cue, CueKind, CueScript, Segment, SegmentKind
from cuecoach.live import (
    AudioOutput,
    Clock,
    LineDisplay,
    MiniaudioOutput,
    NoKeys,
    PacedOutput,
    RealClock,
    play,
)
from cuecoach.live.output import FrameReader
from cuecoach.timecode import to_samples

# Odd spacings, so cues fall anywhere inside the device's buffers, not on their edges.
CUE_EVERY = 2.971
# A device is primed with a few buffers at once when it starts, so a cue in
# those is handed over "early" whatever the scheduler does: start later.
FIRST_CUE = 1.537
SEGMENT_LENGTH = 30.0
SAMPLE_RATE = 48_000
CLIP_RATE = 22_050


class PullLog:
    """Wraps an output and records the clock time of every pull."""

    def __init__(self, inner: AudioOutput) -> None:
        self.inner = inner
        self.pulls: list[tuple[float, int]] = []

    @property
    def sample_rate(self) -> int:
        return self.inner.sample_rate

    @property
    def latency(self) -> float:
        return self.inner.latency

    @property
    def audible(self) -> bool:
        return self.inner.audible

    def start(self, read: FrameReader, clock: Clock) -> None:
        def logged(frames: int) -> Samples:
            self.pulls.append((clock.now(), frames))
            return read(frames)

        self.inner.start(logged, clock)

    def pump(self) -> float | None:
        return self.inner.pump()

    def stop(self) -> None:
        self.inner.stop()


def session(seconds: float) -> tuple[CueScript, dict[str, Clip], dict[str, Clip]]:
    """Alternating work and rest segments with a cue every CUE_EVERY seconds."""
    segments: list[Segment] = []
    start = 0.0
    index = 0
    while start < seconds:
        end = min(seconds, start + SEGMENT_LENGTH)
        kind = SegmentKind.WORK if index % 2 == 0 else SegmentKind.REST
        segments.append(
            Segment(
                round(start * 1000), round(end * 1000), kind, "Bench", index // 2 + 1, None, None
            )
        )
        start = end
        index += 1
    cues: list[Cue] = []
    for n in range(int((seconds - FIRST_CUE) // CUE_EVERY) + 1):
        at = round(FIRST_CUE + n * CUE_EVERY, 3)
        if n % 2 == 0:
            cues.append(Cue(round(at * 1000), 600, CueKind.SPEECH, "bench", text=f"cue {n}"))
        else:
            cues.append(Cue(round(at * 1000), 150, CueKind.SOUND, "sound", sound="beep"))
    t = np.arange(round(0.6 * CLIP_RATE)) / CLIP_RATE
    tone = (0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)
    clips = {c.text: Clip(tone, CLIP_RATE) for c in cues if c.text is not None}
    beep = Clip(tone[: round(0.15 * CLIP_RATE)], CLIP_RATE)
    script = CueScript("Bench", round(seconds * 1000), tuple(segments), tuple(cues))
    return script, clips, {"beep": beep}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures; exit 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="session length")
    parser.add_argument(
        "--output",
        choices=["null", "paced"],
        default="null",
        help="miniaudio NULL backend (default) or a clock-paced output",
    )
    args = parser.parse_args(argv)

    script, clips, sounds = session(args.seconds)
    inner: AudioOutput
    if args.output == "null":
        import miniaudio

        inner = MiniaudioOutput(SAMPLE_RATE, backends=[miniaudio.Backend.NULL])
    else:
        inner = PacedOutput(SAMPLE_RATE)
    output = PullLog(inner)
    print(f"playing {args.seconds:.0f} s, {len(script.cues)} cues, output {args.output} ...")
    result = play(
        script,
        clips,
        sounds,
        output,
        clock=RealClock(),
        keys=NoKeys(),
        display=LineDisplay(io.StringIO()),
    )
    if not result.completed or len(result.onsets) != len(script.cues):
        print(f"session did not complete: {result.reason}, {len(result.onsets)} onsets")
        return 1

    first_pull = output.pulls[0][0]
    at = np.array([o.cue.at_ms / 1000 for o in result.onsets])
    raw = np.array([o.handed_at for o in result.onsets]) - (first_pull + at)
    lead = float(np.median(raw))
    error = np.abs(raw - lead) * 1000
    slope = float(np.polyfit(at, raw, 1)[0]) if len(at) > 1 else 0.0
    drift = abs(slope * args.seconds) * 1000
    misplaced = sum(o.frame != to_samples(o.cue.at_ms, SAMPLE_RATE) for o in result.onsets)
    gaps = np.diff([t for t, _ in output.pulls]) * 1000

    p50, p99, worst = (float(np.percentile(error, q)) for q in (50, 99, 100))
    print(
        f"pulls: {len(output.pulls)}, period p50 {np.median(gaps):.2f} ms, max {gaps.max():.2f} ms"
    )
    print(f"cues on the wrong sample: {misplaced}")
    print(f"lead (constant, handed ahead of schedule): {-lead * 1000:.2f} ms")
    print(f"onset error: p50 {p50:.2f} ms  p99 {p99:.2f} ms  max {worst:.2f} ms")
    print(f"drift over {args.seconds:.0f} s: {drift:.2f} ms")
    ok = misplaced == 0 and p99 < 5 and worst < 20 and drift < 5
    print("targets (p99 < 5 ms, max < 20 ms, drift < 5 ms):", "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
