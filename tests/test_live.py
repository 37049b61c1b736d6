"""The live player on a virtual clock: whole sessions run instantly, sample-exact."""

from __future__ import annotations

import io
import sys

import numpy as np
import pytest

from cuecoach.audio import Clip, Samples
from cuecoach.cuescript import Cue, CueKind, CueScript, Segment, SegmentKind
from cuecoach.errors import AudioError, InputError
from cuecoach.live import (
    EndReason,
    LineDisplay,
    NoKeys,
    PacedOutput,
    PlayResult,
    SetOutcome,
    Status,
    TextOutput,
    VirtualClock,
    play,
    start_ms,
    stopped_message,
)
from cuecoach.live.clock import Clock
from cuecoach.timecode import to_samples

RATE = 8_000
CLIP_RATE = 16_000  # clips arrive at another rate and are resampled up-front


def _speech(at: float, text: str, role: str, length: float = 0.5) -> Cue:
    return Cue(round(at * 1000), round(length * 1000), CueKind.SPEECH, role, text=text)


def _script(amrap: bool = False) -> CueScript:
    """Lead-in, two sets of work around a rest, finish; countdowns into each set."""
    segments = (
        Segment(0, 5000, SegmentKind.LEAD_IN, "Push-Ups", None, 2, None),
        Segment(5000, 15_000, SegmentKind.WORK, "Push-Ups", 1, 2, None, amrap=amrap),
        Segment(15_000, 20_000, SegmentKind.REST, "Push-Ups", 1, 2, None),
        Segment(20_000, 30_000, SegmentKind.WORK, "Push-Ups", 2, 2, None),
        Segment(30_000, 32_000, SegmentKind.FINISH, None, None, None, None),
    )
    cues = (
        _speech(0.0, "Get ready", "get_ready", 1.0),
        _speech(2.0, "3", "countdown"),
        _speech(3.0, "2", "countdown"),
        _speech(4.0, "1", "countdown"),
        Cue(5000, 200, CueKind.SOUND, "sound", sound="start"),
        _speech(10.0, "Halfway", "halfway"),
        _speech(15.0, "Rest now", "rest", 1.0),
        _speech(16.1, "Set 2 of 2", "set"),
        _speech(17.0, "three", "countdown"),
        _speech(18.0, "two", "countdown"),
        _speech(19.0, "one", "countdown"),
        Cue(20_000, 200, CueKind.SOUND, "sound", sound="start"),
        _speech(30.0, "Done", "finish", 1.0),
    )
    return CueScript("Test", 32_000, segments, cues)


def _level(index: int) -> float:
    """Each cue's clip is a constant level, so the recording shows which cue sounds."""
    return round(0.05 * (index + 1), 2)


def _clips(script: CueScript) -> tuple[dict[str, Clip], dict[str, Clip]]:
    clips: dict[str, Clip] = {}
    sounds: dict[str, Clip] = {}
    for index, cue in enumerate(script.cues):
        samples = np.full(to_samples(cue.duration_ms, CLIP_RATE), _level(index), dtype=np.float32)
        if cue.text is not None:
            clips[cue.text] = Clip(samples, CLIP_RATE)
        elif cue.sound is not None:
            sounds.setdefault(cue.sound, Clip(samples, CLIP_RATE))
    return clips, sounds


class ScriptedKeys:
    """Presses keys at given clock times."""

    def __init__(self, clock: Clock, presses: list[tuple[float, str]]) -> None:
        self._clock = clock
        self._presses = sorted(presses)

    def poll(self) -> list[str]:
        now = self._clock.now()
        due = [key for at, key in self._presses if at <= now]
        self._presses = [(at, key) for at, key in self._presses if at > now]
        return due

    def close(self) -> None:
        """Nothing to restore."""


class _Recording:
    """A display that keeps every status shown, with the clock time, and passes it on."""

    def __init__(self, clock: Clock, into: list[tuple[float, Status]], inner: LineDisplay) -> None:
        self._clock = clock
        self._into = into
        self._inner = inner

    def show(self, status: Status) -> None:
        self._into.append((self._clock.now(), status))
        self._inner.show(status)

    def cue(self, cue: Cue, status: Status) -> None:
        self._inner.cue(cue, status)

    def close(self) -> None:
        self._inner.close()


