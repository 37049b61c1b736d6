"""Core figures: CLI start-up against `import click`, and how compiling scales.

    python scripts/bench_core.py [--baseline CHECKOUT] [--startup-only]

Start-up is timed side by side in one run (the machine is shared and noisy):
`--help`, `check` and `script` (estimated, no speech) are run alternately with
`python -c "import click"`, and the median of many runs is compared. With
`--baseline`, another checkout's installed `cuecoach` (its `.venv`) runs the same
commands in the same rounds, so a change is measured against what it changes.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path

from cuecoach.model import Session
from cuecoach.parse import load_session
from cuecoach.soundlengths import packaged_sound_ms

ROOT = Path(__file__).resolve().parent.parent
RUNS = 30


def _median_seconds(commands: list[list[str]]) -> list[float]:
    # As installed: modules load from cached bytecode (written by the untimed first
    # round), as for a user, even where the shell sets PYTHONDONTWRITEBYTECODE.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for command in commands:
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(RUNS):
        for i, command in enumerate(commands):
            start = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
            times[i].append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def startup(baseline: Path | None = None) -> None:
    """`--help`, `check` and `script` (estimated, no speech) against `import click`,
    for this checkout and, given one, the `baseline` checkout."""
    exe = shutil.which("cuecoach") or str(Path(sys.executable).with_name("cuecoach"))
    exes = {"": exe}
    if baseline is not None:
        exes[f" [{baseline}]"] = str(baseline / ".venv" / "bin" / "cuecoach")
    session = str(ROOT / "sessions" / "day1-upper-core.toml")
    commands = {"python -c 'import click'": [sys.executable, "-c", "import click"]}
    for tag, program in exes.items():
        commands[f"cuecoach --help{tag}"] = [program, "--help"]
        commands[f"cuecoach check day1{tag}"] = [program, "check", session]
        commands[f"cuecoach script day1{tag}"] = [program, "script", session]
    base, *others = _median_seconds(list(commands.values()))
    names = list(commands)
    width = max(map(len, names)) + 2
    print(f"{names[0] + ':':<{width}}{base * 1000:6.1f} ms (median of {RUNS}, alternating)")
    for name, seconds in zip(names[1:], others, strict=True):
        ratio = seconds / base
        print(f"{name + ':':<{width}}{seconds * 1000:6.1f} ms  {ratio:.2f}x (target <= 2x)")


SIZES = (100, 1_000, 5_000)
REPEATS = 5


def scaling() -> None:
    """Compile time at 100, 1,000 and 5,000 exercises, through the library API.

    The sizes are compiled in turn in each of REPEATS rounds (best kept), so the
    ratios compare runs made side by side. Linear means 10x the exercises costs
    at most 11x the time.
    """
    import cuecoach

    day2 = load_session(ROOT / "sessions" / "day2-full-body.toml")
    day1 = load_session(ROOT / "sessions" / "day1-upper-core.toml")
    pool = day1.items + day2.items
    sessions = {
        n: Session(f"{n:,} exercises", tuple(pool[i % len(pool)] for i in range(n))) for n in SIZES
    }
    sound_ms = packaged_sound_ms()
    best = dict.fromkeys(SIZES, float("inf"))
    shape: dict[int, str] = {}
    for _ in range(REPEATS):
        for n, session in sessions.items():
            gc.collect()  # each run starts from the same heap, not the last run's garbage
            # CPU time of this process: other work on the shared machine does not count.
            start = time.process_time()
            script = cuecoach.compile_session(session, sound_ms=sound_ms)
            best[n] = min(best[n], time.process_time() - start)
            shape[n] = f"{len(script.cues):,} cues, {script.duration_ms / 3_600_000:.1f} h"
            del script
    for n in SIZES:
        print(
            f"compile {n:>5,} exercises: {best[n]:.3f} s CPU best of {REPEATS}, "
            f"{best[n] / n * 1000:.3f} ms per exercise; {shape[n]}"
        )
    for small, big in pairwise(SIZES):
        ratio = best[big] / best[small]
        limit = 1.1 * big / small
        print(f"time x{big // small} exercises: x{ratio:.2f} (linear target <= x{limit:.1f})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--baseline", type=Path, help="another checkout whose .venv/bin/cuecoach is timed too"
    )
    parser.add_argument("--startup-only", action="store_true", help="skip the compile figures")
    args = parser.parse_args()
    startup(args.baseline)
    if not args.startup_only:
        scaling()
