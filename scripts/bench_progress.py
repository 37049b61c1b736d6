"""Progression figures: `cuecoach plan` and exporting every week of the sample program.

    python scripts/bench_progress.py [--engine espeak] [--skip-export]

`plan` is timed as a command (median of several runs, beside `cuecoach --help`
run alternately, since the machine is shared) and in-process (the table
alone, imports done). The export writes all 6 weeks x 2 sessions of
sessions/week.toml to a temporary folder and prints its wall time and audio
length.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cuecoach.model import Program
from cuecoach.parse import load
from cuecoach.pipeline import script_session
from cuecoach.plan import plan_text

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = ROOT / "sessions" / "week.toml"
RUNS = 7


def _exe() -> str:
    return shutil.which("cuecoach") or str(Path(sys.executable).with_name("cuecoach"))


def plan_figures() -> None:
    commands = [[_exe(), "--help"], [_exe(), "plan", str(PROGRAM)]]
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(RUNS):
        for i, command in enumerate(commands):
            start = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            times[i].append(time.perf_counter() - start)
    help_s, plan_s = (statistics.median(t) for t in times)
    print(f"cuecoach --help: {help_s:.2f} s; cuecoach plan week.toml: {plan_s:.2f} s (medians)")
    program = load(PROGRAM)
    assert isinstance(program, Program)
    start = time.perf_counter()
    plan_text(program, lambda s: script_session(s).script.duration_ms)
    print(f"plan table in-process (12 sessions compiled): {time.perf_counter() - start:.3f} s")


def export_figures(engine: str) -> None:
    with tempfile.TemporaryDirectory(prefix="cuecoach-bench-") as folder:
        start = time.perf_counter()
        subprocess.run(
            [_exe(), "export", str(PROGRAM), "-o", folder, "--engine", engine, "-q"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        took = time.perf_counter() - start
        files = sorted(Path(folder).glob("*.mp3"))
        size = sum(f.stat().st_size for f in files)
    program = load(PROGRAM)
    assert isinstance(program, Program)
    from cuecoach.progression import program_weeks

    audio_ms = sum(script_session(s).script.duration_ms for _, s in program_weeks(program))
    print(
        f"export all weeks ({engine}): {took:.1f} s for {len(files)} MP3s, "
        f"{size / 1e6:.1f} MB, about {audio_ms / 3_600_000:.1f} h of audio "
        f"({audio_ms / 1000 / took:.0f}x real time)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="espeak")
    parser.add_argument("--skip-export", action="store_true")
    args = parser.parse_args()
    plan_figures()
    if not args.skip_export:
        export_figures(args.engine)


if __name__ == "__main__":
    main()
