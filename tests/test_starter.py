"""`cuecoach init`: starters and the shipped samples, checked, never over a file."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SESSIONS
from cuecoach.cli import cli


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("args", "files"),
    [
        ([], ["my-session.toml"]),
        (["legs", "--program"], ["legs-day1.toml", "legs-day2.toml", "legs.toml"]),
        (["--sample", "week"], ["week.toml", "day1-upper-core.toml", "day2-full-body.toml"]),
    ],
)
def test_init_writes_files_that_check_accepts(
    args: list[str], files: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = invoke("init", *args)
    assert code == 0, out
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(files)
    code, out = invoke("check", *files)
    assert code == 0, out


def test_samples_are_the_shipped_sessions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert invoke("init", "--sample", "day1")[0] == 0
    written = (tmp_path / "day1-upper-core.toml").read_text("utf-8")
    assert written == (SESSIONS / "day1-upper-core.toml").read_text("utf-8")
    code, out = invoke("init", "--sample", "nope")
    assert code == 2 and '"nope" is no sample' in out
    # Found by probing: a name typed with capitals or ".toml" was no sample.
    assert invoke("init", "--sample", "Push-Pull.toml")[0] == 0
    assert (tmp_path / "push-pull-supersets.toml").exists()
    code, out = invoke("init", "--sample", "day")
    assert code == 2 and '"day" matches more than one sample' in out
    # A NAME or --program beside --sample was ignored without a word.
    for extra in (["legs"], ["--program"]):
        code, out = invoke("init", *extra, "--sample", "week")
        assert code == 2 and "--sample writes the sample's own files" in out
    assert not (tmp_path / "week.toml").exists() and not (tmp_path / "legs.toml").exists()


def test_init_refuses_to_overwrite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "legs-day2.toml").write_text("mine", encoding="utf-8")
    code, out = invoke("init", "legs", "--program")
    assert code == 2 and "not overwriting" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["legs-day2.toml"]  # nothing half-written
    assert (tmp_path / "legs-day2.toml").read_text("utf-8") == "mine"


@pytest.mark.parametrize("name", ["", "../escape", "a/b", ".hidden"])
def test_init_refuses_a_name_that_is_no_file_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Found by probing: "" wrote ".toml", "../x" wrote outside the folder."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["init", name])
    assert result.exit_code == 2
    assert "expected a NAME for a file in this folder" in result.output
    assert not list(tmp_path.parent.glob("escape.toml")) and not list(tmp_path.iterdir())


def test_init_names_with_quotes_and_toml_suffix_give_files_check_accepts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by probing: a quote in NAME wrote invalid TOML; "legs.toml" wrote legs.toml.toml."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["init", 'say "hi"']).exit_code == 0
    assert runner.invoke(cli, ["init", "legs.toml"]).exit_code == 0
    assert runner.invoke(cli, ["init", "--program", 'o\'neil "p"']).exit_code == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert "legs.toml" in written and 'say "hi".toml' in written
    assert runner.invoke(cli, ["check", *written]).exit_code == 0
