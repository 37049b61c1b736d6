"""Session -> CueScript. Pure and deterministic: no I/O, no clock, no randomness.

Two passes. The first lays out segments that tile the timeline (integer
milliseconds, so the tiling is exact). The second proposes cues, each with a
priority and a window of acceptable start times, and places speech so that no
two spoken cues overlap. When a window has no room, the cue is dropped, in this
order (first dropped first):

1. form and setup tips               (``Priority.FORM``)
2. rep counts and tempo calls        (``Priority.REP_COUNT``)
3. "up next"                         (``Priority.UP_NEXT``)
4. time calls ("10 seconds"), "halfway" (``Priority.TIMING``)
5. get ready, rest, switch sides     (``Priority.ANNOUNCE``)

The order is kept exactly: once a cue is dropped, no cue dropped before it in
this list is spoken anywhere its window could have reached.

Countdown numbers, set announcements and the finish are ``Priority.REQUIRED``:
they are never dropped. A required cue that finds no room in its window is
spoken at the first free moment after the start of the work it announces
(a set call only while its set lasts: after it, the call would be wrong).
A set call said within 5 s of its exercise's name leaves the name out, and
another cue that would repeat a name within 5 s is not said.
Sounds (start beep, rest chime, ticks, finish) sit at fixed times and may
overlap speech.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from enum import IntEnum
from typing import NamedTuple

from .cuescript import Cue, CueKind, CueScript, Segment, SegmentKind
from .model import Exercise, Group, Load, Session, WorkKind
from .wording import Wording, load_wording, split_forms

DurationFn = Callable[[str], float]
FINISH_MS = 5_000  # shortest finish segment
TAIL_MS = 500  # quiet kept after the last cue
SPEECH_GAP_MS = 250  # silence kept between two spoken cues
SET_CALL_GAP_MS = 500  # silence kept after a set call, before its countdown
NAME_REPEAT_MS = 5_000  # an exercise's name is not said again within this
LEAD_IN_WITH_TIPS_MS = 20_000  # the default lead-in, when the first exercise has tips
LAST_COUNT_MS = 1_000  # after a counted set, kept for its last rep's number
COUNTDOWN_FROM = 3
SWITCH_CALL_MS = 2_000  # kept for "Change sides." at the start of a short switch
WARNING_AT_MS = 10_000  # "10 seconds" before the end of a pause ...
WARNING_MIN_PAUSE_MS = 20_000  # ... of at least this length
HALFWAY_MIN_MS = 20_000  # timed work this long gets "halfway"
HALFWAY_CALL_MS = 2_000  # ...unless a time call falls this close to its middle
MID_TIP_MIN_MS = 30_000  # work this long (timed or reps) gets a form tip mid-set
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
    """A rough spoken length: about a quarter of a second a word at 165 words a
    minute, half a second at each break inside the text (engines pause at a
    comma or between sentences), and a little for the tone falling at its end
    (a clip is trimmed, so the last mark adds no pause). Fitted to the default
    Piper voice's clips of the four sample sessions' phrases: within 0.24 s on
    average. espeak, which pauses between the words of a sentence, runs about
    0.45 s longer than this on average."""
    words = len(text.split())
    stripped = text.rstrip()
    final = bool(stripped) and stripped[-1] in ".!?"
    breaks = sum(stripped.count(p) for p in ".,:;!?") - final
    return round(0.14 + 0.26 * words + 0.5 * breaks + 0.05 * final, 3)


# The compiler's own records are NamedTuples: as cheap to create as slotted
# dataclasses, and they cost no start-up time generating methods at import.
class _Seg(NamedTuple):
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

    @property
    def load(self) -> Load | None:
        """The load of this set of the exercise (work segments), if one was given."""
        ex = self.exercise
        if ex is None or not ex.load or self.set is None or self.kind is not SegmentKind.WORK:
            return None
        return ex.load[min(self.set, len(ex.load)) - 1]


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


def _lay_out(session: Session, lead_in_ms: int) -> list[_Seg]:
    tl = _Timeline()
    items = session.items
    first = _first(items[0])
    tl.add(
        SegmentKind.LEAD_IN,
        lead_in_ms,
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


class _Want(NamedTuple):
    """A proposed cue: where it may start, how much it matters."""

    priority: Priority
    text: str
    role: str
    seg: _Seg
    earliest: int
    latest: int
    late: bool = False  # prefer the latest start in the window
    fallback: int | None = None  # search from here when the window is full
    until: int = _NEVER  # ... up to here: a set call is not said once its set is over
    pinned: bool = False  # countdown numbers: placed before everything else
    label: Exercise | None = None  # the exercise it belongs to, when not the segment's
    names: tuple[str, ...] = ()  # the exercise names its text says
    alt: str | None = None  # the same call without the name, for use within 5 s of it
    gap: int = SPEECH_GAP_MS  # silence kept after it

    def extent(self, need: int) -> tuple[int, int]:
        """The stretch of timeline this cue could occupy: its window plus its length."""
        return min(self.earliest, self.latest), max(self.earliest, self.latest) + need


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


class _Dropped:
    """Where cues were dropped for want of room, by priority, in time buckets.

    A less important cue is not placed where a more important one could have
    gone and was dropped: the drop order then holds exactly, whatever the
    pause lengths.
    """

    BUCKET_MS = 16_384

    def __init__(self) -> None:
        self.buckets: dict[int, list[tuple[int, int, int]]] = {}

    def add(self, priority: Priority, lo: int, hi: int) -> None:
        for b in range(lo // self.BUCKET_MS, max(lo, hi - 1) // self.BUCKET_MS + 1):
            self.buckets.setdefault(b, []).append((priority, lo, hi))

    def blocking(self, priority: Priority, lo: int, hi: int) -> tuple[int, int] | None:
        """The span of the more important drops overlapping [lo, hi), if any."""
        first = last = None
        for b in range(lo // self.BUCKET_MS, max(lo, hi - 1) // self.BUCKET_MS + 1):
            for p, d_lo, d_hi in self.buckets.get(b, ()):
                if p < priority and d_lo < hi and lo < d_hi:
                    first = d_lo if first is None else min(first, d_lo)
                    last = d_hi if last is None else max(last, d_hi)
        return None if first is None or last is None else (first, last)


def _place(want: _Want, need: int, speech: _Speech, dropped: _Dropped) -> int | None:
    """Where `want` goes in its window: free of speech and of more important drops."""
    lo, hi = want.earliest, want.latest
    while lo <= hi:
        at = (speech.late if want.late else speech.early)(lo, hi, need)
        if at is None:
            return None
        hit = dropped.blocking(want.priority, at, at + need)
        if hit is None:
            return at
        if want.late:
            hi = hit[0] - need
        else:
            lo = hit[1]
    return None


_TEMPO_KEYS = ("tempo_lower", "tempo_bottom", "tempo_lift", "tempo_top")


class _Cues:
    """Proposes the cues of one session."""

    def __init__(
        self, title: str, wording: Wording, sound_ms: Mapping[str, int], intro: str = ""
    ) -> None:
        self.title = title
        self.intro = intro  # said before get_ready: the program week, if any
        self.w = wording
        self.sound_ms = sound_ms

    def spoken_load(self, load: Load) -> str:
        w = self.w
        if load.unit == "bodyweight" or load.amount is None:
            return w.say("load_bodyweight")
        return w.say(f"load_{load.unit}", **{load.unit: load.amount})

    def amount(self, ex: Exercise, load: Load | None = None) -> str:
        """One set's amount as said: "12 reps per leg at 12 kilograms"."""
        w = self.w
        if ex.amrap:
            text = w.say("amount_amrap", duration=w.duration(ex.work_ms / 1000))
        elif ex.kind is WorkKind.REPS:
            assert ex.reps is not None
            forms = split_forms(ex.unit) if ex.unit else w.forms("unit_reps")
            text = w.say("amount_reps", reps=ex.reps, unit=w.count(ex.reps, forms))
        elif ex.kind is WorkKind.TIME:
            assert ex.time_ms is not None
            text = w.duration(ex.time_ms / 1000)
        else:
            assert ex.distance_m is not None
            text = w.distance(ex.distance_m)
        if ex.per_side:
            text = w.say("amount_per_side", amount=text, side=w.say(f"side_{ex.side_label}"))
        if load is not None:
            text = w.say("amount_load", amount=text, load=self.spoken_load(load))
        return text

    def announcement(self, seg: _Seg) -> tuple[str, str | None, tuple[str, ...]]:
        """The set call, the same without the exercise's name (if it has one), and the names."""
        ex, set_, sets = seg.exercise, seg.set, seg.sets
        assert ex is not None and set_ is not None and sets is not None
        amount = self.amount(ex, seg.load)
        say = self.w.say
        if seg.group is not None:
            values = {"round": set_, "rounds": sets, "amount": amount}
            if seg.member:
                key, alt = "round_member", "round_member_unnamed"
            elif sets == 1:  # "Round 1 of 1" says nothing: as one exercise's only set
                key, alt = "set_only", "set_only_unnamed"
            elif set_ == sets:
                key, alt = "round_last", "round_last_unnamed"
            else:
                key, alt = "round_first", "round_unnamed"
            return say(key, exercise=ex.name, **values), say(alt, **values), (ex.name,)
        if sets == 1:
            return (
                say("set_only", exercise=ex.name, amount=amount),
                say("set_only_unnamed", amount=amount),
                (ex.name,),
            )
        values = {"set": set_, "sets": sets, "amount": amount}
        if set_ == 1:
            return (
                say("set_first", exercise=ex.name, **values),
                say("set_next", exercise=ex.name, **values),
                (ex.name,),
            )
        key = "set_last" if set_ == sets else "set_next"
        return say(key, exercise=ex.name, **values), None, ()

    def up_next(self, seg: _Seg) -> tuple[str, tuple[str, ...]]:
        if seg.group is not None:
            members = seg.group.members
            # Each move's first load, as for one exercise below, so all of them can be fetched.
            said = [
                self.w.say(
                    _load_key(m, "up_next_member_load"),
                    exercise=m.name,
                    load=self.spoken_load(m.load[0]),
                )
                if m.load
                else m.name
                for m in members
            ]
            text = self.w.say("up_next_group", next=self.w.join(said), rounds=seg.group.rounds)
            return text, tuple(m.name for m in members)
        ex = seg.exercise
        assert ex is not None
        values = {"next": ex.name, "sets": ex.sets, "amount": self.amount(ex)}
        if ex.load:
            # The (first) load, so it can be fetched; the set call gives the rest.
            text = self.w.say(
                _load_key(ex, "up_next_load"), load=self.spoken_load(ex.load[0]), **values
            )
            return text, (ex.name,)
        return self.w.say("up_next", **values), (ex.name,)

    def get_ready(self, seg: _Seg) -> tuple[str, tuple[str, ...]]:
        if seg.group is not None:
            names = tuple(m.name for m in seg.group.members)
            text = self.w.say(
                "get_ready_group", next=self.w.join(list(names)), rounds=seg.group.rounds
            )
            return text, names
        assert seg.exercise is not None
        return self.w.say("get_ready", exercise=seg.exercise.name), (seg.exercise.name,)

    def in_language(self, ex: Exercise, tips: tuple[str, ...]) -> tuple[str, ...]:
        """`tips` of `ex`, unless they are in another language than the wording."""
        if ex.cues_language not in (None, self.w.language):
            return ()
        return tips

    def has_tips(self, ex: Exercise) -> bool:
        return bool(self.in_language(ex, ex.cues + ex.tips_setup))

    def lead_in_ms(self, session: Session) -> int:
        """The lead-in, lengthened (unless the user set it) so the first exercise gets its tips."""
        item = session.items[0]
        members = item.members if isinstance(item, Group) else (item,)
        if session.lead_in_given or not any(self.has_tips(m) for m in members):
            return session.lead_in_ms
        return max(session.lead_in_ms, LEAD_IN_WITH_TIPS_MS)

    def tips(self, seg: _Seg, work: _Seg) -> list[tuple[str, str, Exercise]]:
        """(text, role, exercise) of the tips for the pause `seg` before `work`.

        Setup tips come before the exercise's first set; movement tips fill the
        lead-in and transitions (one per member when a group is next, each
        labelled with its own exercise).
        """
        form = self.w.say
        out: list[tuple[str, str, Exercise]] = []
        if seg.group is not None and seg.set is None:
            members = seg.group.members
            for m in members[:1]:
                out += [
                    (form("form_cue", cue=t), "setup", m) for t in self.in_language(m, m.tips_setup)
                ]
            for m in members:
                first_tip = self.in_language(m, m.cues)[:1]
                out += [(form("form_cue", cue=t), "form", m) for t in first_tip]
            return out
        ex = work.exercise
        assert ex is not None
        if work.set == 1 and work.side in (None, 1):
            out += [
                (form("form_cue", cue=t), "setup", ex) for t in self.in_language(ex, ex.tips_setup)
            ]
        if seg.kind is SegmentKind.REST:
            return out
        cues = list(self.in_language(ex, ex.cues))
        count = TIPS_PER_TRANSITION if seg.set is None else 1
        if seg.set and cues:  # inside a group: a different tip each round
            shift = (seg.set - 1) % len(cues)
            cues = cues[shift:] + cues[:shift]
        return out + [(form("form_cue", cue=c), "form", ex) for c in cues[:count]]

    def sound(self, name: str, at: int, seg: _Seg) -> Cue:
        return _cue(at, self.sound_ms.get(name, 0), CueKind.SOUND, "sound", seg, sound=name)

    def propose(self, segs: list[_Seg]) -> Iterator[Cue | _Want]:
        for i, seg in enumerate(segs):
            nxt = segs[i + 1] if i + 1 < len(segs) else None
            prev = segs[i - 1] if i else None
            if seg.kind in PAUSES and nxt is not None and nxt.kind is SegmentKind.WORK:
                yield from self.pause(seg, nxt, prev)
            elif seg.kind is SegmentKind.WORK:
                yield from self.work(seg, prev)
            elif seg.kind is SegmentKind.FINISH:
                at = seg.start + (LAST_COUNT_MS if _counted(prev) else 0)
                yield self.sound("finish", at, seg)
                start = at + self.sound_ms.get("finish", 0)
                text = self.w.say("finish", title=self.title)
                yield _Want(Priority.REQUIRED, text, "finish", seg, start, seg.end, fallback=start)

    def time_calls(self, seg: _Seg, calls: tuple[int, ...], floor: int) -> Iterator[_Want]:
        """Time-left calls before the end of `seg`, each at least `floor` ms from its end."""
        for left in calls:
            if floor < left <= seg.length - 1000:
                at = seg.end - left
                text = self.w.say("time_left", duration=self.w.duration(left / 1000))
                yield _Want(Priority.TIMING, text, "time_left", seg, at, at + 1000)

    def pause(self, seg: _Seg, work: _Seg, prev: _Seg | None) -> Iterator[Cue | _Want]:
        w = self.w
        ex = seg.exercise
        assert ex is not None
        count = min(COUNTDOWN_FROM, seg.length // 1000)
        if seg.kind is SegmentKind.SWITCH:
            # Said first: a switch too short for it and "3, 2, 1" gives up numbers.
            count = min(count, max(0, (seg.length - SWITCH_CALL_MS) // 1000))
        for n in range(count, 0, -1):
            at = work.start - n * 1000
            text = w.say("countdown", n=n)
            yield _Want(Priority.REQUIRED, text, "countdown", seg, at, at, fallback=at, pinned=True)
        open_at = seg.start
        between_exercises = seg.kind is SegmentKind.TRANSITION and seg.set is None
        # The last rep's number is said as a counted set ends: leave it room,
        # and ring the chime after it (where the countdown leaves space), since
        # a chime over the number masks it.
        counted = _counted(prev)
        if seg.kind is SegmentKind.REST or between_exercises:
            rest_ms = self.sound_ms.get("rest", 0)
            fits = seg.start + LAST_COUNT_MS + rest_ms <= work.start - count * 1000
            at = seg.start + (LAST_COUNT_MS if counted and fits else 0)
            yield self.sound("rest", at, seg)
            open_at = at + rest_ms
        if counted:
            open_at = max(open_at, seg.start + LAST_COUNT_MS)
        last = work.start - count * 1000 - SPEECH_GAP_MS  # end before the countdown
        if seg.kind is SegmentKind.LEAD_IN:
            text, names = self.get_ready(seg)
            if self.intro:
                text = f"{self.intro} {text}"
            yield _Want(Priority.ANNOUNCE, text, "get_ready", seg, open_at, last, names=names)
        elif seg.kind is SegmentKind.REST:
            duration = w.duration(seg.length / 1000)
            if seg.group is not None:  # a circuit's rest names the move that follows
                text = w.say("rest_next", duration=duration, next=ex.name)
                yield _Want(Priority.ANNOUNCE, text, "rest", seg, open_at, last, names=(ex.name,))
            else:
                yield _Want(
                    Priority.ANNOUNCE, w.say("rest", duration=duration), "rest", seg, open_at, last
                )
        elif seg.kind is SegmentKind.SWITCH:
            # With no room in the switch, as the second side starts: never unsaid.
            yield _Want(
                Priority.ANNOUNCE, w.say("switch_sides"), "switch", seg, open_at, last,
                fallback=open_at, until=work.end,
            )  # fmt: skip
        elif between_exercises:
            text, names = self.up_next(seg)
            yield _Want(Priority.UP_NEXT, text, "up_next", seg, open_at, last, names=names)
        # Every pause, a long switch between sides too, warns of its end.
        if ex.timing.time_calls_ms:
            yield from self.time_calls(seg, ex.timing.time_calls_ms, COUNTDOWN_FROM * 1000)
        elif seg.length >= WARNING_MIN_PAUSE_MS:
            at = work.start - WARNING_AT_MS
            text = w.say("time_left", duration=w.duration(WARNING_AT_MS / 1000))
            yield _Want(Priority.TIMING, text, "time_left", seg, at, at + 1000)
        if seg.kind is not SegmentKind.SWITCH:
            for text, role, label in self.tips(seg, work):
                yield _Want(Priority.FORM, text, role, seg, open_at, last, label=label)
            # Just before the countdown; if it cannot fit, at the start of the work.
            after_start = work.start + self.sound_ms.get("start", 0)
            text, alt, names = self.announcement(work)
            yield _Want(
                Priority.REQUIRED, text, "set", work, open_at, work.start - count * 1000,
                late=True, fallback=after_start, until=_set_end(work), names=names, alt=alt,
                gap=SET_CALL_GAP_MS,
            )  # fmt: skip

    def work(self, seg: _Seg, prev: _Seg | None) -> Iterator[Cue | _Want]:
        ex = seg.exercise
        assert ex is not None
        yield self.sound("start", seg.start, seg)
        after_sound = seg.start + self.sound_ms.get("start", 0)
        if (prev is None or prev.kind not in PAUSES) and seg.side in (None, 1):
            text, alt, names = self.announcement(seg)
            yield _Want(
                Priority.REQUIRED, text, "set", seg, after_sound, after_sound,
                fallback=after_sound, until=_set_end(seg), names=names, alt=alt,
                gap=SET_CALL_GAP_MS,
            )  # fmt: skip
        if seg.side == 2 and (prev is None or prev.kind is not SegmentKind.SWITCH):
            # No pause between the sides (switch_time = "0s"): said as the second starts.
            text = self.w.say("switch_sides")
            yield _Want(
                Priority.ANNOUNCE, text, "switch", seg, after_sound, after_sound,
                fallback=after_sound, until=seg.end,
            )  # fmt: skip
        timed = ex.kind is not WorkKind.REPS or ex.amrap
        if not timed:
            yield from self.reps(seg, ex)
        mid = seg.start + seg.length // 2
        # A time call at the halfway point says the same: "Halfway." would only crowd it.
        calls_mid = any(
            abs(seg.end - left - mid) < HALFWAY_CALL_MS for left in ex.timing.time_calls_ms
        )
        if timed and seg.length >= HALFWAY_MIN_MS and not calls_mid:
            text = self.w.say("halfway", exercise=ex.name)
            yield _Want(Priority.TIMING, text, "halfway", seg, mid, mid + 1500)
        if timed:
            yield from self.time_calls(seg, ex.timing.time_calls_ms, 0)
        tips = self.in_language(ex, ex.cues)
        if seg.length >= MID_TIP_MIN_MS and tips:
            index = (2 * ((seg.set or 1) - 1) + (seg.side or 1) - 1) % len(tips)
            at = seg.start + max(3_000, seg.length // 4)
            text = self.w.say("form_cue", cue=tips[index])
            yield _Want(Priority.FORM, text, "form", seg, at, mid - 1000)
        if timed and seg.length >= TICKS_MIN_MS:
            for n in range(COUNTDOWN_FROM, 0, -1):
                yield self.sound("tick", seg.end - n * 1000, seg)

    def reps(self, seg: _Seg, ex: Exercise) -> Iterator[_Want]:
        """Tempo calls on each phase boundary, and rep counts where each rep ends."""
        step = ex.timing.rep_ms
        tempo = ex.timing.tempo_ms
        count = ex.timing.count_reps
        for r in range(ex.reps or 0):
            start = seg.start + r * step
            if tempo is not None:
                at = start
                for phase, (key, length) in enumerate(zip(_TEMPO_KEYS, tempo, strict=True)):
                    # With counting, the number said as a rep ends also starts the next.
                    if length and not (phase == 0 and r and count):
                        yield _Want(Priority.REP_COUNT, self.w.say(key), "tempo", seg, at, at)
                    at += length
            if count:
                at = start + step
                slack = 0 if tempo is not None else step // 4
                text = self.w.say("rep_count", n=r + 1)
                yield _Want(Priority.REP_COUNT, text, "rep", seg, at, at + slack)


def _counted(seg: _Seg | None) -> bool:
    """Whether `seg` is a set whose reps are counted aloud (its last number falls at its end)."""
    ex = seg.exercise if seg is not None and seg.kind is SegmentKind.WORK else None
    return ex is not None and ex.timing.count_reps and bool(ex.reps)


def _load_key(ex: Exercise, key: str) -> str:
    """`key`, or its "starting at" form when the sets' loads differ."""
    return key + "s" if len(set(ex.load)) > 1 else key


def _set_end(work: _Seg) -> int:
    """The last moment to start the call of the set `work` begins: before its last side ends."""
    ex = work.exercise
    assert ex is not None
    if ex.per_side and work.side == 1:
        return work.end + ex.timing.switch_ms + work.length - 1
    return work.end - 1


def _cue(
    at: int,
    length: int,
    kind: CueKind,
    role: str,
    seg: _Seg,
    text: str | None = None,
    sound: str | None = None,
    label: Exercise | None = None,
) -> Cue:
    exercise = label or seg.exercise
    return Cue(
        at_ms=at,
        duration_ms=length,
        kind=kind,
        role=role,
        text=text,
        sound=sound,
        exercise=exercise.name if exercise else None,
        set=seg.set,
        side=seg.side,
    )


def _intro(session: Session, wording: Wording) -> str:
    """The week, said first when it changes the session: a deload week says so,
    and a session with progression rules names its week. Without either, any
    week is the file as written, and naming it would suggest otherwise."""
    if session.week is None:
        return ""
    if session.deload:
        return wording.say("deload_intro", week=session.week)
    if session.has_rules:
        return wording.say("week_intro", week=session.week)
    return ""


def _proposals(
    session: Session, wording: Wording, sound_ms: Mapping[str, int]
) -> tuple[list[_Seg], list[Cue | _Want]]:
    cues = _Cues(session.title, wording, sound_ms, _intro(session, wording))
    segs = _lay_out(session, cues.lead_in_ms(session))
    return segs, list(cues.propose(segs))


def candidate_phrases(session: Session, wording: Wording | None = None) -> list[str]:
    """Every distinct phrase the compiler may place for `session`, in first-use order.

    Rendering synthesizes these up front, so measuring their lengths for the
    final schedule never waits on speech.
    """
    # Sound lengths move cues, never change what is said.
    _, proposals = _proposals(session, wording or load_wording(), {})
    texts: list[str] = []
    for p in proposals:
        if isinstance(p, _Want):
            texts += [p.text] if p.alt is None else [p.text, p.alt]
    return list(dict.fromkeys(texts))


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
        return _compile(session, wording, durations, sound_ms).script


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


class _Compiled(NamedTuple):
    """A script, and the windows of the cues dropped for want of room (for tests)."""

    script: CueScript
    dropped: list[tuple[_Want, int]]  # each with the room it needed


def _compile(
    session: Session, wording: Wording, durations: DurationFn, sound_ms: Mapping[str, int]
) -> _Compiled:
    segs, proposals = _proposals(session, wording, sound_ms)
    cues: list[Cue] = [p for p in proposals if isinstance(p, Cue)]
    wants = [p for p in proposals if isinstance(p, _Want)]
    # Stable: cues that tie keep the order they were proposed in.
    wants.sort(key=lambda w: (w.priority, not w.pinned, w.earliest))
    lengths: dict[str, int] = {}

    def length_of(text: str) -> int:
        found = lengths.get(text)
        if found is None:
            found = lengths[text] = max(1, round(durations(text) * 1000))
        return found

    speech = _Speech()
    dropped = _Dropped()
    dropped_wants: list[tuple[_Want, int]] = []
    placed: list[tuple[int, _Want]] = []
    for want in wants:
        # A set call keeps room for the longer of its two forms (with and without the name).
        room = max(length_of(want.text), length_of(want.alt) if want.alt else 0)
        need = room + want.gap
        at = _place(want, need, speech, dropped)
        if at is None and want.fallback is not None:
            # Later, at the first free moment, but never where a more important cue
            # was dropped (nothing outranks a required cue).
            later = want._replace(earliest=want.fallback, latest=want.until, late=False)
            at = _place(later, need, speech, dropped)
        if at is None:
            dropped.add(want.priority, *want.extent(need))
            dropped_wants.append((want, need))
            continue
        speech.take(at, need)
        placed.append((at, want))
    placed.sort(key=lambda p: p[0])
    said_until: dict[str, int] = {}  # exercise name -> when it was last said
    for at, want in placed:
        text, names = want.text, want.names
        if any(at - said_until.get(n, -_NEVER) < NAME_REPEAT_MS for n in names):
            if want.alt is not None:
                text, names = want.alt, ()
            elif want.priority is not Priority.REQUIRED:
                continue  # it would only repeat a name just said
        length = length_of(text)
        for name in names:
            said_until[name] = at + length
        cues.append(
            _cue(at, length, CueKind.SPEECH, want.role, want.seg, text=text, label=want.label)
        )
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
            load=_shown(s.load),
            amrap=s.kind is SegmentKind.WORK and s.exercise is not None and s.exercise.amrap,
        )
        for s in segs
    )
    return _Compiled(CueScript(session.title, end, segments, tuple(cues)), dropped_wants)


def _shown(load: Load | None) -> str | None:
    """A load as displays and chapter titles show it: "12 kg", "RPE 8", "bodyweight"."""
    if load is None:
        return None
    if load.unit == "bodyweight" or load.amount is None:
        return "bodyweight"
    if load.unit == "rpe":
        return f"RPE {load.amount:g}"
    return f"{load.amount:g} {load.unit}"
