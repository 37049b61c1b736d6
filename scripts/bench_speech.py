"""Time speech synthesis for a workout's phrases (cold cache, then warm) with each
engine, and the start-up of the commands that speak nothing.

Usage:
    python scripts/bench_speech.py              # a built-in Day 1-like phrase set
    python scripts/bench_speech.py SCRIPT.json  # speech cues of `cuecoach script --format json`

Targets for Day 1 (~60 unique phrases): espeak cold < 2 s, warm < 0.1 s;
`cuecoach check` and `cuecoach script` within 2x of `python -c "import click"`
(timed alternately, median of many runs, since the machine is shared and noisy).
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cuecoach.model import SpeechSettings
from cuecoach.speech import ResolvedSpeech, Speaker, load_engine, resolve_speech

ROOT = Path(__file__).resolve().parent.parent
DAY1 = str(ROOT / "sessions" / "day1-upper-core.toml")
RUNS = 21

EXERCISES = {
    "Push-Ups": ("Elbows 45 to 60 degrees from your sides", "Brace your core"),
    "Dumbbell Rows": ("Pull your elbow to your hip", "Keep your back flat"),
    "Plank with Shoulder Tap": ("Keep your hips still", "Feet wide for balance"),
    "Side Plank": ("Stack your feet", "Lift your hips high"),
    "Farmer's Carry": ("Stand tall", "Squeeze the handles"),
    "Dead Bug": ("Press your lower back down", "Move slowly"),
}


def day1_cues() -> list[str]:
    """Speech cue texts shaped like a compiled Day 1 session (with repeats)."""
    cues: list[str] = []
    names = list(EXERCISES)
    for index, (name, form) in enumerate(EXERCISES.items()):
        lead = "Get ready. First up" if index == 0 else "Next up"
        cues.append(f"{lead}: {name}. 3 sets.")
        for set_number in range(1, 4):
            cues += ["3", "2", "1", "Go!"]
            cues.append(f"{name}, set {set_number} of 3.")
            cues += list(form)
            cues += ["Halfway through.", "10 seconds left.", "3", "2", "1"]
            if set_number < 3:
                cues += ["Rest. 60 seconds.", "30 seconds.", f"Set {set_number + 1} coming up."]
            else:
                cues.append("Done. Great work.")
        if index + 1 < len(names):
            cues.append(f"Transition. Next: {names[index + 1]}.")
    cues.append("Workout complete. Well done.")
    return cues


def cues_from_script(path: Path) -> list[str]:
    """Speech cue texts from a cue script written as JSON."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return [c["text"] for c in data["cues"] if c.get("kind") == "speech" and c.get("text")]


@dataclass(frozen=True)
class BenchResult:
    total: int
    unique: int
    engine_load_s: float
    cold_s: float
    warm_s: float


def bench(phrases: Sequence[str], settings: ResolvedSpeech | None = None) -> BenchResult:
    """Synthesize `phrases` into an empty cache, then again from that cache, and time both."""
    started = time.perf_counter()
    resolved = settings or resolve_speech()
    load_engine(resolved.engine)
    engine_load = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="cuecoach-bench-") as folder:
        started = time.perf_counter()
        Speaker(resolved, Path(folder)).clips(phrases)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        Speaker(resolved, Path(folder)).clips(phrases)  # new speaker: reads the disk cache
        warm = time.perf_counter() - started
    return BenchResult(len(phrases), len(set(phrases)), engine_load, cold, warm)


def startup() -> None:
    """Median wall time of the commands that speak nothing, against `import click`."""
    exe = shutil.which("cuecoach") or str(Path(sys.executable).with_name("cuecoach"))
    commands = {
        "python -c 'import click'": [sys.executable, "-c", "import click"],
        "cuecoach --help": [exe, "--help"],
        "cuecoach check DAY1": [exe, "check", DAY1],
        "cuecoach script DAY1": [exe, "script", DAY1],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(RUNS):
        for name, command in commands.items():
            start = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times["python -c 'import click'"])
    for name, taken in times.items():
        median = statistics.median(taken)
        print(f"{name:<26} {median * 1000:6.1f} ms  {median / base:4.2f}x (median of {RUNS})")


def main(argv: Sequence[str]) -> int:
    """Run the benchmark and print its figures."""
    phrases = cues_from_script(Path(argv[0])) if argv else day1_cues()
    for engine in ("piper", "espeak"):
        result = bench(phrases, resolve_speech(SpeechSettings(engine=engine)))
        print(f"{engine}: cues: {result.total} total, {result.unique} unique phrases")
        print(f"  engine load:          {result.engine_load_s * 1000:8.1f} ms (once per process)")
        print(f"  cold cache synthesis: {result.cold_s * 1000:8.1f} ms")
        print(f"  warm cache:           {result.warm_s * 1000:8.1f} ms (target < 100)")
    startup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
