"""The live player's real edges: miniaudio (NULL backend), real speech, terminal keys, display."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import miniaudio
import numpy as np
import pytest

from cuecoach.audio import Clip
from cuecoach.cuescript import Cue, CueKind, CueScript, Segment, SegmentKind
from cuecoach.errors import AudioError, SpeechError
from cuecoach.live import (
    LineDisplay,
    MiniaudioOutput,
    NoKeys,
    RealClock,
    Status,
    TerminalDisplay,
    TerminalKeys,
    play,
)
from cuecoach.live.display import clock_text, status_line
from cuecoach.model import SpeechSettings
from cuecoach.timecode import to_samples


def _speech_clips(texts: list[str], cache: Path) -> dict[str, Clip]:
    """Real synthesized speech when an engine loads here, else tone bursts."""
    from cuecoach.speech import Speaker, resolve_speech

    try:
        speaker = Speaker(resolve_speech(SpeechSettings(), config=cache / "none.toml"), cache)
        return speaker.clips(texts)
    except SpeechError:
        t = np.arange(11_025) / 22_050
        tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        return {text: Clip(tone, 22_050) for text in texts}


def test_real_miniaudio_null_backend_session(tmp_path: Path) -> None:
    segments = (
        Segment(0, 1000, SegmentKind.LEAD_IN, "Plank", None, 1, None),
        Segment(1000, 2000, SegmentKind.WORK, "Plank", 1, 1, None),
    )
    cues = (
        Cue(0, 500, CueKind.SPEECH, "get_ready", text="Get ready"),
        Cue(1000, 100, CueKind.SOUND, "sound", sound="start"),
        Cue(1200, 500, CueKind.SPEECH, "set", text="Hold"),
    )
    script = CueScript("Null", 2000, segments, cues)
    beep = Clip(np.full(4_410, 0.2, dtype=np.float32), 44_100)
    output = MiniaudioOutput(48_000, backends=[miniaudio.Backend.NULL])
    assert output.backend == "Null"
    result = play(
        script,
        _speech_clips(["Get ready", "Hold"], tmp_path),
        {"start": beep},
        output,
        clock=RealClock(),
        keys=NoKeys(),
        display=LineDisplay(io.StringIO()),
    )
    assert result.completed
    assert output.frames_pulled >= 2.0 * 48_000
    assert [o.cue for o in result.onsets] == list(cues)
    first = result.onsets[0].handed_at
    for onset in result.onsets:
        assert onset.frame == to_samples(onset.cue.at_ms, 48_000)
        # Pulled in real time: within a few device periods (the priming lead) of the schedule.
        assert onset.handed_at - first == pytest.approx(onset.cue.at_ms / 1000, abs=0.1)


def test_no_sound_device_is_an_audio_error_suggesting_alternatives(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_device(*args: object, **kwargs: object) -> None:
        raise miniaudio.MiniaudioError("failed to init device", -401)

    monkeypatch.setattr(miniaudio, "PlaybackDevice", no_device)
    with pytest.raises(AudioError, match=r"--no-audio.*cuecoach export"):
        MiniaudioOutput()


def test_falling_back_to_the_null_backend_counts_as_no_device(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    closed: list[bool] = []

    class SilentDevice:
        backend = "Null"

        def __init__(self, *args: object, **kwargs: object) -> None:
            pass

        def close(self) -> None:
            closed.append(True)

    monkeypatch.setattr(miniaudio, "PlaybackDevice", SilentDevice)
    with pytest.raises(AudioError, match="no sound device found"):
        MiniaudioOutput()
    assert closed == [True]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX terminal")
def test_terminal_keys_read_without_enter_and_restore_the_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import termios

    leader, follower = os.openpty()
    with os.fdopen(follower, "r") as tty_in:
        monkeypatch.setattr(sys, "stdin", tty_in)
        before = termios.tcgetattr(follower)
        keys = TerminalKeys()
        cbreak = termios.tcgetattr(follower)
        assert not cbreak[3] & termios.ICANON
        assert not cbreak[3] & termios.ECHO
        assert cbreak[3] & termios.ISIG  # Ctrl-C still interrupts
        assert keys.poll() == []
        os.write(leader, b" n\x1b[A\x1bOPq")  # arrow up and F1 are not "A" or "P"
        assert keys.poll() == [" ", "n", "q"]
        keys.close()
        assert termios.tcgetattr(follower) == before
    os.close(leader)


def _status(position: float, paused: bool = False) -> Status:
    work = Segment(10_000, 46_000, SegmentKind.WORK, "Push-Ups", 2, 3, 1)
    rest = Segment(46_000, 106_000, SegmentKind.REST, "Push-Ups", 2, 3, None)
    return Status(position, 200.0, work, rest, paused)


def test_status_line_shows_exercise_set_side_time_left_next_and_progress() -> None:
    line = status_line(_status(22.5))
    assert line == (
        "> Push-Ups | set 2/3 | side 1  0:24 left  [##--------------] 0:22/3:20  next: Rest"
    )
    assert status_line(_status(22.5, paused=True)).startswith("PAUSED Push-Ups")


def test_the_load_is_shown_with_the_set() -> None:
    loaded = Segment(10_000, 46_000, SegmentKind.WORK, "Goblet Squat", 2, 3, None, "12 kg")
    status = Status(22.5, 200.0, loaded, None, False)
    assert status_line(status).startswith("> Goblet Squat | set 2/3 | 12 kg  0:24 left")


def test_status_line_fits_a_narrow_terminal_keeping_the_time_left() -> None:
    narrow = status_line(_status(22.5), width=70)
    assert narrow == "> Push-Ups | set 2/3 | side 1  0:24 left  [##--------------] 0:22/3:20"
    assert status_line(_status(22.5), width=45) == "> Push-Ups | set 2/3 | side 1  0:24 left"
    assert status_line(_status(22.5), width=30) == "> Push-Ups | set 2…  0:24 left"
    for width in range(len("> 0:24 left"), 90):
        line = status_line(_status(22.5), width=width)
        assert len(line) <= width
        assert "0:24 left" in line


def test_terminal_display_redraws_in_place_and_prints_cues_above() -> None:
    stream = io.StringIO()
    display = TerminalDisplay(stream)
    display.show(_status(22.5))
    display.show(_status(22.6))  # same text: no redraw
    display.cue(Cue(23_000, 1000, CueKind.SPEECH, "form", text="Brace your core"), _status(23.0))
    display.close()
    text = stream.getvalue()
    assert text.count("\r> Push-Ups") == 2
    assert '\r\x1b[K  0:23  "Brace your core"\n' in text
    assert text.endswith("\n")


def test_clock_text() -> None:
    assert clock_text(0.0) == "0:00"
    assert clock_text(4.2) == "0:05"  # time left rounds up
    assert clock_text(3725.0) == "1:02:05"
