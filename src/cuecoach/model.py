"""Frozen dataclasses of a validated session: what the parser hands the compiler.

All times are integer milliseconds so that segment arithmetic is exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from .errors import Problem


class WorkKind(StrEnum):
    """How one set's work is measured."""

    REPS = "reps"
    TIME = "time"
    DISTANCE = "distance"


@dataclass(frozen=True)
class Timing:
    """The `[defaults]` keys after per-exercise overrides; times in milliseconds."""

    rest_ms: int = 60_000
    transition_ms: int = 30_000
    rep_time_ms: int = 3_000
    switch_ms: int = 5_000
    pace_m_per_s: float = 1.0
    lead_in_ms: int = 10_000
    group_transition_ms: int = 10_000
    count_reps: bool = False


ENGINE_NAMES = ("espeak", "pyttsx3", "piper")  # the text-to-speech engines cuecoach can drive


@dataclass(frozen=True)
class SpeechSettings:
    """Speech settings as one layer gives them; None means "not set here"."""

    engine: str | None = None
    voice: str | None = None
    rate: int | None = None  # words per minute
    volume: float | None = None  # 0.0 - 1.0
    language: str | None = None  # e.g. "en", "es"

    def over(self, lower: SpeechSettings) -> SpeechSettings:
        """This layer on top of a lower-priority one."""
        return SpeechSettings(
            engine=self.engine if self.engine is not None else lower.engine,
            voice=self.voice if self.voice is not None else lower.voice,
            rate=self.rate if self.rate is not None else lower.rate,
            volume=self.volume if self.volume is not None else lower.volume,
            language=self.language if self.language is not None else lower.language,
        )


@dataclass(frozen=True)
class Exercise:
    """One exercise as written, validated, with its effective timing."""

    name: str
    sets: int
    kind: WorkKind
    reps: int | None = None
    unit: str | None = None  # spoken unit for reps, as written ("taps", "tap|taps")
    time_ms: int | None = None
    distance_m: float | None = None
    per_side: bool = False
    cues: tuple[str, ...] = ()
    cues_language: str | None = None  # "en" for the built-in library's tips; None: the user's own
    group: str | None = None
    timing: Timing = field(default_factory=Timing)
    line: int | None = None

    @property
    def work_ms(self) -> int:
        """Length of one set (of one side, for per-side work)."""
        if self.kind is WorkKind.REPS:
            assert self.reps is not None
            return self.reps * self.timing.rep_time_ms
        if self.kind is WorkKind.TIME:
            assert self.time_ms is not None
            return self.time_ms
        assert self.distance_m is not None
        return round(self.distance_m / self.timing.pace_m_per_s * 1000)


@dataclass(frozen=True)
class Group:
    """Consecutive exercises sharing a `group` value: a superset or circuit."""

    name: str
    members: tuple[Exercise, ...]

    @property
    def rounds(self) -> int:
        return self.members[0].sets


Item = Exercise | Group


@dataclass(frozen=True)
class Session:
    """A validated session file."""

    title: str
    items: tuple[Item, ...]
    path: Path | None = None
    description: str = ""
    speech: SpeechSettings = field(default_factory=SpeechSettings)
    wording: Path | None = None  # user wording file, resolved against the session's folder
    library: Path | None = None  # user exercise library file, likewise
    lead_in_ms: int = 10_000
    warnings: tuple[Problem, ...] = ()

    @property
    def exercises(self) -> tuple[Exercise, ...]:
        """Every exercise in file order, groups flattened."""
        out: list[Exercise] = []
        for item in self.items:
            out.extend(item.members if isinstance(item, Group) else (item,))
        return tuple(out)


@dataclass(frozen=True)
class Program:
    """A program file: a titled, ordered list of sessions."""

    title: str
    sessions: tuple[Session, ...]
    path: Path | None = None
