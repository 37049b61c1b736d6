"""The pyttsx3 engine: the operating system's voices (SAPI5, macOS, espeak on Linux).

pyttsx3 runs in a worker process of its own (see `pyttsx3_worker`, which also
lists the pyttsx3 traps it works around), one per engine, spawned on first
use and stopped by `Pyttsx3Engine.close` or at exit. That keeps pyttsx3's
espeak driver, which needs libespeak-ng in retrieval mode, away from the
espeak engine's synchronous library in this process; and when the worker
dies (libespeak-ng exits its process on some errors) the phrase fails with a
SpeechError and the next request starts a new worker.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.metadata
import importlib.util
import json
import multiprocessing
import multiprocessing.connection
import shutil
import signal
import tempfile
import threading
from dataclasses import replace
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, NoReturn

from ..audio import Clip, decode_pcm_file
from ..errors import AudioError, SpeechError
from .engine import Voice, match_voice
from .pyttsx3_worker import ATTEMPTS, FILE_TIMEOUT, LOG_NAME, driver_name, serve
from .settings import ResolvedSpeech

INSTALL_HINT = "install pyttsx3 (pip install pyttsx3)"
START_TIMEOUT = 60.0  # seconds for the worker to start and load pyttsx3
# Seconds for one request: the worker gives up on a file after FILE_TIMEOUT
# and tries each phrase at most ATTEMPTS times.
REQUEST_TIMEOUT = FILE_TIMEOUT * ATTEMPTS + 10.0
_STOP_TIMEOUT = 2.0
_LOG_TAIL = 600  # characters of the worker's stderr quoted when it dies


class Pyttsx3Engine:
    """Speech from the system's voices through pyttsx3, in a worker process."""

    name = "pyttsx3"

    def __init__(self) -> None:
        self.driver = driver_name()
        if importlib.util.find_spec("pyttsx3") is None:
            raise SpeechError(f"the pyttsx3 engine is not installed: {INSTALL_HINT}")
        if self.driver == "espeak":
            from .espeak import find_library

            find_library()  # says what to install when libespeak-ng is missing
        self.version = f"pyttsx3 {importlib.metadata.version('pyttsx3')} {self.driver}"
        self._lock = threading.Lock()
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._folder: Path | None = None  # the worker's files, see pyttsx3_worker
        self._voices: list[Voice] | None = None

    @property
    def worker_pid(self) -> int | None:
        """The process id of the running worker, None before the first use or after close."""
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    def fingerprint(self, settings: ResolvedSpeech) -> str:
        """Everything besides the text that decides the samples."""
        return json.dumps([self.version, settings.voice, settings.rate])

    def voices(self) -> list[Voice]:
        """The system voices pyttsx3 reports (looked up once per engine)."""
        if self._voices is None:
            voices: list[Voice] = self._request(("voices",), "listing voices")
            self._voices = voices
        return self._voices

    def find_voice(self, wanted: str | None, language: str) -> Voice:
        """The system voice called `wanted`, or the first for `language`."""
        return match_voice(self.voices(), wanted, language, self.name)

    def synthesize(self, text: str, voice: ResolvedSpeech) -> Clip:
        """`text` spoken with `voice`, synthesized by the worker into an audio file."""
        # Checked first: pyttsx3 silently keeps its default for an unknown voice.
        chosen = self.find_voice(voice.voice, voice.language)
        voice = replace(voice, voice=chosen.id)
        data: bytes = self._request(
            ("synthesize", text, voice.voice, voice.rate, voice.volume),
            f"synthesizing {text!r}",
        )
        try:
            return decode_pcm_file(data)
        except AudioError as exc:
            raise SpeechError(f"pyttsx3 wrote unreadable audio: {exc}") from None

    def close(self) -> None:
        """Stop the worker, if one runs; the next request starts a new one."""
        with self._lock:
            self._stop()

    def _request(self, request: tuple[object, ...], doing: str) -> Any:
        with self._lock:
            try:
                conn = self._start() if self._conn is None else self._conn
                try:
                    conn.send(request)
                except OSError:
                    self._died(doing)
                status, payload = self._receive(doing, REQUEST_TIMEOUT)
            except SpeechError:
                raise  # the worker is already dealt with
            except BaseException:
                # Interrupted (Ctrl+C): this request's answer would be taken
                # for the next one's, so this worker is done.
                self._discard()
                raise
        if status != "ok":
            raise SpeechError(str(payload))
        return payload

    def _start(self) -> Connection:
        """A new worker, once it has loaded pyttsx3; its end of the pipe."""
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        self._folder = Path(tempfile.mkdtemp(prefix="cuecoach-pyttsx3-"))
        process = context.Process(
            target=serve, args=(theirs, str(self._folder)), name="cuecoach-pyttsx3", daemon=True
        )
        self._conn, self._process = ours, process
        try:
            process.start()
        except OSError as exc:
            self._discard()
            raise SpeechError(f"cannot start the pyttsx3 worker process: {exc}") from None
        finally:
            theirs.close()
        atexit.register(self.close)
        status, payload = self._receive("starting", START_TIMEOUT)
        if status != "ready":
            self._stop()
            raise SpeechError(f"the pyttsx3 engine cannot run here: {payload}")
        return ours

    def _stop(self) -> None:
        """Ask the worker to exit, then forget it; the caller holds the lock."""
        conn, process = self._conn, self._process
        if conn is not None and process is not None and process.is_alive():
            with contextlib.suppress(OSError):
                conn.send(("stop",))
            process.join(_STOP_TIMEOUT)
        self._discard()

    def _receive(self, doing: str, timeout: float) -> tuple[str, object]:
        """The worker's answer, or a SpeechError when it dies or does not answer in time."""
        conn, process = self._conn, self._process
        assert conn is not None and process is not None
        ready = multiprocessing.connection.wait([conn, process.sentinel], timeout)
        if not ready:
            self._discard()
            raise SpeechError(
                f"the pyttsx3 worker process did not answer within {timeout:g} s "
                f"while {doing}; it was stopped and starts again on the next use"
            )
        if conn in ready:
            try:
                reply: tuple[str, object] = conn.recv()
            except (EOFError, OSError):
                pass
            else:
                return reply
        self._died(doing)

    def _died(self, doing: str) -> NoReturn:
        """Raise the SpeechError for a worker that ended unasked, and forget it."""
        process = self._process
        assert process is not None
        process.join(_STOP_TIMEOUT)
        code = process.exitcode
        if code is not None and code < 0:
            try:
                how = f"killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"killed by signal {-code}"
        else:
            how = f"exit code {code}"
        log = self._log_tail()
        self._discard()
        hint = ""
        if self.driver == "espeak" and code is not None and code > 0:
            hint = (
                " (libespeak-ng ends its process when it cannot find its voice data: "
                "reinstall espeakng-loader, or espeak-ng)"
            )
        said = f"; it said: {log}" if log else ""
        raise SpeechError(
            f"the pyttsx3 worker process died ({how}) while {doing}{hint}{said}; "
            "it starts again on the next use"
        )

    def _log_tail(self) -> str:
        if self._folder is None:
            return ""
        try:
            text = (self._folder / LOG_NAME).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return " ".join(text[-_LOG_TAIL:].split())

    def _discard(self) -> None:
        """Forget the worker (killing it if it still runs), its pipe and its files."""
        conn, process, folder = self._conn, self._process, self._folder
        self._conn = self._process = self._folder = None
        atexit.unregister(self.close)
        if process is not None:
            if process.is_alive():
                process.kill()
                process.join(_STOP_TIMEOUT)
            with contextlib.suppress(ValueError):
                process.close()
        if conn is not None:
            conn.close()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
