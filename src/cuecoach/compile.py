"""Session -> CueScript. Pure and deterministic: no I/O, no clock, no randomness.

Two passes. The first lays out segments that tile the timeline (integer
milliseconds, so the tiling is exact). The second proposes cues, each with a
priority and a window of acceptable start times, and places speech so that no
two spoken cues overlap. When a window has no room, the cue is dropped, in this
order (first dropped first):

1. form tips                (``Priority.FORM``)
2. rep counts               (``Priority.REP_COUNT``)
3. "up next"                (``Priority.UP_NEXT``)
4. "10 seconds", "halfway"  (``Priority.TIMING``)
5. get ready, rest, switch sides (``Priority.ANNOUNCE``)

Countdown numbers, set announcements and the finish are ``Priority.REQUIRED``:
they are never dropped. A required cue that finds no room in its window is
spoken at the first free moment after the start of the work it announces.
Sounds (start beep, rest chime, ticks, finish) sit at fixed times and may
overlap speech.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum

from .cuescript import Cue, CueKind, CueScript, Segment, SegmentKind
from .model import Exercise, Group, Session, WorkKind
from .wording import Wording, load_wording, split_forms

DurationFn = Callable[[str], float]
FINISH_MS = 5_000  # shortest finish segment
TAIL_MS = 500  # quiet kept after the last cue
SPEECH_GAP_MS = 250  # silence kept between two spoken cues
COUNTDOWN_FROM = 3
WARNING_AT_MS = 10_000  # "10 seconds" before the end of a pause ...
WARNING_MIN_PAUSE_MS = 20_000  # ... of at least this length
HALFWAY_MIN_MS = 20_000  # timed work this long gets "halfway"
MID_TIP_MIN_MS = 30_000  # timed work this long gets a form tip mid-set
TICKS_MIN_MS = 10_000  # timed work this long gets ticks in its last 3 seconds
TIPS_PER_TRANSITION = 2
_NEVER = 1 << 62  # a window that never closes

PAUSES = frozenset(
    {SegmentKind.LEAD_IN, SegmentKind.REST, SegmentKind.TRANSITION, SegmentKind.SWITCH}
)


class Priority(IntEnum):
    """Lower is placed first and kept; higher is dropped first when time is short."""

    REQUIRED = 0
    ANNOUNCE = 1
    TIMING = 2
    UP_NEXT = 3
    REP_COUNT = 4
    FORM = 5


def estimate_speech_seconds(text: str) -> float:
    """A rough spoken length (about 165 words a minute plus pauses at punctuation)."""
    words = len(text.split())
    breaks = sum(text.count(p) for p in ".,:;!?")
    return round(0.15 + 0.36 * words + 0.15 * breaks, 3)


@dataclass(frozen=True, slots=True)
class _Seg:
    start: int
    end: int
    kind: SegmentKind
    exercise: Exercise | None  # pauses carry the exercise they lead into
    set: int | None
    sets: int | None
    side: int | None
    group: Group | None = None
    member: int = 0  # position inside the group

    @property
    def length(self) -> int:
        return self.end - self.start


class _Timeline:
    """Appends segments end to end, skipping empty ones."""

    def __init__(self) -> None:
        self.segments: list[_Seg] = []
        self.now = 0

    def add(
        self,
        kind: SegmentKind,
        length: int,
        exercise: Exercise | None,
        set_: int | None,
        sets: int | None,
        side: int | None = None,
        group: Group | None = None,
        member: int = 0,
    ) -> None:
        if length <= 0:
            return
        seg = _Seg(self.now, self.now + length, kind, exercise, set_, sets, side, group, member)
        self.segments.append(seg)
        self.now = seg.end

    def one_set(self, ex: Exercise, set_: int, group: Group | None = None, member: int = 0) -> None:
        if not ex.per_side:
            self.add(SegmentKind.WORK, ex.work_ms, ex, set_, ex.sets, None, group, member)
            return
        self.add(SegmentKind.WORK, ex.work_ms, ex, set_, ex.sets, 1, group, member)
        self.add(SegmentKind.SWITCH, ex.timing.switch_ms, ex, set_, ex.sets, None, group, member)
        self.add(SegmentKind.WORK, ex.work_ms, ex, set_, ex.sets, 2, group, member)


def _first(item: Exercise | Group) -> Exercise:
    return item.members[0] if isinstance(item, Group) else item


def _lay_out(session: Session) -> list[_Seg]:
    tl = _Timeline()
    items = session.items
    first = _first(items[0])
    tl.add(
        SegmentKind.LEAD_IN,
        session.lead_in_ms,
        first,
        None,
        first.sets,
        group=items[0] if isinstance(items[0], Group) else None,
    )
    for index, item in enumerate(items):
        lead = _first(item)
        if isinstance(item, Group):
            for round_ in range(1, item.rounds + 1):
                for member, ex in enumerate(item.members):
                    if member:
                        before = item.member_transition_ms
                        tl.add(
                            SegmentKind.TRANSITION, before, ex, round_, ex.sets, None, item, member
                        )
                    tl.one_set(ex, round_, item, member)
                if round_ < item.rounds:
                    tl.add(
                        SegmentKind.REST,
                        item.rest_ms,
                        lead,
                        round_ + 1,
                        lead.sets,
                        None,
                        item,
                        0,
                    )
        else:
            for set_ in range(1, item.sets + 1):
                tl.one_set(item, set_)
                if set_ < item.sets:
                    tl.add(SegmentKind.REST, item.timing.rest_ms, item, set_ + 1, item.sets)
        if index + 1 < len(items):
            upcoming = items[index + 1]
            nxt = _first(upcoming)
            tl.add(
                SegmentKind.TRANSITION,
                item.transition_ms if isinstance(item, Group) else item.timing.transition_ms,
                nxt,
                None,
                nxt.sets,
                group=upcoming if isinstance(upcoming, Group) else None,
            )
    tl.add(SegmentKind.FINISH, FINISH_MS, None, None, None)
    return tl.segments


@dataclass(frozen=True, slots=True)
class _Want:
    """A proposed cue: where it may start, how much it matters."""

    priority: Priority
    text: str
    role: str
    seg: _Seg
    earliest: int
    latest: int
    late: bool = False  # prefer the latest start in the window
    fallback: int | None = None  # required cues: search from here when the window is full
    pinned: bool = False  # countdown numbers: placed before everything else


class _Speech:
    """Placed speech intervals, each occupying its length plus a gap.

    Kept in fixed-width time buckets (an interval sits in every bucket it
    touches), so finding room looks only at the intervals near the window and
    placing one costs the same however long the session: compiling stays
    linear. A bucket is a flat list of ints (start, end, start, end ...): no
    object per interval for the garbage collector to walk.
    """

    BUCKET_MS = 16_384

    def __init__(self) -> None:
        self.buckets: dict[int, list[int]] = {}

    def overlapping(self, t: int, need: int) -> tuple[int, int] | None:
        """The earliest start and latest end of the intervals overlapping [t, t + need)."""
        first = last = None
        for b in range(t // self.BUCKET_MS, (t + need - 1) // self.BUCKET_MS + 1):
            flat = self.buckets.get(b, ())
            for i in range(0, len(flat), 2):
                s, e = flat[i], flat[i + 1]
                if s < t + need and e > t:
                    first = s if first is None else min(first, s)
                    last = e if last is None else max(last, e)
        return None if first is None or last is None else (first, last)

    def early(self, lo: int, hi: int, need: int) -> int | None:
        t = lo
        while t <= hi:
            hit = self.overlapping(t, need)
            if hit is None:
                return t
            t = hit[1]
        return None

    def late(self, lo: int, hi: int, need: int) -> int | None:
        t = hi
        while t >= lo:
            hit = self.overlapping(t, need)
            if hit is None:
                return t
            t = hit[0] - need
        return None

    def take(self, at: int, need: int) -> None:
        for b in range(at // self.BUCKET_MS, (at + need - 1) // self.BUCKET_MS + 1):
            self.buckets.setdefault(b, []).extend((at, at + need))


class _Cues:
    """Proposes the cues of one session."""

    def __init__(self, title: str, wording: Wording, sound_ms: Mapping[str, int]) -> None:
        self.title = title
        self.w = wording
        self.sound_ms = sound_ms

    def amount(self, ex: Exercise) -> str:
        w = self.w
        if ex.kind is WorkKind.REPS:
            assert ex.reps is not None
            forms = split_forms(ex.unit) if ex.unit else w.forms("unit_reps")
            text = w.say("amount_reps", reps=ex.reps, unit=w.count(ex.reps, forms))
        elif ex.kind is WorkKind.TIME:
            assert ex.time_ms is not None
            text = w.duration(ex.time_ms / 1000)
        else:
            assert ex.distance_m is not None
            text = w.distance(ex.distance_m)
        return w.say("amount_per_side", amount=text) if ex.per_side else text

    def announcement(self, seg: _Seg) -> str:
        ex, set_, sets = seg.exercise, seg.set, seg.sets
        assert ex is not None and set_ is not None and sets is not None
        amount = self.amount(ex)
        if seg.group is not None:
            if seg.member:
                key = "round_member"
            elif set_ == sets and sets > 1:
                key = "round_last"
            else:
                key = "round_first"
            return self.w.say(key, exercise=ex.name, round=set_, rounds=sets, amount=amount)
        if sets == 1:
            return self.w.say("set_only", exercise=ex.name, amount=amount)
        key = "set_first" if set_ == 1 else "set_last" if set_ == sets else "set_next"
        return self.w.say(key, exercise=ex.name, set=set_, sets=sets, amount=amount)

    def up_next(self, seg: _Seg) -> str:
        if seg.group is not None:
            names = [m.name for m in seg.group.members]
            return self.w.say("up_next_group", next=self.w.join(names), rounds=seg.group.rounds)
        ex = seg.exercise
        assert ex is not None
        return self.w.say("up_next", next=ex.name, sets=ex.sets, amount=self.amount(ex))

    def spoken_cues(self, ex: Exercise) -> tuple[str, ...]:
        """An exercise's form tips, unless they are in another language than the wording."""
        if ex.cues_language not in (None, self.w.language):
            return ()
        return ex.cues

    def tips(self, seg: _Seg, count: int) -> list[str]:
        """Form tips for the transition `seg` leads through."""
        if seg.group is not None and seg.set is None:
            cues = [self.spoken_cues(m)[0] for m in seg.group.members if self.spoken_cues(m)]
        elif seg.exercise is not None:
            cues = list(self.spoken_cues(seg.exercise))
            if seg.set:  # inside a group: a different tip each round
                shift = (seg.set - 1) % len(cues) if cues else 0
                cues = cues[shift:] + cues[:shift]
        else:
            cues = []
        return [self.w.say("form_cue", cue=c) for c in cues[:count]]

    def sound(self, name: str, at: int, seg: _Seg) -> Cue:
        return _cue(at, self.sound_ms.get(name, 0), CueKind.SOUND, "sound", seg, sound=name)

    def propose(self, segs: list[_Seg]) -> Iterator[Cue | _Want]:
        for i, seg in enumerate(segs):
            nxt = segs[i + 1] if i + 1 < len(segs) else None
            prev = segs[i - 1] if i else None
            if seg.kind in PAUSES and nxt is not None and nxt.kind is SegmentKind.WORK:
                yield from self.pause(seg, nxt)
            elif seg.kind is SegmentKind.WORK:
                yield from self.work(seg, prev)
            elif seg.kind is SegmentKind.FINISH:
                yield self.sound("finish", seg.start, seg)
                start = seg.start + self.sound_ms.get("finish", 0)
                text = self.w.say("finish", title=self.title)
                yield _Want(Priority.REQUIRED, text, "finish", seg, start, seg.end, fallback=start)

    def pause(self, seg: _Seg, work: _Seg) -> Iterator[Cue | _Want]:
        w = self.w
        count = min(COUNTDOWN_FROM, seg.length // 1000)
        for n in range(count, 0, -1):
            at = work.start - n * 1000
            text = w.say("countdown", n=n)
            yield _Want(Priority.REQUIRED, text, "countdown", seg, at, at, fallback=at, pinned=True)
        open_at = seg.start
        between_exercises = seg.kind is SegmentKind.TRANSITION and seg.set is None
        if seg.kind is SegmentKind.REST or between_exercises:
            yield self.sound("rest", seg.start, seg)
            open_at += self.sound_ms.get("rest", 0)
        last = work.start - count * 1000 - SPEECH_GAP_MS  # end before the countdown
        if seg.kind is SegmentKind.LEAD_IN:
            assert seg.exercise is not None
            text = w.say("get_ready", exercise=seg.exercise.name)
            yield _Want(Priority.ANNOUNCE, text, "get_ready", seg, open_at, last)
        elif seg.kind is SegmentKind.REST:
            text = w.say("rest", duration=w.duration(seg.length / 1000))
            yield _Want(Priority.ANNOUNCE, text, "rest", seg, open_at, last)
        elif seg.kind is SegmentKind.SWITCH:
            yield _Want(Priority.ANNOUNCE, w.say("switch_sides"), "switch", seg, open_at, last)
        elif between_exercises:
            yield _Want(Priority.UP_NEXT, self.up_next(seg), "up_next", seg, open_at, last)
        if seg.kind is not SegmentKind.SWITCH and seg.length >= WARNING_MIN_PAUSE_MS:
            at = work.start - WARNING_AT_MS
            text = w.say("time_left", duration=w.duration(WARNING_AT_MS / 1000))
            yield _Want(Priority.TIMING, text, "time_left", seg, at, at + 1000)
        if seg.kind in (SegmentKind.LEAD_IN, SegmentKind.TRANSITION):
            for tip in self.tips(seg, TIPS_PER_TRANSITION if seg.set is None else 1):
                yield _Want(Priority.FORM, tip, "form", seg, open_at, last)
        if seg.kind is not SegmentKind.SWITCH:
            # Just before the countdown; if it cannot fit, at the start of the work.
            after_start = work.start + self.sound_ms.get("start", 0)
            text = self.announcement(work)
            yield _Want(
                Priority.REQUIRED, text, "set", work, open_at, last, late=True, fallback=after_start
            )

    def work(self, seg: _Seg, prev: _Seg | None) -> Iterator[Cue | _Want]:
        ex = seg.exercise
        assert ex is not None
        yield self.sound("start", seg.start, seg)
        after_sound = seg.start + self.sound_ms.get("start", 0)
        if (prev is None or prev.kind not in PAUSES) and seg.side in (None, 1):
            text = self.announcement(seg)
            yield _Want(
                Priority.REQUIRED, text, "set", seg, after_sound, after_sound, fallback=after_sound
            )
        if ex.kind is WorkKind.REPS:
            if ex.timing.count_reps:
                step = ex.timing.rep_time_ms
                for n in range(1, (ex.reps or 0) + 1):
                    at = seg.start + (n - 1) * step + step // 2
                    text = self.w.say("rep_count", n=n)
                    yield _Want(Priority.REP_COUNT, text, "rep", seg, at, at + step // 4)
            return
        mid = seg.start + seg.length // 2
        if seg.length >= HALFWAY_MIN_MS:
            text = self.w.say("halfway", exercise=ex.name)
            yield _Want(Priority.TIMING, text, "halfway", seg, mid, mid + 1500)
        tips = self.spoken_cues(ex)
        if seg.length >= MID_TIP_MIN_MS and tips:
            index = (2 * ((seg.set or 1) - 1) + (seg.side or 1) - 1) % len(tips)
            at = seg.start + max(3_000, seg.length // 4)
            text = self.w.say("form_cue", cue=tips[index])
            yield _Want(Priority.FORM, text, "form", seg, at, mid - 1000)
        if seg.length >= TICKS_MIN_MS:
            for n in range(COUNTDOWN_FROM, 0, -1):
                yield self.sound("tick", seg.end - n * 1000, seg)


def _cue(
    at: int,
    length: int,
    kind: CueKind,
    role: str,
    seg: _Seg,
    text: str | None = None,
    sound: str | None = None,
) -> Cue:
    return Cue(
        at_ms=at,
        duration_ms=length,
        kind=kind,
        role=role,
        text=text,
        sound=sound,
        exercise=seg.exercise.name if seg.exercise else None,
        set=seg.set,
        side=seg.side,
    )


def candidate_phrases(session: Session, wording: Wording | None = None) -> list[str]:
    """Every distinct phrase the compiler may place for `session`, in first-use order.

    Rendering synthesizes these up front, so measuring their lengths for the
    final schedule never waits on speech.
    """
    wording = wording or load_wording()
    # Sound lengths move cues, never change what is said.
    proposals = _Cues(session.title, wording, {}).propose(_lay_out(session))
    return list(dict.fromkeys(p.text for p in proposals if isinstance(p, _Want)))


def compile_session(
    session: Session,
    wording: Wording | None = None,
    durations: DurationFn = estimate_speech_seconds,
    *,
    sound_ms: Mapping[str, int],
) -> CueScript:
    """Compile a validated session into its cue script.

    `durations` gives the spoken length of a phrase in seconds: an estimate
    by default, measured clip lengths when rendering audio. `sound_ms` gives
    each sound's length in ms (`soundlengths.packaged_sound_ms()` for the
    packaged ones); the compiler does no I/O, so the caller measures them.
    """
    wording = wording or load_wording()
    with _acyclic():
        return _compile(session, wording, durations, sound_ms)


@contextmanager
def _acyclic() -> Iterator[None]:
    """Pause the cyclic garbage collector while the compiler builds its (acyclic) script.

    Its full passes walk every live object, and a long session holds hundreds
    of thousands of cues and proposals: they made compiling grow faster than
    the session (x6.3 the time for x5 the exercises). Reference counting still
    frees everything; the collector is restored as it was.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _compile(
    session: Session, wording: Wording, durations: DurationFn, sound_ms: Mapping[str, int]
) -> CueScript:
    segs = _lay_out(session)
    proposals = list(_Cues(session.title, wording, sound_ms).propose(segs))
    cues: list[Cue] = [p for p in proposals if isinstance(p, Cue)]
    wants = [p for p in proposals if isinstance(p, _Want)]
    # Stable: cues that tie keep the order they were proposed in.
    wants.sort(key=lambda w: (w.priority, not w.pinned, w.earliest))
    speech = _Speech()
    length_cache: dict[str, int] = {}
    for want in wants:
        length = length_cache.get(want.text)
        if length is None:
            length = length_cache[want.text] = max(1, round(durations(want.text) * 1000))
        need = length + SPEECH_GAP_MS
        find = speech.late if want.late else speech.early
        at = find(want.earliest, want.latest, need) if want.earliest <= want.latest else None
        if at is None and want.fallback is not None:
            at = speech.early(want.fallback, _NEVER, need)
        if at is None:
            continue
        speech.take(at, need)
        cues.append(_cue(at, length, CueKind.SPEECH, want.role, want.seg, text=want.text))
    cues.sort(key=lambda c: (c.at_ms, c.kind is CueKind.SPEECH, c.role, c.text or c.sound or ""))
    finish = segs[-1]
    end = max(finish.end, max(c.end_ms for c in cues) + TAIL_MS)
    segs[-1] = _Seg(finish.start, end, finish.kind, None, None, None, None)
    segments = tuple(
        Segment(
            s.start,
            s.end,
            s.kind,
            s.exercise.name if s.exercise else None,
            s.set,
            s.sets,
            s.side,
        )
        for s in segs
    )
    return CueScript(session.title, end, segments, tuple(cues))
