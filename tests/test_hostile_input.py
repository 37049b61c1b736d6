"""Hostile input, special files, clobbered outputs, terminal escapes and signals:
every case gets a clear answer (exit 2, 130 or 143) and nothing is lost or half written.

Through the CLI (CliRunner), or a real subprocess where a signal, a named pipe
or a terminal is part of the case.
"""

from __future__ import annotations

import io
import os
import pty
import select
import signal
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import DATA, SESSIONS, ctrl_c_as_a_terminal_gives_it
from cuecoach.cli import ProgressBar, cli
from cuecoach.errors import AudioError
from cuecoach.live.display import cue_text, describe
from cuecoach.outputs import make_folder, output_file, staged_outputs, write_text
from cuecoach.parse import load_session
from cuecoach.pipeline import script_session
from cuecoach.terminal import shown
from cuecoach.tomlfile import MAX_INPUT_BYTES

MINIMAL = DATA / "valid" / "minimal.toml"
SESSION = '[[exercise]]\nname = "Push-Ups"\nreps = 5\n'
# A plank held ten times a minute: long enough to interrupt while it renders.
LONG_SESSION = '[[exercise]]\nname = "Plank"\ndo = "10x60s"\n'


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner(env=env).invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def cuecoach(
    *args: str, cwd: Path | None = None, terminal: int | None = None
) -> subprocess.Popen[bytes]:
    """The real command in a process of its own (environment as the test set it),
    on the `terminal` given (a pty) or with its output piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "cuecoach", *args],
        stdin=subprocess.DEVNULL if terminal is None else terminal,
        stdout=subprocess.PIPE if terminal is None else terminal,
        stderr=subprocess.PIPE if terminal is None else terminal,
        cwd=cwd,
        preexec_fn=ctrl_c_as_a_terminal_gives_it,  # noqa: PLW1509
    )


def finished(process: subprocess.Popen[bytes], timeout: float = 60) -> tuple[int, str]:
    _, err = process.communicate(timeout=timeout)
    return process.returncode, err.decode()


def config_file() -> Path:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "cuecoach" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- Reading: nesting, long numbers, size, special files, missing quotes --------------


@pytest.mark.parametrize(
    ("text", "message"),
    [("x = " + "[" * 492 + "]" * 492 + "\n", ":1: x: arrays or tables nested more than 50 deep"),
     ("x = " + "{a = " * 328 + "1" + "}" * 328 + "\n", ":1: x: arrays or tables nested more than 50 deep"),
     ('[[exercise]]\nname = "Squat"\nreps = 1' + "0" * 4300 + "\n", ":3: exercise[1].reps: number too long (over 4300 digits)"),
     ("title = 1\n" + "a" + ".a" * 100_000 + " = 1\n", ":2: (file): a dotted key of more than 32 parts"),
     ('title = "x"\n[[exercise]]\nname', ":3: exercise[1]: invalid TOML: expected '=' after a key in a key/value pair")],
)  # fmt: skip
def test_pathological_toml_is_refused_with_its_line(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path / "s.toml", text)
    code, _, err = run("check", str(path))
    assert code == 2
    assert err == f"error: {path}{message}\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [("[speech]\nrate = 1" + "0" * 4300 + "\n", ":2: speech.rate: number too long (over 4300 digits)"),
     ("[speech]\nx = " + "[" * 492 + "]" * 492 + "\n", ":2: speech.x: arrays or tables nested more than 50 deep")],
)  # fmt: skip
def test_pathological_config_is_refused(text: str, message: str) -> None:
    config = write(config_file(), text)
    code, _, err = run("script", str(MINIMAL))
    assert code == 2
    assert err == f"error: {config}{message}\n"


def test_files_over_the_size_limit_are_refused_before_reading(tmp_path: Path) -> None:
    path = write(tmp_path / "big.toml", SESSION + "#" * MAX_INPUT_BYTES)
    code, _, err = run("check", str(path))
    assert code == 2
    assert f"error: {path}: (file): is too big ({path.stat().st_size:,} bytes; the limit" in err


@pytest.mark.parametrize(
    ("args", "where"),
    [(["check", "/dev/zero"], "/dev/zero"),
     (["check", str(MINIMAL), "--wording", "/dev/zero"], "/dev/zero"),
     (["check", str(MINIMAL), "--library", "/dev/zero"], "/dev/zero"),
     (["check", "{fifo}"], "{fifo}"),
     (["check", str(MINIMAL), "--wording", "{fifo}"], "{fifo}"),
     (["exercises", "--library", "{fifo}"], "{fifo}")],
)  # fmt: skip
def test_special_files_are_refused_at_once(tmp_path: Path, args: list[str], where: str) -> None:
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    names = {"fifo": str(fifo)}
    # A real process: a blocking open of the pipe would hang it, not fail it.
    code, err = finished(cuecoach(*(a.format(**names) for a in args)))
    kind = "a named pipe" if "fifo" in where else "a device"
    expected = f"{where.format(**names)}: (file): is {kind}, not a regular file"
    assert code == 2 and expected in err, err


def test_config_as_a_named_pipe_is_refused_at_once() -> None:
    os.mkfifo(config_file())
    code, err = finished(cuecoach("script", str(MINIMAL)))
    assert code == 2 and f"{config_file()}: (file): is a named pipe" in err


@pytest.mark.parametrize(
    ("line", "fix"),
    [('name = Goblet Squat', 'exercise[1].name: text needs quotes: name = "Goblet Squat"'),
     ("lead_in = 15s", 'exercise[1].lead_in: text needs quotes: lead_in = "15s"'),
     ('name = Mr "Big" Press', r'exercise[1].name: text needs quotes: name = "Mr \"Big\" Press"')],
)  # fmt: skip
def test_bare_text_asks_for_quotes_and_shows_the_fix(tmp_path: Path, line: str, fix: str) -> None:
    path = write(tmp_path / "s.toml", f'[[exercise]]\ndo = "3x10"\n{line}\n')
    code, _, err = run("check", str(path))
    assert code == 2
    assert err == f"error: {path}:3: {fix}\n"


# --- Outputs: refused before any work when they would destroy something --------------


@pytest.mark.parametrize(
    ("args", "message"),
    [(["-o", "{input}"], "--output: {input} would hold MP3 audio"),
     (["--cues", "{input}"], "--cues: {input} is an input of this run"),
     (["-o", "{link}"], "--output: {link} is an input of this run"),
     (["--cues", "{wording}"], "--cues: {wording} is an input of this run"),
     (["-o", "same.mp3", "--cues", "same.mp3"], "--cues: same.mp3 is also the --output output"),
     (["-o", "out.mp3", "--lrc", "--cues", "out.lrc"], "--lrc: out.lrc is also the --cues output"),
     (["-o", "{fifo}"], "--output: {fifo} is a named pipe; outputs must be regular files"),
     (["-o", "dev.mp3"], "--output: dev.mp3 is a device; outputs must be regular files"),
     (["-o", "out.ogg"], "--output: out.ogg would hold MP3 audio; name it .mp3 (or .wav"),
     (["-o", "out.wav", "--bitrate", "128"], "--bitrate: a WAV file is not compressed"),
     (["--cues", "missing/c.json"], "--cues: no folder missing to write c.json in")],
)  # fmt: skip
def test_outputs_that_would_destroy_something_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    wording = write(tmp_path / "w.toml", 'countdown = "{n}!"\n')
    session = write(tmp_path / "in.toml", f'[defaults]\nwording = "w.toml"\n{SESSION}')
    os.link(session, tmp_path / "link.mp3")
    os.mkfifo(tmp_path / "fifo.mp3")
    (tmp_path / "dev.mp3").symlink_to("/dev/null")
    names = {"input": str(session), "link": "link.mp3", "wording": str(wording), "fifo": "fifo.mp3"}
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    code, out, err = run("export", str(session), *(a.format(**names) for a in args))
    assert code == 2, out
    assert f"error: (command line): {message.format(**names)}" in err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*before, "fifo.mp3", "dev.mp3"])


def test_program_output_must_be_a_folder_name(tmp_path: Path) -> None:
    out = tmp_path / "weekly.mp3"
    code, _, err = run("export", str(SESSIONS / "week.toml"), "-o", str(out))
    assert code == 2
    assert f"--output: a program is written as a folder of MP3s; name a folder, not {out}" in err
    assert not out.exists()


def test_a_run_writes_all_its_files_or_none(tmp_path: Path) -> None:
    kept = write(tmp_path / "kept.txt", "the user's own file")

    def failing_run() -> None:
        with staged_outputs():
            make_folder(tmp_path / "new" / "deeper")
            write_text(tmp_path / "new" / "deeper" / "a.txt", "a")
            write_text(kept, "replaced")
            write_text(tmp_path / "missing" / "b.txt", "b")  # no such folder: the run fails

    with pytest.raises(AudioError):
        failing_run()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.txt"]
    assert kept.read_text(encoding="utf-8") == "the user's own file"
    with staged_outputs():
        make_folder(tmp_path / "new")
        write_text(tmp_path / "new" / "a.txt", "a")
        with output_file(kept) as file:
            file.write(b"replaced")
        assert not (tmp_path / "new" / "a.txt").exists()  # nothing appears before the end
    assert (tmp_path / "new" / "a.txt").read_text(encoding="utf-8") == "a"
    assert kept.read_text(encoding="utf-8") == "replaced"
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == ["a.txt"]  # no temporaries


# --- Signals --------------------------------------------------------------------------


def wait_for(condition: Callable[[], bool], process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while not condition():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupted_session_export_leaves_nothing(
    tmp_path: Path, signum: int, status: int
) -> None:
    session = write(tmp_path / "long.toml", LONG_SESSION)
    process = cuecoach("export", str(session), "--cues", "long.json", "--lrc", cwd=tmp_path)
    wait_for(lambda: any(p.suffix == ".part" for p in tmp_path.iterdir()), process)
    process.send_signal(signum)
    code, err = finished(process)
    assert code == status, err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.toml"]


@pytest.mark.parametrize(
    ("ending", "status"),
    [("raise SystemExit(130)", -signal.SIGINT), ("exit_interrupted()", 130)],
)
def test_a_ctrl_c_that_escaped_a_class_being_made_still_exits_130(
    tmp_path: Path, ending: str, status: int
) -> None:
    # The run's Ctrl-C lands while a dataclass is being made (its methods come
    # from an exec of a string), is handled, and the process exits: CPython 3.11
    # run with -m (as `python -m cuecoach`) then kills it with SIGINT unless
    # exit_interrupted clears its mark. This was the rare -2 of
    # test_interrupted_session_export_leaves_nothing.
    write(
        tmp_path / "interrupted.py",
        "import os, signal\n"
        "from cuecoach.outputs import exit_interrupted\n"
        "try:\n"
        "    exec('os.kill(os.getpid(), signal.SIGINT)\\nfor i in range(1000): pass\\n')\n"
        "except KeyboardInterrupt:\n"
        "    pass\n"
        f"{ending}\n",
    )
    done = subprocess.run(
        [sys.executable, "-m", "interrupted"],
        check=False,
        capture_output=True,
        cwd=tmp_path,
        preexec_fn=ctrl_c_as_a_terminal_gives_it,
    )
    assert (done.returncode, done.stderr) == (status, b"")


def test_interrupted_program_export_leaves_no_folder(tmp_path: Path) -> None:
    write(tmp_path / "a.toml", LONG_SESSION)
    write(tmp_path / "b.toml", LONG_SESSION)
    program = write(tmp_path / "week.toml", 'sessions = ["a.toml", "b.toml"]\n')
    out = tmp_path / "out" / "week"
    process = cuecoach("export", str(program), "-o", str(out), "--lrc")
    wait_for(lambda: out.exists() and any(out.iterdir()), process)
    process.send_signal(signal.SIGINT)
    code, err = finished(process)
    assert code == 130, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.toml", "b.toml", "week.toml"]


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_play_gives_the_terminal_back_on_a_signal(tmp_path: Path, signum: int, status: int) -> None:
    session = write(tmp_path / "long.toml", LONG_SESSION)
    leader, follower = pty.openpty()
    try:
        process = cuecoach("play", "--no-audio", str(session), terminal=follower)

        def keys_mode() -> bool:
            while select.select([leader], [], [], 0)[0]:
                os.read(leader, 4096)  # keep the display from filling the terminal
            return not termios.tcgetattr(follower)[3] & termios.ECHO

        wait_for(keys_mode, process)
        process.send_signal(signum)
        assert process.wait(timeout=60) == status
        assert termios.tcgetattr(follower)[3] & termios.ECHO  # echo is back
    finally:
        os.close(leader)
        os.close(follower)
    # The play is in the log, ended, with its sets, as after Ctrl-C (it had none).
    code, out, _ = run("log", "--csv")
    rows = out.splitlines()
    assert code == 0 and len(rows) == 1 + 10, rows
    assert all(row.split(",")[2] for row in rows[1:])  # ended_at


@pytest.mark.parametrize(("key", "status"), [("ctrl-c", 130), ("ctrl-d", 0)])
def test_leaving_the_amrap_question_keeps_the_workout(
    tmp_path: Path, key: str, status: int
) -> None:
    # Ctrl-C or Ctrl-D at "how many reps?" exited 1 ("Aborted!") with nothing logged.
    session = write(
        tmp_path / "amrap.toml",
        '[defaults]\nlead_in = "1s"\n[[exercise]]\nname = "Push-Ups"\ndo = "1xAMRAP"\ncap = "5s"\n',
    )
    leader, follower = pty.openpty()
    shown = b""
    try:
        process = cuecoach("play", "--no-audio", str(session), terminal=follower)

        def asked() -> bool:
            nonlocal shown
            while select.select([leader], [], [], 0)[0]:
                shown += os.read(leader, 4096)
            return b"how many reps?" in shown

        wait_for(asked, process)
        if key == "ctrl-c":
            process.send_signal(signal.SIGINT)
        else:
            os.write(leader, b"\x04")  # end of input, at the start of a line
        assert process.wait(timeout=60) == status
    finally:
        os.close(leader)
        os.close(follower)
    code, out, _ = run("log", "--csv")
    rows = out.splitlines()
    assert code == 0 and len(rows) == 2 and ",Push-Ups,1,done," in rows[1], rows


@pytest.mark.parametrize(
    "command", [["exercises"], ["wording"], ["script", str(SESSIONS / "day1-upper-core.toml")]]
)
def test_output_that_cannot_be_written_is_one_error_line(command: list[str]) -> None:
    # To /dev/full, every command that prints gave a traceback and exit 1.
    with open("/dev/full", "w", encoding="utf-8") as full:
        done = subprocess.run(
            [sys.executable, "-m", "cuecoach", *command],
            stdout=full, stderr=subprocess.PIPE, text=True, check=False,
        )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == "error: cannot write to stdout: No space left on device\n"


# --- What reaches the terminal ----------------------------------------------------------


def test_control_characters_from_files_are_shown_escaped(tmp_path: Path) -> None:
    path = write(
        tmp_path / "s.toml",
        'title = "Evil\\u001b]0;owned\\u0007"\n'
        '[[exercise]]\nname = "Clear\\u001b[2J Press"\nreps = 5\n',
    )
    for command in (["script", str(path)], ["check", str(path)]):
        code, out, err = run(*command)
        assert code == 0, err
        text = out + err
        assert "\x1b" not in text and "\x07" not in text
        assert "\\x1b[2J" in text  # the exercise's name, escaped (and warned about)
    assert shown("Evil\x1b]0;owned\x07\tend\n") == "Evil\\x1b]0;owned\\x07\tend\n"
    script = script_session(load_session(path)).script  # and the live display of `play`
    lines = [describe(s) for s in script.segments] + [cue_text(c) for c in script.cues]
    assert "\x1b" not in "".join(lines) and any("Clear\\x1b[2J Press" in line for line in lines)


def colour_of_error(env: dict[str, str]) -> bytes:
    """Stderr of a failing check run on a real terminal."""
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "cuecoach", "check", "/dev/zero"],
            stderr=follower,
            stdout=subprocess.DEVNULL,
            env={**os.environ, **env},
        )
        assert process.wait(timeout=60) == 2
        return os.read(leader, 4096)
    finally:
        os.close(leader)
        os.close(follower)


def test_errors_are_red_on_a_terminal_only() -> None:
    env = {k: "" for k in ("NO_COLOR",)}
    assert colour_of_error(env).startswith(b"\x1b[31m\x1b[1merror:\x1b[0m /dev/zero")
    assert colour_of_error({"NO_COLOR": "1"}).startswith(b"error: /dev/zero")
    _, _, err = run("check", "/dev/zero")  # not a terminal
    assert err.startswith("error: /dev/zero")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_bar_fits_estimates_and_finishes_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "50")
    clock = FakeClock()
    bar = ProgressBar("Rendering", enabled=True, clock=clock)
    bar(0, 100)
    clock.now = 2.0
    bar(1, 100)  # 1% in 2 s: 198 s to go
    clock.now = 10.0
    bar(100, 100)
    bar(100, 100)  # reported again by a later stage: no second final line
    frames = capsys.readouterr().err.split("\r")[1:]
    assert all(len(frame.rstrip("\n")) <= 49 for frame in frames)
    assert frames[1].startswith("Rendering [") and frames[1].rstrip().endswith("1%  3:18 left")
    assert frames[-1].rstrip().endswith("100%  took 0:10") and frames[-1].endswith("\n")
    assert len(frames) == 3


def test_check_reports_a_program_once_with_its_sessions() -> None:
    day1 = SESSIONS / "day1-upper-core.toml"
    code, out, _ = run("check", str(SESSIONS / "week.toml"), str(day1))
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 3 and sum(str(day1) in line for line in lines) == 1
    assert lines[-1].startswith(f"ok: {SESSIONS / 'week.toml'}: program Runner Strength")


def test_shown_leaves_ordinary_text_alone() -> None:
    text = "Día 1 – Sentadilla 3×10 · 30 s\tfin\n"
    assert shown(text) == text
    assert io.StringIO(shown("\x9b2J")).read() == "\\x9b2J"  # the one-byte CSI too
