"""The compiled form of a session: segments that tile the timeline, and cues on it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SegmentKind(StrEnum):
    LEAD_IN = "lead_in"
    WORK = "work"
    SWITCH = "switch"
    REST = "rest"
    TRANSITION = "transition"
    FINISH = "finish"


class CueKind(StrEnum):
    SPEECH = "speech"
    SOUND = "sound"


@dataclass(frozen=True)
class Segment:
    """A stretch of the timeline; times in seconds from the start (ms precision)."""

    start: float
    end: float
    kind: SegmentKind
    exercise: str | None
    set: int | None
    sets: int | None
    side: int | None

    @property
    def duration(self) -> float:
        return round(self.end - self.start, 3)


@dataclass(frozen=True)
class Cue:
    """Something heard at `at`: spoken `text`, or the named `sound`.

    `role` says why the cue is there (``countdown``, ``set``, ``form`` ...);
    players and tests use it, listeners never hear it.
    """

    at: float
    duration: float
    kind: CueKind
    role: str
    text: str | None = None
    sound: str | None = None
    exercise: str | None = None
    set: int | None = None
    side: int | None = None

    @property
    def end(self) -> float:
        return round(self.at + self.duration, 3)


@dataclass(frozen=True)
class CueScript:
    """A compiled session. Cues are sorted by time."""

    title: str
    duration: float
    segments: tuple[Segment, ...]
    cues: tuple[Cue, ...]


def _seconds(value: float) -> float:
    return round(value, 3)


def to_dict(script: CueScript) -> dict[str, object]:
    """The JSON form of SPEC section 2 (plus each cue's `role`)."""
    cues: list[dict[str, object]] = []
    for c in script.cues:
        cue: dict[str, object] = {
            "at": _seconds(c.at),
            "duration": _seconds(c.duration),
            "kind": c.kind.value,
        }
        if c.kind is CueKind.SPEECH:
            cue["text"] = c.text
        else:
            cue["sound"] = c.sound
        cue.update(exercise=c.exercise, set=c.set, side=c.side, role=c.role)
        cues.append(cue)
    return {
        "title": script.title,
        "duration": _seconds(script.duration),
        "segments": [
            {
                "start": _seconds(s.start),
                "end": _seconds(s.end),
                "kind": s.kind.value,
                "exercise": s.exercise,
                "set": s.set,
                "sets": s.sets,
                "side": s.side,
            }
            for s in script.segments
        ],
        "cues": cues,
    }


def to_json(script: CueScript) -> str:
    """The cue script as JSON, one segment or cue per line (UTF-8, trailing newline)."""
    import json

    data = to_dict(script)

    def dump(value: object) -> str:
        return json.dumps(value, ensure_ascii=False)

    def array(items: object) -> str:
        assert isinstance(items, list)
        return "[\n" + ",\n".join(f"    {dump(item)}" for item in items) + "\n  ]"

    return (
        f'{{\n  "title": {dump(data["title"])},\n  "duration": {dump(data["duration"])},\n'
        f'  "segments": {array(data["segments"])},\n  "cues": {array(data["cues"])}\n}}\n'
    )


def _clock(seconds: float, sep: str) -> str:
    ms = round(seconds * 1000)
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{sep}{ms:03d}"


def _spoken(script: CueScript) -> list[Cue]:
    return [c for c in script.cues if c.kind is CueKind.SPEECH]


def to_srt(script: CueScript) -> str:
    """Speech cues as SubRip subtitles."""
    blocks = [
        f"{n}\n{_clock(c.at, ',')} --> {_clock(c.end, ',')}\n{c.text}\n"
        for n, c in enumerate(_spoken(script), start=1)
    ]
    return "\n".join(blocks)


def to_vtt(script: CueScript) -> str:
    """Speech cues as WebVTT subtitles."""
    blocks = [f"{_clock(c.at, '.')} --> {_clock(c.end, '.')}\n{c.text}\n" for c in _spoken(script)]
    return "WEBVTT\n\n" + "\n".join(blocks)


def lrc_time(seconds: float) -> str:
    """``[mm:ss.xx]`` as LRC writes it (minutes may pass 59)."""
    centis = round(seconds * 100)
    minutes, centis = divmod(centis, 6000)
    return f"[{minutes:02d}:{centis // 100:02d}.{centis % 100:02d}]"


def to_lrc(script: CueScript) -> str:
    """Speech cues as LRC synced lyrics, with title and length tags."""
    minutes, secs = divmod(round(script.duration), 60)
    head = [f"[ti:{script.title}]", "[by:cuecoach]", f"[length:{minutes:02d}:{secs:02d}]"]
    return "\n".join([*head, *(f"{lrc_time(c.at)}{c.text}" for c in _spoken(script))]) + "\n"


def _short_clock(seconds: float) -> str:
    minutes, secs = divmod(seconds, 60)
    return f"{int(minutes):3d}:{secs:04.1f}"


def _segment_label(s: Segment) -> str:
    parts = [s.kind.value.replace("_", "-")]
    if s.exercise:
        parts.append(s.exercise)
    if s.set is not None and s.sets is not None:
        parts.append(f"set {s.set}/{s.sets}")
    if s.side is not None:
        parts.append(f"side {s.side}")
    return " · ".join(parts) + f"  ({s.duration:g} s)"


def to_table(script: CueScript) -> str:
    """A listing for people: each segment, and the cues heard during it."""
    total = _short_clock(script.duration).strip()
    lines = [
        f"{script.title}  —  {total}, {len(script.segments)} segments, {len(script.cues)} cues",
        "",
    ]
    cues = list(script.cues)
    i = 0
    for seg in script.segments:
        lines.append(f"{_short_clock(seg.start)}  ── {_segment_label(seg)}")
        last = seg is script.segments[-1]
        while i < len(cues) and (cues[i].at < seg.end or last):
            c = cues[i]
            what = c.text if c.kind is CueKind.SPEECH else f"[{c.sound}]"
            lines.append(f"{_short_clock(c.at)}     {what}")
            i += 1
    return "\n".join(lines) + "\n"


WRITERS = {"table": to_table, "json": to_json, "srt": to_srt, "vtt": to_vtt, "lrc": to_lrc}
