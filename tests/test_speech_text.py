"""The speech-text step: what each engine is given for the written cue text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cuecoach.speech import ResolvedSpeech, Speaker
from cuecoach.speech.speaker import FADE_OUT
from cuecoach.speech.text import spoken

ENGINES = {
    "espeak": ResolvedSpeech("espeak", "gmw/en-US", 165, 1.0, "en"),
    "piper": ResolvedSpeech("piper", "en_US-joe-medium", 165, 1.0, "en"),
}


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("Cat-Cow + Thread Needle", "Cat-Cow plus Thread Needle."),
        ("Downward Dog / Plank Flow", "Downward Dog and Plank Flow."),
        ("Goblet Squat, 12 kg.", "Goblet Squat, 12 kilograms."),
        ("1 kg", "1 kilogram."),
        ("Farmer carry 20 kg/side", "Farmer carry 20 kilograms per side."),
        ("Walk 40 m at 5 km/h", "Walk 40 metres at 5 kilometres per hour."),
        ("Hold 30s", "Hold 30 seconds."),
        ("Bench 135 lbs, RPE 8", "Bench 135 pounds, R P E 8."),
        ("Rest for 90 seconds.", "Rest for 90 seconds."),
        ("Ramp & Roll", "Ramp and Roll."),
        ("5", "5!"),
        ("8", "8."),
        ("18", "18!"),
        ("12 reps", "12 reps."),
        ("Go!", "Go!"),
    ],
)
def test_symbols_units_and_abbreviations_become_words(written: str, said: str) -> None:
    assert spoken(written) == said


def test_spanish_has_its_own_words() -> None:
    assert spoken("Sentadilla + Remo, 12 kg", "es") == "Sentadilla más Remo, 12 kilos."
    assert spoken("8", "es") == "8!"


def test_pronounce_replaces_whole_words_ignoring_case() -> None:
    table = {"Dumbbell": "dumb bell"}
    assert (
        spoken("Dumbbell Rows, dumbbell curls", pronounce=table)
        == "dumb bell Rows, dumb bell curls."
    )
    assert spoken("Dumbbells", pronounce=table) == "Dumbbells."


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("Cat-Cow + Thread Needle", "Cat-Cow plus Thread Needle"),
        ("Goblet Squat, 12 kg.", "Goblet Squat, 12 kilograms."),
    ],
)
def test_each_engine_is_given_the_spoken_text(
    tmp_path: Path, engine: str, written: str, said: str
) -> None:
    settings = ENGINES[engine]
    from_written = Speaker(settings, tmp_path / "a").clip(written)
    from_said = Speaker(settings, tmp_path / "b").clip(said)
    assert from_written.samples.tobytes() == from_said.samples.tobytes()


@pytest.mark.parametrize("engine", ENGINES)
def test_a_pronounce_entry_changes_what_the_engine_is_given(tmp_path: Path, engine: str) -> None:
    settings = ENGINES[engine]
    fixed = Speaker(settings, tmp_path / "a", pronounce={"Dumbbell": "dumb bell"}).clip(
        "Dumbbell Rows"
    )
    plain = Speaker(settings, tmp_path / "b").clip("Dumbbell Rows")
    said = Speaker(settings, tmp_path / "c").clip("dumb bell Rows")
    assert fixed.samples.tobytes() == said.samples.tobytes()
    assert fixed.samples.tobytes() != plain.samples.tobytes()


@pytest.mark.parametrize("engine", ENGINES)
def test_every_clip_ends_in_a_fade(tmp_path: Path, engine: str) -> None:
    clip = Speaker(ENGINES[engine], tmp_path / "clips").clip("Next up: Push-Ups.")
    fade = round(FADE_OUT * clip.sample_rate)
    before = float(np.max(np.abs(clip.samples[-2 * fade : -fade])))
    last = np.abs(clip.samples[-fade:])
    # The fade is a ramp to zero over the last FADE_OUT seconds.
    assert float(last[-1]) == 0.0
    assert float(np.max(last[fade // 2 :])) <= 0.5 * before + 1e-4