class Session:
    """One whole session on a virtual clock with a recording output."""

    def __init__(
        self,
        presses: list[tuple[float, str]] | None = None,
        block: int | None = None,
        *,
        amrap: bool = False,
        start: int = 0,
    ) -> None:
        self.script = _script(amrap)
        self.clock = VirtualClock()
        self.statuses: list[tuple[float, Status]] = []
        self.buffers: list[Samples] = []
        self.output = PacedOutput(RATE, block=block, sink=self.buffers.append)
        clips, sounds = _clips(self.script)
        self.display_text = io.StringIO()
        self.result: PlayResult = play(
            self.script,
            clips,
            sounds,
            self.output,
            clock=self.clock,
            keys=ScriptedKeys(self.clock, presses or []),
            display=_Recording(self.clock, self.statuses, LineDisplay(self.display_text)),
            start_ms=start,
        )
        self.audio = np.concatenate(self.buffers)

    def status_at(self, seconds: float) -> Status:
        """The last status shown at or before `seconds` of output time."""
        return [status for at, status in self.statuses if at <= seconds][-1]

    def starts(self, text: str) -> list[float]:
        """Output times (s) at which the cue with `text` started, in order."""
        return [o.frame / RATE for o in self.result.onsets if o.cue.text == text]

    def texts(self) -> list[str | None]:
        return [o.cue.text or o.cue.sound for o in self.result.onsets]


