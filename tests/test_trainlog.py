"""The training log: migrations, plays written and read back, and a kill mid-write."""

from __future__ import annotations

import io
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SESSIONS
from cuecoach.cli import cli
from cuecoach.cuescript import SegmentKind
from cuecoach.live import LineDisplay
from cuecoach.parse import load_session
from cuecoach.pipeline import script_session
from cuecoach.progression import session_at_week
from cuecoach.trainlog import (
    MIGRATIONS,
    SCHEMA_VERSION,
    SetOutcome,
    TrainingLog,
    next_week,
    set_outcomes,
    with_amrap_counts,
)
from test_live import ScriptedKeys

SETS_PER_PLAY = 40

# A child that logs plays as fast as it can until it is killed.
WRITER = f"""
import sys
from pathlib import Path
from cuecoach.model import Exercise, Session, WorkKind
from cuecoach.trainlog import SetOutcome, TrainingLog

log = TrainingLog(Path(sys.argv[1]))
session = Session("Killed", (Exercise("Push-Ups", 3, WorkKind.REPS, reps=10),), week=2)
sets = [SetOutcome("Push-Ups", n, "done") for n in range(1, {SETS_PER_PLAY} + 1)]
first = True
while True:
    log.finish(log.start(session), sets, paused_ms=0)
    if first:
        print("writing", flush=True)
        first = False
"""


def test_a_log_killed_mid_write_keeps_every_whole_play(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    with subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
    ) as child:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "writing"
        time.sleep(0.3)
        child.send_signal(signal.SIGKILL)
        child.wait()

    log = TrainingLog(path)
    assert log.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    plays = log.recent()
    assert len(plays) > 1
    for play in plays:
        # A finished play has all its sets; the one killed before finishing has none.
        assert play.sets_total == (SETS_PER_PLAY if play.ended_at else 0)
    assert sum(1 for p in plays if p.ended_at is None) <= 1
    log.close()


