"""The pyttsx3 worker: a process of its own that speaks phrases into audio files.

`Pyttsx3Engine` starts `serve` in a spawned process and sends it requests over
a pipe. Keeping pyttsx3 out of the main process matters on Linux, where its
espeak driver needs libespeak-ng in retrieval mode while the espeak engine runs
the library synchronously, and the library can be initialised only once per
process. It also contains crashes: libespeak-ng ends the whole process when it
cannot find its data, and now that ends only this worker.

pyttsx3 has traps that this module works around, each noted where it is handled:

- several ``save_to_file`` calls before one ``runAndWait`` write only the last
  file, so every phrase gets its own fresh engine and its own run;
- ``runAndWait`` can return before the file is written (the espeak driver
  synthesizes on a background thread), so we wait for a complete file;
- property changes are queued and may not apply, so rate and volume are set
  on a fresh engine every time, read back after the run, and the run repeated
  if they did not take;
- the espeak driver prints "Audio saved to ..." on stdout, so the worker's
  stdout goes to the null device at the file-descriptor level;
- an unknown voice is silently ignored, so voices are checked first.

The engine gives the worker a folder of its own, for the phrase files and the
worker's stderr (``worker.log``), and removes it when the worker ends, however
it ends.

Protocol: the worker first sends ``("ready", None)`` or ``("error", message)``;
then for each request, ``("voices",)`` or ``("synthesize", text, voice_id,
rate, volume)``, it answers ``("ok", result)`` or ``("error", message)``, and
it exits on ``("stop",)`` or when the pipe closes.
"""

from __future__ import annotations

import ctypes
import os
import signal
import struct
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ..errors import SpeechError
from .engine import Voice

LOG_NAME = "worker.log"  # the worker's stderr, in its folder
FILE_TIMEOUT = 30.0  # seconds to wait for a phrase's audio file
_POLL = 0.005
# Drivers map rate and volume onto their own scales (SAPI5 rate: -10..10), so
# values read back are only approximately the ones set.
_TOLERANCE = 0.1
# The espeak driver cancels whatever libespeak-ng is still busy with when its
# run loop ends, which can drop the rate and volume just queued: the phrase
# then comes out at the driver's defaults. That is detected and the phrase
# synthesized again.
ATTEMPTS = 4
_RETRIEVAL_BUFFER_MS = 1000


def driver_name() -> str:
    """The pyttsx3 driver for this platform."""
    return {"darwin": "nsss", "win32": "sapi5"}.get(sys.platform, "espeak")


def wait_for_audio_file(path: Path, timeout: float = FILE_TIMEOUT) -> bytes:
    """The bytes of `path` once it is a complete WAV or AIFF file.

    Complete means: it exists, its RIFF/FORM header's size matches the file's,
    and its size did not change between two looks. Raises SpeechError after
    `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    last_size = -1
    while True:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            data = None
        if data is not None and _header_complete(data) and len(data) == last_size:
            return data
        last_size = len(data) if data is not None else -1
        if time.monotonic() > deadline:
            state = "was never written" if data is None else "stayed incomplete"
            raise SpeechError(f"pyttsx3's audio file {path.name} {state} after {timeout:g} s")
        time.sleep(_POLL)


def _header_complete(data: bytes) -> bool:
    if len(data) < 12:
        return False
    if data[:4] not in (b"RIFF", b"FORM"):
        return False
    (size,) = struct.unpack("<I" if data[:4] == b"RIFF" else ">I", data[4:8])
    return bool(size + 8 == len(data))


def silence_stdout() -> None:
    """Send everything this process writes to stdout, from Python or C, to the null device."""
    sys.stdout.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
    finally:
        os.close(devnull)


def _redirect_stderr(log_path: str) -> None:
    """Write this process's stderr to `log_path`, which the engine reads if we die."""
    sys.stderr.flush()
    log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.dup2(log, 2)
    finally:
        os.close(log)


def _prepare_espeak_driver() -> None:
    """Initialise libespeak-ng for pyttsx3's espeak driver, with its data path.

    The driver looks for ``libespeak-ng.so.1`` by name only and initialises it
    without a data path, which makes the library exit the process when its
    data is not in the compiled-in folder (as with the espeakng-loader wheel).
    So the espeakng-loader copy is loaded first, which the driver's lookup then
    finds by its soname, and initialised here, in the retrieval mode the
    driver needs, with the data path and without exiting on errors.
    """
    from .espeak import INITIALIZE_DONT_EXIT, find_library

    path, data = find_library()
    try:
        ctypes.CDLL(path)
    except OSError as exc:
        raise SpeechError(f"cannot load {path} ({exc})") from None
    try:
        from pyttsx3.drivers import _espeak
        from pyttsx3.drivers import espeak as driver
    except (ImportError, RuntimeError) as exc:
        raise SpeechError(f"pyttsx3's espeak driver cannot load libespeak-ng ({exc})") from None
    if driver.EspeakDriver._moduleInitialized:
        return
    rate = _espeak.Initialize(
        _espeak.AUDIO_OUTPUT_RETRIEVAL,
        _RETRIEVAL_BUFFER_MS,
        data.encode() if data else None,
        INITIALIZE_DONT_EXIT,
    )
    if rate <= 0:
        raise SpeechError(f"libespeak-ng at {path} failed to start for pyttsx3")
    voices = _espeak.ListVoices(None)
    if not voices:
        raise SpeechError(f"libespeak-ng at {path} has no voices")
    # The driver calls espeak_Initialize unless told it already ran; it also
    # sets this default voice on every new engine.
    driver.EspeakDriver._defaultVoice = voices[0].identifier.decode()
    driver.EspeakDriver._moduleInitialized = True


