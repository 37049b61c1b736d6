"""One session rendered for publishing: its measured script and its MP3.

This is publish's only door into rendering: the pipeline (speech, compile)
and the export's public API are imported here and nowhere else in publish,
so when they move, one import changes. A session is rendered again only when
its fingerprint (the exact script, every clip's samples, the export settings
and tags) differs from the one recorded for its file, so a second publish of
unchanged sessions costs the compile and the speech cache lookups, not the
encoding.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..audio import Clip
from ..cuescript import CueScript, to_json
from ..export.run import Chapter, ExportOptions, Tags, chapters, render
from ..model import Session, SpeechSettings
from ..pipeline import hear_session

__all__ = ["Chapter", "RenderSettings", "Rendered", "Tags", "render_episode"]

# Bump when what a fingerprint covers changes, so old records no longer match.
FINGERPRINT_VERSION = 1


@dataclass(frozen=True)
class RenderSettings:
    """How every episode is spoken and rendered (the CLI's layers)."""

    wording: Path | None = None
    speech: SpeechSettings = field(default_factory=SpeechSettings)
    sounds: Mapping[str, Path] = field(default_factory=dict)
    options: ExportOptions = field(default_factory=ExportOptions)


@dataclass(frozen=True)
class Rendered:
    """One episode's script and MP3; `fresh` when the MP3 was written this time."""

    script: CueScript
    audio: Path
    language: str
    fingerprint: str
    fresh: bool

    @property
    def duration_ms(self) -> int:
        return self.script.duration_ms

    @property
    def chapters(self) -> list[Chapter]:
        """The MP3's chapters, exactly as its CHAP frames give them."""
        return chapters(self.script)


def render_episode(
    session: Session,
    audio: Path,
    tags: Tags,
    settings: RenderSettings,
    sounds: Mapping[str, Clip],
    recorded: str | None,
    *,
    speech_progress: Callable[[int, int], None] | None = None,
    render_progress: Callable[[float, float], None] | None = None,
) -> Rendered:
    """Speak and compile `session`; write its MP3 at `audio` unless `recorded`
    (the fingerprint of the file there) shows it is already what would be written."""
    prepared = hear_session(
        session, wording=settings.wording, speech=settings.speech,
        sounds=settings.sounds, sample_rate=settings.options.sample_rate,
        progress=speech_progress,
    )  # fmt: skip
    clips = prepared.speech_clips()
    fingerprint = _fingerprint(prepared.script, clips, sounds, settings.options, tags)
    fresh = recorded != fingerprint or not audio.is_file()
    if fresh:
        render(prepared.script, clips, sounds, audio, settings.options, tags, render_progress)
    language = prepared.language
    return Rendered(prepared.script, audio, language, fingerprint, fresh)


def _fingerprint(
    script: CueScript,
    clips: Mapping[str, Clip],
    sounds: Mapping[str, Clip],
    options: ExportOptions,
    tags: Tags,
) -> str:
    digest = hashlib.sha256()
    head = [FINGERPRINT_VERSION, to_json(script), repr(options), repr(tags)]
    digest.update(json.dumps(head, ensure_ascii=False).encode())
    for kind, bank in (("speech", clips), ("sound", sounds)):
        for name in sorted(bank):
            clip = bank[name]
            digest.update(json.dumps([kind, name, clip.sample_rate]).encode())
            digest.update(clip.samples.tobytes())
    return digest.hexdigest()
