"""Print how long `cuecoach play` takes to start with each engine, cold and warm.

The time is from launching the command to the moment the sound device is
started, that is when "Get ready" begins: everything before it (loading the
engine, synthesizing and measuring every phrase, compiling, the training log)
is what a user waits through. Cold is with an empty speech cache, warm with
the cache the cold run filled. The sound device is miniaudio's null backend
(no sound card here), ended as soon as it starts.

    python scripts/bench_play.py [--engine piper --engine espeak] [SESSION]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DAY1 = ROOT / "sessions" / "day1-upper-core.toml"

# `play` through the console script's entry point, with its sound device replaced
# by miniaudio's null one, which prints the wall-clock time it is started at and
# ends the process there.
_PLAY = (
    "import os, sys, time\n"
    "import miniaudio\n"
    "import cuecoach.live\n"
    "from cuecoach.__main__ import main\n"
    "from cuecoach.live.output import MiniaudioOutput\n"
    "class Started(MiniaudioOutput):\n"
    "    def start(self, read, clock):\n"
    "        print(time.time(), flush=True)\n"
    "        os._exit(0)\n"
    "cuecoach.live.open_device = lambda: Started(backends=[miniaudio.Backend.NULL])\n"
    "main()\n"
)


def started_after(session: Path, engine: str, home: Path) -> float:
    """Seconds from launching `play` to its sound device starting."""
    env = {**os.environ, "XDG_CACHE_HOME": str(home / "cache"),
           "XDG_DATA_HOME": str(home / "data")}  # fmt: skip
    launched = time.time()
    done = subprocess.run(
        [sys.executable, "-c", _PLAY, "play", str(session), "--engine", engine],
        env=env, check=True, capture_output=True, text=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    return float(done.stdout.split()[-1]) - launched


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("session", nargs="?", type=Path, default=DAY1)
    parser.add_argument("--engine", action="append", dest="engines")
    args = parser.parse_args()
    for engine in args.engines or ["piper", "espeak"]:
        with tempfile.TemporaryDirectory(prefix="bench-play-") as temp:
            cold = started_after(args.session, engine, Path(temp))
            warm = started_after(args.session, engine, Path(temp))
        print(f"{args.session.stem} / {engine}: play starts after {cold:.2f} s cold, "
              f"{warm:.2f} s warm")  # fmt: skip


if __name__ == "__main__":
    main()
