"""The compiled form of a session: segments that tile the timeline, and cues on it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .timecode import clock


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


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of the timeline; times in integer milliseconds from the start."""

    start_ms: int
    end_ms: int
    kind: SegmentKind
    exercise: str | None
    set: int | None
    sets: int | None
    side: int | None
    load: str | None = None  # the set's load as shown: "12 kg", "25 lb", "bodyweight", "RPE 8"
    amrap: bool = False  # as many reps as you can: ends when the user is done, or at its cap

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


@dataclass(frozen=True, slots=True)
class Cue:
    """Something heard at `at`: spoken `text`, or the named `sound`.

    `role` says why the cue is there (``countdown``, ``set``, ``form`` ...);
    players and tests use it, listeners never hear it.
    """

    at_ms: int
    duration_ms: int
    kind: CueKind
    role: str
    text: str | None = None
    sound: str | None = None
    exercise: str | None = None
    set: int | None = None
    side: int | None = None

    @property
    def end_ms(self) -> int:
        return self.at_ms + self.duration_ms


@dataclass(frozen=True, slots=True)
class CueScript:
    """A compiled session. Cues are sorted by time."""

    title: str
    duration_ms: int
    segments: tuple[Segment, ...]
    cues: tuple[Cue, ...]


def _seconds(ms: int) -> float:
    """Milliseconds as the seconds JSON carries (exact to the millisecond)."""
    return ms / 1000


def to_dict(script: CueScript) -> dict[str, object]:
    """The JSON form of SPEC section 2 (plus each cue's `role`)."""
    cues: list[dict[str, object]] = []
    for c in script.cues:
        cue: dict[str, object] = {
            "at": _seconds(c.at_ms),
            "duration": _seconds(c.duration_ms),
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
        "duration": _seconds(script.duration_ms),
        "segments": [_segment_dict(s) for s in script.segments],
        "cues": cues,
    }


def _segment_dict(s: Segment) -> dict[str, object]:
    segment: dict[str, object] = {
        "start": _seconds(s.start_ms),
        "end": _seconds(s.end_ms),
        "kind": s.kind.value,
        "exercise": s.exercise,
        "set": s.set,
        "sets": s.sets,
        "side": s.side,
    }
    # Written only when set, so scripts without them read as before.
    if s.load is not None:
        segment["load"] = s.load
    if s.amrap:
        segment["amrap"] = True
    return segment


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


def _subtitle_time(ms: int, mark: str) -> str:
    return clock(ms, 3, mark=mark, hours="always", lead="02d")


def _spoken(script: CueScript) -> list[Cue]:
    return [c for c in script.cues if c.kind is CueKind.SPEECH]


def to_srt(script: CueScript) -> str:
    """Speech cues as SubRip subtitles."""
    blocks = [
        f"{n}\n{_subtitle_time(c.at_ms, ',')} --> {_subtitle_time(c.end_ms, ',')}\n{c.text}\n"
        for n, c in enumerate(_spoken(script), start=1)
    ]
    return "\n".join(blocks)


def to_vtt(script: CueScript) -> str:
    """Speech cues as WebVTT subtitles."""
    blocks = [
        f"{_subtitle_time(c.at_ms, '.')} --> {_subtitle_time(c.end_ms, '.')}\n"
        f"{_vtt_text(c.text or '')}\n"
        for c in _spoken(script)
    ]
    return "WEBVTT\n\n" + "\n".join(blocks)


def _vtt_text(text: str) -> str:
    # WebVTT cue text is markup: "<" opens a tag, "&" a character reference, and
    # "-->" must not appear; escaped, "Rows & Curls <fast>" reads as written.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def lrc_time(ms: int) -> str:
    """``[mm:ss.xx]`` as LRC writes it (minutes may pass 59)."""
    return f"[{clock(ms, 2, hours='never', lead='02d')}]"


def to_lrc(script: CueScript) -> str:
    """Speech cues as LRC synced lyrics, with title and length tags."""
    length = clock(script.duration_ms, hours="never", lead="02d")
    head = [f"[ti:{script.title}]", "[by:cuecoach]", f"[length:{length}]"]
    return "\n".join([*head, *(f"{lrc_time(c.at_ms)}{c.text}" for c in _spoken(script))]) + "\n"


def _short_clock(ms: int) -> str:
    return clock(ms, 1, hours="never", lead="3d")


def _segment_label(s: Segment) -> str:
    parts = [s.kind.value.replace("_", "-")]
    if s.exercise:
        parts.append(s.exercise)
    if s.set is not None and s.sets is not None:
        parts.append(f"set {s.set}/{s.sets}")
    if s.side is not None:
        parts.append(f"side {s.side}")
    if s.load is not None:
        parts.append(s.load)
    if s.amrap:
        parts.append("as many as you can")
    return " · ".join(parts) + f"  ({s.duration_ms / 1000:g} s)"


def to_table(script: CueScript) -> str:
    """A listing for people: each segment, and the cues heard during it."""
    total = _short_clock(script.duration_ms).strip()
    lines = [
        f"{script.title}  —  {total}, {len(script.segments)} segments, {len(script.cues)} cues",
        "",
    ]
    cues = list(script.cues)
    i = 0
    for seg in script.segments:
        lines.append(f"{_short_clock(seg.start_ms)}  ── {_segment_label(seg)}")
        last = seg is script.segments[-1]
        while i < len(cues) and (cues[i].at_ms < seg.end_ms or last):
            c = cues[i]
            what = c.text if c.kind is CueKind.SPEECH else f"[{c.sound}]"
            lines.append(f"{_short_clock(c.at_ms)}     {what}")
            i += 1
    return "\n".join(lines) + "\n"


WRITERS = {"table": to_table, "json": to_json, "srt": to_srt, "vtt": to_vtt, "lrc": to_lrc}
