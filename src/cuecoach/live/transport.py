"""The live timeline: prepared cue clips at sample positions, and a playhead over them.

The audio output pulls frames from `Transport.read`; every pull mixes the next
stretch of the timeline (silence plus whatever parts of cue clips overlap it).
The playhead is a sample counter, so a cue starts on exactly the sample its
time maps to, however the output slices its buffers. Pausing, seeking and
quitting only move or freeze the playhead; the output keeps pulling.

`read` runs on the audio thread of a real device while key handling and the
display run on the main thread, so every piece of state sits behind one lock.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from ..audio import Clip, Samples
from ..cuescript import Cue, CueKind, CueScript, Segment, SegmentKind
from ..errors import InputError, Problem
from ..timecode import to_samples
from ..timeline import Timeline
from .clock import Clock

# Pause and resume ramp the level over this long so that stopping or
# restarting mid-waveform does not click.
FADE_SECONDS = 0.005
# "p" restarts the current segment when this far into it, else goes back one.
RESTART_THRESHOLD_SECONDS = 2.0
# Cues of these roles just before a segment announce it: jumping to the segment
# starts at the first of them, so "n" still gives "Set 2 of 3, 12 reps" and
# "3, 2, 1" before the work.
ENTRY_ROLES = frozenset({"countdown", "set", "switch"})


@dataclass(frozen=True)
class CueOnset:
    """When a cue's first sample went out.

    `timeline_sample` is where the cue sits on the script's timeline
    (the cue's time at the output rate); `frame` is the index of the output frame
    that carried it, which differs after pauses and jumps. `handed_at` is the
    clock time of the pull that carried it plus the sample's offset in that
    buffer: the moment the device is due to play it, less the device latency.
    """

    cue_index: int
    cue: Cue
    timeline_sample: int
    frame: int
    handed_at: float


def prepare_timeline(
    script: CueScript,
    clips: Mapping[str, Clip],
    sounds: Mapping[str, Clip],
    sample_rate: int,
    *,
    require_audio: bool = True,
) -> Timeline:
    """Every cue's clip placed on the timeline and resampled to `sample_rate` now.

    Done once before playing so the audio thread only adds arrays. A cue
    without a clip is an `AudioError` when `require_audio`, else it becomes a
    silent marker that is still reported when its time comes.
    """
    timeline = Timeline(script, clips, sounds, sample_rate, require_audio=require_audio)
    timeline.prepare_all()
    return timeline


def segment_entries(script: CueScript) -> list[int]:
    """Where playing each segment starts (ms): its start, or the announcement just before it."""
    entries: list[int] = []
    for index, segment in enumerate(script.segments):
        start = segment.start_ms
        floor = script.segments[index - 1].start_ms if index else start
        entry = start
        for cue in reversed([c for c in script.cues if floor <= c.at_ms < start]):
            if cue.role not in ENTRY_ROLES:
                break
            entry = cue.at_ms
        entries.append(entry)
    return entries


_CLOCK = re.compile(r"(?:(\d{1,3}):)?(\d{1,4}):([0-5]\d)")


def start_ms(script: CueScript, value: str) -> int:
    """Where `play --from VALUE` starts (ms): a time (M:SS or H:MM:SS), or an exercise.

    An exercise starts where it is first announced (its lead-in or the
    transition to it); the name matches regardless of case. Anything else is
    an InputError listing the exercises.
    """
    where = "(command line)"
    clock = _CLOCK.fullmatch(value.strip())
    if clock:
        hours, minutes, seconds = (int(part or 0) for part in clock.groups())
        ms = ((hours * 60 + minutes) * 60 + seconds) * 1000
        if ms >= script.duration_ms:
            raise InputError(
                [Problem(where, None, "--from", f"{value} is past the end of the session")]
            )
        return ms
    wanted = " ".join(value.split()).casefold()
    for segment in script.segments:
        if segment.exercise is not None and segment.exercise.casefold() == wanted:
            return segment.start_ms
    names = list(dict.fromkeys(s.exercise for s in script.segments if s.exercise))
    message = f"no exercise {value!r} in the session and not a time (M:SS)"
    if names:
        message += "; exercises: " + ", ".join(names)
    raise InputError([Problem(where, None, "--from", message)])


@dataclass(frozen=True)
class Position:
    """A snapshot of the playhead for the display."""

    seconds: float
    segment_index: int  # the segment the playhead is in on the timeline
    paused: bool


class SetOutcome(StrEnum):
    """How a set (a work segment) that was reached ended."""

    DONE = "done"  # played to its end, or an as-many-as-you-can set the user ended
    ENDED_EARLY = "ended_early"  # Enter before the end of a set of reps or time
    SKIPPED = "skipped"  # n
    STOPPED = "stopped"  # in progress when the session was quit or interrupted


@dataclass(frozen=True)
class SetRecord:
    """One set as it was played (for a training log).

    `worked_ms` is timeline time spent in the set (pauses excluded), `paused_ms`
    wall-clock time paused while in it. A set restarted with p is recorded once,
    as its last run went.
    """

    segment_index: int
    exercise: str | None
    set: int | None
    sets: int | None
    side: int | None
    amrap: bool
    outcome: SetOutcome
    worked_ms: int
    paused_ms: int


@dataclass
class _SetRun:
    entered_at: int  # timeline sample
    paused: float = 0.0  # seconds
    outcome: SetOutcome | None = None
    left_at: int | None = None


def is_amrap(segment: Segment) -> bool:
    """Whether `segment` is a set that ends when the user says so (or at its cap)."""
    return segment.amrap


class Transport:
    """The playhead over a prepared timeline, pulled by the output, steered by keys."""

    def __init__(
        self, script: CueScript, timeline: Timeline, clock: Clock, start_ms: int = 0
    ) -> None:
        sample_rate = timeline.rate
        self.sample_rate = sample_rate
        self._script = script
        self._timeline = timeline
        self._clock = clock
        self._starts = [to_samples(s.start_ms, sample_rate) for s in script.segments]
        self._ends = [to_samples(s.end_ms, sample_rate) for s in script.segments]
        self._entries = [to_samples(ms, sample_rate) for ms in segment_entries(script)]
        last_clip_end = max((p.end for p in timeline.placements), default=0)
        self.end_sample = max(timeline.total, last_clip_end)
        self._fade = max(1, round(FADE_SECONDS * sample_rate))

        self._lock = threading.Lock()
        self._playhead = 0  # timeline sample of the next frame to mix
        self._floor = 0  # clips starting before this were jumped over: never mix them
        self._frames = 0  # frames handed to the output so far
        self._paused = False
        self._fade_out_left = 0
        self._fade_in_left = 0
        self._entered: int | None = None  # segment jumped to, while still in its countdown
        self._stopped = False
        self._finished = False
        self._history: list[CueOnset] = []
        self._fresh: deque[CueOnset] = deque()
        self._runs: dict[int, _SetRun] = {}  # work segment index -> its last run
        self._paused_at = 0.0
        self.paused_seconds = 0.0
        start = to_samples(start_ms, sample_rate)
        self._playhead = self._floor = start
        self._finished = start >= self.end_sample

    # -- the output side -------------------------------------------------

    def read(self, frames: int) -> Samples:
        """The next `frames` mono float32 frames of the session (silence when paused or done)."""
        pulled_at = self._clock.now()
        out = np.zeros(frames, dtype=np.float32)
        with self._lock:
            first_frame = self._frames
            self._frames += frames
            if self._stopped or self._finished:
                return out
            if self._paused:
                count = min(frames, self._fade_out_left)
                if count:
                    start = self._fade - self._fade_out_left
                    gain = 1.0 - (np.arange(start, start + count) + 1) / self._fade
                    out[:count] = self._mix(count, first_frame, pulled_at) * gain
                    self._fade_out_left -= count
                return out
            out[:] = self._mix(frames, first_frame, pulled_at)
            if self._fade_in_left:
                count = min(frames, self._fade_in_left)
                start = self._fade - self._fade_in_left
                out[:count] *= (np.arange(start, start + count) + 1) / self._fade
                self._fade_in_left -= count
            if self._playhead >= self.end_sample:
                self._finished = True
            return out

    def _mix(self, frames: int, first_frame: int, pulled_at: float) -> Samples:
        """Mix timeline [playhead, playhead + frames) and advance the playhead."""
        start = self._playhead
        buffer = np.zeros(frames, dtype=np.float32)
        for placement in self._timeline.mix(buffer, start, self._floor):
            offset = placement.onset - start
            onset = CueOnset(
                placement.cue_index,
                placement.cue,
                placement.onset,
                first_frame + offset,
                pulled_at + offset / self.sample_rate,
            )
            self._history.append(onset)
            self._fresh.append(onset)
        self._playhead = start + frames
        self._track(start, self._playhead)
        np.clip(buffer, -1.0, 1.0, out=buffer)
        return buffer

    # -- the control side ------------------------------------------------

    def toggle_pause(self) -> bool:
        """Pause or resume; returns whether now paused.

        Resuming inside a speech clip restarts that clip from its beginning
        (the rest of the timeline shifts by the part heard again), because
        "...degrees from your sides" after a long pause is hard to follow.
        """
        with self._lock:
            if not self._paused:
                self._paused = True
                self._fade_out_left = self._fade
                self._paused_at = self._clock.now()
                return True
            self._paused = False
            paused = self._clock.now() - self._paused_at
            self.paused_seconds += paused
            run = self._run_at(self._playhead)
            if run is not None:
                run.paused += paused
            self._fade_out_left = 0
            self._seek(self._speech_start_around(self._playhead))
            return False

    def next_segment(self) -> None:
        """Jump to the next segment (past the last one: the end of the session).

        In a set, that skips the rest of it; an as-many-as-you-can set counts
        as done, as with Enter.
        """
        with self._lock:
            self._leave_set(SetOutcome.SKIPPED)
            current = self._current_index()
            if current + 1 < len(self._entries):
                self._enter(current + 1)
            else:
                self._seek(self.end_sample)

    def previous_segment(self) -> None:
        """Restart the current segment if well into it, else go to the previous one."""
        with self._lock:
            if not self._entries:
                return
            current = self._current_index()
            into = self._playhead - self._starts[current]
            if into > RESTART_THRESHOLD_SECONDS * self.sample_rate or current == 0:
                self._enter(current)
            else:
                self._enter(current - 1)

    def done(self) -> None:
        """The user has finished the set now (Enter): the rest of the timeline moves up.

        Only in a set; anywhere else it does nothing.
        """
        with self._lock:
            index = self._timeline_index()
            if index in self._runs and self._runs[index].outcome is None:
                self._leave_set(SetOutcome.ENDED_EARLY)
                self._seek(self._ends[index])

    def stop(self) -> None:
        """Silence from the next pull on; nothing else will be mixed."""
        with self._lock:
            self._stopped = True
            for run in self._runs.values():
                if run.outcome is None:
                    run.outcome = SetOutcome.STOPPED
                    run.left_at = self._playhead

    def sets(self) -> tuple[SetRecord, ...]:
        """Every set reached so far, in timeline order."""
        with self._lock:
            records = []
            for index in sorted(self._runs):
                run = self._runs[index]
                segment = self._script.segments[index]
                left = self._playhead if run.left_at is None else run.left_at
                records.append(
                    SetRecord(
                        index,
                        segment.exercise,
                        segment.set,
                        segment.sets,
                        segment.side,
                        is_amrap(segment),
                        run.outcome or SetOutcome.STOPPED,
                        round(max(0, left - run.entered_at) * 1000 / self.sample_rate),
                        round(run.paused * 1000),
                    )
                )
            return tuple(records)

    def resume_ms(self) -> int:
        """Where to start again to redo what was under way: the current segment's entry."""
        with self._lock:
            if not self._entries or self._finished:
                return 0
            return round(self._entries[self._current_index()] * 1000 / self.sample_rate)

    @property
    def finished(self) -> bool:
        """Whether the playhead has reached the end of the session."""
        with self._lock:
            return self._finished

    def position(self) -> Position:
        """Where the playhead is now."""
        with self._lock:
            return Position(self._playhead / self.sample_rate, self._timeline_index(), self._paused)

    def take_onsets(self) -> list[CueOnset]:
        """Cue onsets since the last call (for the display)."""
        with self._lock:
            fresh = list(self._fresh)
            self._fresh.clear()
            return fresh

    @property
    def onsets(self) -> tuple[CueOnset, ...]:
        """Every cue onset so far, in the order they went out."""
        with self._lock:
            return tuple(self._history)

    def segment(self, index: int) -> Segment | None:
        """The script's segment at `index`, if there is one."""
        segments = self._script.segments
        return segments[index] if 0 <= index < len(segments) else None

    def next_set(self, index: int) -> Segment | None:
        """What comes after segment `index` for the user: the next set, else the next segment.

        Rests and transitions are not "next": the exercise after them is.
        """
        following = self._script.segments[index + 1 :]
        work = next((s for s in following if s.kind is SegmentKind.WORK), None)
        return work or (following[0] if following else None)

    # -- helpers, called with the lock held ------------------------------

    def _current_index(self) -> int:
        if not self._starts:
            return 0
        if self._entered is not None:
            if self._playhead < self._starts[self._entered]:
                return self._entered
            self._entered = None
        return max(0, bisect_right(self._starts, self._playhead) - 1)

    def _timeline_index(self) -> int:
        return max(0, bisect_right(self._starts, self._playhead) - 1)

    def _run_at(self, sample: int) -> _SetRun | None:
        """The run of the set in progress at `sample`, if any."""
        if not self._starts:
            return None
        run = self._runs.get(max(0, bisect_right(self._starts, sample) - 1))
        return run if run is not None and run.outcome is None else None

    def _track(self, old: int, new: int) -> None:
        """Note the sets entered or finished by playing timeline samples [old, new)."""
        first = max(0, bisect_right(self._starts, old) - 1)
        for index in range(first, bisect_left(self._starts, new)):
            if self._script.segments[index].kind is not SegmentKind.WORK:
                continue
            start, end = self._starts[index], self._ends[index]
            # Entered at its start, or part-way (--from) when not run before.
            if old <= start < new or (start < old < end and index not in self._runs):
                self._runs[index] = _SetRun(max(start, old))
            run = self._runs.get(index)
            if run is not None and run.outcome is None and old < end <= new:
                run.outcome = SetOutcome.DONE
                run.left_at = end

    def _leave_set(self, outcome: SetOutcome) -> None:
        """End the set the playhead is in (if any) with `outcome`."""
        index = self._timeline_index()
        run = self._runs.get(index)
        if run is None or run.outcome is not None:
            return
        amrap = is_amrap(self._script.segments[index])
        run.outcome = SetOutcome.DONE if amrap else outcome
        run.left_at = self._playhead

    def _enter(self, index: int) -> None:
        self._seek(self._entries[index])
        self._entered = index

    def _seek(self, sample: int) -> None:
        if sample != self._playhead:
            self._fade_in_left = self._fade
        # A set in progress that the playhead goes back before will be run again.
        for index in [i for i, run in self._runs.items() if run.outcome is None]:
            if self._starts[index] >= sample:
                del self._runs[index]
        self._playhead = sample
        self._floor = sample
        self._finished = self._playhead >= self.end_sample

    def _speech_start_around(self, sample: int) -> int:
        """The onset of a speech clip playing at `sample`, else `sample` itself."""
        timeline = self._timeline
        for placement in timeline.placements[: bisect_right(timeline.onsets, sample)]:
            if (
                placement.cue.kind is CueKind.SPEECH
                and self._floor <= placement.onset < sample < placement.end
            ):
                return placement.onset
        return sample
