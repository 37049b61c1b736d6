"""Parse figures: time per exercise as sessions grow, and the worst inputs.

    python scripts/bench_parse.py

Prints figures; nothing here fails. Linear means the time per exercise stays
flat from the smallest session to the largest the parser accepts.
"""

from __future__ import annotations

import contextlib
import statistics
import tempfile
import time
from pathlib import Path

from cuecoach.errors import InputError
from cuecoach.parse import MAX_SESSION_EXERCISES, load

EXERCISE = """[[exercise]]
name = "Dumbbell Rows"
do = "3x10 per side"
rest = "45s"
cues = ["Flat back", "Pull to the hip"]
"""
RUNS = 7


def _seconds(path: Path) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        with contextlib.suppress(InputError):
            load(path)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.toml"
        print("exercises  ms total  ms per exercise")
        for count in (10, 30, 100, MAX_SESSION_EXERCISES):
            path.write_text(EXERCISE * count, encoding="utf-8")
            seconds = _seconds(path)
            print(f"{count:9}  {seconds * 1000:8.1f}  {seconds * 1000 / count:15.3f}")
        head = '[[exercise]]\nname = "Plank"\n'
        worst = {
            "rest of 20,000 characters": f'{head}do = "1x5"\nrest = "{"1" * 20_000}!"\n',
            "do of 20,000 characters": f'{head}do = "{"3" * 20_000}x10"\n',
            "name of 100,000 characters": f'[[exercise]]\nname = "{"n" * 100_000}"\ndo = "1x5"\n',
        }
        print()
        for what, text in worst.items():
            path.write_text(text, encoding="utf-8")
            print(f"{what}: {_seconds(path) * 1000:.1f} ms (refused)")


if __name__ == "__main__":
    main()
