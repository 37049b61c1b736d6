"""The week-by-week table of a progressing program (`cuecoach plan`)."""

from __future__ import annotations

from collections.abc import Callable

from .errors import InputError, Problem
from .model import Exercise, Load, Program, Session, WorkKind
from .progression import session_at_week
from .timecode import clock


def amount_text(exercise: Exercise) -> str:
    """Sets x amount as people write it, and the load: "3x12", "3x8/leg @ 12kg",
    "3x30s", "3x40m", "3xAMRAP"."""
    if exercise.amrap:
        amount = "AMRAP"
    elif exercise.kind is WorkKind.REPS:
        amount = f"{exercise.reps}"
    elif exercise.kind is WorkKind.TIME:
        assert exercise.time_ms is not None
        amount = f"{exercise.time_ms / 1000:g}s"
    else:
        amount = f"{exercise.distance_m:g}m"
    side = f"/{exercise.side_label}" if exercise.per_side else ""
    loads = list(dict.fromkeys(load_text(x) for x in exercise.load))
    at = f" @ {'/'.join(loads)}" if loads else ""
    return f"{exercise.sets}x{amount}{side}{at}"


def load_text(load: Load) -> str:
    """One set's load as written: "12kg", "25lb", "bodyweight", "RPE 8"."""
    if load.amount is None:
        return load.unit
    if load.unit == "rpe":
        return f"RPE {load.amount:g}"
    return f"{load.amount:g}{load.unit}"


def plan_text(program: Program, length_ms: Callable[[Session], int]) -> str:
    """One table per session: an exercise a row, a week a column, and each
    week's session length (`length_ms` of the session in that week) at the foot."""
    if program.weeks is None:
        file = str(program.path) if program.path is not None else "(program)"
        raise InputError(
            [Problem(file, None, "weeks", 'no "weeks = N": the program does not progress')]
        )
    weeks = range(1, program.weeks + 1)
    deload = f", deload every {program.deload_every} weeks" if program.deload_every else ""
    plural = "week" if program.weeks == 1 else "weeks"
    out = [f"{program.title}: {program.weeks} {plural}{deload}"]
    for session in program.sessions:
        by_week = [session_at_week(session, w, program.deload_every) for w in weeks]
        heads = [f"W{s.week}{'*' if s.deload else ''}" for s in by_week]
        rows = [
            [e.name, *(amount_text(s.exercises[i]) for s in by_week)]
            for i, e in enumerate(session.exercises)
        ]
        rows.append(["length", *(clock(length_ms(s)) for s in by_week)])
        table = [["", *heads], *rows]
        widths = [max(len(row[c]) for row in table) for c in range(len(table[0]))]
        out.append("")
        out.append(session.title)
        for row in table:
            cells = [row[0].ljust(widths[0])]
            cells += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
            out.append("  ".join(cells).rstrip())
    if program.deload_every:
        out += ["", "* deload week: half the sets"]
    return "\n".join(out) + "\n"
