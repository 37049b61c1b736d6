"""The live player: a clock-driven mix of the cue script on an audio output.

`play` is the entry point; the rest is here so callers and tests can inject
their own clock, audio output, key source and display.
"""

from .clock import Clock, RealClock, VirtualClock
from .display import Display, LineDisplay, Status, TerminalDisplay
from .keys import KeySource, NoKeys, TerminalKeys
from .output import (
    AudioOutput,
    MiniaudioOutput,
    PacedOutput,
    SimpleaudioOutput,
    TextOutput,
    open_device,
    simpleaudio_available,
)
from .player import EndReason, PlayResult, play, stopped_message
from .transport import CueOnset, SetOutcome, SetRecord, start_ms

__all__ = [
    "AudioOutput",
    "Clock",
    "CueOnset",
    "Display",
    "EndReason",
    "KeySource",
    "LineDisplay",
    "MiniaudioOutput",
    "NoKeys",
    "PacedOutput",
    "PlayResult",
    "RealClock",
    "SetOutcome",
    "SetRecord",
    "SimpleaudioOutput",
    "Status",
    "TerminalDisplay",
    "TerminalKeys",
    "TextOutput",
    "VirtualClock",
    "open_device",
    "play",
    "simpleaudio_available",
    "start_ms",
    "stopped_message",
]
