"""Text to speech: engines, settings, the clip cache, and the `Speaker` the rest uses.

Importing this package is cheap: settings and voice choice need no numpy,
so `check` and `script` start fast. The parts that handle samples (`Speaker`,
the cache) are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..parse import validate_speech
from .engine import SpeechEngine, Voice, find_voice, list_voices, load_engine
from .settings import (
    ResolvedSpeech,
    config_path,
    default_engine_name,
    merge_speech,
    read_speech_config,
    resolve_speech,
)

if TYPE_CHECKING:
    from .cache import cache_clear, cache_info, default_cache_dir
    from .speaker import DEFAULT_SAMPLE_RATE, Speaker

__all__ = [
    "DEFAULT_SAMPLE_RATE",
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

_LAZY = {
    "DEFAULT_SAMPLE_RATE": "speaker",
    "Speaker": "speaker",
    "cache_clear": "cache",
    "cache_info": "cache",
    "default_cache_dir": "cache",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
