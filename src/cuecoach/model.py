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
    count_reps: bool = False
    # Seconds lowering, bottom pause, lifting, top pause; a rep lasts their sum
    # and this replaces rep_time_ms when set.
    tempo_ms: tuple[int, int, int, int] | None = None
    time_calls_ms: tuple[int, ...] = ()  # time-left calls in rests and holds, e.g. (30000, 10000)
    cap_ms: int = 60_000  # how long an as-many-as-you-can set may last

    @property
    def rep_ms(self) -> int:
        """Length of one rep: the tempo's phases when given, else rep_time."""
        return sum(self.tempo_ms) if self.tempo_ms is not None else self.rep_time_ms


LOAD_UNITS = ("kg", "lb", "bodyweight", "rpe")


@dataclass(frozen=True)
class Load:
    """The load of one set: an amount in `unit`, or no amount for bodyweight."""

    amount: float | None
    unit: str  # one of LOAD_UNITS


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
    load: tuple[Load, ...] = ()  # one per set; empty when no load was given
    amrap: bool = False  # as many reps as you can, until done or timing.cap_ms; reps is None
    side_label: str = "side"  # how sides were written: "side", "leg" or "arm" ("per leg")
    tips_setup: tuple[str, ...] = ()  # said before the set, apart from the movement `cues`
    progress: str | None = None  # the progression rule as written (see progression.py)

    @property
    def work_ms(self) -> int:
        """Length of one set (of one side, for per-side work)."""
        if self.kind is WorkKind.REPS:
            if self.amrap:
                return self.timing.cap_ms
            assert self.reps is not None
            return self.reps * self.timing.rep_ms
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
    # Written on the group's first exercise (or in [defaults]); the same keys on
    # another member have no effect and are warned about.
    rest_ms: int = 60_000  # between rounds
    transition_ms: int = 30_000  # after the last round, before the next item
    member_transition_ms: int = 10_000  # between one member and the next

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
    lead_in_ms: int = 10_000  # before the first exercise
    lead_in_given: bool = False  # written in the file; else the compiler may lengthen it for tips
    warnings: tuple[Problem, ...] = ()
    week: int | None = None  # the program week this is, once progression rules are applied
    deload: bool = False  # a lighter week, said in the intro

    @property
    def exercises(self) -> tuple[Exercise, ...]:
        """Every exercise in file order, groups flattened."""
        out: list[Exercise] = []
        for item in self.items:
            out.extend(item.members if isinstance(item, Group) else (item,))
        return tuple(out)

    @property
    def has_rules(self) -> bool:
        """Whether any exercise has a progression rule (else every week is the file as written)."""
        return any(e.progress is not None for e in self.exercises)


@dataclass(frozen=True)
class Program:
    """A program file: a titled, ordered list of sessions."""

    title: str
    sessions: tuple[Session, ...]
    path: Path | None = None
    weeks: int | None = None  # how many weeks the progression rules run
    deload_every: int | None = None  # every Nth week is a lighter one
