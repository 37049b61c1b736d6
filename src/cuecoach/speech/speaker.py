"""`Speaker`: phrases turned into clips that are ready to mix.

Each phrase is made speakable (`text.spoken`), synthesized once, trimmed,
resampled, normalised, faded out at its end, rounded to 16 bits and cached on
disk, so a clip is the same whether it was just synthesized or read back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..audio import Clip, normalize, resample, trim_silence
from .cache import ClipCache, cache_key, quantize
from .engine import Voice, load_engine
from .settings import ResolvedSpeech
from .text import spoken

DEFAULT_SAMPLE_RATE = 22050
# Engines stop mid-wave (espeak about 18 dB below its peak): a short fade
# makes every clip end without a click.
FADE_OUT = 0.012  # seconds


class Speaker:
    """Speaks phrases with one set of settings, as processed and cached clips."""

    def __init__(
        self,
        settings: ResolvedSpeech,
        cache_dir: Path | None = None,
        sample_rate: int = DEFAULT_SAMPLE_RATE,
        pronounce: Mapping[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.sample_rate = sample_rate
        self.pronounce = dict(pronounce or {})
        self.engine = load_engine(settings.engine)
        self.cache = ClipCache(cache_dir)
        self._fingerprint = self.engine.fingerprint(settings)
        # Phrases repeat within a script ("3", "2", "1"): keep them in memory too.
        self._memory: dict[str, Clip] = {}

    def spoken(self, text: str) -> str:
        """What the engine is given for the written `text`."""
        return spoken(text, self.settings.language, self.pronounce)

    def clip(self, text: str) -> Clip:
        """`text` spoken: trimmed, normalised, at `sample_rate`, scaled by the volume setting."""
        if text in self._memory:
            return self._memory[text]
        said = self.spoken(text)
        key = cache_key(
            fingerprint=self._fingerprint,
            volume=self.settings.volume,
            sample_rate=self.sample_rate,
            text=said,
        )
        clip = self.cache.load(key)
        if clip is None or clip.sample_rate != self.sample_rate:
            clip = self._render(said)
            self.cache.store(key, clip)
        self._memory[text] = clip
        return clip

    def _render(self, said: str) -> Clip:
        # The engine speaks at full volume and the volume setting is applied
        # after normalising, which would otherwise undo it.
        raw = self.engine.synthesize(said, replace(self.settings, volume=1.0))
        clip = normalize(resample(trim_silence(raw), self.sample_rate))
        samples = clip.samples * np.float32(self.settings.volume)
        fade = min(len(samples), round(FADE_OUT * self.sample_rate))
        if fade:
            samples[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
        return Clip(quantize(samples.astype(np.float32)), self.sample_rate)

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
