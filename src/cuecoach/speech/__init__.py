"""Text to speech: engines, settings, the clip cache, and the `Speaker` the rest uses.

`Speaker` turns phrases into clips that are ready to mix: synthesized once,
trimmed, at one sample rate, at one level, and cached on disk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..audio import Clip, normalize, resample, trim_silence
from ..parse import validate_speech
from .cache import ClipCache, cache_clear, cache_info, cache_key, default_cache_dir
from .engine import SpeechEngine, Voice, find_voice, list_voices, load_engine
from .settings import (
    ResolvedSpeech,
    config_path,
    default_engine_name,
    merge_speech,
    read_speech_config,
    resolve_speech,
)

__all__ = [
    "ResolvedSpeech",
    "Speaker",
    "SpeechEngine",
    "Voice",
    "cache_clear",
    "cache_info",
    "config_path",
    "default_cache_dir",
    "default_engine_name",
    "find_voice",
    "list_voices",
    "load_engine",
    "merge_speech",
    "read_speech_config",
    "resolve_speech",
    "validate_speech",
]

DEFAULT_SAMPLE_RATE = 22050


class Speaker:
    """Speaks phrases with one set of settings, as processed and cached clips."""

    def __init__(
        self,
        settings: ResolvedSpeech,
        cache_dir: Path | None = None,
        sample_rate: int = DEFAULT_SAMPLE_RATE,
    ) -> None:
        self.settings = settings
        self.sample_rate = sample_rate
        self.engine = load_engine(settings.engine)
        self.cache = ClipCache(cache_dir)
        # Phrases repeat within a script ("3", "2", "1"): keep them in memory too.
        self._memory: dict[str, Clip] = {}

    def _key(self, text: str) -> str:
        s = self.settings
        return cache_key(
            engine=self.engine.name,
            version=self.engine.version,
            voice=s.voice,
            rate=s.rate,
            volume=s.volume,
            sample_rate=self.sample_rate,
            text=text,
        )

    def clip(self, text: str) -> Clip:
        """`text` spoken: trimmed, normalised, at `sample_rate`, scaled by the volume setting."""
        if text in self._memory:
            return self._memory[text]
        key = self._key(text)
        clip = self.cache.load(key)
        if clip is None or clip.sample_rate != self.sample_rate:
            clip = self._render(text)
            self.cache.store(key, clip)
        self._memory[text] = clip
        return clip

    def _render(self, text: str) -> Clip:
        # The engine speaks at full volume and the volume setting is applied
        # after normalising, which would otherwise undo it.
        raw = self.engine.synthesize(text, replace(self.settings, volume=1.0))
        clip = normalize(resample(trim_silence(raw), self.sample_rate))
        if self.settings.volume != 1.0:
            clip = Clip(
                (clip.samples * np.float32(self.settings.volume)).astype(np.float32),
                clip.sample_rate,
            )
        return clip

    def clips(
        self, texts: Iterable[str], progress: Callable[[int, int], None] | None = None
    ) -> dict[str, Clip]:
        """Clips for every distinct text, each synthesized at most once.

        `progress(done, total)` is called after each distinct text.
        """
        unique = list(dict.fromkeys(texts))
        out: dict[str, Clip] = {}
        for done, text in enumerate(unique, start=1):
            out[text] = self.clip(text)
            if progress is not None:
                progress(done, len(unique))
        return out

    def duration(self, text: str) -> float:
        """Seconds `text` takes to say (usable as the compiler's duration function)."""
        return self.clip(text).duration

    def voices(self) -> list[Voice]:
        """The voices of this speaker's engine."""
        return self.engine.voices()
