"""Text to speech: engines, settings, the clip cache, and the `Speaker` the rest uses.

Importing this package costs nothing: `check` and `script` reach
`speech.settings` through it on every run, so each name is imported from its
module on first use (settings need no numpy, no engine and no voice list).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..parse import validate_speech
    from .cache import cache_clear, cache_info, default_cache_dir
    from .engine import SpeechEngine, Voice, list_voices, load_engine, match_voice
    from .settings import (
        ResolvedSpeech,
        config_path,
        default_engine_name,
        merge_speech,
        read_speech_config,
        resolve_speech,
    )
    from .speaker import DEFAULT_SAMPLE_RATE, Speaker

# Each public name and the module (relative to this package) that holds it.
_HOMES = {
    "DEFAULT_SAMPLE_RATE": ".speaker",
    "Speaker": ".speaker",
    "cache_clear": ".cache",
    "cache_info": ".cache",
    "default_cache_dir": ".cache",
    "SpeechEngine": ".engine",
    "Voice": ".engine",
    "list_voices": ".engine",
    "load_engine": ".engine",
    "match_voice": ".engine",
    "ResolvedSpeech": ".settings",
    "config_path": ".settings",
    "default_engine_name": ".settings",
    "merge_speech": ".settings",
    "read_speech_config": ".settings",
    "resolve_speech": ".settings",
    "validate_speech": "..parse",
}

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
    "list_voices",
    "load_engine",
    "match_voice",
    "merge_speech",
    "read_speech_config",
    "resolve_speech",
    "validate_speech",
]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
