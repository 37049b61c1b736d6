"""The espeak engine: libespeak-ng through ctypes, synthesizing into memory.

The library comes from the ``espeakng-loader`` wheel (library and voice data
bundled), or else from a system install. libespeak-ng keeps global state and
cannot be initialised twice, so one `EspeakLibrary` per process owns it, and
every call into it holds `EspeakLibrary.lock`.

The library runs in synchronous mode: ``espeak_Synth`` calls the synth
callback on the calling thread and returns once the whole phrase is done, so
there is no library thread, no end-of-message event to wait for and no
timeout. (pyttsx3's espeak driver needs retrieval mode instead; it therefore
runs in its own process, see `pyttsx3_engine`, and never shares this one.)
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import hashlib
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..audio import Clip, from_int16_bytes
from ..errors import SpeechError
from .engine import Voice, match_voice, suggest_voices
from .settings import ResolvedSpeech

INSTALL_HINT = (
    "install the espeakng-loader package (pip install espeakng-loader), "
    "or espeak-ng itself (apt install espeak-ng / brew install espeak-ng)"
)

# Constants from espeak-ng's speak_lib.h.
# Output modes: 0 playback, 1 retrieval (synthesis on a library thread), 2 synchronous.
AUDIO_OUTPUT_SYNCHRONOUS = 2  # as retrieval, but espeak_Synth returns when synthesis is done
INITIALIZE_DONT_EXIT = 0x8000  # report a missing data folder instead of calling exit()
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_RATE = 1
_VOLUME = 2
_WORDGAP = 7  # espeakWORDGAP: a pause between words, in units of 10 ms
_EE_OK = 0
# A sentence is said with a 40 ms pause between its words, which the
# recognizer hears better (scripts/bench_intelligibility.py, in context, the
# default m8 voice): 772 of the four sample sessions' 836 cues against 734 of
# 838 without it; Day 1 159/178 against 151/180, Day 2 222/240 against 207.
# (Timed without the pauses, Day 1's shorter phrases leave room for two more
# "10 seconds." calls.)
# A call of one or two words ("3", "Lift up.") is said without: it
# falls on a beat, and "Lower down." with the gap was heard "lower count".
SENTENCE_WORD_GAP = 4
SENTENCE_MIN_WORDS = 3
# Milliseconds of audio per synth callback: bigger buffers mean fewer Python
# callbacks per phrase, which dominates the cost of short phrases.
_BUFFER_MS = 1000
_NORMAL_VOLUME = 100  # espeakVOLUME: 100 is unscaled, 200 is the maximum
# The voice a bare language gets where espeak's own first choice is heard
# worse (scripts/bench_intelligibility.py). espeak's "en" is its British voice:
# its "1" is heard "Wow." or "Well..." and its "Lower down." "Low and low.";
# the American voice, the bundled Piper voice's accent, is heard in 758 of the
# four sample sessions' 836 cues in context against 660.
PREFERRED_VOICES = {"en": "gmw/en-US"}
# The variant a voice is said with when it was chosen for its language rather
# than named. "m8" (espeak's male8: a lower pitch, and more of its energy in
# the consonants' band above 4 kHz, less in the vowels' middle band) is heard
# in 772 of the four sample sessions' 836 cues against 758 for the plain
# American voice (scripts/bench_intelligibility.py --spread, in context; the
# range over three cuts of each window): Day 1 156-159/178 against 156-162,
# Day 2 213-223/240 against 219-223, push-pull-supersets 128-130/140 against
# 126-129, and ahead by more than the spread on advanced-progressions,
# 258-266/278 against 253-256. Alone it is heard in 119 of their 157 phrases
# against 109, and "Rest for 90 seconds." 6 times in 9 against none. The
# variants heard best alone ("rob", "robert") lost the countdown's "3" in
# context, 15 and 17 times in 25.
DEFAULT_VARIANTS = {"gmw/en-US": "m8"}


class _EventStruct(ctypes.Structure):
    _fields_ = (
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_void_p),  # a union of int, char* and char[8]; unused here
    )


_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int,
    ctypes.POINTER(ctypes.c_short),
    ctypes.c_int,
    ctypes.POINTER(_EventStruct),
)


class _VoiceStruct(ctypes.Structure):
    _fields_ = (
        ("name", ctypes.c_char_p),
        # Not c_char_p: a sequence of (priority byte, NUL-terminated name) pairs.
        ("languages", ctypes.c_void_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    )


def find_library() -> tuple[str, str | None]:
    """Path of libespeak-ng and of its data folder (None: the library's built-in default)."""
    try:
        import espeakng_loader

        library = str(espeakng_loader.get_library_path())
        data = str(espeakng_loader.get_data_path())
        if Path(library).exists():
            return library, data
    except (ImportError, RuntimeError):
        pass
    system = ctypes.util.find_library("espeak-ng")
    if system is None:
        raise SpeechError(f"the espeak engine needs libespeak-ng: {INSTALL_HINT}")
    return system, None


class EspeakLibrary:
    """libespeak-ng in synchronous mode, loaded afresh for every phrase.

    The library's wave generator keeps state from one phrase to the next (a
    pitch-flutter position and the phase of the glottal wave, function-level
    statics that no API resets; ``espeak_ng_SetRandSeed`` does not touch
    them), so the same text came out a few samples longer or shorter
    depending on what was said before it, and exports depended on what the
    cache held. Unloading the library and loading it again gives every
    phrase the state of a new process, for about 4 ms.
    """

    lock = threading.RLock()
    _instance: EspeakLibrary | None = None

    def __init__(self) -> None:
        self.path, self.data_path = find_library()
        self._chunks: list[bytes] = []
        # The thread the synth callback last ran on: the caller's, in synchronous mode.
        self.callback_thread: int | None = None
        # Kept referenced for as long as a loaded library may call it.
        self._callback = _SynthCallback(self._collect)
        with self._loaded() as dll:
            self.sample_rate: int = self._rate
            folder = ctypes.c_char_p()
            self.version: str = dll.espeak_Info(ctypes.byref(folder)).decode()
            # The data folder the library reads: its built-in one when none was given.
            self.data_folder = Path(os.fsdecode(folder.value)) if folder.value else None
            self._voices = _list_voices(dll)
        self._variants: tuple[Voice, ...] | None = None  # listed when first asked for

    @classmethod
    def get(cls) -> EspeakLibrary:
        """The shared instance (the library is checked to load and start on first use)."""
        with cls.lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    @contextlib.contextmanager
    def _loaded(self) -> Iterator[ctypes.CDLL]:
        """The library freshly loaded and initialised; unloaded again on exit."""
        with self.lock:
            try:
                dll = ctypes.CDLL(self.path)
            except OSError as exc:
                raise SpeechError(f"cannot load {self.path} ({exc}): {INSTALL_HINT}") from None
            try:
                _declare(dll)
                # The data path must be passed here, before any other call: without it
                # the library looks in a compiled-in folder and exits the process.
                data = self.data_path
                rate = dll.espeak_Initialize(
                    AUDIO_OUTPUT_SYNCHRONOUS,
                    _BUFFER_MS,
                    data.encode() if data else None,
                    INITIALIZE_DONT_EXIT,
                )
                if rate <= 0:
                    raise SpeechError(
                        f"libespeak-ng at {self.path} failed to start: {INSTALL_HINT}"
                    )
                self._rate = int(rate)
                dll.espeak_SetSynthCallback(self._callback)
                yield dll
            finally:
                with contextlib.suppress(AttributeError):
                    dll.espeak_Terminate()
                _unload(dll)

    def _collect(
        self,
        wav: ctypes._Pointer[ctypes.c_short],
        count: int,
        events: ctypes._Pointer[_EventStruct],
    ) -> int:
        # Synchronous mode: runs inside espeak_Synth, on the caller's thread.
        self.callback_thread = threading.get_ident()
        if count > 0:
            self._chunks.append(ctypes.string_at(wav, count * 2))
        return 0  # 0 = carry on synthesizing

    def definition_digest(self, voice: str) -> str:
        """A digest of the text files that define `voice` ("gmw/en-US+m8"): the
        language voice's and its variant's, which a user may edit in place."""
        digest = hashlib.sha256()
        if self.data_folder is not None:
            base, _, variant = voice.partition("+")
            candidates = [("lang", base), ("voices", base)]
            if variant:
                candidates.append(("voices", f"!v/{variant}"))
            for folder, name in candidates:
                path = self.data_folder / folder / name
                # One the library cannot read either leaves the key as it is.
                with contextlib.suppress(OSError):
                    contents = path.read_bytes()
                    digest.update(f"{folder}/{name}\n".encode())
                    digest.update(contents)
        return digest.hexdigest()[:16]

    def voices(self) -> list[Voice]:
        """Every voice in the data folder, in the library's order."""
        return list(self._voices)

    def variants(self) -> list[Voice]:
        """Every variant in the data folder; ids without their "!v/" folder ("m3").

        Listed on first use: reading the 104 variant files costs about 3 ms,
        which a run that names no variant need not pay."""
        with self.lock:
            if self._variants is None:
                with self._loaded() as dll:
                    self._variants = _list_voices(dll, variants=True)
            return list(self._variants)

    def synthesize(
        self, text: str, voice: str, rate: int, volume: float, word_gap: int = 0
    ) -> bytes:
        """16-bit PCM at `sample_rate` for `text`, `word_gap` x 10 ms between words."""
        data = text.encode("utf-8") + b"\0"
        with self._loaded() as dll:
            if dll.espeak_SetVoiceByName(voice.encode()) != _EE_OK:
                raise SpeechError(f"espeak cannot load voice {voice!r}")
            dll.espeak_SetParameter(_RATE, rate, 0)
            dll.espeak_SetParameter(_VOLUME, round(volume * _NORMAL_VOLUME), 0)
            dll.espeak_SetParameter(_WORDGAP, word_gap, 0)
            self._chunks = []
            # Returns when the phrase is fully synthesized (synchronous mode).
            status = dll.espeak_Synth(
                data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
            )
            chunks, self._chunks = self._chunks, []
        if status != _EE_OK:
            raise SpeechError(f"espeak failed to synthesize {text!r} (status {status})")
        return b"".join(chunks)


def _declare(dll: ctypes.CDLL) -> None:
    dll.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    dll.espeak_Initialize.restype = ctypes.c_int
    dll.espeak_Info.argtypes = [ctypes.POINTER(ctypes.c_char_p)]
    dll.espeak_Info.restype = ctypes.c_char_p
    dll.espeak_SetSynthCallback.argtypes = [_SynthCallback]
    dll.espeak_SetSynthCallback.restype = None
    dll.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    dll.espeak_SetVoiceByName.restype = ctypes.c_int
    dll.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    dll.espeak_SetParameter.restype = ctypes.c_int
    dll.espeak_ListVoices.argtypes = [ctypes.c_void_p]
    dll.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_VoiceStruct))
    dll.espeak_Terminate.argtypes = []
    dll.espeak_Terminate.restype = ctypes.c_int
    dll.espeak_Synth.argtypes = [
        ctypes.c_void_p,
        ctypes.c_size_t,
        ctypes.c_uint,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_void_p,
        ctypes.c_void_p,
    ]
    dll.espeak_Synth.restype = ctypes.c_int


