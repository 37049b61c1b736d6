"""Progression rules: how an exercise grows week by week, and a session at week N.

A rule is plain words on an exercise (`progress = "+1 rep per week up to 15,
then +1 set"`). `parse_rule` reads the words into a `Rule`, `rule_problem`
says whether it fits the exercise it sits on, and `session_at_week` returns the
session as it is done in a given week. Pure: no files, no clock.

Week 1 is the session as written. A deload week (every `deload_every`-th week)
does that week's amounts with half the sets (rounded up) and does not count as
a step: the week after it does the same amounts with all the sets.
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import NamedTuple

from . import units
from .errors import InputError, Problem
from .model import Exercise, Group, Item, Program, Session, WorkKind
from .parse import DISTANCE_RANGE, LOAD_RANGES, REPS_RANGE, SETS_RANGE, TIME_LIMIT

MAX_WEEKS = 52
MAX_SETS = SETS_RANGE[1]  # as many as a session may have
DEFAULT_MAX_SETS = 4  # the guide's 2-4 sets; a rule may say "up to N sets"
RULE_HELP = (
    'a rule like "+1 rep per week", "+1 rep per week up to 15, then +1 set", '
    '"+5s per week", "+10m per week", "+2.5kg per week" or "every 2 weeks +1 set"'
)


class RuleError(ValueError):
    """A progression rule could not be read or does not fit its exercise."""


# A rule's own records are NamedTuples: a dataclass would cost `check` start-up
# time generating its methods whenever a session has rules.
class Step(NamedTuple):
    """What one step adds: `amount` of reps, sets, time (ms), distance (m) or load."""

    what: str  # "reps", "sets", "time", "distance" or "load"
    amount: float
    unit: str = ""  # "kg" or "lb" for load


class Rule(NamedTuple):
    """A parsed progression rule."""

    step: Step
    every: int = 1  # weeks per step
    up_to: float | None = None  # cap of the stepped amount, in the step's unit
    then: int | None = None  # sets added each time the cap is reached (the amount restarts)
    max_sets: int = DEFAULT_MAX_SETS
    if_completed: bool = False


_NUMBER = r"\d+(?:\.\d+)?"
_RULE = re.compile(
    r"(?:every\s+(?P<every>\d+)\s+weeks?,?\s+)?"
    rf"\+\s*(?P<n>{_NUMBER})\s*(?P<unit>[a-z]+)"
    r"(?P<per_week>(?:\s+(?:per|a|each)\s+|\s*/\s*)week)?"
    r"(?:\s+every\s+(?P<every_after>\d+)\s+weeks?)?"  # "+1 rep every 2 weeks"
    rf"(?:,?\s+up\s+to\s+(?P<cap>{_NUMBER})\s*(?P<cap_unit>[a-z]*))?"
    r"(?:,?\s+then\s+\+\s*(?P<then>\d+)\s*sets?)?"
    r"(?:,?\s+(?:up\s+to|max)\s+(?P<max_sets>\d+)\s+sets)?"
    r"(?P<completed>,?\s+if\s+completed)?"
)
_KINDS = {WorkKind.REPS: "reps", WorkKind.TIME: "time", WorkKind.DISTANCE: "distance"}


def _quantity(number: str, unit: str, text: str) -> Step:
    """A `+N unit` step: reps, sets, a duration (ms), a distance (m) or a load."""
    n = float(number)
    load_unit = ""
    if unit in ("rep", "reps", "set", "sets"):
        what = "reps" if unit.startswith("rep") else "sets"
        amount = n
        if not n.is_integer():
            raise RuleError(f'"{text}": {what} go up by a whole number')
    elif unit in units.WEIGHT_UNITS:
        what, amount, load_unit = "load", n, units.WEIGHT_UNITS[unit]
    elif unit in ("m", "km"):
        what, amount = "distance", units.parse_distance(number + unit)
    else:
        try:
            seconds = units.parse_duration(number + unit)
        except units.UnitError:
            raise RuleError(f'"{text}": unknown unit "{unit}"; expected {RULE_HELP}') from None
        what, amount = "time", seconds * 1000
    if amount <= 0:
        raise RuleError(f'"{text}": a step must add more than 0')
    return Step(what, amount, load_unit)


def parse_rule(text: str) -> Rule:
    """Read a rule's words; raises `RuleError` saying what was expected."""
    m = _RULE.fullmatch(" ".join(text.lower().split()))
    if m is None:
        raise RuleError(f'expected {RULE_HELP}, got "{text}"')
    step = _quantity(m["n"], m["unit"], text)
    said = [m[k] for k in ("every", "per_week", "every_after") if m[k] is not None]
    if len(said) > 1:
        raise RuleError(f'"{text}": say "every N weeks" or "per week", not both')
    if not said:
        raise RuleError(f'"{text}": say how often: "per week" or "every N weeks"')
    every = int(m["every"] or m["every_after"] or 1)
    if not 1 <= every <= MAX_WEEKS:
        raise RuleError(f'"{text}": every 1 to {MAX_WEEKS} weeks')
    up_to = None
    if m["cap"] is not None:
        cap_unit = m["cap_unit"] or (step.what if step.what in ("reps", "sets") else "")
        if not cap_unit:
            raise RuleError(f'"{text}": give the cap a unit, like "up to {m["cap"]}{step.unit}"')
        cap = _quantity(m["cap"], cap_unit, text)
        if (cap.what, cap.unit) != (step.what, step.unit):
            raise RuleError(f'"{text}": the cap is not in the unit of the step')
        up_to = cap.amount
    then = int(m["then"]) if m["then"] is not None else None
    if then is not None and up_to is None:
        raise RuleError(f'"{text}": "then +{then} set" needs a cap first, like "up to 15"')
    if then is not None and step.what == "sets":
        raise RuleError(f'"{text}": sets cannot roll over into sets')
    if then == 0:
        raise RuleError(f'"{text}": "then" must add at least 1 set')
    max_sets = int(m["max_sets"]) if m["max_sets"] is not None else DEFAULT_MAX_SETS
    if step.what == "sets" and up_to is not None:
        max_sets = round(up_to)
    if not 1 <= max_sets <= MAX_SETS:
        raise RuleError(f'"{text}": at most {MAX_SETS} sets')
    return Rule(step, every, up_to, then, max_sets, m["completed"] is not None)


