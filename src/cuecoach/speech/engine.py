"""What a text-to-speech engine offers, how one is chosen, and how a voice is found."""

from __future__ import annotations

import difflib
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ..errors import SpeechError
from ..model import ENGINE_NAMES

if TYPE_CHECKING:
    from ..audio import Clip
    from .settings import ResolvedSpeech


@dataclass(frozen=True)
class Voice:
    """One voice an engine can speak with; `languages` are lower-case codes ("en-gb")."""

    id: str
    name: str
    languages: tuple[str, ...]


class SpeechEngine(Protocol):
    """A text-to-speech back end."""

    @property
    def name(self) -> str:
        """ "espeak" or "pyttsx3"."""

    @property
    def version(self) -> str:
        """Changes whenever the same settings could sound different (part of cache keys)."""

    def synthesize(self, text: str, voice: ResolvedSpeech) -> Clip:
        """`text` spoken with the given settings: a mono float32 clip, untrimmed."""

    def voices(self) -> list[Voice]:
        """Every voice this engine can use here."""


_engines: dict[str, SpeechEngine] = {}
_engines_lock = threading.Lock()


def load_engine(name: str) -> SpeechEngine:
    """The engine called `name`, loaded once per process.

    Raises SpeechError saying what to install when it cannot load.
    """
    if name not in ENGINE_NAMES:
        expected = ", ".join(ENGINE_NAMES)
        raise SpeechError(f"unknown speech engine {name!r}; expected one of {expected}")
    with _engines_lock:
        if name not in _engines:
            _engines[name] = _create(name)
        return _engines[name]


def _create(name: str) -> SpeechEngine:
    if name == "espeak":
        from .espeak import EspeakEngine

        return EspeakEngine()
    from .pyttsx3_engine import Pyttsx3Engine

    return Pyttsx3Engine()


def _basename(voice_id: str) -> str:
    return voice_id.replace("\\", "/").rsplit("/", 1)[-1].casefold()


def find_voice(voices: list[Voice], wanted: str | None, language: str, engine: str) -> Voice:
    """The voice called `wanted` (by id, name or the last part of its id), or the
    best voice for `language` when `wanted` is None.

    An unknown voice is a SpeechError listing the closest names, since engines
    would otherwise fall back to their default voice without a word.
    """
    if not voices:
        raise SpeechError(f"the {engine} engine has no voices installed")
    if wanted is not None:
        key = wanted.casefold()
        for voice in voices:
            if key in (voice.id.casefold(), voice.name.casefold(), _basename(voice.id)):
                return voice
        names = sorted({v.name for v in voices} | {v.id for v in voices})
        close = difflib.get_close_matches(wanted, names, n=5, cutoff=0.5)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise SpeechError(f"unknown {engine} voice {wanted!r}{hint} (`cuecoach voices` lists them)")
    lang = language.casefold().replace("_", "-")
    # Best first: espeak's plain language voice ("gmw/en" for "en"), a voice
    # whose main language it is, one that lists it, then a regional variant.
    tests = (
        lambda v: _basename(v.id) == lang,
        lambda v: bool(v.languages) and v.languages[0] == lang,
        lambda v: lang in v.languages,
        lambda v: any(code.startswith(lang + "-") for code in v.languages),
    )
    for test in tests:
        for voice in voices:
            if test(voice):
                return voice
    if not any(v.languages for v in voices):
        # Some system engines (SAPI5 through pyttsx3) report no languages at all.
        return voices[0]
    raise SpeechError(
        f"no {engine} voice speaks language {language!r} (`cuecoach voices` lists them)"
    )


def list_voices(engine_name: str, language: str | None = None) -> list[Voice]:
    """Voices of the named engine, only those speaking `language` when given."""
    voices = load_engine(engine_name).voices()
    if language is None:
        return voices
    lang = language.casefold().replace("_", "-")
    return [
        v
        for v in voices
        if any(code == lang or code.startswith(lang + "-") for code in v.languages)
    ]
