"""The espeak engine, for real: libespeak-ng from the espeakng-loader wheel."""

from __future__ import annotations

import ctypes.util
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

from cuecoach.errors import SpeechError
from cuecoach.model import SpeechSettings
from cuecoach.speech import (
    ResolvedSpeech,
    Voice,
    list_voices,
    load_engine,
    match_voice,
    resolve_speech,
)
from cuecoach.speech import espeak as espeak_module
from cuecoach.speech.espeak import EspeakLibrary

PHRASE = "Get ready. First up: Push-Ups. Three sets of twelve reps."


def settings(rate: int = 165, voice: str = "gmw/en-US", volume: float = 1.0) -> ResolvedSpeech:
    return ResolvedSpeech(engine="espeak", voice=voice, rate=rate, volume=volume, language="en")


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


def test_engine_identity() -> None:
    engine = load_engine("espeak")
    assert engine.name == "espeak"
    assert engine.version.startswith("espeak-ng 1.")
    assert load_engine("espeak") is engine  # initialised once per process


def test_library_runs_in_synchronous_mode() -> None:
    load_engine("espeak")
    library = EspeakLibrary.get()
    threads = threading.active_count()
    clip = load_engine("espeak").synthesize(PHRASE, settings())
    # The samples were all delivered by the time synthesize returned, by
    # callbacks on this very thread: no library thread, nothing waited for.
    assert library.callback_thread == threading.get_ident()
    assert threading.active_count() == threads
    assert clip.duration > 2.0


def test_synthesis_happens_on_the_calling_thread() -> None:
    engine = load_engine("espeak")
    seen: list[tuple[int | None, int, float]] = []

    def speak() -> None:
        clip = engine.synthesize("Go.", settings())
        seen.append((EspeakLibrary.get().callback_thread, threading.get_ident(), clip.duration))

    worker = threading.Thread(target=speak)
    worker.start()
    worker.join()
    [(callback_thread, caller, duration)] = seen
    assert callback_thread == caller
    assert duration > 0.1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts threads in /proc")