def rule_problem(rule: Rule, exercise: Exercise) -> str | None:
    """Why `rule` cannot apply to `exercise`, or None when it fits."""
    what = rule.step.what
    if what in ("reps", "time", "distance") and _KINDS[exercise.kind] != what:
        return f"adds {what}, but {exercise.name} is measured in {_KINDS[exercise.kind]}"
    if what == "reps" and exercise.amrap:
        return f"adds reps, but {exercise.name} is as many reps as you can"
    loads = exercise.load
    if what == "load" and not (loads and all(x.unit == rule.step.unit for x in loads)):
        unit = rule.step.unit
        return f"adds {unit}, but {exercise.name} has no load in {unit} to add to"
    start = _amount(exercise, what)
    if rule.up_to is not None and start > rule.up_to:
        unit = rule.step.unit
        shown, cap = _shown(what, start, unit), _shown(what, rule.up_to, unit)
        heaviest = "its heaviest set " if what == "load" else ""
        return f"{heaviest}starts at {shown}, above its cap of {cap}"
    if exercise.sets > rule.max_sets and (what == "sets" or rule.then is not None):
        return f"starts at {exercise.sets} sets, above the most of {rule.max_sets}"
    return None


def _amount(exercise: Exercise, what: str) -> float:
    if what == "sets":
        return exercise.sets
    if what == "reps":
        return exercise.reps or 0
    if what == "time":
        return exercise.time_ms or 0
    if what == "load":
        return max(load.amount or 0.0 for load in exercise.load)
    return exercise.distance_m or 0.0


def _shown(what: str, value: float, unit: str = "") -> str:
    if what == "time":
        return f"{value / 1000:g}s"
    if what == "distance":
        return f"{value:g}m"
    if what == "load":
        return f"{value:g} {unit}"
    return f"{value:g} {what}"


def is_deload(week: int, deload_every: int | None) -> bool:
    """Whether `week` (1-based) is a lighter week."""
    return deload_every is not None and week % deload_every == 0


def training_weeks_before(week: int, deload_every: int | None) -> int:
    """How many weeks before `week` count as steps (deload weeks do not)."""
    return sum(1 for w in range(1, week) if not is_deload(w, deload_every))


def _ceiling(exercise: Exercise, rule: Rule) -> float:
    """The highest amount `rule` may take `exercise` to, in the step's unit: the
    most one set may hold, so, as at a rule's "up to", no week is one `check`
    would refuse."""
    what = rule.step.what
    if what == "reps":
        return REPS_RANGE[1]
    if what == "time":
        return TIME_LIMIT.high
    if what == "distance":  # also no longer than a set may last at its pace
        return min(DISTANCE_RANGE[1], exercise.timing.pace_m_per_s * TIME_LIMIT.high / 1000)
    if what == "load":
        return LOAD_RANGES[rule.step.unit][1]
    return math.inf  # sets: capped by the rule's most sets


