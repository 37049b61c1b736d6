"""Plain-text import: the guide's own sample program gives the shipped sessions."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner

from conftest import ROOT, SESSIONS
from cuecoach.cli import cli
from cuecoach.library import builtin_library
from cuecoach.model import Exercise, Program
from cuecoach.notes import read_notes
from cuecoach.parse import load, load_session
from cuecoach.units import parse_do


def guide_section() -> str:
    """The guide's "Sample 2-Day Weekly Program" section, as a user would paste it."""
    return (ROOT / "tests" / "data" / "notes" / "guide-sample.txt").read_text("utf-8")


def what_is_done(exercise: Exercise) -> tuple[object, ...]:
    return (
        builtin_library().find(exercise.name),
        exercise.sets,
        exercise.kind,
        exercise.reps,
        exercise.time_ms,
        exercise.distance_m,
        exercise.per_side,
        exercise.unit,
    )


def test_the_guides_sample_program_imports_as_the_shipped_sessions(tmp_path: Path) -> None:
    notes = tmp_path / "guide.txt"
    notes.write_text(guide_section(), encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(notes), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    program = load(tmp_path / "out" / "guide-program.toml")
    assert isinstance(program, Program)
    assert program.title == "Sample 2-Day Weekly Program"
    shipped = [load_session(SESSIONS / n) for n in ("day1-upper-core.toml", "day2-full-body.toml")]
    for imported, expected in zip(program.sessions, shipped, strict=True):
        assert [what_is_done(e) for e in imported.exercises] == [
            what_is_done(e) for e in expected.exercises
        ]
        assert not imported.warnings  # every name found in the library


def test_separators_multipliers_and_unreadable_lines() -> None:
    text = "\n".join(
        [
            "Monday",
            "- Push-Ups: 3 x 12",
            "* Goblet Squat — 4X8",
            "1. Side Plank - 2×45s/side",
            "2) Rows – 3 sets of 10",
            "Plank 3x30s",
            "- Goblet Squat: 3 sets x 12 reps @ 16kg",
            "- Lunges - 3 sets of 10 each leg",
            "• Turkish Get-Up",
            "Plank - 3 rounds",
            "This is a long sentence that explains why strength training helps runners a lot.",
        ]
    )
    notes = read_notes(text, builtin_library())
    (session,) = notes.sessions
    assert session.title == "Monday"
    assert [(e.name, e.do) for e in session.exercises] == [
        ("Push-Ups", "3x12"),
        ("Goblet Squat", "4x8"),
        ("Side Plank", "2x45s/side"),
        ("Rows", "3x10"),
        ("Plank", "3x30s"),
        ("Goblet Squat", "3x12"),
        ("Lunges", "3x10/leg"),
    ]
    assert session.exercises[5].load == "16kg"
    assert session.exercises[3].closest  # not in the library: suggestions go with it
    assert [n for n, _, _ in notes.unread] == [9, 10, 11]


def test_a_heading_with_no_exercise_under_it_is_listed_not_dropped() -> None:
    # A line with no amount reads as a heading; one with nothing read under it
    # would otherwise vanish without a word.
    text = "\n".join(
        [
            "Base Block",  # 1: the first heading, with nothing under it, names the program
            "Monday",
            "Push-Ups - 3x12",
            "Tuesday",  # 4: nothing read under it
            "Squats 3 x 8-12",  # 5: not read
            "Wednesday",
            "Pull-ups, three sets of eight",  # 7: an amount in words is no heading
            "Plank - 3x30s",
            "Cool down",  # 9: last, with nothing under it
        ]
    )
    notes = read_notes(text, builtin_library())
    assert notes.title == "Base Block"
    assert [s.title for s in notes.sessions] == ["Monday", "Wednesday"]
    assert [(n, line) for n, line, _ in notes.unread] == [
        (4, "Tuesday"),
        (5, "Squats 3 x 8-12"),
        (7, "Pull-ups, three sets of eight"),
        (9, "Cool down"),
    ]
    no_exercise = notes.unread[0][2]
    assert [why == no_exercise for _, _, why in notes.unread] == [True, False, False, True]


def test_import_lists_unread_lines_and_writes_nothing_over_files(tmp_path: Path) -> None:
    notes = tmp_path / "n.txt"
    notes.write_text(
        "Day A\nSquat jumps - 3x10\n• Bear crawl\nGoblet Squat - 3x10 @ 12 kg\n", encoding="utf-8"
    )
    runner = CliRunner()
    first = runner.invoke(cli, ["import", str(notes), "-o", str(tmp_path)])
    assert first.exit_code == 0
    assert f"{notes}:3: not read" in first.output
    written = sorted(str(p) for p in tmp_path.glob("*.toml"))
    assert runner.invoke(cli, ["check", *written]).exit_code == 0
    assert 'load = "12kg"' in (tmp_path / "01-day-a.toml").read_text("utf-8")
    again = runner.invoke(cli, ["import", str(notes), "-o", str(tmp_path)])
    assert again.exit_code == 2
    assert "not overwriting" in again.output


def test_notes_in_many_styles_give_files_check_accepts(tmp_path: Path) -> None:
    """Found by probing: amounts out of range were written into files `check`
    refused, lines like "Squats 3 x 8-12" were taken for headings and their
    exercises dropped unlisted, "@ RPE 7" and "bodyweight" were not loads, and
    markdown marks stayed in titles; "10 push-ups" was taken for a heading."""
    text = (ROOT / "tests" / "data" / "notes" / "many-styles.txt").read_text("utf-8")
    notes = read_notes(text, builtin_library())
    assert [s.title for s in notes.sessions] == ["Monday", "Wednesday"]
    monday, wednesday = notes.sessions
    assert [(e.name, e.do, e.load) for e in monday.exercises] == [
        ("Push-Ups", "3x12", None),
        ("Bench press", "3x8", "60kg"),
        ("Romanian deadlift", "3x10", "RPE 7"),
        ("Calf raises", "3x15", "bodyweight"),
    ]
    assert [(e.name, e.do) for e in wednesday.exercises] == [("Wall sit", "3x45s")]
    assert [n for n, _, _ in notes.unread] == [6, 7, 10, 11, 12, 14, 15]
    result = CliRunner().invoke(
        cli,
        ["import", str(ROOT / "tests" / "data" / "notes" / "many-styles.txt"), "-o", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    written = sorted(str(p) for p in tmp_path.glob("*.toml"))
    assert CliRunner().invoke(cli, ["check", *written]).exit_code == 0


def test_amounts_in_brackets_and_sides_as_notes_write_them() -> None:
    """Found by probing: "(3x12)" was not read, "ea side" and "on each side"
    were taken for rep names, with no sides timed."""
    text = "Push-ups (3x12)\nDead bug 3x10 ea side\nRows 3x10 reps on each side\nPallof 3 x 10 ea"
    (session,) = read_notes(text, builtin_library()).sessions
    specs = [parse_do(e.do) for e in session.exercises]
    assert [(s.reps, s.per_side, s.unit) for s in specs] == [
        (12, False, None), (10, True, None), (10, True, None), (10, True, None)
    ]  # fmt: skip


def test_a_comment_after_the_amount_is_kept_and_a_rest_in_it_is_used(tmp_path: Path) -> None:
    """Found by probing: "Plank 3x30s (rest 30s)" or "Side Plank – 3×30s/side –
    focus on hips" were not read at all."""
    text = (
        "Day 1\nPlank 3x30s (rest 30s)\nRows 3x10 - rest 60s\n"
        "Side Plank – 3×30s/side – focus on hips\nCurls 3x10 (rest 10h)\n"
    )
    notes = read_notes(text, builtin_library())
    (session,) = notes.sessions
    assert [(e.do, e.rest, e.note) for e in session.exercises] == [
        ("3x30s", "30s", None), ("3x10", "60s", None), ("3x30s/side", None, "focus on hips")
    ]  # fmt: skip
    assert [n for n, _, _ in notes.unread] == [5]  # a rest out of range is not taken
    notes_file = tmp_path / "n.txt"
    notes_file.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert CliRunner().invoke(cli, ["import", str(notes_file), "-o", str(out)]).exit_code == 0
    day = load_session(out / "01-day-1.toml")
    assert [e.timing.rest_ms for e in day.exercises] == [30_000, 60_000, 60_000]
    assert "# focus on hips" in (out / "01-day-1.toml").read_text("utf-8")


def test_notes_are_read_as_other_inputs_are_regular_utf8_files_under_the_limit(
    tmp_path: Path,
) -> None:
    latin1, fifo = tmp_path / "latin1.txt", tmp_path / "pipe.txt"
    os.mkfifo(fifo)  # would block a plain read forever
    latin1.write_bytes("Day 1\nPush-Ups - 3x12\nPress \xe9 - 3x8\n".encode("latin-1"))
    cases = [
        (latin1, f"error: {latin1}:3: (file): not UTF-8 text (byte 0xe9)"),
        (Path("/dev/zero"), "error: /dev/zero: (file): is a device, not a regular file"),
        (fifo, f"error: {fifo}: (file): is a named pipe, not a regular file"),
    ]
    for path, message in cases:
        result = CliRunner().invoke(cli, ["import", str(path), "-o", str(tmp_path / "out")])
        assert result.exit_code == 2
        assert result.output.startswith(message)
        assert not (tmp_path / "out").exists()
