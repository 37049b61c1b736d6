"""Session parsing: every invalid case file names its expected messages in `# expect:` lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import DATA, SESSIONS
from cuecoach.errors import InputError
from cuecoach.model import Group, Load, Program, Session, WorkKind
from cuecoach.parse import load, load_session

INVALID = sorted((DATA / "invalid").glob("*.toml"))


def expected_messages(path: Path) -> list[str]:
    lines = path.read_bytes().decode("utf-8", errors="replace").splitlines()
    return [
        line.removeprefix("# expect: ")
        .replace("{file}", str(path))
        .replace("{dir}", str(path.parent))
        for line in lines
        if line.startswith("# expect: ")
    ]


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_session_reports_every_problem(path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load(path)
    got = sorted(str(p) for p in caught.value.problems)
    assert got == sorted(expected_messages(path))


def test_every_invalid_case_states_its_expectation() -> None:
    assert INVALID
    assert all(expected_messages(p) for p in INVALID)


WARN = sorted((DATA / "warn").glob("*.toml"))


@pytest.mark.parametrize("path", WARN, ids=[p.stem for p in WARN])
def test_keys_without_effect_are_warned_about(path: Path) -> None:
    warnings = load_session(path).warnings
    assert [str(w) for w in warnings] == expected_messages(path)


def test_group_settings_come_from_the_first_member(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[defaults]
rest = "40s"
group_transition = "5s"
lead_in = "7s"
[[exercise]]
name = "Push-Ups"
do = "2x8"
lead_in = "12s"
group = "A"
transition = "50s"
group_transition = "8s"
[[exercise]]
name = "Inverted Rows"
do = "2x8"
group = "A"
[[exercise]]
name = "Plank"
do = "2x20s"
group = "B"
[[exercise]]
name = "Russian Twists"
do = "2x10"
group = "B"
rest = "20s"
""",
    )
    session = load_session(path)
    first, second = session.items
    assert isinstance(first, Group) and isinstance(second, Group)
    assert (first.rest_ms, first.transition_ms, first.member_transition_ms) == (
        40_000,
        50_000,
        8_000,
    )
    assert (second.rest_ms, second.transition_ms, second.member_transition_ms) == (
        40_000,
        30_000,
        5_000,
    )
    assert session.lead_in_ms == 12_000
    (warning,) = session.warnings
    assert (warning.line, warning.key) == (25, "exercise[4].rest")


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("missing.toml", "no such file"),
        ("", "is a folder; expected a .toml file"),
    ],
)
def test_unreadable_paths(tmp_path: Path, name: str, problem: str) -> None:
    with pytest.raises(InputError) as caught:
        load(tmp_path / name)
    assert str(caught.value) == f"{tmp_path / name}: (file): {problem}"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_spec_example_session() -> None:
    session = load_session(DATA / "valid" / "spec-example.toml")
    rows, taps, side_plank, push_ups, carry = session.exercises
    assert (rows.sets, rows.reps, rows.per_side, rows.unit) == (3, 10, True, None)
    assert (taps.reps, taps.unit) == (20, "taps")
    assert (side_plank.kind, side_plank.time_ms, side_plank.per_side) == (
        WorkKind.TIME,
        30_000,
        True,
    )
    assert push_ups.cues == ("Elbows 45 to 60 degrees from your sides", "Brace your core")
    assert (carry.kind, carry.distance_m, carry.work_ms) == (WorkKind.DISTANCE, 40.0, 40_000)


def test_defaults_and_overrides(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[defaults]
rest = "1:30"
rep_time = 2
pace = "3.6km/h"
count_reps = true
[[exercise]]
name = "Push-Ups"
do = "3x10"
rest = "45s"
[[exercise]]
name = "Farmer's Carry"
distance = "0.04km"
sets = 2
""",
    )
    first, second = load_session(path).exercises
    assert first.timing.rest_ms == 45_000 and second.timing.rest_ms == 90_000
    assert first.timing.rep_time_ms == 2_000 and first.work_ms == 20_000
    assert second.timing.pace_m_per_s == pytest.approx(1.0) and second.work_ms == 40_000
    assert first.timing.count_reps and second.timing.count_reps


def test_library_cues_fill_in_and_unknown_names_warn(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[[exercise]]
name = "push ups"
do = "3x10"
[[exercise]]
name = "Pushup Plus Jump"
do = "3x10"
""",
    )
    session = load_session(path)
    known, custom = session.exercises
    assert known.cues and not custom.cues
    (warning,) = session.warnings
    assert warning.line == 6 and warning.key == "exercise[2].name"
    assert "Push-Up" in warning.message


def test_groups_become_supersets(tmp_path: Path) -> None:
    session = load_session(SESSIONS / "push-pull-supersets.toml")
    groups = [item for item in session.items if isinstance(item, Group)]
    assert len(groups) == 3
    assert all(len(g.members) == 2 and g.rounds == 3 for g in groups)


def test_sample_program_loads_both_days() -> None:
    program = load(SESSIONS / "week.toml")
    assert isinstance(program, Program)
    assert [s.path.name for s in program.sessions if s.path] == [
        "day1-upper-core.toml",
        "day2-full-body.toml",
    ]


@pytest.mark.parametrize("path", sorted(SESSIONS.glob("*.toml")), ids=lambda p: p.stem)
def test_sample_files_load_without_warnings(path: Path) -> None:
    loaded = load(path)
    sessions = loaded.sessions if isinstance(loaded, Program) else (loaded,)
    assert all(isinstance(s, Session) and not s.warnings for s in sessions)


