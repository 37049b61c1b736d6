"""Hostile variations of valid sessions, wordings, libraries and configs: the loaders
refuse them only with the project's own errors, each within a time bound.

The inputs come from tests/fuzz_inputs.py (scripts/fuzz_loaders.py runs the
same at volume). Derandomized, so CI runs the same inputs every time.
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz_inputs import LOADERS, crash_of, mutate, prepare_folder, seed_files

SEEDS = seed_files()
EVERYTHING = [s for files in SEEDS.values() for s in files]
# Per input: generous for a shared CI machine; a hang or a blow-up takes far longer.
TIME_BOUND = timedelta(seconds=5)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fuzz")
    prepare_folder(path)
    return path


@settings(
    derandomize=True,
    max_examples=300,
    deadline=TIME_BOUND,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(kind=st.sampled_from(sorted(LOADERS)), rng=st.randoms(use_true_random=False))
def test_loaders_refuse_hostile_files_only_with_their_own_errors(
    folder: Path, kind: str, rng: random.Random
) -> None:
    data = mutate(rng, rng.choice(SEEDS[kind]), EVERYTHING)
    path = folder / f"fuzzed-{kind}.toml"
    path.write_bytes(data)
    crash = crash_of(kind, path)
    assert crash is None, f"{type(crash).__name__}: {crash}\ninput:\n{data[:2000]!r}"
