"""Core figures: CLI start-up against `import click`, and compiling a huge session.

    python scripts/bench_core.py

Start-up is timed side by side in one run (the machine is shared and noisy):
each command is run alternately, and the median of many runs is compared.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from cuecoach.compile import compile_session
from cuecoach.model import Session
from cuecoach.parse import load_session
from cuecoach.soundlengths import packaged_sound_ms

ROOT = Path(__file__).resolve().parent.parent
RUNS = 30


def _median_seconds(commands: list[list[str]]) -> list[float]:
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(RUNS):
        for i, command in enumerate(commands):
            start = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            times[i].append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def startup() -> None:
    exe = shutil.which("cuecoach") or str(Path(sys.executable).with_name("cuecoach"))
    base, cli = _median_seconds([[sys.executable, "-c", "import click"], [exe, "--help"]])
    print(f"python -c 'import click': {base * 1000:.1f} ms (median of {RUNS})")
    print(f"cuecoach --help:          {cli * 1000:.1f} ms (median of {RUNS})")
    print(f"start-up ratio:           {cli / base:.2f}x (target <= 2x)")


def big_compile() -> None:
    day2 = load_session(ROOT / "sessions" / "day2-full-body.toml")
    day1 = load_session(ROOT / "sessions" / "day1-upper-core.toml")
    pool = day1.items + day2.items
    session = Session("1,000 exercises", tuple(pool[i % len(pool)] for i in range(1000)))
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        script = compile_session(session, sound_ms=packaged_sound_ms())
        best = min(best, time.perf_counter() - start)
    hours = script.duration_ms / 3_600_000
    print(
        f"compile 1,000 exercises: {best:.3f} s best of 5 (target < 0.5 s); "
        f"{len(script.segments)} segments, {len(script.cues)} cues, {hours:.1f} h"
    )


if __name__ == "__main__":
    startup()
    big_compile()