# The guide's sample program, line by line: (name, sets, kind, amount, per side).
GUIDE_DAYS = {
    "day1-upper-core.toml": [
        ("Push-Ups", 3, WorkKind.REPS, 12, False),
        ("Dumbbell Rows", 3, WorkKind.REPS, 10, True),
        ("Shoulder Press with Rotation", 3, WorkKind.REPS, 10, True),
        ("Plank with Shoulder Tap", 3, WorkKind.REPS, 20, False),
        ("Russian Twists", 3, WorkKind.REPS, 20, False),
        ("Cat-Cow + Thread Needle Mobility", 2, WorkKind.REPS, 8, False),
    ],
    "day2-full-body.toml": [
        ("Goblet Squat", 3, WorkKind.REPS, 10, False),
        ("Bulgarian Split Squat", 3, WorkKind.REPS, 8, True),
        ("Farmer's Carry", 3, WorkKind.DISTANCE, 40, False),
        ("Side Plank", 3, WorkKind.TIME, 30_000, True),
        ("Loaded Suitcase Carry", 3, WorkKind.DISTANCE, 20, True),
        ("Downward Dog/Plank Flow", 2, WorkKind.REPS, 8, False),
    ],
}


@pytest.mark.parametrize("name", sorted(GUIDE_DAYS))
def test_sample_days_reproduce_the_guide(name: str) -> None:
    got = []
    for ex in load_session(SESSIONS / name).exercises:
        amount = {
            WorkKind.REPS: ex.reps,
            WorkKind.TIME: ex.time_ms,
            WorkKind.DISTANCE: ex.distance_m,
        }
        got.append((ex.name, ex.sets, ex.kind, amount[ex.kind], ex.per_side))
    assert got == GUIDE_DAYS[name]


def test_a_program_has_a_limit_on_exercises_in_all(tmp_path: Path) -> None:
    from cuecoach.parse import MAX_PROGRAM_EXERCISES, MAX_SESSION_EXERCISES

    day = tmp_path / "day.toml"
    day.write_text(
        '[[exercise]]\nname = "Plank"\ndo = "1x20s"\n' * MAX_SESSION_EXERCISES, encoding="utf-8"
    )
    count = MAX_PROGRAM_EXERCISES // MAX_SESSION_EXERCISES + 1
    program = tmp_path / "program.toml"
    program.write_text(f"sessions = {['day.toml'] * count}\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load(program)
    (problem,) = caught.value.problems
    assert problem.key == f"sessions[{count}]"
    assert problem.message.startswith(f"a program may hold at most {MAX_PROGRAM_EXERCISES}")
    program.write_text(f"sessions = {['day.toml'] * (count - 1)}\n", encoding="utf-8")
    assert isinstance(load(program), Program)


def test_tempo_load_as_many_as_you_can_and_time_calls(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[defaults]
tempo = "3-1-1"
time_calls = ["10s", "30s"]
cap = "45s"
[[exercise]]
name = "Goblet Squat"
do = "3x10"
load = ["10kg", "12 kg", "14KG"]
[[exercise]]
name = "Push-Ups"
sets = 2
reps = "max"
load = "bodyweight"
[[exercise]]
name = "Dumbbell Rows"
do = "3x8"
rep_time = "2s"
load = "RPE 8.5"
[[exercise]]
name = "Plank"
do = "2x30s"
load = "25lb"
tempo = "2-0.5-2-0.5"
""",
    )
    squat, push_ups, rows, plank = load_session(path).exercises
    assert squat.timing.tempo_ms == (3_000, 1_000, 1_000, 0) and squat.work_ms == 50_000
    assert squat.load == (Load(10, "kg"), Load(12, "kg"), Load(14, "kg"))
    assert squat.timing.time_calls_ms == (30_000, 10_000)
    assert push_ups.amrap and push_ups.reps is None and push_ups.work_ms == 45_000
    assert push_ups.load == (Load(None, "bodyweight"),) * 2
    assert rows.timing.tempo_ms is None and rows.work_ms == 16_000  # its rep_time wins
    assert rows.load == (Load(8.5, "rpe"),) * 3 and not rows.amrap
    assert plank.load == (Load(25, "lb"),) * 2
    assert plank.timing.tempo_ms == (2_000, 500, 2_000, 500)
    assert [w.key for w in load_session(path).warnings] == ["exercise[4].tempo"]


def test_setup_tips_from_the_library_and_the_session(tmp_path: Path) -> None:
    (tmp_path / "lib.toml").write_text(
        '[[exercise]]\nname = "Suitcase Carry"\ncues = ["Stand tall"]\n'
        'setup = ["A weight in one hand"]\n',
        encoding="utf-8",
    )
    path = write(
        tmp_path,
        """
[defaults]
library = "lib.toml"
[[exercise]]
name = "Suitcase Carry"
do = "2x20m"
[[exercise]]
name = "Suitcase Carry"
do = "2x20m"
setup = ["Kettlebell by your foot"]
""",
    )
    library_tips, own_tips = load_session(path).exercises
    assert library_tips.cues == ("Stand tall",)
    assert library_tips.tips_setup == ("A weight in one hand",)
    assert library_tips.cues_language == "en"
    assert (own_tips.cues, own_tips.tips_setup) == ((), ("Kettlebell by your foot",))
    assert own_tips.cues_language is None
