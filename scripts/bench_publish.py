"""Time `cuecoach publish` of a program, cold and warm, and print the figures.

Run from the repository root::

    python scripts/bench_publish.py [FILE] [--engine espeak]

Each run is the real CLI in a fresh process (start-up included), with its own
empty phrase cache and output folder: first cold (every phrase synthesized,
every MP3 rendered), then warm twice (nothing changed, so nothing is
rendered again).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", default="sessions/week.toml", type=Path)
    parser.add_argument("--engine", default="espeak")
    given = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cuecoach-bench-publish-") as temp:
        env = {**os.environ, "XDG_CACHE_HOME": str(Path(temp) / "cache")}
        args = [sys.executable, "-m", "cuecoach", "publish", str(given.file),
                "-o", str(Path(temp) / "site"), "--engine", given.engine, "--quiet"]  # fmt: skip
        for label in ("cold", "warm", "warm again"):
            seconds, said = run(args, env)
            print(f"{label:>10}: {seconds:6.2f} s  ({said.rsplit('(', 1)[-1].rstrip(')')})")
        size = sum(p.stat().st_size for p in (Path(temp) / "site").iterdir())
        print(f"{'folder':>10}: {size / 1e6:6.1f} MB")


if __name__ == "__main__":
    main()