def test_initialising_starts_no_native_thread() -> None:
    # Retrieval mode would start a library thread in espeak_Initialize.
    code = textwrap.dedent(
        """
        import os
        from cuecoach.speech.espeak import EspeakLibrary
        tasks = lambda: len(os.listdir("/proc/self/task"))
        before = tasks()
        library = EspeakLibrary.get()
        pcm = library.synthesize("Three sets of twelve.", "gmw/en", 165, 1.0)
        print(before, tasks(), len(pcm) > 0)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    before, after, spoke = result.stdout.split()
    assert after == before
    assert spoke == "True"


def test_voices_cover_many_languages() -> None:
    voices = load_engine("espeak").voices()
    assert len(voices) > 100
    ids = {v.id for v in voices}
    assert {"gmw/en", "gmw/en-US", "roa/es"} <= ids
    spanish = list_voices("espeak", "es")
    assert spanish
    assert all(any(code.startswith("es") for code in v.languages) for v in spanish)


def test_english_is_spoken_with_the_american_voice_unless_another_is_asked_for() -> None:
    # The British voice's "1" is heard "Wow." and its "Hold it." "I will do it.";
    # the American voice is heard best with the male8 variant.
    espeak = load_engine("espeak")
    assert espeak.find_voice(None, "en").id == "gmw/en-US+m8"
    assert espeak.find_voice(None, "EN").id == "gmw/en-US+m8"
    assert espeak.find_voice(None, "en_US").id == "gmw/en-US+m8"
    # A voice named is the voice named: the variant is the default's, not the voice's.
    assert espeak.find_voice("gmw/en-US", "en").id == "gmw/en-US"
    assert espeak.find_voice(None, "en-gb").id == "gmw/en"
    assert espeak.find_voice(None, "en-GB-x-rp").id == "gmw/en-GB-x-rp"
    assert espeak.find_voice(None, "es").id == "roa/es"
    # Only espeak has the preference: another engine's "en" is its own first choice.
    others = [Voice("a/en", "English", ("en",)), Voice("b/en-US", "American", ("en-us",))]
    assert match_voice(others, None, "en", "pyttsx3").id == "a/en"


def test_a_sentence_gets_a_pause_between_its_words_and_a_call_none() -> None:
    engine, library = load_engine("espeak"), EspeakLibrary.get()

    def seconds(pcm: bytes) -> float:
        return len(pcm) / 2 / library.sample_rate

    sentence = "Rest for ninety seconds."  # four words: three gaps of 40 ms, and espeak's own
    plain = seconds(library.synthesize(sentence, "gmw/en-US", 165, 1.0))
    spoken = engine.synthesize(sentence, settings()).duration
    assert 0.08 < spoken - plain < 0.4
    call = "Lower down."
    assert engine.synthesize(call, settings()).duration == seconds(
        library.synthesize(call, "gmw/en-US", 165, 1.0)
    )


def test_synthesize_gives_audible_speech() -> None:
    clip = load_engine("espeak").synthesize(PHRASE, settings())
    assert clip.samples.dtype == np.float32
    assert clip.sample_rate == 22050
    assert rms(clip.samples) > 0.02
    assert float(np.max(np.abs(clip.samples))) <= 1.0


def test_duration_is_plausible_for_text_and_rate() -> None:
    words = len(PHRASE.split())  # 10 words
    clip = load_engine("espeak").synthesize(PHRASE, settings(rate=165))
    expected = words / 165 * 60
    assert 0.6 * expected < clip.duration < 1.8 * expected


def test_faster_rate_gives_a_shorter_clip() -> None:
    engine = load_engine("espeak")
    slow = engine.synthesize(PHRASE, settings(rate=120))
    fast = engine.synthesize(PHRASE, settings(rate=300))
    assert fast.duration < 0.6 * slow.duration


def test_volume_scales_the_output() -> None:
    engine = load_engine("espeak")
    loud = engine.synthesize(PHRASE, settings(volume=1.0))
    soft = engine.synthesize(PHRASE, settings(volume=0.5))
    assert rms(soft.samples) == pytest.approx(rms(loud.samples) / 2, rel=0.15)


def test_same_input_nearly_same_audio() -> None:
    # libespeak-ng varies a phrase by a few milliseconds from one call to the
    # next (a deterministic sequence from process start); the cache is what
    # makes repeated renders identical.
    engine = load_engine("espeak")
    first = engine.synthesize(PHRASE, settings())
    second = engine.synthesize(PHRASE, settings())
    assert second.duration == pytest.approx(first.duration, rel=0.02)


def test_spanish_voice_speaks() -> None:
    clip = load_engine("espeak").synthesize("Prepárate. Tres series.", settings(voice="roa/es"))
    assert rms(clip.samples) > 0.02


def test_unknown_voice_is_an_error() -> None:
    with pytest.raises(SpeechError, match="cannot load voice"):
        load_engine("espeak").synthesize("hello", settings(voice="no-such-voice"))


def test_find_voice_suggests_close_names() -> None:
    espeak = load_engine("espeak")
    with pytest.raises(SpeechError, match="did you mean 'roa/es' \\(Spanish \\(Spain\\)\\)"):
        espeak.find_voice("Spansh (Spain)", "es")


def test_unknown_engine_is_an_error() -> None:
    with pytest.raises(SpeechError, match="unknown speech engine 'festival'"):
        load_engine("festival")


def test_missing_library_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "espeakng_loader", None)  # import fails
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    with pytest.raises(SpeechError, match="pip install espeakng-loader"):
        espeak_module.find_library()


def test_variants_are_listed_without_their_folder() -> None:
    variants = {v.id for v in espeak_module.EspeakEngine().variants()}
    assert {"m3", "f2", "Annie"} <= variants
    assert not any(v.startswith("!v") for v in variants)


def test_a_voice_takes_a_variant_after_a_plus() -> None:
    espeak = load_engine("espeak")
    voice = espeak.find_voice("en-US+F2", "en")
    assert voice.id == "gmw/en-US+f2"
    assert voice.languages == espeak.find_voice("gmw/en-US", "en").languages
    engine = load_engine("espeak")
    plain = engine.synthesize(PHRASE, settings(voice="gmw/en-US"))
    varied = engine.synthesize(PHRASE, settings(voice=voice.id))
    # f2 is a higher voice: its spectrum's centre of mass sits higher.
    assert centroid(varied.samples, varied.sample_rate) > centroid(plain.samples, 22050) * 1.04


def centroid(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.sum(np.fft.rfftfreq(len(samples), 1 / rate) * spectrum) / np.sum(spectrum))


def test_a_named_voice_has_no_variant_unless_it_says_so() -> None:
    espeak = load_engine("espeak")
    assert espeak.find_voice("gmw/en", "en").id == "gmw/en"
    assert espeak.find_voice("Spanish (Spain)+Annie", "es").id == "roa/es+Annie"


def test_the_default_english_voice_speaks_with_its_variant() -> None:
    engine = load_engine("espeak")
    default = resolve_speech(SpeechSettings(engine="espeak", language="en"))
    assert default.voice == "gmw/en-US+m8"
    plain = engine.synthesize(PHRASE, settings(voice="gmw/en-US"))
    m8 = engine.synthesize(PHRASE, settings(voice=default.voice))
    # male8 puts more of its energy in the band of consonants' noise, above
    # 4 kHz (5.3% against 2.2% here), and less in the vowels' middle band.
    m8_share = high_share(m8.samples, m8.sample_rate)
    assert m8_share > 1.5 * high_share(plain.samples, plain.sample_rate)


def high_share(samples: np.ndarray, rate: int) -> float:
    power = np.abs(np.fft.rfft(samples)) ** 2
    return float(power[np.fft.rfftfreq(len(samples), 1 / rate) >= 4000].sum() / power.sum())


def test_a_default_variant_missing_from_the_data_leaves_the_plain_voice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A system libespeak-ng's data may lack a variant; the voice still speaks.
    monkeypatch.setattr(espeak_module, "DEFAULT_VARIANTS", {"gmw/en-US": "no-such-variant"})
    assert load_engine("espeak").find_voice(None, "en").id == "gmw/en-US"


def test_an_unknown_variant_suggests_close_names() -> None:
    espeak = load_engine("espeak")
    with pytest.raises(SpeechError, match="unknown espeak variant 'm33'; did you mean 'm3'"):
        espeak.find_voice("gmw/en+m33", "en")


def test_editing_a_variant_file_changes_the_cache_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A data folder like the wheel's, with a variant folder of its own to edit.
    library, data = espeak_module.find_library()
    assert data is not None
    for entry in Path(data).iterdir():
        if entry.name != "voices":
            (tmp_path / entry.name).symlink_to(entry)
    shutil.copytree(Path(data) / "voices", tmp_path / "voices")
    monkeypatch.setattr(espeak_module, "find_library", lambda: (library, str(tmp_path)))
    monkeypatch.setattr(EspeakLibrary, "_instance", None)
    engine = espeak_module.EspeakEngine()
    m8, m3 = settings(voice="gmw/en-US+m8"), settings(voice="gmw/en-US+m3")
    before = (engine.fingerprint(m8), engine.fingerprint(m3), engine.synthesize("Rest.", m8))

    variant = tmp_path / "voices" / "!v" / "m8"
    variant.write_text(variant.read_text().replace("pitch 65 102", "pitch 120 160"))
    after = engine.synthesize("Rest.", m8)
    # What the library says changed, and so did the key its clips are cached under.
    assert not np.array_equal(before[2].samples, after.samples)
    assert engine.fingerprint(m8) != before[0]
    assert engine.fingerprint(m3) == before[1]
