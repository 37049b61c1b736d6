"""Rewrite the expected JSON of every valid test case from the current compiler.

Run after an intended change to the compiler or wording, then read the diff:
the test data is only as good as that review.

    python scripts/update_expected.py
"""

from __future__ import annotations

from pathlib import Path

from cuecoach.cuescript import to_json
from cuecoach.parse import load_session
from cuecoach.pipeline import script_session

VALID = Path(__file__).resolve().parent.parent / "tests" / "data" / "valid"


def main() -> None:
    for path in sorted(VALID.glob("*.toml")):
        if path.name.endswith(".words.toml"):
            continue
        out = path.with_suffix(".json")
        out.write_text(to_json(script_session(load_session(path)).script), encoding="utf-8")
        print(f"wrote {out.relative_to(VALID.parent.parent.parent)}")


if __name__ == "__main__":
    main()