def test_an_empty_and_a_previous_version_database_are_migrated(tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite3"
    sqlite3.connect(empty).close()
    log = TrainingLog(empty)
    assert log.conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    log.close()

    old = tmp_path / "v1.sqlite3"
    conn = sqlite3.connect(old)
    conn.executescript(MIGRATIONS[0] + "PRAGMA user_version = 1;")
    conn.execute(
        "INSERT INTO plays (started_at, session, title, week, completed) "
        "VALUES ('2026-01-05T07:00:00+00:00', '/s/day1.toml', 'Day 1', 3, 1)"
    )
    conn.commit()
    conn.close()
    log = TrainingLog(old)
    (play,) = log.recent()
    assert (play.title, play.week, play.completed, play.sets_total) == ("Day 1", 3, True, 0)
    assert "Day 1" in log.csv_text()
    log.close()


def test_if_completed_rules_move_on_only_after_a_completed_week(tmp_path: Path) -> None:
    session = load_session(SESSIONS / "day1-upper-core.toml")
    log = TrainingLog(tmp_path / "log.sqlite3")
    assert next_week(session, log) == 1
    week1 = session_at_week(session, 1)
    sets = [SetOutcome(e.name, n, "done") for e in week1.exercises for n in range(1, e.sets + 1)]
    log.finish(log.start(week1), sets, paused_ms=None)
    assert next_week(session, log) == 2
    week2 = session_at_week(session, 2)
    log.finish(log.start(week2), [*sets[:-1], SetOutcome(sets[-1].exercise, 2, "skipped")], None)
    assert next_week(session, log) == 2
    log.close()


def test_play_records_the_session_and_log_lists_and_exports_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cuecoach.live import VirtualClock, player

    monkeypatch.setattr(player, "RealClock", VirtualClock)  # a whole session in no time
    runner = CliRunner()
    session = SESSIONS / "day1-upper-core.toml"
    played = runner.invoke(cli, ["play", str(session), "--no-audio", "--week", "2"])
    assert played.exit_code == 0, played.output
    listed = runner.invoke(cli, ["log"])
    assert "Day 1 – Upper Body Strength + Core  week 2  17/17 sets  completed" in listed.output
    exported = runner.invoke(cli, ["log", "--csv"])
    rows = exported.output.splitlines()
    assert rows[0].startswith("play,started_at,ended_at,session,title,week,completed")
    assert len(rows) == 1 + 17
    assert all(",done," in row for row in rows[1:])


def test_an_exercise_that_comes_twice_is_logged_set_by_set(tmp_path: Path) -> None:
    # Its second block was logged over the first: 3 of 5 sets, and a quit in
    # the second block marked the first block's finished set "ended early".
    from cuecoach.live import TextOutput, VirtualClock, play
    from cuecoach.pipeline import script_session

    path = tmp_path / "dup.toml"
    block = '[[exercise]]\nname = "Push-Ups"\ndo = "2x3"\n'
    path.write_text(
        f'[defaults]\nrest = "3s"\ntransition = "3s"\nlead_in = "3s"\n{block}'
        f'[[exercise]]\nname = "Goblet Squat"\ndo = "1x3"\n{block}',
        encoding="utf-8",
    )
    script = script_session(load_session(path)).script
    works = [s for s in script.segments if s.kind is SegmentKind.WORK]
    quit_at = works[3].start_ms / 1000 + 1  # inside the second block's first set

    def outcomes(presses: list[tuple[float, str]]) -> list[tuple[str, int, str]]:
        clock = VirtualClock()
        result = play(
            script, {}, {}, TextOutput(), clock=clock, keys=ScriptedKeys(clock, presses),
            display=LineDisplay(io.StringIO()),
        )  # fmt: skip
        return [(s.exercise, s.set_number, s.outcome) for s in set_outcomes(script, result)]

    assert outcomes([]) == [("Push-Ups", 1, "done"), ("Push-Ups", 2, "done"),
                            ("Goblet Squat", 1, "done"), ("Push-Ups", 3, "done"),
                            ("Push-Ups", 4, "done")]  # fmt: skip
    assert [o for *_, o in outcomes([(quit_at, "q")])] == [
        "done",
        "done",
        "done",
        "ended early",
        "skipped",
    ]


def test_carrying_on_with_from_completes_a_stopped_play(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The sets before --from were logged skipped: carrying on as play advises
    # never completed the week, so an "if completed" rule never moved on.
    from cuecoach.live import VirtualClock, player

    monkeypatch.setattr(player, "RealClock", VirtualClock)
    path = tmp_path / "s.toml"
    path.write_text(
        '[defaults]\nlead_in = "10s"\n[[exercise]]\nname = "Push-Ups"\ndo = "3x5"\n'
        'rest = "20s"\nprogress = "+1 rep per week if completed"\n',
        encoding="utf-8",
    )
    session = session_at_week(load_session(path), 1)
    log = TrainingLog()
    stopped = [SetOutcome("Push-Ups", 1, "done"), SetOutcome("Push-Ups", 2, "ended early"),
               SetOutcome("Push-Ups", 3, "skipped")]  # fmt: skip
    log.finish(log.start(session), stopped, paused_ms=0)
    log.close()
    script = script_session(session).script
    set_2 = [s for s in script.segments if s.kind is SegmentKind.WORK][1]
    at = f"{set_2.start_ms // 60000}:{set_2.start_ms // 1000 % 60:02d}"
    played = CliRunner().invoke(cli, ["play", str(path), "--no-audio", "--week", "1", "--from", at])
    assert played.exit_code == 0, played.output
    rows = CliRunner().invoke(cli, ["log", "--csv"]).output.splitlines()
    assert [r.split(",")[-2] for r in rows[-3:]] == ["done", "done", "done"], rows
    assert next_week(session) == 2


def test_amrap_counts_typed_at_the_end_are_logged(tmp_path: Path) -> None:
    session = load_session(SESSIONS / "day1-upper-core.toml")
    sets = [SetOutcome("Push-Ups", n, "done") for n in (1, 2, 3)]
    sets.append(SetOutcome("Russian Twists", 1, "done"))
    answers = iter(["14", "", "lots"])
    asked: list[str] = []

    def ask(question: str) -> str:
        asked.append(question)
        return next(answers)

    counted = with_amrap_counts(sets, ["Push-Ups"], ask)
    assert asked[0] == "Push-Ups, set 1: how many reps? (Enter to skip)"
    assert [s.amrap_count for s in counted] == [14, None, None, None]
    log = TrainingLog(tmp_path / "log.sqlite3")
    log.finish(log.start(session), counted, paused_ms=None)
    assert ",Push-Ups,1,done,14" in log.csv_text()
    log.close()


@pytest.mark.parametrize(
    ("presses", "outcomes"),
    [
        ([], ["done", "done", "done"]),
        ([(15.0, "\n")], ["ended early", "done", "done"]),  # Enter: done with the set early
        ([(15.0, "n")], ["skipped", "done", "done"]),
        ([(30.0, "n"), (30.5, "n")], ["done", "skipped", "done"]),
        ([(50.0, "q")], ["done", "ended early", "skipped"]),  # quit inside set 2
    ],
)
def test_set_outcomes_follow_the_keys_pressed(
    presses: list[tuple[float, str]], outcomes: list[str], tmp_path: Path
) -> None:
    from cuecoach.live import TextOutput, VirtualClock, play
    from cuecoach.pipeline import script_session

    path = tmp_path / "s.toml"
    path.write_text(
        '[defaults]\nlead_in = "10s"\n[[exercise]]\nname = "Push-Ups"\ndo = "3x5"\nrest = "20s"\n',
        encoding="utf-8",
    )
    script = script_session(load_session(path)).script
    clock = VirtualClock()
    result = play(
        script, {}, {}, TextOutput(), clock=clock, keys=ScriptedKeys(clock, presses),
        display=LineDisplay(io.StringIO()),
    )  # fmt: skip
    assert [s.outcome for s in set_outcomes(script, result)] == outcomes


def test_a_log_that_cannot_be_written_never_stops_a_workout(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from cuecoach.live import VirtualClock, player

    monkeypatch.setattr(player, "RealClock", VirtualClock)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker))
    session = tmp_path / "s.toml"
    session.write_text('[[exercise]]\nname = "Plank"\ndo = "1x5s"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["play", str(session), "--no-audio"])
    assert result.exit_code == 0
    assert "warning: this session is not logged: cannot open the training log" in result.stderr