def _unload(dll: ctypes.CDLL) -> None:
    """Drop the process's reference to the library, so the next load starts clean."""
    import _ctypes

    close = getattr(_ctypes, "dlclose", None) or getattr(_ctypes, "FreeLibrary", None)
    if close is not None:
        close(dll._handle)


def _list_voices(dll: ctypes.CDLL, *, variants: bool = False) -> tuple[Voice, ...]:
    """The language voices, or with `variants` the variants (which a plain
    listing leaves out: they are asked for as the language "variant")."""
    spec = None
    if variants:
        language = ctypes.create_string_buffer(b"variant")
        spec = _VoiceStruct(languages=ctypes.cast(language, ctypes.c_void_p).value)
    listed = dll.espeak_ListVoices(ctypes.byref(spec) if spec is not None else None)
    found: list[Voice] = []
    i = 0
    while listed[i]:
        v = listed[i].contents
        identifier = (v.identifier or b"").decode()
        found.append(
            Voice(
                id=identifier.removeprefix("!v/") if variants else identifier,
                name=(v.name or b"").decode(),
                languages=() if variants else _languages(v.languages),
            )
        )
        i += 1
    return tuple(found)


def _languages(pointer: int | None) -> tuple[str, ...]:
    out: list[str] = []
    if not pointer:
        return ()
    while ctypes.string_at(pointer, 1)[0] != 0:
        name = ctypes.string_at(pointer + 1)
        out.append(name.decode(errors="replace").lower())
        pointer += 2 + len(name)
    return tuple(out)


