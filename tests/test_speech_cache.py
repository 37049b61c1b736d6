"""The Speaker facade and its on-disk clip cache."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from conftest import UserDirs
from cuecoach.audio import Clip
from cuecoach.speech import (
    ResolvedSpeech,
    Speaker,
    cache_clear,
    cache_info,
    default_cache_dir,
)
from cuecoach.speech.cache import SUFFIX, ClipCache

ENGLISH = ResolvedSpeech(engine="espeak", voice="gmw/en-US", rate=165, volume=1.0, language="en")
PHRASES = ["Get ready. First up: Push-Ups.", "3", "2", "1", "Go!", "Rest.", "3", "2", "1", "Go!"]


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "clips"


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"*{SUFFIX}"))


def test_default_cache_dir_honours_xdg_cache_home(user_dirs: UserDirs) -> None:
    assert default_cache_dir() == user_dirs.cache / "cuecoach" / "speech"


def test_clip_is_trimmed_normalised_and_at_the_speaker_rate(cache_dir: Path) -> None:
    clip = Speaker(ENGLISH, cache_dir, sample_rate=44100).clip("Brace your core.")
    assert clip.sample_rate == 44100
    assert clip.samples.dtype == np.float32
    peak = float(np.max(np.abs(clip.samples)))
    assert 0.1 < peak <= 10 ** (-1 / 20) + 1e-6
    # Trimmed: sound starts within a few tens of milliseconds of each end.
    loud = np.flatnonzero(np.abs(clip.samples) > peak * 10 ** (-45 / 20))
    assert loud[0] / 44100 < 0.03
    assert (len(clip.samples) - loud[-1]) / 44100 < 0.06


def test_duration_matches_the_clip(cache_dir: Path) -> None:
    speaker = Speaker(ENGLISH, cache_dir)
    assert speaker.duration("Three sets of twelve reps.") == pytest.approx(
        speaker.clip("Three sets of twelve reps.").duration
    )
    assert 1.0 < speaker.duration("Three sets of twelve reps.") < 3.0


def test_cached_clip_is_identical_across_speakers(cache_dir: Path) -> None:
    first = Speaker(ENGLISH, cache_dir).clip("Elbows tucked.")
    second = Speaker(ENGLISH, cache_dir).clip("Elbows tucked.")  # fresh memory: from disk
    np.testing.assert_array_equal(first.samples, second.samples)
    assert len(entries(cache_dir)) == 1


def test_settings_are_part_of_the_key(cache_dir: Path) -> None:
    Speaker(ENGLISH, cache_dir).clip("Go!")
    Speaker(ResolvedSpeech("espeak", "gmw/en-US", 250, 1.0, "en"), cache_dir).clip("Go!")
    Speaker(ResolvedSpeech("espeak", "roa/es", 165, 1.0, "es"), cache_dir).clip("Go!")
    Speaker(ENGLISH, cache_dir, sample_rate=44100).clip("Go!")
    assert len(entries(cache_dir)) == 4


def test_volume_scales_the_processed_clip(cache_dir: Path) -> None:
    full = Speaker(ENGLISH, cache_dir).clip("Rest.")
    half = Speaker(ResolvedSpeech("espeak", "gmw/en-US", 165, 0.5, "en"), cache_dir).clip("Rest.")
    ratio = float(np.max(np.abs(half.samples))) / float(np.max(np.abs(full.samples)))
    assert ratio == pytest.approx(0.5, rel=0.1)


def test_clips_synthesizes_unique_texts_once(cache_dir: Path) -> None:
    calls: list[tuple[int, int]] = []
    clips = Speaker(ENGLISH, cache_dir).clips(PHRASES, progress=lambda d, t: calls.append((d, t)))
    unique = list(dict.fromkeys(PHRASES))
    assert list(clips) == unique
    assert calls == [(i, len(unique)) for i in range(1, len(unique) + 1)]
    assert len(entries(cache_dir)) == len(unique)


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty", "garbage"])
def test_damaged_entry_is_resynthesized_not_returned(cache_dir: Path, damage: str) -> None:
    good = Speaker(ENGLISH, cache_dir).clip("Squeeze the handles.")
    (path,) = entries(cache_dir)
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "flip":
        data[-10] ^= 0xFF
    elif damage == "empty":
        data = bytearray()
    else:
        data = bytearray(b"not a clip at all" * 10)
    path.write_bytes(bytes(data))
    assert ClipCache(cache_dir).load(path.stem) is None
    again = Speaker(ENGLISH, cache_dir).clip("Squeeze the handles.")
    assert again.duration == pytest.approx(good.duration, rel=0.02)
    # The entry was repaired: it loads again.
    repaired = ClipCache(cache_dir).load(path.stem)
    assert repaired is not None
    np.testing.assert_array_equal(repaired.samples, again.samples)


def test_store_leaves_no_temporary_files(cache_dir: Path) -> None:
    cache = ClipCache(cache_dir)
    cache.store("k", Clip(np.full(10, 0.5, dtype=np.float32), 8000))
    assert [p.name for p in cache_dir.iterdir()] == [f"k{SUFFIX}"]
    loaded = cache.load("k")
    assert loaded is not None
    assert loaded.sample_rate == 8000


def test_cache_info_and_clear(cache_dir: Path) -> None:
    assert cache_info(cache_dir) == (cache_dir, 0, 0)
    Speaker(ENGLISH, cache_dir).clips(["One.", "Two.", "Three."])
    location, count, size = cache_info(cache_dir)
    assert (location, count) == (cache_dir, 3)
    assert size == sum(p.stat().st_size for p in entries(cache_dir))
    assert cache_clear(cache_dir) == 3
    assert cache_info(cache_dir) == (cache_dir, 0, 0)


def test_default_location_is_used_without_a_cache_dir(user_dirs: UserDirs) -> None:
    Speaker(ENGLISH).clip("Go!")
    location, count, _ = cache_info()
    assert location == user_dirs.cache / "cuecoach" / "speech"
    assert count == 1


_FILLER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from cuecoach.speech import ResolvedSpeech, Speaker

    settings = ResolvedSpeech("espeak", "gmw/en-US", 165, 1.0, "en")
    texts = [f"Set {n} of 40. Twelve reps." for n in range(40)]
    if sys.argv[2] == "reverse":
        texts.reverse()
    clips = Speaker(settings, Path(sys.argv[1])).clips(texts)
    assert all(c.duration > 0.5 for c in clips.values())
    print(len(clips))
    """
)


def test_two_processes_fill_one_cache_concurrently(cache_dir: Path) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _FILLER, str(cache_dir), order],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for order in ("forward", "reverse")
    ]
    results = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert out.strip() == "40"
    assert len(entries(cache_dir)) == 40
    assert not list(cache_dir.glob(".tmp-*"))
    cache = ClipCache(cache_dir)
    assert all(cache.load(p.stem) is not None for p in entries(cache_dir))