@pytest.mark.parametrize("block", [80, 333, 1000])
def test_every_cue_starts_on_its_scheduled_sample(block: int) -> None:
    session = Session(block=block)
    result = session.result
    assert result.reason is EndReason.FINISHED
    assert result.completed
    assert [o.cue for o in result.onsets] == list(session.script.cues)
    sounds_seen: set[str] = set()
    for onset in result.onsets:
        scheduled = to_samples(onset.cue.at_ms, RATE)
        assert onset.timeline_sample == scheduled
        assert onset.frame == scheduled
        assert onset.handed_at == pytest.approx(onset.cue.at_ms / 1000)
        # The recording itself: silence right before, the cue's level from its first sample.
        index = onset.cue_index
        level = _level(index)
        if onset.cue.sound is not None:
            if onset.cue.sound in sounds_seen:  # later uses of a sound share the first's clip
                level = _level(next(i for i, c in enumerate(session.script.cues) if c.sound))
            sounds_seen.add(onset.cue.sound)
        if scheduled:
            assert session.audio[scheduled - 1] == 0.0
        assert session.audio[scheduled] > 0.0
        # 10 ms in, past the resampler's ringing at the clip's edge
        assert session.audio[scheduled + RATE // 100] == pytest.approx(level, abs=0.005)
    assert len(session.audio) >= round(32.0 * RATE)


def test_nothing_sounds_between_cues() -> None:
    session = Session()
    audible = np.flatnonzero(np.abs(session.audio) > 1e-4)
    covered = np.zeros(len(session.audio), dtype=bool)
    for cue in session.script.cues:
        covered[to_samples(cue.at_ms, RATE) : to_samples(cue.end_ms, RATE) + 2] = True
    assert covered[audible].all()


def test_pause_shifts_the_rest_of_the_timeline_by_the_pause() -> None:
    session = Session([(6.0, " "), (9.0, " ")])
    assert session.result.completed
    shifts = {
        o.cue.at_ms / 1000: (o.frame - o.timeline_sample) / RATE for o in session.result.onsets
    }
    assert all(shift == 0 for at, shift in shifts.items() if at < 6.0)
    later = {shift for at, shift in shifts.items() if at > 6.0}
    assert len(later) == 1  # every later cue moves by the same amount ...
    assert later.pop() == pytest.approx(3.0, abs=0.02)  # ... the length of the pause
    # and the output was silent while paused
    assert not np.any(session.audio[round(6.1 * RATE) : round(9.0 * RATE)])
    assert "paused" in session.display_text.getvalue()


def test_resume_restarts_speech_cut_by_the_pause() -> None:
    session = Session([(15.5, " "), (17.5, " ")])
    rest_starts = session.starts("Rest now")
    assert rest_starts[0] == pytest.approx(15.0)
    assert rest_starts[1] == pytest.approx(17.5, abs=0.02)
    # The timeline resumed from the cue's start: the countdown follows 2 s after it.
    assert session.starts("three") == [pytest.approx(rest_starts[1] + 2.0)]


def test_next_jumps_to_the_next_segment_and_skips_what_was_left() -> None:
    session = Session([(7.0, "n")])
    assert "Halfway" not in session.texts()
    assert session.starts("Rest now") == [pytest.approx(7.0, abs=0.02)]
    assert session.starts("Done") == [pytest.approx(7.0 + 15.0, abs=0.02)]
    assert session.result.completed


def test_next_into_work_starts_at_its_set_call() -> None:
    session = Session([(15.5, "n")])
    # Jumped from the rest to set 2, entering through "Set 2 of 2", "three, two, one".
    assert session.starts("Set 2 of 2") == [pytest.approx(15.5, abs=0.02)]
    assert session.starts("three") == [pytest.approx(16.4, abs=0.02)]
    assert session.texts()[-6:] == ["Set 2 of 2", "three", "two", "one", "start", "Done"]


def test_while_counting_down_the_display_shows_the_rest_running_out() -> None:
    session = Session([(15.5, "n")])
    # 2 s after the jump (to the set call at 16.1 s) the timeline is at 18.1 s:
    # still the rest, counting down, not set 2 frozen at its full length.
    status = session.status_at(17.5)
    assert status.segment is not None
    assert status.segment.kind is SegmentKind.REST
    assert status.time_left == pytest.approx(1.9, abs=0.06)
    assert session.status_at(20.0).segment == session.script.segments[3]


def test_next_names_the_next_set_not_the_rest_before_it() -> None:
    session = Session()
    in_set_1 = session.status_at(10.0)
    assert in_set_1.next_segment == session.script.segments[3]  # set 2, not the rest
    assert session.status_at(16.0).next_segment == session.script.segments[3]
    assert session.status_at(25.0).next_segment == session.script.segments[4]  # the finish


def test_enter_ends_an_amrap_set_and_the_rest_of_the_timeline_moves_up() -> None:
    session = Session([(8.0, "\n")], amrap=True)
    assert session.result.completed
    assert "Halfway" not in session.texts()
    # Set 1 ended at 8 s of output instead of 15 s: everything after is 7 s early.
    assert session.starts("Rest now") == [pytest.approx(8.0, abs=0.02)]
    assert session.starts("Done") == [pytest.approx(23.0, abs=0.02)]
    assert len(session.audio) / RATE == pytest.approx(25.0, abs=0.05)
    first, second = session.result.sets
    assert (first.set, first.amrap, first.outcome) == (1, True, SetOutcome.DONE)
    assert first.worked_ms == pytest.approx(3000, abs=20)
    assert (second.set, second.amrap, second.outcome) == (2, False, SetOutcome.DONE)
    assert second.worked_ms == 10_000


def test_enter_ends_a_set_early_and_n_skips_one() -> None:
    session = Session([(8.0, "\r"), (9.0, "\n"), (16.0, "n")])
    first, second = session.result.sets
    assert first.outcome is SetOutcome.ENDED_EARLY
    assert second.outcome is SetOutcome.SKIPPED  # Enter in the rest (9 s) did nothing
    assert session.starts("Rest now") == [pytest.approx(8.0, abs=0.02)]
    assert second.worked_ms == pytest.approx(3000, abs=20)  # set 2 ran from 13 s to 16 s


def test_paused_time_is_kept_per_set_and_in_all() -> None:
    # 6-9 s pauses set 1; 20-21 s of output is 17-18 s of the timeline: the rest.
    session = Session([(6.0, " "), (9.0, " "), (20.0, " "), (21.0, " ")])
    first, second = session.result.sets
    assert first.paused_ms == pytest.approx(3000, abs=20)
    assert first.worked_ms == 10_000  # timeline time: the pause does not count
    assert second.paused_ms == 0  # the second pause was in the rest
    assert session.result.paused_ms == pytest.approx(4000, abs=20)


def test_quit_says_where_to_carry_on() -> None:
    session = Session([(22.0, "q")])
    result = session.result
    assert [s.outcome for s in result.sets] == [SetOutcome.DONE, SetOutcome.STOPPED]
    assert result.resume_ms == 16_100  # set 2 again, from its set call
    message = stopped_message(result, session.script, "cuecoach play day.toml")
    assert message == (
        "Stopped at 0:22 (Push-Ups | set 2/2). "
        "To carry on from there: cuecoach play day.toml --from 0:16"
    )


def test_start_part_way_by_time_or_exercise() -> None:
    script = _script()
    assert start_ms(script, "0:16") == 16_000
    assert start_ms(script, "0:00:17") == 17_000
    assert start_ms(script, "push-ups") == 0
    with pytest.raises(InputError, match=r"--from: 0:40 is past the end of the session"):
        start_ms(script, "0:40")
    with pytest.raises(InputError, match=r"no exercise 'Squats' .*; exercises: Push-Ups$"):
        start_ms(script, "Squats")
    session = Session(start=16_000)
    assert session.texts()[:2] == ["Set 2 of 2", "three"]
    assert session.starts("Set 2 of 2") == [pytest.approx(0.1)]
    assert [s.set for s in session.result.sets] == [2]
    assert session.result.completed


def test_previous_well_into_a_segment_restarts_it() -> None:
    session = Session([(25.0, "p")])
    assert len(session.starts("three")) == 2
    # From its set call again, 0.9 s before the countdown.
    assert session.starts("Set 2 of 2")[1] == pytest.approx(25.0, abs=0.02)
    assert session.starts("three")[1] == pytest.approx(25.9, abs=0.02)
    assert session.texts().count("start") == 3


def test_previous_early_in_a_segment_goes_back_one() -> None:
    session = Session([(21.0, "p")])
    assert session.starts("Rest now") == [pytest.approx(15.0), pytest.approx(21.0, abs=0.02)]


def test_previous_during_a_countdown_entered_by_next_goes_back_from_there() -> None:
    # n at 7 enters the rest; n at 8 enters set 2 at its countdown (17 s on the
    # timeline); p at 8.5 is "early in set 2", so it goes back to the rest.
    session = Session([(7.0, "n"), (8.0, "n"), (8.5, "p")])
    assert session.starts("Rest now") == [
        pytest.approx(7.0, abs=0.02),
        pytest.approx(8.5, abs=0.02),
    ]


def test_next_on_the_last_segment_ends_the_session() -> None:
    session = Session([(30.5, "n")])
    assert session.result.completed
    assert len(session.audio) / RATE == pytest.approx(30.5, abs=0.05)


def test_quit_stops_the_output() -> None:
    session = Session([(10.25, "q")])
    result = session.result
    assert result.reason is EndReason.QUIT
    assert not result.completed
    assert max(o.cue.at_ms for o in result.onsets) <= 10_250
    assert len(session.audio) / RATE == pytest.approx(10.25, abs=0.02)
    assert session.output.pump() is None  # stopped: pulls nothing more


def test_ctrl_c_returns_interrupted_and_stops_the_output() -> None:
    clock = VirtualClock()

    class InterruptingKeys(ScriptedKeys):
        def poll(self) -> list[str]:
            if clock.now() >= 3.0:
                raise KeyboardInterrupt
            return []

    script = _script()
    output = PacedOutput(RATE)
    result = play(
        script,
        *_clips(script),
        output,
        clock=clock,
        keys=InterruptingKeys(clock, []),
        display=LineDisplay(io.StringIO()),
    )
    assert result.reason is EndReason.INTERRUPTED
    assert result.position == pytest.approx(3.0, abs=0.02)
    assert output.pump() is None


def test_without_a_terminal_it_plays_hands_free_to_the_end(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("q n p \n"))  # keys here must be ignored
    script = _script()
    result = play(script, *_clips(script), PacedOutput(RATE), clock=VirtualClock())
    assert result.completed
    assert [o.cue for o in result.onsets] == list(script.cues)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "0:00  Get ready | Push-Ups (0:05)"
    assert '0:15    "Rest now"' in lines
    assert "0:20  Push-Ups | set 2/2 (0:10)" in lines
    assert "\r" not in "".join(lines)


def test_a_missing_clip_is_an_error_for_an_audible_output() -> None:
    script = _script()
    clips, sounds = _clips(script)
    del clips["Halfway"]
    with pytest.raises(AudioError, match="Halfway"):
        play(script, clips, sounds, PacedOutput(RATE), clock=VirtualClock(), keys=NoKeys())


def test_text_output_needs_no_clips_and_still_shows_every_cue() -> None:
    script = _script()
    shown = io.StringIO()
    result = play(
        script,
        {},
        {},
        TextOutput(),
        clock=VirtualClock(),
        keys=NoKeys(),
        display=LineDisplay(shown),
    )
    assert result.completed
    assert [o.cue for o in result.onsets] == list(script.cues)
    assert '0:10    "Halfway"' in shown.getvalue().splitlines()


def test_overlapping_cues_are_mixed_and_limited() -> None:
    segments = (Segment(0, 2000, SegmentKind.WORK, "Plank", 1, 1, None),)
    cues = (
        Cue(0, 1000, CueKind.SPEECH, "set", text="Go"),
        Cue(500, 200, CueKind.SOUND, "sound", sound="beep"),
    )
    script = CueScript("Mix", 2000, segments, cues)
    loud = Clip(np.full(RATE, 0.7, dtype=np.float32), RATE)
    buffers: list[Samples] = []
    play(
        script,
        {"Go": loud},
        {"beep": loud},
        PacedOutput(RATE, sink=buffers.append),
        clock=VirtualClock(),
        keys=NoKeys(),
        display=LineDisplay(io.StringIO()),
    )
    audio = np.concatenate(buffers)
    assert audio[round(0.25 * RATE)] == pytest.approx(0.7)
    assert audio[round(0.6 * RATE)] == pytest.approx(1.0)  # 0.7 + 0.7, limited to full scale
    assert audio[round(1.2 * RATE)] == pytest.approx(0.7)  # the beep's tail, after "Go" ended
