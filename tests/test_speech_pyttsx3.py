"""The pyttsx3 engine, its worker process, and the traps it works around.

On Linux pyttsx3 drives libespeak-ng through its espeak driver; these tests
run it for real, in the worker process, next to the espeak engine's own
synchronous library in this process.
"""

from __future__ import annotations

import io
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from cuecoach.errors import SpeechError
from cuecoach.speech import ResolvedSpeech, load_engine
from cuecoach.speech.pyttsx3_engine import Pyttsx3Engine
from cuecoach.speech.pyttsx3_worker import wait_for_audio_file

PHRASE = "Get ready. First up: Push-Ups."


@pytest.fixture(scope="module")
def engine() -> Iterator[Pyttsx3Engine]:
    # One worker for the module: starting one is a spawn (a few tenths of a second).
    try:
        loaded = load_engine("pyttsx3")
        assert isinstance(loaded, Pyttsx3Engine)
        loaded.voices()  # starts the worker
    except SpeechError as exc:
        pytest.skip(f"pyttsx3 cannot run here: {exc}")
    yield loaded
    loaded.close()


def settings(rate: int = 165, voice: str = "gmw/en-us") -> ResolvedSpeech:
    return ResolvedSpeech(engine="pyttsx3", voice=voice, rate=rate, volume=1.0, language="en")


def wav_bytes(seconds: float) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(bytes(2 * round(seconds * 8000)))
    return buffer.getvalue()


def test_engine_identity(engine: Pyttsx3Engine) -> None:
    assert engine.name == "pyttsx3"
    assert engine.version.startswith("pyttsx3 ")
    if sys.platform.startswith("linux"):
        assert engine.version.endswith(" espeak")


def test_voices_are_listed(engine: Pyttsx3Engine) -> None:
    voices = engine.voices()
    assert voices
    assert all(v.id and v.name for v in voices)


def test_synthesize_gives_audible_speech(engine: Pyttsx3Engine) -> None:
    clip = engine.synthesize(PHRASE, settings())
    assert clip.duration > 0.5
    assert float(np.max(np.abs(clip.samples))) > 0.1


def test_each_phrase_gets_its_own_run(engine: Pyttsx3Engine) -> None:
    # pyttsx3 writes only the last file when several are queued before one
    # runAndWait; phrases of different lengths must come back different.
    short = engine.synthesize("Go.", settings())
    long = engine.synthesize("Rest for sixty seconds, then get ready for the next set.", settings())
    again = engine.synthesize("Go.", settings())
    assert long.duration > 2 * short.duration
    assert again.duration == pytest.approx(short.duration, rel=0.05)


def test_rate_changes_apply_between_runs(engine: Pyttsx3Engine) -> None:
    # Alternating many times: the driver can drop a queued rate change at
    # random, and each one must still come out at its own rate.
    slow = [engine.synthesize(PHRASE, settings(rate=120)).duration for _ in range(8)]
    fast = [engine.synthesize(PHRASE, settings(rate=300)).duration for _ in range(8)]
    mixed = [engine.synthesize(PHRASE, settings(rate=r)).duration for r in (120, 300) * 6]
    assert max(fast) < 0.6 * min(slow)
    assert max(mixed[1::2]) < 0.6 * min(mixed[0::2])
    assert max(slow) == pytest.approx(min(slow), rel=0.03)


def test_nothing_reaches_stdout(engine: Pyttsx3Engine, capfd: pytest.CaptureFixture[str]) -> None:
    # A worker of its own, started while stdout is captured: it inherits the
    # captured file descriptors, where the driver's "Audio saved to ..." would land.
    fresh = Pyttsx3Engine()
    try:
        assert fresh.worker_pid is None  # started lazily
        fresh.synthesize(PHRASE, settings())
        fresh.synthesize("Go.", settings(rate=300))
        assert fresh.worker_pid is not None
    finally:
        fresh.close()
    assert fresh.worker_pid is None
    out, err = capfd.readouterr()
    assert "Audio saved" not in out + err
    assert out == ""


def test_unknown_voice_is_refused_not_ignored(engine: Pyttsx3Engine) -> None:
    with pytest.raises(SpeechError, match=r"unknown pyttsx3 voice 'gmw/en-uss'.*'gmw/en-us'"):
        engine.synthesize(PHRASE, settings(voice="gmw/en-uss"))
    # The worker checks too, for requests that skipped the engine's check.
    with pytest.raises(SpeechError, match=r"unknown pyttsx3 voice 'gmw/en-uss'"):
        engine._request(("synthesize", PHRASE, "gmw/en-uss", 165, 1.0), "testing")
    assert engine.synthesize("Go.", settings()).duration > 0.1  # the worker carries on


def test_wait_for_a_file_written_late_and_in_pieces(tmp_path: Path) -> None:
    # runAndWait may return before the driver has written the file.
    data = wav_bytes(0.5)
    path = tmp_path / "late.wav"

    def write_slowly() -> None:
        time.sleep(0.1)
        with path.open("wb") as f:
            f.write(data[:40])
            f.flush()
            time.sleep(0.1)
            f.write(data[40:])

    writer = threading.Thread(target=write_slowly)
    writer.start()
    try:
        assert wait_for_audio_file(path, timeout=5) == data
    finally:
        writer.join()