def progressed(exercise: Exercise, rule: Rule, weeks: int) -> Exercise:
    """`exercise` after `weeks` counted weeks of `rule` (one step every `rule.every`)."""
    what, add = rule.step.what, rule.step.amount
    sets = exercise.sets
    start = amount = _amount(exercise, what)
    cap = min(rule.up_to if rule.up_to is not None else math.inf, _ceiling(exercise, rule))
    for _ in range(weeks // rule.every):
        if what == "sets":
            amount = min(amount + add, rule.max_sets)
        elif amount < cap:
            amount = min(amount + add, cap)
        elif rule.then is not None and sets < rule.max_sets:
            sets = min(sets + rule.then, rule.max_sets)
            amount = start
    if what == "sets":
        return with_sets(exercise, round(amount))
    out = with_sets(exercise, sets)
    if what == "reps":
        return dataclasses.replace(out, reps=round(amount))
    if what == "time":
        return dataclasses.replace(out, time_ms=round(amount))
    if what == "load":
        # Every set's load moves by the same amount (a pyramid keeps its shape).
        added = amount - start
        loads = tuple(dataclasses.replace(x, amount=(x.amount or 0) + added) for x in out.load)
        return dataclasses.replace(out, load=loads)
    return dataclasses.replace(out, distance_m=round(amount, 3))


def with_sets(exercise: Exercise, sets: int) -> Exercise:
    """`exercise` with `sets` sets; its per-set loads follow (an added set repeats the last)."""
    loads = exercise.load
    if loads:
        loads = loads[:sets] + (loads[-1],) * (sets - len(loads))
    return dataclasses.replace(exercise, sets=sets, load=loads)


def exercise_at_week(exercise: Exercise, week: int, deload_every: int | None = None) -> Exercise:
    """`exercise` as done in `week`: its rule applied, and halved sets in a deload week."""
    out = exercise
    if exercise.progress is not None:
        counted = training_weeks_before(week, deload_every)
        out = progressed(exercise, parse_rule(exercise.progress), counted)
    if is_deload(week, deload_every):
        out = with_sets(out, math.ceil(out.sets / 2))
    return out


def session_at_week(session: Session, week: int, deload_every: int | None = None) -> Session:
    """`session` as done in `week` (1 is the file as written, marked with its week).

    Raises InputError when the rules take a superset's members to different
    numbers of sets, naming the member's line and the week.
    """
    file = str(session.path) if session.path is not None else "(session)"
    numbers = {id(e): n for n, e in enumerate(session.exercises, 1)}  # exercise[N] in the file
    problems: list[Problem] = []
    items: list[Item] = []
    for item in session.items:
        if isinstance(item, Group):
            members = tuple(exercise_at_week(m, week, deload_every) for m in item.members)
            for written, member in zip(item.members[1:], members[1:], strict=True):
                if member.sets == members[0].sets:
                    continue
                # The rule that takes the member apart: its own, else the first member's.
                blamed = written if written.progress is not None else item.members[0]
                problems.append(
                    Problem(
                        file,
                        blamed.line,
                        f"exercise[{numbers[id(blamed)]}].progress",
                        f'in week {week} group "{item.name}" would have {members[0].sets} sets '
                        f"of {members[0].name} but {member.sets} of {member.name}; "
                        "give its exercises the same set rule",
                    )
                )
            items.append(Group(item.name, members))
        else:
            items.append(exercise_at_week(item, week, deload_every))
    if problems:
        raise InputError(problems)
    return dataclasses.replace(
        session, items=tuple(items), week=week, deload=is_deload(week, deload_every)
    )


def group_problems(session: Session, program: Program | None = None) -> list[Problem]:
    """What `session_at_week` would refuse in the first week whose rules take a
    group's members to different numbers of sets, so `check` finds it: among
    the weeks `script --week` can reach (the program's, if it sets them)."""
    weeks = (program.weeks if program else None) or MAX_WEEKS
    for week in range(1, weeks + 1):
        try:
            session_at_week(session, week, program.deload_every if program else None)
        except InputError as exc:
            return list(exc.problems)
    return []


def needs_log(session: Session) -> bool:
    """Whether any rule in `session` waits for completed sessions ("... if completed")."""
    return any(
        e.progress is not None and parse_rule(e.progress).if_completed for e in session.exercises
    )


def week_allowed(last_week: int | None, last_completed: bool, weeks: int | None) -> int:
    """The week to do next, from the last logged play of a session: the week
    after a completed one, the same week again after an unfinished one."""
    if last_week is None:
        return 1
    week = last_week + 1 if last_completed else last_week
    return min(week, weeks if weeks is not None else MAX_WEEKS)


def program_weeks(program: Program, week: int | None = None) -> list[tuple[str, Session]]:
    """The sessions to render of `program`, each with its number as files show it.

    Without weeks and `week`: the sessions as written, numbered "01", "02" ...
    With `week`: that week's sessions, "W2-01" .... With `weeks` and no `week`:
    every week in order. Raises InputError for a week past the program's end.
    """
    if week is not None and program.weeks is not None and week > program.weeks:
        file = str(program.path) if program.path is not None else "(program)"
        raise InputError(
            [Problem(file, None, "--week", f"the program has {program.weeks} weeks, not {week}")]
        )
    width = max(2, len(str(len(program.sessions))))
    if week is None and program.weeks is None:
        return [(f"{i:0{width}d}", s) for i, s in enumerate(program.sessions, 1)]
    weeks = [week] if week is not None else list(range(1, (program.weeks or 1) + 1))
    return [
        (f"W{w}-{i:0{width}d}", session_at_week(s, w, program.deload_every))
        for w in weeks
        for i, s in enumerate(program.sessions, 1)
    ]


def week_title(session: Session) -> str:
    """The session's title, with its week when it has one: "Day 1 (week 2)"."""
    if session.week is None:
        return session.title
    return f"{session.title} (week {session.week}{', deload' if session.deload else ''})"