class Pyttsx3Speaker:
    """pyttsx3 driven the careful way: one fresh engine and one file per phrase.

    The files are written in `folder`.
    """

    def __init__(self, folder: Path) -> None:
        self.driver = driver_name()
        if self.driver == "espeak":
            _prepare_espeak_driver()
        try:
            import pyttsx3
        except ImportError:
            raise SpeechError("the pyttsx3 engine is not installed (pip install pyttsx3)") from None
        self._pyttsx3 = pyttsx3
        engine = self._new_engine()
        self._voices = [_voice(v) for v in engine.getProperty("voices")]
        del engine
        self._ids = {v.id for v in self._voices}
        self._folder = folder
        self._count = 0

    def _new_engine(self) -> Any:
        try:
            return self._pyttsx3.Engine(self.driver)
        except Exception as exc:  # drivers raise anything from OSError to COM errors
            raise SpeechError(f"pyttsx3 ({self.driver}) failed to start: {exc}") from None

    def voices(self) -> list[Voice]:
        """The system voices pyttsx3 reports."""
        return list(self._voices)

    def synthesize(self, text: str, voice_id: str, rate: int, volume: float) -> bytes:
        """The bytes of a WAV (AIFF on macOS) file of `text` spoken as asked."""
        # Checked first: pyttsx3 silently keeps its default for an unknown voice.
        if voice_id not in self._ids:
            raise SpeechError(f"unknown pyttsx3 voice {voice_id!r}")
        self._count += 1
        suffix = "aiff" if self.driver == "nsss" else "wav"
        path = self._folder / f"phrase-{self._count}.{suffix}"
        try:
            return self._run(text, voice_id, rate, volume, path)
        finally:
            path.unlink(missing_ok=True)

    def _run(self, text: str, voice_id: str, rate: int, volume: float, path: Path) -> bytes:
        """One phrase, retried while the engine reports settings other than those asked for."""
        reported: tuple[object, object] = (None, None)
        for _ in range(ATTEMPTS):
            path.unlink(missing_ok=True)
            data, reported = self._run_once(text, voice_id, rate, volume, path)
            if _close(reported[0], rate) and _close(reported[1], volume):
                return data
        raise SpeechError(
            f"pyttsx3 did not apply rate {rate} and volume {volume:g} "
            f"(it reports {reported[0]} and {reported[1]})"
        )

    def _run_once(
        self, text: str, voice_id: str, rate: int, volume: float, path: Path
    ) -> tuple[bytes, tuple[object, object]]:
        engine = self._new_engine()
        finished = threading.Event()
        engine.connect("finished-utterance", lambda **_: finished.set())
        engine.setProperty("voice", voice_id)
        engine.setProperty("rate", rate)
        engine.setProperty("volume", volume)
        engine.save_to_file(text, str(path))
        engine.runAndWait()
        data = wait_for_audio_file(path)
        # The driver prints and tidies up just after writing; let it finish.
        finished.wait(timeout=1.0)
        reported = (engine.getProperty("rate"), engine.getProperty("volume"))
        del engine
        return data, reported


def _close(reported: object, wanted: float) -> bool:
    if isinstance(reported, bool) or not isinstance(reported, int | float):
        return False
    return abs(reported - wanted) <= max(abs(wanted) * _TOLERANCE, 0.02)


def _voice(raw: Any) -> Voice:
    languages: list[str] = []
    for code in getattr(raw, "languages", None) or []:
        text = code.decode(errors="replace") if isinstance(code, bytes) else str(code)
        languages.append(text.lower().replace("_", "-"))
    return Voice(id=str(raw.id), name=str(raw.name or raw.id), languages=tuple(languages))


def _describe(exc: Exception) -> str:
    if isinstance(exc, SpeechError):
        return str(exc)
    return f"pyttsx3 failed: {type(exc).__name__}: {exc}"


def serve(conn: Connection, folder: str) -> None:
    """The worker process's main function: answer requests on `conn` until told to stop.

    `folder` is for its files: it exists, and the engine removes it.
    """
    # Ctrl+C in the terminal reaches the whole process group: the engine
    # handles it, and stops this worker when it needs to.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    silence_stdout()
    _redirect_stderr(str(Path(folder) / LOG_NAME))
    try:
        speaker = Pyttsx3Speaker(Path(folder))
    except Exception as exc:
        conn.send(("error", _describe(exc)))
        conn.close()
        return
    conn.send(("ready", None))
    try:
        while True:
            try:
                request = conn.recv()
            except EOFError:
                return
            kind = request[0]
            if kind == "stop":
                return
            try:
                if kind == "voices":
                    result: object = speaker.voices()
                elif kind == "synthesize":
                    result = speaker.synthesize(*request[1:])
                else:
                    raise SpeechError(f"the pyttsx3 worker got an unknown request {kind!r}")
            except Exception as exc:
                conn.send(("error", _describe(exc)))
            else:
                conn.send(("ok", result))
    finally:
        conn.close()
