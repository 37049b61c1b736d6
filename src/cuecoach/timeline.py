"""Cue clips placed on a timeline of output samples, and the mixing of any stretch of it.

Export and live play both hear the cue script through this one module: each
cue's clip (its speech or its sound), resampled to the output rate, starts on
the sample its time maps to, and `Timeline.mix` adds the parts of the clips
that overlap a block into that block. What differs between the two is only
who asks for which block: the exporter walks the timeline once per pass, the
live transport follows a playhead the keys move.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .audio import Clip, Samples, resample
from .cuescript import Cue, CueKind, CueScript
from .errors import AudioError
from .timecode import to_samples

Key = tuple[str, str]  # ("speech", text) or ("sound", name)

# Clips that do not fit the bank's budget are still kept while recently used:
# a clip overlaps a few consecutive blocks, and resampling it for each would
# multiply the cost of long sessions of distinct phrases.
_RECENT_OVERFLOW = 8


# -- placements -------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    """A cue's clip on the timeline; `length` 0 for a cue with no clip (a silent marker)."""

    onset: int  # first output sample
    length: int  # in output samples
    key: Key
    cue_index: int
    cue: Cue

    @property
    def end(self) -> int:
        """The sample after the clip's last."""
        return self.onset + self.length


def _cue_clip(cue: Cue, clips: Mapping[str, Clip], sounds: Mapping[str, Clip]) -> Clip | None:
    if cue.kind is CueKind.SPEECH:
        return clips.get(cue.text) if cue.text is not None else None
    return sounds.get(cue.sound) if cue.sound is not None else None


class Timeline:
    """Every cue of `script` placed at the output `rate`, with its clip on demand.

    A cue without a clip is an `AudioError` when `require_audio`, else a
    silent marker (still a placement, so its moment can be reported).
    Resampled clips are kept while they fit in `budget` bytes (None: no
    limit); beyond it they are resampled again when needed, so a session
    with hours of distinct phrases still renders in bounded memory.
    """

    def __init__(
        self,
        script: CueScript,
        clips: Mapping[str, Clip],
        sounds: Mapping[str, Clip],
        rate: int,
        *,
        require_audio: bool = True,
        budget: int | None = None,
    ) -> None:
        self.rate = rate
        self.total = to_samples(script.duration_ms, rate)
        self._sources: dict[Key, Clip] = {}
        placements: list[Placement] = []
        for index, cue in enumerate(script.cues):
            clip = _cue_clip(cue, clips, sounds)
            if clip is None and require_audio:
                what = (
                    f"speech cue {cue.text!r}"
                    if cue.kind is CueKind.SPEECH
                    else f"sound {cue.sound!r}"
                )
                raise AudioError(f"no audio prepared for the {what} at {cue.at_ms / 1000:.3f} s")
            key: Key = (cue.kind.value, cue.text or cue.sound or "")
            length = 0
            if clip is not None:
                self._sources[key] = clip
                length = round(len(clip.samples) * rate / clip.sample_rate)
            placements.append(Placement(to_samples(cue.at_ms, rate), length, key, index, cue))
        placements.sort(key=lambda p: (p.onset, p.cue_index))
        self.placements = tuple(placements)
        self.onsets = [p.onset for p in placements]
        self.longest = max((p.length for p in placements), default=0)
        self._budget = budget
        self._kept: dict[Key, Samples] = {}
        self._kept_bytes = 0
        self._recent: OrderedDict[Key, Samples] = OrderedDict()

    @cached_property
    def starts_by_key(self) -> dict[Key, list[int]]:
        """Every onset of each distinct clip."""
        found: dict[Key, list[int]] = {}
        for placement in self.placements:
            if placement.length:
                found.setdefault(placement.key, []).append(placement.onset)
        return found

    def clip(self, key: Key) -> Samples:
        """The clip for `key` at the output rate."""
        kept = self._kept.get(key)
        if kept is None:
            kept = self._recent.get(key)
        if kept is not None:
            return kept
        samples = resample(self._sources[key], self.rate).samples
        if self._budget is None or self._kept_bytes + samples.nbytes <= self._budget:
            self._kept[key] = samples
            self._kept_bytes += samples.nbytes
        else:
            self._recent[key] = samples
            if len(self._recent) > _RECENT_OVERFLOW:
                self._recent.popitem(last=False)
        return samples

    def prepare_all(self) -> None:
        """Resample every clip now (live play: the audio thread then only adds arrays)."""
        for key in self._sources:
            self.clip(key)

    def mix(self, out: Samples, start: int, floor: int = 0) -> list[Placement]:
        """Add timeline samples [start, start + len(out)) into `out`; return the placements
        that begin in that stretch, in order. Clips starting before `floor` are left out
        (the live transport jumped over them)."""
        stop = start + len(out)
        low = bisect_left(self.onsets, max(floor, start - self.longest))
        high = bisect_left(self.onsets, stop)
        begun: list[Placement] = []
        for placement in self.placements[low:high]:
            if placement.onset < floor:
                continue
            if placement.onset >= start:
                begun.append(placement)
            begin = max(start, placement.onset)
            end = min(stop, placement.end)
            if end > begin:
                samples = self.clip(placement.key)
                out[begin - start : end - start] += samples[
                    begin - placement.onset : end - placement.onset
                ]
        return begun

    def block(self, start: int, length: int) -> Samples:
        """Timeline samples [start, start + length), mono."""
        out = np.zeros(length, dtype=np.float32)
        self.mix(out, start)
        return out
