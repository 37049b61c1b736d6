"""The Speaker facade and its on-disk clip cache."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

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
from cuecoach.speech.cache import MAX_BYTES, SUFFIX, ClipCache, cache_key, code_digest, evict

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
    assert (cache_info(cache_dir).entries, cache_info(cache_dir).size) == (0, 0)
    Speaker(ENGLISH, cache_dir).clips(["One.", "Two.", "Three."])
    info = cache_info(cache_dir)
    assert (info.folder, info.entries, info.limit) == (cache_dir, 3, MAX_BYTES)
    assert info.size == sum(p.stat().st_size for p in entries(cache_dir))
    assert cache_clear(cache_dir) == (3, [])
    assert cache_info(cache_dir).entries == 0


def test_default_location_is_used_without_a_cache_dir(user_dirs: UserDirs) -> None:
    Speaker(ENGLISH).clip("Go!")
    info = cache_info()
    assert info.folder == user_dirs.cache / "cuecoach" / "speech"
    assert info.entries == 1


def test_clips_are_stored_as_16_bit_and_compressed(cache_dir: Path) -> None:
    clip = Speaker(ENGLISH, cache_dir).clip("Brace your core.")
    [entry] = entries(cache_dir)
    assert entry.stat().st_size < len(clip.samples) * 2  # float32 would be 4 bytes a sample


def test_a_clip_from_the_cache_is_the_clip_synthesized(cache_dir: Path) -> None:
    fresh = Speaker(ENGLISH, cache_dir).clip("Rest, 90 seconds.")
    cached = Speaker(ENGLISH, cache_dir).clip("Rest, 90 seconds.")
    assert fresh.samples.tobytes() == cached.samples.tobytes()


def test_same_phrase_gives_the_same_samples_whatever_was_said_before(cache_dir: Path) -> None:
    # libespeak-ng's wave generator carried state from phrase to phrase, so "3"
    # came out a few samples longer or shorter each time.
    engine = Speaker(ENGLISH, cache_dir).engine
    takes = [
        engine.synthesize(text, ENGLISH).samples.tobytes() for text in ("3", "Rest.", "3", "3")
    ]
    assert takes[0] == takes[2] == takes[3]


def test_lru_eviction_keeps_the_cache_under_its_limit(cache_dir: Path) -> None:
    cache = ClipCache(cache_dir)
    for n in range(5):
        cache.store(f"old{n}", Clip(np.full(4000, 0.1 * n, dtype=np.float32), 8000))
    os.utime(cache_dir / f"old0{SUFFIX}", (1, 1))  # the least recently used
    assert cache.load("old4") is not None
    size = sum(p.stat().st_size for p in entries(cache_dir))
    assert evict(cache_dir, size - 1) == 1
    assert not (cache_dir / f"old0{SUFFIX}").exists()
    assert len(entries(cache_dir)) == 4


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_special_files_in_the_cache_are_synthesized_again(
    cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    speaker = Speaker(ENGLISH, cache_dir)
    expected = speaker.clip("Go!")
    [entry] = entries(cache_dir)
    entry.unlink()
    os.mkfifo(entry)  # would hang a plain read
    again = Speaker(ENGLISH, cache_dir).clip("Go!")
    assert again.samples.tobytes() == expected.samples.tobytes()
    entry.unlink()
    entry.symlink_to("/dev/zero")  # would fill memory
    assert Speaker(ENGLISH, cache_dir).clip("Go!").samples.tobytes() == expected.samples.tobytes()
    warnings = capsys.readouterr().err.splitlines()
    assert warnings == [f"warning: {entry}: not a cached clip, ignored (synthesizing again)"] * 2


def test_clear_survives_a_folder_and_reports_it(cache_dir: Path) -> None:
    Speaker(ENGLISH, cache_dir).clip("Go!")
    (cache_dir / f"folder{SUFFIX}").mkdir()
    removed, problems = cache_clear(cache_dir)
    assert removed == 1
    assert len(problems) == 1 and "a folder" in problems[0]


@pytest.mark.skipif(
    os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root ignores modes"
)
def test_clear_of_a_read_only_cache_reports_instead_of_crashing(cache_dir: Path) -> None:
    Speaker(ENGLISH, cache_dir).clip("Go!")
    cache_dir.chmod(0o500)
    try:
        removed, problems = cache_clear(cache_dir)
    finally:
        cache_dir.chmod(0o700)
    assert removed == 0 and "cannot remove" in problems[0]


def test_cache_key_names_everything_that_decides_the_samples() -> None:
    base: dict[str, Any] = {
        "fingerprint": "espeak 1.52",
        "volume": 1.0,
        "sample_rate": 22050,
        "text": "Go",
    }
    key = cache_key(**base)
    changed: list[dict[str, Any]] = [
        {"fingerprint": "espeak 1.53"},
        {"volume": 0.5},
        {"sample_rate": 44100},
        {"text": "Go!"},
    ]
    assert len({key, *(cache_key(**{**base, **change}) for change in changed)}) == 5
    assert len(code_digest()) == 64


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
