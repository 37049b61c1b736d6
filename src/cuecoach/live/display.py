"""What the player shows: a status line redrawn in place, or plain lines for logs."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from typing import Protocol, TextIO

from ..cuescript import Cue, CueKind, Segment, SegmentKind
from ..terminal import shown
from ..timecode import clock

_KIND_LABELS = {
    SegmentKind.LEAD_IN: "Get ready",
    SegmentKind.WORK: "Work",
    SegmentKind.SWITCH: "Switch sides",
    SegmentKind.REST: "Rest",
    SegmentKind.TRANSITION: "Transition",
    SegmentKind.FINISH: "Finish",
}
_BAR_WIDTH = 16


@dataclass(frozen=True)
class Status:
    """Everything the display needs to know at one moment."""

    position: float
    duration: float
    segment: Segment | None
    next_segment: Segment | None
    paused: bool

    @property
    def time_left(self) -> float:
        """Seconds left in the current segment."""
        if self.segment is None:
            return 0.0
        start, end = self.segment.start_ms / 1000, self.segment.end_ms / 1000
        return max(0.0, end - max(self.position, start))

    @property
    def progress(self) -> float:
        """Fraction of the session behind the playhead, 0 to 1."""
        return min(1.0, self.position / self.duration) if self.duration > 0 else 1.0


class Display(Protocol):
    """Receives the player's status every tick and each cue as it starts."""

    def show(self, status: Status) -> None:
        """The current status (called often; redraw only what changed)."""
        ...

    def cue(self, cue: Cue, status: Status) -> None:
        """A cue has just started."""
        ...

    def close(self) -> None:
        """The session is over; leave the terminal tidy."""
        ...


def clock_text(seconds: float) -> str:
    """`m:ss` (or `h:mm:ss`), rounding up so a countdown never shows 0:00 early."""
    return clock(round(seconds * 1000), rounding="up")


def stamp(seconds: float) -> str:
    """`m:ss` (or `h:mm:ss`) of a moment on the timeline, rounded down."""
    return clock(round(seconds * 1000), rounding="down")


def describe(segment: Segment) -> str:
    """A short label: "Push-Ups | set 2/3 | side 1 | 12 kg", "Rest", "Get ready | Push-Ups"."""
    parts = [_KIND_LABELS[segment.kind]]
    if segment.kind is SegmentKind.WORK and segment.exercise:
        parts = [shown(segment.exercise)]
    elif segment.kind is SegmentKind.LEAD_IN and segment.exercise:
        parts.append(shown(segment.exercise))
    if segment.set is not None and segment.kind is SegmentKind.WORK:
        parts.append(f"set {segment.set}/{segment.sets}" if segment.sets else f"set {segment.set}")
    if segment.side is not None and segment.kind is SegmentKind.WORK:
        parts.append(f"side {segment.side}")
    if segment.load and segment.kind is SegmentKind.WORK:
        parts.append(shown(segment.load))
    return " | ".join(parts)


def cue_text(cue: Cue) -> str:
    """What a cue says (speech) or which sound it is."""
    if cue.kind is CueKind.SPEECH:
        return f'"{shown(cue.text or "")}"'
    return f"({cue.sound})"


def status_line(status: Status, width: int | None = None) -> str:
    """One line: state, segment, time left, session progress bar, and the next set.

    When `width` is too small, the parts go in this order: what is next, the
    progress bar, then the end of the segment's label (marked with "…"); the
    state and the time left stay.
    """
    filled = round(status.progress * _BAR_WIDTH)
    bar = "#" * filled + "-" * (_BAR_WIDTH - filled)
    state = "PAUSED" if status.paused else ">"
    now = describe(status.segment) if status.segment else "-"
    left = f"{clock_text(status.time_left)} left"
    progress = f"[{bar}] {stamp(status.position)}/{clock_text(status.duration)}"
    upcoming = f"next: {describe(status.next_segment)}" if status.next_segment else ""
    lines = (
        "  ".join([f"{state} {now}", left, *(e for e in extras if e)])
        for extras in ((progress, upcoming), (progress,), ())
    )
    if width is None:
        return next(lines)
    fitting = next((line for line in lines if len(line) <= width), None)
    if fitting is not None:
        return fitting
    room = width - len(state) - len(left) - 3
    if room >= 2:
        return f"{state} {now[: room - 1]}…  {left}"
    return f"{state} {left}"[:width]


class TerminalDisplay:
    """A status line redrawn in place with `\\r`; cues scroll above it."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdout
        self._last = ""

    def _width(self) -> int:
        # One column short: writing the last column wraps on some terminals.
        return shutil.get_terminal_size().columns - 1

    def _draw(self, line: str) -> None:
        # \x1b[K clears what a longer previous line left behind.
        self._stream.write("\r" + line + "\x1b[K")
        self._stream.flush()
        self._last = line

    def show(self, status: Status) -> None:
        """Redraw if the line changed (about once a second)."""
        line = status_line(status, self._width())
        if line != self._last:
            self._draw(line)

    def cue(self, cue: Cue, status: Status) -> None:
        """Print the cue on its own line, then the status line again under it."""
        self._stream.write(f"\r\x1b[K  {stamp(cue.at_ms / 1000)}  {cue_text(cue)}\n")
        self._draw(status_line(status, self._width()))

    def close(self) -> None:
        """Leave the cursor on a fresh line."""
        self._stream.write("\n")
        self._stream.flush()


class LineDisplay:
    """Plain lines, one per segment and one per cue: for pipes, logs and --no-audio."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdout
        self._segment: Segment | None = None
        self._paused = False

    def show(self, status: Status) -> None:
        """A line when the segment changes or the player pauses or resumes.

        A segment is stamped with its start on the timeline (play shows the
        segment the playhead is in, so that is never later than now).
        """
        if status.segment is not None and status.segment is not self._segment:
            self._segment = status.segment
            entered = stamp(status.segment.start_ms / 1000)
            length = clock(status.segment.duration_ms, rounding="up")
            self._write(f"{entered}  {describe(status.segment)} ({length})")
        if status.paused != self._paused:
            self._paused = status.paused
            self._write(f"{stamp(status.position)}  {'paused' if status.paused else 'resumed'}")

    def cue(self, cue: Cue, status: Status) -> None:
        """A line with the cue's text or sound."""
        self._write(f"{stamp(cue.at_ms / 1000)}    {cue_text(cue)}")

    def close(self) -> None:
        """Nothing to tidy."""

    def _write(self, line: str) -> None:
        self._stream.write(line + "\n")
        self._stream.flush()