def test_wait_gives_up_on_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SpeechError, match=r"was never written after 0\.2 s"):
        wait_for_audio_file(tmp_path / "never.wav", timeout=0.2)


def test_wait_gives_up_on_a_truncated_file(tmp_path: Path) -> None:
    path = tmp_path / "cut.wav"
    path.write_bytes(wav_bytes(0.5)[:-100])
    with pytest.raises(SpeechError, match="stayed incomplete"):
        wait_for_audio_file(path, timeout=0.2)


def test_both_engines_work_in_one_process(engine: Pyttsx3Engine) -> None:
    # The espeak engine's synchronous library lives here; pyttsx3's espeak
    # driver (retrieval mode) lives in the worker, so interleaving is fine.
    espeak = load_engine("espeak")
    resolved = ResolvedSpeech("espeak", "gmw/en-US", 165, 1.0, "en")
    before = espeak.synthesize(PHRASE, resolved)
    fast = engine.synthesize(PHRASE, settings(rate=300))
    after = espeak.synthesize(PHRASE, resolved)
    slow = engine.synthesize(PHRASE, settings(rate=120))
    assert after.samples.tobytes() == before.samples.tobytes()  # the worker leaves it alone
    assert float(np.max(np.abs(after.samples))) > 0.1
    assert fast.duration < 0.6 * slow.duration
    assert engine.worker_pid not in (None, os.getpid())
    assert "pyttsx3.drivers._espeak" not in sys.modules  # pyttsx3's driver never loads here


@pytest.mark.skipif(sys.platform == "win32", reason="no SIGKILL")
def test_a_dead_worker_is_a_speech_error_then_restarts(engine: Pyttsx3Engine) -> None:
    engine.voices()
    old, folder = engine.worker_pid, engine._folder
    assert old is not None and folder is not None and folder.is_dir()
    os.kill(old, signal.SIGKILL)  # as libespeak-ng's exit() would, without a data path
    with pytest.raises(
        SpeechError,
        match=r"worker process died \(killed by SIGKILL\) while synthesizing 'Go\.'.*starts again",
    ):
        engine.synthesize("Go.", settings())
    assert engine.worker_pid is None
    assert not folder.exists()  # removed for the worker, which could not
    clip = engine.synthesize("Go.", settings())  # a new worker
    assert clip.duration > 0.1
    assert engine.worker_pid not in (None, old)


def test_a_worker_that_exits_says_why(tmp_path: Path) -> None:
    # libespeak-ng without its data prints where it looked and calls exit(1);
    # the engine quotes the worker's stderr and says what to reinstall.
    context = multiprocessing.get_context("spawn")
    process = context.Process(target=os._exit, args=(1,))
    process.start()
    process.join()
    ours, theirs = context.Pipe()
    theirs.close()
    folder = tmp_path / "worker"
    folder.mkdir()
    (folder / "worker.log").write_text(
        "Error processing file '/usr/share/espeak-ng-data/phontab': No such file.\n"
    )
    fresh = Pyttsx3Engine()
    fresh._process, fresh._conn, fresh._folder = process, ours, folder
    with pytest.raises(SpeechError) as caught:
        fresh._receive("synthesizing 'Go.'", 5.0)
    message = str(caught.value)
    assert "died (exit code 1) while synthesizing 'Go.'" in message
    if fresh.driver == "espeak":
        assert "reinstall espeakng-loader" in message
    assert "said: Error processing file '/usr/share/espeak-ng-data/phontab'" in message
    assert fresh.worker_pid is None
    assert not folder.exists()


def test_an_interrupted_request_does_not_answer_the_next(
    engine: Pyttsx3Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine.voices()
    old = engine.worker_pid
    real_wait = multiprocessing.connection.wait

    def interrupted(*args: object, **kwargs: object) -> object:
        monkeypatch.setattr(multiprocessing.connection, "wait", real_wait)
        raise KeyboardInterrupt

    monkeypatch.setattr(multiprocessing.connection, "wait", interrupted)
    long = "Rest for sixty seconds, then get ready for the next set."
    with pytest.raises(KeyboardInterrupt):
        engine.synthesize(long, settings())
    assert engine.worker_pid is None
    short = engine.synthesize("Go.", settings())  # not the long phrase's late answer
    assert short.duration < 1.0
    assert engine.worker_pid not in (None, old)


@pytest.mark.skipif(sys.platform == "win32", reason="no SIGINT to a process")
def test_ctrl_c_is_left_to_the_main_process(engine: Pyttsx3Engine) -> None:
    engine.voices()
    pid = engine.worker_pid
    assert pid is not None
    os.kill(pid, signal.SIGINT)  # the terminal sends it to the whole process group
    assert engine.synthesize("Go.", settings()).duration > 0.1
    assert engine.worker_pid == pid


def test_close_stops_the_worker_and_the_next_use_restarts_it(engine: Pyttsx3Engine) -> None:
    engine.voices()
    old = engine.worker_pid
    assert old is not None
    engine.close()
    assert engine.worker_pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(old, 0)
    assert engine.synthesize("Go.", settings()).duration > 0.1
    assert engine.worker_pid not in (None, old)
