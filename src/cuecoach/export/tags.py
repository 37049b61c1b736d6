"""The ID3 tag: title, album, artist, track number, chapters and lyrics.

ID3v2.3 tags hold the title, album, artist, track number, one chapter per
exercise and the cues as lyrics, and nothing that changes between runs, so
the same inputs give the same bytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from ..cuescript import CueKind, CueScript, to_lrc
from ..errors import AudioError
from .files import one_line


@dataclass(frozen=True)
class Tags:
    """ID3 tags of one exported file; `language` is the ISO 639-2 code of the lyrics."""

    title: str
    album: str
    artist: str = "cuecoach"
    track: int | None = None
    track_total: int | None = None
    language: str = "eng"

    def __post_init__(self) -> None:
        if not (len(self.language) == 3 and self.language.isascii() and self.language.isalpha()):
            raise AudioError(f"lyrics language {self.language!r} is not a 3-letter ISO 639-2 code")


@dataclass(frozen=True)
class Chapter:
    """One exercise's stretch of the file, in milliseconds."""

    title: str
    start_ms: int
    end_ms: int


def chapters(script: CueScript) -> list[Chapter]:
    """One chapter per run of an exercise, in time order, tiling the whole file.

    A chapter starts at the first segment naming its exercise (the lead-in or
    transition before its sets names it already) and ends where the next
    exercise's starts; the last runs to the end, finish included. An exercise
    done in one go gets one chapter; in a superset the exercises alternate, so
    each set gets its own chapter and skipping a chapter skips one set.
    """
    runs: list[tuple[str, int]] = []
    for segment in script.segments:
        name = segment.exercise
        if name is not None and (not runs or runs[-1][0] != name):
            runs.append((name, segment.start_ms))
    if not runs:
        return []
    starts = [0] + [start for _, start in runs[1:]]
    ends = [*starts[1:], script.duration_ms]
    return [
        Chapter(name, start, end) for (name, _), start, end in zip(runs, starts, ends, strict=True)
    ]


def id3_bytes(script: CueScript, tags: Tags) -> bytes:
    """The ID3v2.3 tag: text frames, chapters with a table of contents, lyrics.

    Version 2.3 because phones and car stereos read it more widely than 2.4.
    No dates or times, so re-exports are byte-identical. Frames are written in
    the order added, chapters in time order: mutagen would sort them by size.
    """
    import mutagen.id3

    id3: Any = mutagen.id3  # its frame classes are unannotated; strict mypy would refuse each call
    utf8 = id3.Encoding.UTF8  # mutagen converts it to UTF-16 for v2.3
    tag = _OrderedTag()
    tag.add(id3.TIT2(encoding=utf8, text=[tags.title]))
    tag.add(id3.TALB(encoding=utf8, text=[tags.album]))
    tag.add(id3.TPE1(encoding=utf8, text=[tags.artist]))
    if tags.track is not None:
        track = str(tags.track)
        if tags.track_total is not None:
            track += f"/{tags.track_total}"
        tag.add(id3.TRCK(encoding=utf8, text=[track]))
    parts = chapters(script)
    ids = [f"chp{i}" for i in range(1, len(parts) + 1)]
    if parts:
        tag.add(
            id3.CTOC(
                element_id="toc",
                flags=id3.CTOCFlags.TOP_LEVEL | id3.CTOCFlags.ORDERED,
                child_element_ids=ids,
                sub_frames=[id3.TIT2(encoding=utf8, text=[tags.title])],
            )
        )
    for element_id, chapter in zip(ids, parts, strict=True):
        tag.add(
            id3.CHAP(
                element_id=element_id,
                start_time=chapter.start_ms,
                end_time=chapter.end_ms,
                start_offset=0xFFFFFFFF,  # "not used": players seek by time
                end_offset=0xFFFFFFFF,
                sub_frames=[id3.TIT2(encoding=utf8, text=[chapter.title])],
            )
        )
    speech = [c for c in script.cues if c.kind is CueKind.SPEECH and c.text]
    if speech:
        tag.add(id3.USLT(encoding=utf8, lang=tags.language, desc="", text=to_lrc(script)))
        tag.add(
            id3.SYLT(
                encoding=utf8,
                lang=tags.language,
                format=2,  # timestamps in milliseconds
                type=1,  # lyrics
                desc="",
                text=[(one_line(c.text or ""), c.at_ms) for c in speech],
            )
        )
    return tag.to_bytes()


class _OrderedTag:
    """ID3v2.3 frames kept in the order they are added, serialized by mutagen one by one."""

    def __init__(self) -> None:
        self.frames: list[Any] = []

    def add(self, frame: Any) -> None:
        self.frames.append(frame)

    def to_bytes(self) -> bytes:
        import mutagen.id3

        id3: Any = mutagen.id3  # unannotated, like the frame classes above
        body = b""
        for frame in self.frames:
            single = id3.ID3()
            single.add(frame)
            buffer = io.BytesIO()
            single.save(buffer, v2_version=3, padding=lambda info: 0)
            body += buffer.getvalue()[10:]  # drop that one-frame tag's own header
        size = len(body)
        syncsafe = bytes((size >> shift) & 0x7F for shift in (21, 14, 7, 0))
        return b"ID3\x03\x00\x00" + syncsafe + body
