"""Progression rules: case files with their week tables, and the rules' arithmetic."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import DATA, SESSIONS
from cuecoach import units
from cuecoach.cli import cli
from cuecoach.compile import compile_session
from cuecoach.errors import InputError
from cuecoach.model import Exercise, Group, Program, Session, WorkKind
from cuecoach.parse import load, load_session
from cuecoach.plan import amount_text
from cuecoach.progression import (
    RuleError,
    is_deload,
    parse_rule,
    program_weeks,
    session_at_week,
    training_weeks_before,
    week_allowed,
)
from test_parse import expected_messages

CASES = DATA / "progression"
VALID = sorted((CASES / "valid").glob("*.toml"))
INVALID = sorted((CASES / "invalid").glob("*.toml"))


def header(path: Path, key: str) -> list[str]:
    prefix = f"# {key}: "
    return [
        line.removeprefix(prefix)
        for line in path.read_text("utf-8").splitlines()
        if line.startswith(prefix)
    ]


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_week_table_follows_the_rules(path: Path) -> None:
    weeks = int(header(path, "weeks")[0])
    deload = next((int(v) for v in header(path, "deload_every")), None)
    session = load_session(path)
    by_week = [session_at_week(session, w, deload) for w in range(1, weeks + 1)]
    got = [
        f"{e.name}: " + " ".join(amount_text(s.exercises[i]) for s in by_week)
        for i, e in enumerate(session.exercises)
    ]
    assert got == header(path, "expect")


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_rules_name_file_line_and_key(path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load(path)
    assert sorted(str(p) for p in caught.value.problems) == sorted(expected_messages(path))


def test_the_sample_program_runs_six_weeks_with_a_deload() -> None:
    program = load(SESSIONS / "week.toml")
    assert isinstance(program, Program)
    assert (program.weeks, program.deload_every) == (6, 4)
    labels = [label for label, _ in program_weeks(program)]
    assert labels[:3] == ["W1-01", "W1-02", "W2-01"]
    assert len(labels) == 12
    assert [label for label, _ in program_weeks(program, 2)] == ["W2-01", "W2-02"]
    with pytest.raises(InputError, match="has 6 weeks, not 7"):
        program_weeks(program, 7)


@pytest.mark.parametrize(
    ("file", "week", "first"),
    [
        ("day1-upper-core.toml", 3, "Week 3. Get ready."),
        ("day1-upper-core.toml", 4, "Deload week. Get ready."),
        # No rules: week 3 is the file as written, so it is not said; a deload still is.
        ("push-pull-supersets.toml", 3, "Get ready."),
        ("push-pull-supersets.toml", 4, "Deload week. Get ready."),
    ],
)
def test_the_week_is_said_first_when_it_changes_the_session(
    file: str, week: int, first: str
) -> None:
    session = session_at_week(load_session(SESSIONS / file), week, deload_every=4)
    said = next(
        c.text or "" for c in compile_session(session, sound_ms={}).cues if c.role == "get_ready"
    )
    assert said.startswith(first)


def test_a_group_whose_rules_split_its_sets_is_refused() -> None:
    session = load_session(SESSIONS / "push-pull-supersets.toml")
    group = next(i for i in session.items if isinstance(i, Group))
    first = dataclasses.replace(group.members[0], progress="every 2 weeks +1 set")
    split = dataclasses.replace(session, items=(Group(group.name, (first, *group.members[1:])),))
    session_at_week(split, 2)  # no step yet: fine
    with pytest.raises(InputError, match=f'in week 3 group "{group.name}"'):
        session_at_week(split, 3)


def test_check_finds_a_group_split_by_a_rule_in_the_weeks_it_can_be_played(
    tmp_path: Path,
) -> None:
    # It passed check, then `script --week 3` and `plan` refused it, naming
    # the other member's line and no exercise in the key.
    (tmp_path / "gp.toml").write_text(
        'title = "GP"\n'
        '[[exercise]]\nname = "Push-Ups"\ngroup = "A"\ndo = "3x12"\n'
        'progress = "+1 rep per week up to 13, then +1 set"\n'
        '[[exercise]]\nname = "Inverted Rows"\ngroup = "A"\ndo = "3x10"\n',
        encoding="utf-8",
    )
    runner = CliRunner()
    alone = runner.invoke(cli, ["check", str(tmp_path / "gp.toml")])
    assert alone.exit_code == 2
    assert f'{tmp_path / "gp.toml"}:2: exercise[1].progress: in week 3 group "A"' in alone.output
    for weeks, status in ((2, 0), (3, 2)):  # the split comes in week 3
        program = tmp_path / f"p{weeks}.toml"
        program.write_text(
            f'title = "P"\nsessions = ["gp.toml"]\nweeks = {weeks}\n', encoding="utf-8"
        )
        assert runner.invoke(cli, ["check", str(program)]).exit_code == status


def test_if_completed_waits_for_a_completed_week() -> None:
    assert week_allowed(None, False, 6) == 1
    assert week_allowed(2, True, 6) == 3
    assert week_allowed(2, False, 6) == 2
    assert week_allowed(6, True, 6) == 6


# Random rules: week N's amount is the start plus one step per counted week,
# capped, with a set added (and the amount restarting) each time the cap is hit.
_rules = st.builds(
    lambda step, every, cap, then, deload: (step, every, cap, then, deload),
    st.integers(1, 3),
    st.integers(1, 3),
    st.one_of(st.none(), st.integers(0, 8)),
    st.booleans(),
    st.one_of(st.none(), st.integers(2, 5)),
)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(rule=_rules, start=st.integers(5, 12), sets=st.integers(1, 4), week=st.integers(1, 20))
def test_random_rep_rules_follow_their_arithmetic(
    rule: tuple[int, int, int | None, bool, int | None], start: int, sets: int, week: int
) -> None:
    step, every, extra, then, deload = rule
    cap = None if extra is None else start + extra
    words = f"every {every} weeks +{step} reps" if every > 1 else f"+{step} reps per week"
    if cap is not None:
        words += f" up to {cap}" + (", then +1 set" if then else "")
    parsed = parse_rule(words)
    assert (parsed.step.amount, parsed.every, parsed.up_to) == (step, every, cap)
    exercise = Exercise("Push-Ups", sets, WorkKind.REPS, reps=start, progress=words)
    done = session_at_week(Session("t", (exercise,)), week, deload).exercises[0]

    steps = training_weeks_before(week, deload) // every
    want_sets, reps = sets, start
    for _ in range(steps):
        if cap is None or reps < cap:
            reps = min(reps + step, cap if cap is not None else reps + step)
        elif then and want_sets < 4:
            want_sets, reps = want_sets + 1, start
    if is_deload(week, deload):
        want_sets = -(-want_sets // 2)
    assert (done.sets, done.reps) == (want_sets, reps)
    if cap is None:
        assert done.reps == start + step * steps
    else:
        assert done.reps is not None and done.reps <= cap and done.sets <= max(sets, 4)


@pytest.mark.parametrize("written", sorted(units.WEIGHT_UNITS))
def test_a_rule_adds_load_in_every_unit_a_session_takes(written: str, tmp_path: Path) -> None:
    """A rule and a load read weights the same way, whatever the spelling:
    "+2.5 kilograms per week" on load = "20 kilograms"."""
    path = tmp_path / "load.toml"
    path.write_text(
        f'[[exercise]]\nname = "Goblet Squat"\ndo = "3x10"\nload = "20 {written}"\n'
        f'progress = "+2.5 {written} per week up to 30{written}"\n',
        encoding="utf-8",
    )
    unit = units.WEIGHT_UNITS[written]
    weeks = [amount_text(session_at_week(load_session(path), w).exercises[0]) for w in (1, 3, 9)]
    assert weeks == [f"3x10 @ {n}{unit}" for n in (20, 25, 30)]


def test_rule_words_are_read_loosely_but_strictly() -> None:
    assert parse_rule("+1 Rep  a week, up to 15, then +1 set").then == 1
    assert parse_rule("+1 rep per week up to 15, then +1 set up to 5 sets").max_sets == 5
    assert parse_rule("+5s per week").step.amount == 5000
    assert parse_rule("+1min per week").step.amount == 60000
    assert parse_rule("+10m per week if completed").if_completed
    assert parse_rule("+2.5kg per week").step.unit == "kg"
    with pytest.raises(RuleError, match='"per week" or "every N weeks"'):
        parse_rule("+1 rep")


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_plan_prints_each_exercise_by_week_and_each_weeks_length() -> None:
    code, out = invoke("plan", str(SESSIONS / "week.toml"))
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == "Runner Strength – Sample 2-Day Week: 6 weeks, deload every 4 weeks"
    heads = next(line for line in lines if "W1" in line).split()
    assert heads == ["W1", "W2", "W3", "W4*", "W5", "W6"]
    push = next(line for line in lines if line.startswith("Push-Ups")).split()
    assert push[1:] == ["3x12", "3x13", "3x14", "2x15", "3x15", "4x12"]
    lengths = [line.split()[1:] for line in lines if line.startswith("length")]
    assert len(lengths) == 2 and all(len(row) == 6 for row in lengths)
    code, out = invoke("plan", str(SESSIONS / "day1-upper-core.toml"))
    assert code == 2 and "give a program" in out


def test_script_takes_a_week() -> None:
    code, out = invoke("script", str(SESSIONS / "day1-upper-core.toml"), "--week", "3")
    assert code == 0, out
    assert "Week 3. Get ready." in out and "Set 1 of 3, 14 reps" in out


def test_export_writes_every_week_of_a_program(tmp_path: Path) -> None:
    session = tmp_path / "short.toml"
    session.write_text(
        '[defaults]\nlead_in = "5s"\n[[exercise]]\nname = "Plank"\ndo = "2x3s"\nrest = "2s"\n'
        'progress = "+1s per week"\n',
        encoding="utf-8",
    )
    program = tmp_path / "prog.toml"
    program.write_text('title = "P"\nsessions = ["short.toml"]\nweeks = 2\n', encoding="utf-8")
    out = tmp_path / "out"
    code, text = invoke("export", str(program), "-o", str(out), "--engine", "espeak", "-q")
    assert code == 0, text
    assert sorted(p.name for p in out.iterdir()) == [
        "P.m3u8",
        "W1-01 Short (week 1).mp3",
        "W2-01 Short (week 2).mp3",
    ]
    one = tmp_path / "one"
    code, text = invoke(
        "export", str(program), "-o", str(one), "--week", "2", "--engine", "espeak", "-q"
    )
    assert code == 0, text
    assert sorted(p.name for p in one.iterdir()) == ["P.m3u8", "W2-01 Short (week 2).mp3"]


def test_rules_stop_at_the_limits_a_session_may_hold() -> None:
    """Found by probing: "+30min per week" took a 1 h plank to 3.5 h by week 6,
    "+100 reps" to 900 reps, "+10kg" to 540 kg: weeks `check` would refuse."""
    session = load_session(CASES / "limits.toml")
    week = session_at_week(session, 30)
    assert [amount_text(e) for e in week.exercises] == [
        "1x7200s", "1x500", "1x3600m @ 24kg", "1x5 @ 500kg"
    ]  # fmt: skip
