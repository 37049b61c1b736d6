"""cuecoach: turn a written workout into a hands-free voice coach.

The public API is imported lazily so that ``cuecoach --help`` starts fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .compile import compile_session, estimate_speech_seconds
    from .cuescript import Cue, CueScript, Segment
    from .errors import CuecoachError, InputError, Problem
    from .library import Library, load_library
    from .model import Exercise, Group, Program, Session
    from .parse import load, load_session
    from .wording import Wording, load_wording

_EXPORTS = {
    "compile_session": "compile",
    "estimate_speech_seconds": "compile",
    "Cue": "cuescript",
    "CueScript": "cuescript",
    "Segment": "cuescript",
    "CuecoachError": "errors",
    "InputError": "errors",
    "Problem": "errors",
    "Library": "library",
    "load_library": "library",
    "Exercise": "model",
    "Group": "model",
    "Program": "model",
    "Session": "model",
    "load": "parse",
    "load_session": "parse",
    "Wording": "wording",
    "load_wording": "wording",
}

__all__ = [
    "Cue",
    "CueScript",
    "CuecoachError",
    "Exercise",
    "Group",
    "InputError",
    "Library",
    "Problem",
    "Program",
    "Segment",
    "Session",
    "Wording",
    "compile_session",
    "estimate_speech_seconds",
    "load",
    "load_library",
    "load_session",
    "load_wording",
]
assert sorted(__all__) == sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'cuecoach' has no attribute {name!r}")
