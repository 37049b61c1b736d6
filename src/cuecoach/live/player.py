"""`play`: run a cue script live on an audio output, steered by keys, shown on a display."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from ..audio import Clip
from ..cuescript import CueScript
from .clock import Clock, RealClock
from .display import (
    Display,
    LineDisplay,
    Status,
    TerminalDisplay,
    clock_text,
    describe,
    stamp,
)
from .keys import KeySource, NoKeys, TerminalKeys
from .output import AudioOutput
from .transport import CueOnset, SetRecord, Transport, prepare_timeline

# How often keys are read and the display refreshed: short enough that a key
# feels immediate, long enough to cost nothing.
TICK_SECONDS = 0.05


class EndReason(StrEnum):
    """Why a session stopped."""

    FINISHED = "finished"
    QUIT = "quit"  # the q key
    INTERRUPTED = "interrupted"  # Ctrl-C


@dataclass(frozen=True)
class PlayResult:
    """How a live session went."""

    reason: EndReason
    position: float  # seconds of the timeline reached
    sample_rate: int
    onsets: tuple[CueOnset, ...]  # every cue that started, in order (repeats after p)
    sets: tuple[SetRecord, ...] = ()  # every set reached, in timeline order
    paused_ms: int = 0  # wall-clock time spent paused, in all
    resume_ms: int = 0  # where `--from` picks up what was under way (0 when finished)
    # The exit status of a SIGTERM or SIGHUP that stopped it (outputs.exit_on_signals),
    # for the caller to end with once it has logged what was done.
    exit_status: int | None = None

    @property
    def completed(self) -> bool:
        """Whether the session played to its end."""
        return self.reason is EndReason.FINISHED


def play(
    script: CueScript,
    clips: Mapping[str, Clip],
    sounds: Mapping[str, Clip],
    output: AudioOutput,
    *,
    clock: Clock | None = None,
    keys: KeySource | None = None,
    display: Display | None = None,
    start_ms: int = 0,
) -> PlayResult:
    """Play `script` live through `output` until it ends, `q`, or Ctrl-C.

    `clips` maps each speech cue's text to its clip, `sounds` each sound
    name to its clip; all are resampled to the output's rate before the first
    frame. Keys (space pause/resume, n next, p previous/restart, Enter done
    with this set, q quit) are read from the terminal when stdin is one, else
    the session plays hands-free. Play starts `start_ms` into the timeline.
    The display is a status line redrawn in place on a terminal, plain lines
    otherwise. Ctrl-C stops cleanly, restoring the terminal, and
    returns with `EndReason.INTERRUPTED`; so do SIGTERM and SIGHUP, with the
    exit status they ask for in `exit_status`. The output is stopped on return.
    """
    clock = clock or RealClock()
    timeline = prepare_timeline(
        script, clips, sounds, output.sample_rate, require_audio=output.audible
    )
    transport = Transport(script, timeline, clock, start_ms)
    if display is None:
        display = TerminalDisplay() if sys.stdout.isatty() else LineDisplay()
    own_keys = keys is None
    if keys is None:
        keys = TerminalKeys() if sys.stdin.isatty() else NoKeys()
    exit_status = None
    try:
        try:
            output.start(transport.read, clock)
            reason = _run(transport, output, clock, keys, display)
        except KeyboardInterrupt:
            reason = EndReason.INTERRUPTED
        except SystemExit as exc:  # terminated or hung up: stopped as by Ctrl-C
            reason = EndReason.INTERRUPTED
            exit_status = exc.code if isinstance(exc.code, int) else 1
        finally:
            transport.stop()
            output.stop()
    finally:
        if own_keys:
            keys.close()
        display.close()
    return PlayResult(
        reason,
        transport.position().seconds,
        output.sample_rate,
        transport.onsets,
        transport.sets(),
        round(transport.paused_seconds * 1000),
        transport.resume_ms(),
        exit_status,
    )


def stopped_message(result: PlayResult, script: CueScript, resume_command: str) -> str:
    """What `play` says on quitting: where it stopped, and how to pick up from there."""
    at_ms = round(result.position * 1000)
    segment = next((s for s in script.segments if s.start_ms <= at_ms < s.end_ms), None)
    label = f" ({describe(segment)})" if segment is not None else ""
    resume = clock_text(float(result.resume_ms // 1000))
    return (
        f"Stopped at {stamp(result.position)}{label}. "
        f"To carry on from there: {resume_command} --from {resume}"
    )


def _run(
    transport: Transport, output: AudioOutput, clock: Clock, keys: KeySource, display: Display
) -> EndReason:
    """The main-thread loop: pump the output, act on keys, refresh the display."""
    next_tick = clock.now()
    while True:
        output_due = output.pump()
        for key in keys.poll():
            if _act(transport, key):
                return EndReason.QUIT
        # Onsets first: the status taken after them is never behind a cue.
        onsets = transport.take_onsets()
        status = _status(transport)
        display.show(status)
        for onset in onsets:
            display.cue(onset.cue, status)
        if transport.finished:
            # Let the device play out what it has already been handed.
            clock.sleep_until(clock.now() + output.latency)
            output.pump()
            return EndReason.FINISHED
        now = clock.now()
        while next_tick <= now:
            next_tick += TICK_SECONDS
        clock.sleep_until(next_tick if output_due is None else min(next_tick, output_due))


def _act(transport: Transport, key: str) -> bool:
    """Apply one key; True means quit."""
    command = key.lower()
    if command == " ":
        transport.toggle_pause()
    elif command == "n":
        transport.next_segment()
    elif command == "p":
        transport.previous_segment()
    elif command in ("\n", "\r"):
        transport.done()
    # Ctrl-C arrives as a character on Windows consoles, as a signal elsewhere.
    return command in ("q", "\x03")


def _status(transport: Transport) -> Status:
    position = transport.position()
    return Status(
        position=position.seconds,
        duration=transport.end_sample / transport.sample_rate,
        segment=transport.segment(position.segment_index),
        next_segment=transport.next_set(position.segment_index),
        paused=position.paused,
    )
