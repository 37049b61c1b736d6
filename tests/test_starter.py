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
    assert code == 2 and 'no single sample "nope"' in out


def test_init_refuses_to_overwrite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "legs-day2.toml").write_text("mine", encoding="utf-8")
    code, out = invoke("init", "legs", "--program")
    assert code == 2 and "not overwriting" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["legs-day2.toml"]  # nothing half-written
    assert (tmp_path / "legs-day2.toml").read_text("utf-8") == "mine"
