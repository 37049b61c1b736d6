"""What a text-to-speech engine offers, how one is chosen, and how a voice is found."""

from __future__ import annotations

import difflib
import sys
import threading
from collections.abc import Mapping
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
        """ "piper", "espeak" or "pyttsx3"."""

    @property
    def version(self) -> str:
        """Changes whenever the same settings could sound different (part of cache keys)."""

    def fingerprint(self, settings: ResolvedSpeech) -> str:
        """Everything besides the text that decides the samples (part of cache keys):
        the engine's version, the voice (for a model file, its hash) and the
        synthesis settings."""

    def synthesize(self, text: str, voice: ResolvedSpeech) -> Clip:
        """`text` spoken with the given settings: a mono float32 clip, untrimmed."""

    def voices(self) -> list[Voice]:
        """Every voice this engine can use here."""

    def find_voice(self, wanted: str | None, language: str) -> Voice:
        """The voice called `wanted`, or this engine's choice for `language` when
        `wanted` is None (see `match_voice`); a SpeechError when there is none."""

    def close(self) -> None:
        """Free what synthesis loaded (a voice model, a worker process) once every
        phrase is made; a later phrase loads it again."""


def notice(message: str) -> None:
    """One line on stderr that does not stop the run (an engine fallback, a bad
    cache entry). Looked up on every call, so a caller that captures stderr sees it."""
    print(message, file=sys.stderr)


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
    if name == "piper":
        from .piper_engine import PiperEngine

        return PiperEngine()
    if name == "espeak":
        from .espeak import EspeakEngine

        return EspeakEngine()
    from .pyttsx3_engine import Pyttsx3Engine

    return Pyttsx3Engine()


def _basename(voice_id: str) -> str:
    return voice_id.replace("\\", "/").rsplit("/", 1)[-1].casefold()


def match_voice(
    voices: list[Voice],
    wanted: str | None,
    language: str,
    engine: str,
    preferred: Mapping[str, str] | None = None,
) -> Voice:
    """The voice called `wanted` (by id, name or the last part of its id), or the
    best voice for `language` when `wanted` is None: the voice id the engine's
    `preferred` gives that language, if any, first.

    An unknown voice is a SpeechError listing the closest names, since engines
    would otherwise fall back to their default voice without a word.
    """
    if not voices:
        raise SpeechError(f"the {engine} engine has no voices installed")
    if wanted is not None:
        found = named_voice(voices, wanted)
        if found is not None:
            return found
        close = suggest_voices(voices, wanted)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise SpeechError(f"unknown {engine} voice {wanted!r}{hint} (`cuecoach voices` lists them)")
    lang = language.casefold().replace("_", "-")
    # Best first: the preferred voice, espeak's plain language voice ("roa/es"
    # for "es"), a voice whose main language it is, one that lists it, then a
    # regional variant.
    chosen = (preferred or {}).get(lang)
    tests = (
        lambda v: v.id == chosen,
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


def named_voice(voices: list[Voice], wanted: str) -> Voice | None:
    """The voice whose id, name or last part of its id is `wanted`, ignoring case."""
    key = wanted.casefold()
    for voice in voices:
        if key in (voice.id.casefold(), voice.name.casefold(), _basename(voice.id)):
            return voice
    return None


def _spelling(text: str) -> str:
    return "".join(c if c.isalnum() else " " for c in text.casefold()).strip()


def suggest_voices(voices: list[Voice], wanted: str, n: int = 5) -> list[str]:
    """The voices whose name, id or language is closest to `wanted`, as "'id' (name)".

    "english-us" should find "English (America)" (by name) and "gmw/en-US"
    (by language), not whatever id happens to share most letters.
    """
    target = _spelling(wanted)
    scored: list[tuple[float, str]] = []
    for voice in voices:
        names = [voice.name, voice.id, _basename(voice.id), *voice.languages]
        # Whole names and each word of them: "Englsh" is close to the word "English".
        candidates = {_spelling(name) for name in names}
        candidates |= {word for name in list(candidates) for word in name.split()}
        score = max(difflib.SequenceMatcher(None, target, c).ratio() for c in candidates)
        # "english-us": every word of it in the voice's name, or its region in a language code.
        words = target.split()
        spelled = _spelling(" ".join(names))
        score += 0.2 * sum(word in spelled.split() for word in words) / max(len(words), 1)
        shown = f"'{voice.id}' ({voice.name})" if voice.name else f"'{voice.id}'"
        scored.append((score, shown))
    scored.sort(key=lambda pair: -pair[0])  # stable: equals keep the engine's order
    return list(dict.fromkeys(name for score, name in scored if score >= 0.55))[:n]


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
