"""Feed many hostile variations of valid input files to the loaders; print what broke.

    .venv/bin/python scripts/fuzz_loaders.py [--count 100000] [--seed 1]

The same mutations as tests/test_fuzz.py, at volume. Prints the inputs run,
the crashes (any exception but the project's own errors; the first few with
the input that caused them, saved under the work folder), the time taken and
the slowest input, then how long the worst inputs known take to be read (or
refused). Exits 1 if anything crashed.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000, help="inputs to run")
    parser.add_argument("--seed", type=int, default=1, help="seed of the first input")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="cuecoach-fuzz-"))
    # Keep the user's real config and cache out of it.
    os.environ["XDG_CONFIG_HOME"] = str(work / "config")
    os.environ["XDG_CACHE_HOME"] = str(work / "cache")
    from fuzz_inputs import LOADERS, crash_of, mutate, prepare_folder, seed_files

    prepare_folder(work)
    seeds = seed_files()
    everything = [s for files in seeds.values() for s in files]
    kinds = sorted(LOADERS)
    crashes: Counter[str] = Counter()
    per_kind: Counter[str] = Counter()
    slowest = (0.0, "")
    start = time.perf_counter()
    for number in range(args.seed, args.seed + args.count):
        rng = random.Random(number)
        kind = rng.choice(kinds)
        data = mutate(rng, rng.choice(seeds[kind]), everything)
        path = work / f"fuzzed-{kind}.toml"
        path.write_bytes(data)
        began = time.perf_counter()
        crash = crash_of(kind, path)
        took = time.perf_counter() - began
        per_kind[kind] += 1
        if took > slowest[0]:
            slowest = (took, f"seed {number} ({kind}, {len(data):,} bytes)")
        if crash is not None:
            label = f"{kind}: {type(crash).__name__}: {str(crash)[:120]}"
            if label not in crashes:
                saved = work / f"crash-{number}-{kind}.toml"
                saved.write_bytes(data)
                print(f"crash at seed {number}: {label}\n  input saved as {saved}")
            crashes[label] += 1
    elapsed = time.perf_counter() - start
    kinds_run = ", ".join(f"{k} {n:,}" for k, n in sorted(per_kind.items()))
    print(f"inputs run:   {args.count:,} ({kinds_run})")
    print(f"crashes:      {sum(crashes.values())} ({len(crashes)} distinct)")
    print(f"time:         {elapsed:.1f} s ({1000 * elapsed / args.count:.2f} ms per input)")
    print(f"slowest:      {1000 * slowest[0]:.0f} ms, {slowest[1]}")
    print("worst inputs known (time to load or refuse, and the answer):")
    for label, path in worst_inputs(work):
        began = time.perf_counter()
        crash = crash_of("session", path)
        took = time.perf_counter() - began
        answer = "CRASH " + repr(crash) if crash else _answer(path)
        print(f"  {label:<34} {1000 * took:8.1f} ms  {answer[:90]}")
    return 1 if crashes else 0


def worst_inputs(work: Path) -> list[tuple[str, Path]]:
    """Sessions built to be slow or large, plus the special files, as (label, path)."""
    from cuecoach.tomlfile import MAX_INPUT_BYTES

    kb = MAX_INPUT_BYTES // 1000
    entry = '[[exercise]]\nname = "Push-Ups"\ndo = "3x10"\nrest = "60s"\n'
    texts = {
        "492 nested arrays": "x = " + "[" * 492 + "]" * 492 + "\n",
        "328 nested inline tables": "x = " + "{a = " * 328 + "1" + "}" * 328 + "\n",
        "4,301-digit reps": entry + "reps = 1" + "0" * 4300 + "\n",
        "10,000-char rest value": entry.replace('"60s"', '"' + "1" * 10_000 + '!"'),
        "100 KB session (1,800 exercises)": entry * (100_000 // len(entry)),
        f"{kb} KB of keys": "".join(f"k{i} = 1\n" for i in range(MAX_INPUT_BYTES // 12)),
        f"{kb} KB of one bare word": "a" * (MAX_INPUT_BYTES - 10),
        f"{kb} KB dotted key": "a" + ".a" * (MAX_INPUT_BYTES // 2 - 10) + " = 1\n",
        f"{kb} KB session (exercises)": entry * (MAX_INPUT_BYTES // len(entry)),
        "size limit + 1 byte": entry + "#" * (MAX_INPUT_BYTES - len(entry) + 1),
    }
    inputs: list[tuple[str, Path]] = []
    for label, text in texts.items():
        path = work / f"worst-{len(inputs)}.toml"
        path.write_text(text, encoding="utf-8")
        inputs.append((label, path))
    fifo = work / "worst-fifo.toml"
    os.mkfifo(fifo)
    return [*inputs, ("/dev/zero", Path("/dev/zero")), ("a named pipe", fifo)]


def _answer(path: Path) -> str:
    from cuecoach.errors import InputError
    from cuecoach.parse import load

    try:
        load(path)
    except InputError as exc:
        return f"refused: {exc.problems[0].message}"
    return "accepted"


if __name__ == "__main__":
    raise SystemExit(main())
