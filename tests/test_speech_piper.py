"""The piper engine, for real: the bundled en_US-joe-medium voice on onnxruntime."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from cuecoach.audio import trim_silence
from cuecoach.errors import SpeechError
from cuecoach.model import SpeechSettings
from cuecoach.speech import ResolvedSpeech, load_engine, resolve_speech
from cuecoach.speech.piper_engine import PiperEngine
from cuecoach.speech.settings import voices_folder

JOE = ResolvedSpeech("piper", "en_US-joe-medium", 165, 1.0, "en")
PHRASE = "Set two of three. Goblet Squat."


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def test_piper_speaks_at_the_voice_rate() -> None:
    clip = load_engine("piper").synthesize(PHRASE, JOE)
    assert clip.sample_rate == 22050
    assert 1.2 < clip.duration < 4.0
    assert float(np.sqrt(np.mean(np.square(clip.samples, dtype=np.float64)))) > 0.02


def test_rate_sets_the_length() -> None:
    engine = load_engine("piper")
    slow = engine.synthesize(
        "Brace your core and drive through the floor.",
        ResolvedSpeech("piper", JOE.voice, 120, 1.0, "en"),
    )
    fast = engine.synthesize(
        "Brace your core and drive through the floor.",
        ResolvedSpeech("piper", JOE.voice, 240, 1.0, "en"),
    )
    # Trimmed, so the fixed silence at the ends does not count.
    assert 1.7 < trim_silence(slow).duration / trim_silence(fast).duration < 2.3


def test_sentences_are_separated_by_a_pause() -> None:
    clip = load_engine("piper").synthesize(PHRASE, JOE)
    quiet = np.abs(clip.samples) < 1e-4
    # The longest run of silence inside the clip is the pause between the sentences.
    longest = run = 0
    for q in quiet[: -len(quiet) // 10]:
        run = run + 1 if q else 0
        longest = max(longest, run)
    assert longest >= 0.2 * clip.sample_rate


_DIGEST = textwrap.dedent(
    """
    import hashlib
    from cuecoach.speech import ResolvedSpeech, load_engine
    clip = load_engine("piper").synthesize(
        "Set two of three. Goblet Squat.", ResolvedSpeech("piper", "en_US-joe-medium", 165, 1.0, "en")
    )
    print(hashlib.sha256(clip.samples.tobytes()).hexdigest())
    """
)


def test_two_processes_give_identical_samples() -> None:
    digests = {
        subprocess.run(
            [sys.executable, "-c", _DIGEST], capture_output=True, text=True, check=True, timeout=120
        ).stdout.strip()
        for _ in range(2)
    }
    here = hashlib.sha256(
        load_engine("piper").synthesize(PHRASE, JOE).samples.tobytes()
    ).hexdigest()
    assert digests == {here}


def copy_voice(folder: Path, name: str) -> Path:
    engine = PiperEngine()
    bundled = engine.voice_file(JOE.voice).model
    folder.mkdir(parents=True, exist_ok=True)
    model = folder / f"{name}.onnx"
    shutil.copyfile(bundled, model)
    shutil.copyfile(f"{bundled}.json", f"{model}.json")
    return model


def test_a_voice_path_is_accepted_and_the_cache_key_follows_the_file(tmp_path: Path) -> None:
    model = copy_voice(tmp_path / "elsewhere", "mine")
    engine = PiperEngine()
    by_path = ResolvedSpeech("piper", str(model), 165, 1.0, "en")
    assert engine.fingerprint(by_path) == engine.fingerprint(JOE)  # the same bytes
    with model.open("r+b") as f:
        f.seek(-1, 2)
        last = f.read(1)
        f.seek(-1, 2)
        f.write(bytes([last[0] ^ 1]))
    assert engine.fingerprint(by_path) != engine.fingerprint(JOE)


def test_the_cache_key_follows_the_voice_config_too(tmp_path: Path) -> None:
    model = copy_voice(tmp_path / "elsewhere", "mine")
    mine = ResolvedSpeech("piper", str(model), 165, 1.0, "en")
    before = PiperEngine().fingerprint(mine)
    config = Path(f"{model}.json")
    data = json.loads(config.read_text(encoding="utf-8"))
    data["audio"]["sample_rate"] = 16000
    config.write_text(json.dumps(data), encoding="utf-8")
    engine = PiperEngine()
    # The config decides what the samples are: here, the rate they are played at.
    assert engine.synthesize("Rest.", mine).sample_rate == 16000
    assert engine.fingerprint(mine) != before


def test_voice_given_as_a_path_is_resolved_to_that_file_and_a_bad_path_is_refused(
    tmp_path: Path,
) -> None:
    model = copy_voice(tmp_path / "elsewhere", "mine")
    chosen = resolve_speech(SpeechSettings(voice=str(model)), config=tmp_path / "none.toml")
    assert (chosen.engine, chosen.voice, chosen.language) == ("piper", str(model.resolve()), "en")
    spoken = load_engine("piper").synthesize(PHRASE, chosen)
    assert np.array_equal(spoken.samples, load_engine("piper").synthesize(PHRASE, JOE).samples)
    with pytest.raises(SpeechError, match=r"missing\.onnx: not a usable Piper voice"):
        resolve_speech(
            SpeechSettings(engine="piper", voice=str(tmp_path / "missing.onnx")),
            config=tmp_path / "none.toml",
        )


def test_voices_in_the_user_folder_are_listed() -> None:
    copy_voice(voices_folder(), "en_GB-test-medium")
    ids = [v.id for v in load_engine("piper").voices()]
    assert ids == ["en_US-joe-medium", "en_GB-test-medium"]


def test_the_model_is_let_go_once_a_session_is_heard_and_loads_again_if_needed() -> None:
    from cuecoach.model import SpeechSettings
    from cuecoach.parse import load_session
    from cuecoach.pipeline import hear_session

    session = load_session(Path(__file__).parent / "data" / "valid" / "minimal.toml")
    heard = hear_session(session, speech=SpeechSettings(engine="piper"))
    engine = heard.speaker.engine
    assert isinstance(engine, PiperEngine)
    # An export or a live session runs for as long as the workout: no model held.
    assert not engine._models
    clips = heard.speech_clips()
    assert clips and all(len(clip.samples) for clip in clips.values())
    assert not engine._models  # every clip came from the speaker's memory
    again = engine.synthesize(PHRASE, JOE)
    assert np.array_equal(again.samples, load_engine("piper").synthesize(PHRASE, JOE).samples)