class EspeakEngine:
    """Speech from libespeak-ng, in process and in memory."""

    name = "espeak"

    def __init__(self) -> None:
        self._library = EspeakLibrary.get()
        self.version = f"espeak-ng {self._library.version}"
        self.sample_rate = self._library.sample_rate

    def voices(self) -> list[Voice]:
        """The voices espeak-ng ships with (one per language and accent)."""
        return self._library.voices()

    def variants(self) -> list[Voice]:
        """The variants any voice can take after a "+" ("gmw/en+m3")."""
        return self._library.variants()

    def find_voice(self, wanted: str | None, language: str) -> Voice:
        """The voice called `wanted`, which may add a variant after a "+"
        ("gmw/en+m3"), or espeak's voice for `language` with its default variant."""
        if wanted is None:
            voice = match_voice(self.voices(), None, language, self.name, PREFERRED_VOICES)
            variant = DEFAULT_VARIANTS.get(voice.id)
            if variant is None:
                return voice
            try:
                return self.with_variant(voice, variant)
            except SpeechError:  # a system libespeak-ng whose data lacks the variant
                return voice
        if "+" not in wanted:
            return match_voice(self.voices(), wanted, language, self.name)
        base, _, variant = wanted.partition("+")
        return self.with_variant(match_voice(self.voices(), base, language, self.name), variant)

    def with_variant(self, voice: Voice, wanted: str) -> Voice:
        """`voice` with the variant called `wanted` (by id or name, ignoring case)."""
        key = wanted.casefold()
        variants = self._library.variants()
        for variant in variants:
            if key in (variant.id.casefold(), variant.name.casefold()):
                return Voice(
                    id=f"{voice.id}+{variant.id}",
                    name=f"{voice.name} ({variant.name})",
                    languages=voice.languages,
                )
        close = suggest_voices(variants, wanted, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        listing = "`cuecoach voices --engine espeak` lists them"
        raise SpeechError(f"unknown espeak variant {wanted!r}{hint} ({listing})")

    def fingerprint(self, settings: ResolvedSpeech) -> str:
        """Everything besides the text that decides the samples."""
        gap = f"word gap {SENTENCE_WORD_GAP} from {SENTENCE_MIN_WORDS} words"
        library = self._library
        voice = [settings.voice, library.definition_digest(settings.voice)]
        return json.dumps(
            [self.version, library.path, str(library.data_folder), *voice, settings.rate, gap]
        )

    def close(self) -> None:
        """Nothing is kept loaded: the library is loaded afresh for every phrase."""

    def synthesize(self, text: str, voice: ResolvedSpeech) -> Clip:
        """`text` spoken with `voice`, as a mono clip at the library's sample rate."""
        gap = SENTENCE_WORD_GAP if len(text.split()) >= SENTENCE_MIN_WORDS else 0
        pcm = self._library.synthesize(text, voice.voice, voice.rate, voice.volume, gap)
        samples = from_int16_bytes(pcm) if pcm else np.zeros(0, dtype=np.float32)
        return Clip(samples, self.sample_rate)
