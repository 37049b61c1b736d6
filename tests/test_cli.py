"""The command line through click's CliRunner: output, errors and exit codes."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import DATA, SESSIONS
from cuecoach.cli import cli
from cuecoach.errors import InputError, Problem
from cuecoach.parse import load, load_session
from cuecoach.pipeline import script_session

DAY1 = str(SESSIONS / "day1-upper-core.toml")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and subcommand of `group`, as the words that call it."""
    paths = [prefix]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            paths += command_paths(command, (*prefix, name))
        else:
            paths.append((*prefix, name))
    return paths


@pytest.mark.parametrize("command", command_paths(cli), ids=" ".join)
def test_every_command_has_help(command: tuple[str, ...]) -> None:
    code, out, _ = run(*command, "--help")
    assert code == 0 and out.startswith("Usage: ")
    assert f"cli {' '.join(command)}".strip() in out.splitlines()[0]


def test_help_covers_the_commands_people_use() -> None:
    assert {("play",), ("export",), ("voices",), ("cache", "clear")} <= set(command_paths(cli))


@pytest.mark.parametrize(
    ("command", "default"),
    [("script", "training log"), ("play", "training log"),
     ("export", "every week of a program"), ("publish", "every week of a program"),
     ("serve", "every week of a program")],
)  # fmt: skip
def test_week_help_gives_each_commands_own_default(command: str, default: str) -> None:
    # publish said "Default: 1", then published every week of a program.
    _, out, _ = run(command, "--help")
    help_text = " ".join(out.split())
    assert default in help_text.partition("--week INTEGER RANGE")[2].partition(" --")[0]


def test_check_accepts_the_samples_and_the_program() -> None:
    code, out, err = run("check", *sorted(str(p) for p in SESSIONS.glob("*.toml")))
    assert code == 0, err
    assert out.count("ok: ") == 5  # four sessions (each once) plus the program
    assert err == ""


def test_check_reports_every_file_and_fails() -> None:
    bad = DATA / "invalid" / "absurd-values.toml"
    code, out, err = run("check", DAY1, str(bad), str(DATA / "invalid" / "groups.toml"))
    assert code == 2
    assert out.startswith("ok: ")
    lines = err.splitlines()
    assert len(lines) == 7 and all(line.startswith("error: ") for line in lines)
    assert (
        f"error: {bad}:10: exercise[1].sets: expected a whole number from 1 to 20, got 0" in lines
    )
    assert "Traceback" not in err


def test_check_warns_about_unknown_names_but_passes(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('[[exercise]]\nname = "Pushup Burpee"\ndo = "3x10"\n', encoding="utf-8")
    code, _, err = run("check", str(path))
    assert code == 0
    assert err.startswith(
        f'warning: {path}:2: exercise[1].name: "Pushup Burpee" is not in the exercise library'
    )


@pytest.mark.parametrize("fmt", ["table", "json", "srt", "vtt", "lrc"])
def test_script_formats(fmt: str) -> None:
    code, out, _ = run("script", DAY1, "--format", fmt)
    assert code == 0
    first_line = {
        "table": "Day 1 – Upper Body Strength + Core  —  27:18.0",
        "json": "{",
        "srt": "1",
        "vtt": "WEBVTT",
        "lrc": "[ti:Day 1 – Upper Body Strength + Core]",
    }[fmt]
    assert out.splitlines()[0].startswith(first_line)
    assert "Get ready. First up: Push-Ups." in out


def webvtt_cue_texts(vtt: str) -> list[str]:
    """Each cue's text as a WebVTT parser reads text without tags: a line holding
    "-->" starts the next cue, "<" opens a tag, and HTML character references count."""
    header, *blocks = vtt.removesuffix("\n").split("\n\n")
    assert header == "WEBVTT"
    texts = []
    for block in blocks:
        timing, *lines = block.split("\n")
        assert re.fullmatch(r"[\d:.]+ --> [\d:.]+", timing), timing
        assert not any("-->" in line or "<" in line for line in lines), lines
        texts.append(html.unescape("\n".join(lines)))
    return texts


def test_vtt_cue_text_reads_as_written(tmp_path: Path) -> None:
    session = tmp_path / "markup.toml"
    session.write_text(
        '[[exercise]]\nname = "Rows & Curls <fast>"\ndo = "1x2"\n'
        'cues = ["Keep hips < shoulders & breathe", "Arrow --> here"]\n',
        encoding="utf-8",
    )
    _, vtt, _ = run("script", str(session), "--format", "vtt")
    _, out, _ = run("script", str(session), "--format", "json")
    spoken = [c["text"] for c in json.loads(out)["cues"] if c["kind"] == "speech"]
    assert {"Keep hips < shoulders & breathe", "Arrow --> here"} <= set(spoken)
    assert any("Rows & Curls <fast>" in text for text in spoken)
    assert webvtt_cue_texts(vtt) == spoken


def test_script_json_is_the_contract() -> None:
    _, out, _ = run("script", DAY1, "-f", "json")
    data = json.loads(out)
    assert list(data) == ["title", "duration", "segments", "cues"]
    assert data["segments"][0] == {"start": 0.0, "end": 20.0, "kind": "lead_in", "exercise": "Push-Ups",
                                   "set": None, "sets": 3, "side": None}  # fmt: skip
    assert data["cues"][0] == {"at": 0.0, "duration": 2.49, "kind": "speech",
                               "text": "Get ready. First up: Push-Ups.", "exercise": "Push-Ups",
                               "set": None, "side": None, "role": "get_ready"}  # fmt: skip
    sound = next(c for c in data["cues"] if c["kind"] == "sound")
    assert sound == {"at": 20.0, "duration": 0.3, "kind": "sound", "sound": "start",
                     "exercise": "Push-Ups", "set": 1, "side": None, "role": "sound"}  # fmt: skip


def test_script_with_wording_override(tmp_path: Path) -> None:
    words = tmp_path / "w.toml"
    words.write_text('get_ready = "Let us begin with {exercise}."\n', encoding="utf-8")
    code, out, _ = run("script", DAY1, "--wording", str(words))
    assert code == 0 and "Let us begin with Push-Ups." in out


@pytest.mark.parametrize(
    ("args", "message"),
    [(["script", "nope.toml"], "error: nope.toml: (file): no such file"),
     (["script", str(SESSIONS / "week.toml")], "(file): is a program file; choose one of its sessions with --session"),
     (["script", DAY1, "--wording", "missing.toml"], "error: missing.toml: (file): no such file"),
     (["exercises", "pushp"], 'error: no exercise "pushp" in the library; did you mean: Push-Up'),
     (["wording", "--language", "xx"], 'no wording for language "xx"')],
)  # fmt: skip
def test_errors_exit_2_without_traceback(args: list[str], message: str) -> None:
    code, _, err = run(*args)
    assert code == 2
    assert message in err and "Traceback" not in err


def test_exercises_list_and_entry() -> None:
    code, out, _ = run("exercises")
    assert code == 0 and "Push-Up" in out and "core:" in out
    code, out, _ = run("exercises", "farmers carry")
    assert (
        code == 0 and out.startswith("Farmer's Carry\n") and "muscles: " in out and "cues:" in out
    )


def test_wording_prints_a_loadable_file(tmp_path: Path) -> None:
    code, out, _ = run("wording")
    assert code == 0 and 'get_ready = "Get ready. First up: {exercise}."' in out


def test_python_dash_m_runs_the_cli() -> None:
    done = subprocess.run([sys.executable, "-m", "cuecoach", "script", DAY1, "-f", "lrc"],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0 and done.stdout.startswith("[ti:Day 1")


def test_python_dash_m_bad_input_exits_2() -> None:
    bad = DATA / "invalid" / "not-utf8.toml"
    done = subprocess.run([sys.executable, "-m", "cuecoach", "check", str(bad)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == f"error: {bad}:3: (file): not UTF-8 text (byte 0xff)\n"


# ---- random bad input never escapes as anything but InputError ----------------

scalars = st.one_of(
    st.integers(-(10**9), 10**9), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
    st.sampled_from(["3x10", "3 × 10/side", "1m", "30s", "1:30", "x", "", "3x40m", "-1", "99999h"]),
    st.text(max_size=12),
)  # fmt: skip
keys = st.sampled_from(["name", "sets", "reps", "time", "distance", "do", "per_side", "unit", "cues",
                        "group", "rest", "pace", "count_reps", "lead_in", "switch_time", "bogus"])  # fmt: skip
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3), max_leaves=5)


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return repr(value)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.dictionaries(keys, values, max_size=6), min_size=0, max_size=3),
       st.dictionaries(st.sampled_from(["rest", "pace", "wording", "rate", "volume", "engine", "lead_in"]),
                       values, max_size=3),
       st.binary(max_size=20))  # fmt: skip
def test_random_input_only_raises_input_error(
    tmp_path: Path, exercises: list[dict[str, object]], defaults: dict[str, object], junk: bytes
) -> None:
    lines = ["[defaults]", *(f"{k} = {toml_value(v)}" for k, v in defaults.items())]
    for table in exercises:
        lines += ["[[exercise]]", *(f"{k} = {toml_value(v)}" for k, v in table.items())]
    path = tmp_path / "random.toml"
    path.write_bytes("\n".join(lines).encode() + (b"\n" + junk if junk[:1] == b"#" else b""))
    problems: tuple[Problem, ...] = ()
    try:
        load(path)
    except InputError as exc:
        problems = exc.problems
    assert all(p.file == str(path) for p in problems)


# ---- speech, cache, voices and live play ---------------------------------------


def test_script_measured_uses_real_clip_lengths() -> None:
    code, estimated, _ = run("script", DAY1, "-f", "json")
    code_m, measured, _ = run("script", DAY1, "-f", "json", "--measured")
    assert code == code_m == 0
    est = json.loads(estimated)["cues"][0]
    real = json.loads(measured)["cues"][0]
    assert est["text"] == real["text"] == "Get ready. First up: Push-Ups."
    assert est["duration"] == 2.49  # the estimate
    assert real["duration"] != est["duration"] and 1.5 < real["duration"] < 3.5  # espeak's clip


def test_script_measured_rate_flag_changes_lengths() -> None:
    _, slow, _ = run("script", DAY1, "-f", "json", "--measured", "--rate", "120")
    _, fast, _ = run("script", DAY1, "-f", "json", "--measured", "--rate", "300")
    assert json.loads(slow)["cues"][0]["duration"] > 1.5 * json.loads(fast)["cues"][0]["duration"]


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--rate", "5000"], "error: (command line): --rate: expected words per minute from 80 to 450, got 5000"),
     (["--volume", "2"], "error: (command line): --volume: expected a volume from 0 to 1, got 2"),
     (["--engine", "festival"], 'error: (command line): --engine: expected one of espeak, pyttsx3, piper, got "festival"'),
     (["--measured", "--voice", "Englsh"], "error: unknown piper voice 'Englsh'"),
     (["--voice", "Englsh"], "error: (command line): --voice: has no effect: nothing is spoken without --measured"),
     (["--sound", "start"], 'error: (command line): --sound: expected NAME=FILE, got "start"')],
)  # fmt: skip
def test_bad_speech_flags_exit_2(args: list[str], message: str) -> None:
    code, _, err = run("script", DAY1, *args)
    assert code == 2
    assert err.startswith(message)


def test_voices_lists_the_engine_and_filters_by_language() -> None:
    code, out, err = run("voices", "--language", "es")
    assert code == 0
    assert out.splitlines()[0].startswith("roa/es ")
    assert "  [default]" in out.splitlines()[0]
    notice, count, variants = err.splitlines()
    assert notice == (
        "notice: no piper voice speaks language 'es' (`cuecoach voices` lists them); "
        "speaking with espeak instead"
    )
    assert count == f"{len(out.splitlines())} espeak voices"
    assert variants.startswith("variants, added to any voice as VOICE+VARIANT (like gmw/en+m3): ")
    assert {"m3", "f2", "Annie"} <= set(variants.split(": ", 1)[1].split(", "))


def test_voices_marks_espeak_english_default_voice_with_its_variant() -> None:
    code, out, _ = run("voices", "--engine", "espeak", "--language", "en")
    assert code == 0
    marked = [line for line in out.splitlines() if "[default" in line]
    assert marked == ["gmw/en-US           English (America)  (en-us, en)  [default, +m8]"]


def test_a_voice_with_an_espeak_variant_speaks_and_a_bad_variant_is_refused() -> None:
    code, out, _ = run("script", DAY1, "--measured", "--engine", "espeak", "--voice", "en+f2")
    assert code == 0 and "Get ready" in out
    code, _, err = run("script", DAY1, "--measured", "--engine", "espeak", "--voice", "en+f22")
    assert code == 2
    assert "unknown espeak variant 'f22'; did you mean 'f2' (female2)" in err


def test_voices_lists_piper_first_with_its_default_marked() -> None:
    code, out, err = run("voices")
    assert code == 0
    assert out.splitlines()[0].startswith("en_US-joe-medium  joe (medium)  (en-us)  [default]")
    assert err == "1 piper voice\n"


def test_voices_refuses_an_unknown_engine() -> None:
    code, _, err = run("voices", "--engine", "festival")
    assert (code, err) == (
        2,
        "error: unknown speech engine 'festival'; expected one of espeak, pyttsx3, piper\n",
    )


def test_cache_info_and_clear() -> None:
    run("script", DAY1, "--measured")
    code, out, _ = run("cache", "info")
    entries = int(out.splitlines()[1].split()[1])
    assert code == 0 and entries > 40
    assert run("cache", "clear")[1] == f"removed {entries} cached phrases\n"
    assert run("cache", "info")[1].splitlines()[1] == "entries:  0"


def test_play_without_audio_prints_cues_in_order(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from cuecoach.live import VirtualClock, player

    monkeypatch.setattr(player, "RealClock", VirtualClock)  # a whole session in no time
    path = tmp_path / "s.toml"
    path.write_text(
        '[defaults]\nlead_in = "15s"\n[[exercise]]\nname = "Push-Ups"\ndo = "2x3"\nrest = "20s"\n',
        encoding="utf-8",
    )
    code, out, _ = run("play", str(path), "--no-audio")
    assert code == 0
    said = [line.split('"')[1] for line in out.splitlines() if '"' in line]
    expected = [c.text for c in script_session(load_session(path)).script.cues if c.text]
    assert said == expected
    assert said[:2] == [
        "Get ready. First up: Push-Ups.",
        "Elbows 45 to 60 degrees from your sides.",
    ]
    assert said[-1] == "Workout complete. Great work."


def test_spanish_end_to_end_picks_wording_and_voice() -> None:
    from cuecoach.pipeline import hear_session

    prepared = hear_session(load_session(DATA / "valid" / "spanish.toml"))
    assert prepared.language == "es"
    assert prepared.speaker.settings.voice == "roa/es"
    assert prepared.speaker.settings.language == "es"
    first = prepared.script.cues[0]
    assert first.text == "Prepárate. Empezamos con Push-Ups."
    assert first.duration_ms == round(prepared.speaker.clip(first.text).duration * 1000)


# ---- export -----------------------------------------------------------------------

SHORT = """title = "Short"
[defaults]
lead_in = "12s"
rest = "20s"
[[exercise]]
name = "Push-Ups"
do = "2x3"
[[exercise]]
name = "Side Plank"
do = "1x20s"
"""


def short_session(folder: Path, name: str = "short.toml") -> Path:
    path = folder / name
    path.write_text(SHORT, encoding="utf-8")
    return path


def decoded_seconds(path: Path) -> float:
    import miniaudio

    info = miniaudio.mp3_get_file_info(str(path))
    return float(info.duration)


def test_export_into_a_folder_names_the_file_after_the_session(tmp_path: Path) -> None:
    # "-o exports/" was refused: "would hold MP3 audio; name it .mp3".
    session = short_session(tmp_path)
    (tmp_path / "exports").mkdir()
    code, out, err = run("export", str(session), "-o", str(tmp_path / "exports"), "--lrc", "-q")
    assert code == 0, err
    written = tmp_path / "exports" / "short.mp3"
    assert out.splitlines() == [f"wrote {written}", f"wrote {written.with_suffix('.lrc')}"]
    assert decoded_seconds(written) > 0


def test_export_writes_mp3_with_its_script_and_lyrics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mutagen.id3

    id3: Any = mutagen.id3  # unannotated library
    session = short_session(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, out, err = run("export", str(session), "--cues", "short.json", "--lrc")
    assert code == 0, err
    assert out.splitlines() == ["wrote short.mp3", "wrote short.json", "wrote short.lrc"]
    rendered = json.loads((tmp_path / "short.json").read_text(encoding="utf-8"))
    assert decoded_seconds(tmp_path / "short.mp3") == pytest.approx(rendered["duration"], abs=0.1)
    estimated = json.loads(run("script", str(session), "-f", "json")[1])

    def required(script: dict[str, Any]) -> list[object]:
        return [
            c.get("text") for c in script["cues"] if c["role"] in ("set", "countdown", "finish")
        ]

    assert required(rendered) == required(estimated)  # never dropped, whatever the clip lengths
    assert (
        rendered["cues"][0]["duration"] != estimated["cues"][0]["duration"]
    )  # measured, not estimated
    tag = id3.ID3(tmp_path / "short.mp3")
    assert [str(tag[k]) for k in ("TIT2", "TALB", "TPE1", "TRCK")] == [
        "Short",
        "Short",
        "cuecoach",
        "1/1",
    ]
    assert [c.sub_frames["TIT2"].text[0] for c in tag.getall("CHAP")] == ["Push-Ups", "Side Plank"]
    assert (tmp_path / "short.lrc").read_text(encoding="utf-8") == tag.getall("USLT")[0].text
    assert tag.getall("USLT")[0].lang == "eng"


def test_export_tags_lyrics_in_the_language_spoken(tmp_path: Path) -> None:
    import mutagen.id3

    id3: Any = mutagen.id3  # unannotated library
    session = tmp_path / "corto.toml"
    session.write_text('[[exercise]]\nname = "Plank"\ndo = "1x5s"\n', encoding="utf-8")
    out = tmp_path / "corto.mp3"
    code, _, err = run("export", str(session), "--language", "es", "-o", str(out))
    assert code == 0, err
    (lyrics,) = id3.ID3(out).getall("USLT")
    assert lyrics.lang == "spa"
    assert "Prepárate" in lyrics.text


def test_every_wording_language_has_an_id3_code() -> None:
    from cuecoach.export.run import ID3_LANGUAGES
    from cuecoach.wording import LANGUAGES

    assert sorted(ID3_LANGUAGES) == sorted(LANGUAGES)


def test_export_program_writes_numbered_tracks_and_playlist(tmp_path: Path) -> None:
    short_session(tmp_path, "a.toml")
    short_session(tmp_path, "b.toml")
    program = tmp_path / "week.toml"
    program.write_text('title = "Week"\nsessions = ["a.toml", "b.toml"]\n', encoding="utf-8")
    code, out, _ = run("export", str(program), "-o", str(tmp_path / "out"), "-q")
    assert code == 0
    assert out.splitlines()[-1] == f"wrote {tmp_path / 'out' / 'Week.m3u8'}"
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["01 Short.mp3", "02 Short.mp3", "Week.m3u8"]
    playlist = (tmp_path / "out" / "Week.m3u8").read_text(encoding="utf-8").splitlines()
    assert (
        playlist[0] == "#EXTM3U" and playlist[3] == "01 Short.mp3" and playlist[5] == "02 Short.mp3"
    )


def test_export_wav_by_extension(tmp_path: Path) -> None:
    import wave

    code, _, _ = run("export", str(short_session(tmp_path)), "-o", str(tmp_path / "s.wav"), "-q")
    assert code == 0
    with wave.open(str(tmp_path / "s.wav")) as wav:
        assert wav.getframerate() == 44100


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--music", "missing.mp3"], "error: (command line): --music: no such file missing.mp3"),
     (["--sound", "beep=x.wav"], "beep"),
     (["--bitrate", "65"], "bitrate 65 kbps is not one of"),
     (["--rate", "9"], "--rate: expected words per minute from 80 to 450, got 9")],
)  # fmt: skip
def test_failed_export_leaves_the_existing_file_untouched(
    tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "keep.mp3"
    out.write_bytes(b"the user's own file")
    code, _, err = run("export", str(short_session(tmp_path)), "-o", str(out), *args)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert out.read_bytes() == b"the user's own file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.mp3", "short.toml"]


def test_export_program_refuses_cues_file(tmp_path: Path) -> None:
    code, _, err = run("export", str(SESSIONS / "week.toml"), "--cues", str(tmp_path / "x.json"))
    assert code == 2 and "--cues: takes a session file, not a program" in err


def test_readme_lists_every_command() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Commands") :]
    for name, command in cli.commands.items():
        assert f"`cuecoach {name}" in table, name
        sub = getattr(command, "commands", {})
        assert all(f"{sub_name}`" in table for sub_name in sub), name


def test_check_refuses_what_script_refuses(tmp_path: Path) -> None:
    path = tmp_path / "de.toml"
    path.write_text(
        '[defaults]\nlanguage = "de"\n[[exercise]]\nname = "Push-Ups"\ndo = "1x5"\n',
        encoding="utf-8",
    )
    message = (
        f'error: {path}:2: defaults.language: no wording for language "de"; available: en, es\n'
    )
    assert run("script", str(path))[::2] == (2, message)
    assert run("check", str(path))[::2] == (2, message)


@pytest.mark.parametrize("command", ["check", "script"])
def test_check_and_script_load_only_what_they_use(command: str) -> None:
    """Start-up speed (scripts/bench_core.py prints the figures): without --measured
    and without progression rules, no rule, speech engine, audio or export code loads."""
    session = str(SESSIONS / "push-pull-supersets.toml")
    code = (
        "import sys\nfrom cuecoach.cli import cli\n"
        f"try:\n    cli.main([{command!r}, {session!r}])\n"
        "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "print(*sorted(sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(done.stdout.splitlines()[-1].split())
    assert "cuecoach.compile" in loaded  # the command ran
    unwanted = {"numpy", "cuecoach.progression", "cuecoach.trainlog", "cuecoach.audio"}
    unwanted.add("platformdirs")  # the user's folders come from cuecoach.userdirs on Linux
    unwanted |= {f"cuecoach.{part}" for part in ("export", "live", "publish", "speech.speaker")}
    assert not loaded & unwanted


@pytest.mark.parametrize(
    ("argv", "collector"),
    [
        (["check", DAY1], False),
        (["script", DAY1], False),
        (["plan", DAY1], False),
        (["play", DAY1], True),
        (["export", DAY1], True),
        (["publish", DAY1, "-o", "site"], True),
        (["serve", DAY1], True),
    ],
)
def test_the_cycle_collector_runs_only_in_the_lasting_commands(
    argv: list[str], collector: bool
) -> None:
    # The console script's own entry point, with the command's body replaced by a
    # report of whether the collector is on while it runs.
    code = (
        "import gc, sys\n"
        "from cuecoach.__main__ import main\n"
        "from cuecoach.cli import cli\n"
        "cli.commands[sys.argv[1]].callback = lambda **_: print(gc.isenabled())\n"
        "sys.argv[0] = 'cuecoach'\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == [str(collector)]


WEEK = str(SESSIONS / "week.toml")


def test_a_programs_session_is_scripted_in_the_programs_weeks() -> None:
    # week.toml deloads every 4th week: half the sets, said at the start.
    code, deload, _ = run("script", WEEK, "--session", "2", "--week", "4")
    assert code == 0
    assert "Deload week. Get ready. First up: Goblet Squat." in deload
    assert "Goblet Squat. Set 1 of 2, 13 reps at RPE 6." in deload
    code, week3, _ = run("script", WEEK, "--session", "2", "--week", "3")
    assert code == 0
    assert "Week 3. Get ready. First up: Goblet Squat." in week3
    assert "Goblet Squat. Set 1 of 3, 12 reps at RPE 6." in week3
    # The session file alone knows nothing of the program's deload.
    code, alone, _ = run("script", str(SESSIONS / "day2-full-body.toml"), "--week", "4")
    assert "Deload" not in alone and "Set 1 of 3, 13 reps" in alone


def test_a_programs_session_is_played_in_its_deload_week(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cuecoach.live import VirtualClock, player

    monkeypatch.setattr(player, "RealClock", VirtualClock)
    code, out, _ = run("play", WEEK, "--session", "1", "--week", "4", "--no-audio")
    assert code == 0
    assert '"Deload week. Get ready. First up: Push-Ups."' in out
    assert '"Workout complete. Great work."' in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([WEEK], f"error: {WEEK}: (file): is a program file; choose one of its sessions with "
                 "--session (1: Day 1 – Upper Body Strength + Core; 2: Day 2 – Full Body "
                 "Integration)"),
        ([WEEK, "--session", "3"], f"error: (command line): --session: {WEEK} has 2 sessions"),
        ([DAY1, "--session", "1"], f"error: (command line): --session: {DAY1} is a session, "
                                   "not a program"),
        ([WEEK, "--session", "0"], "Invalid value for '--session'"),
    ],
)  # fmt: skip
def test_session_is_needed_with_a_program_and_refused_without(
    args: list[str], message: str
) -> None:
    for command in ("script", "play"):
        code, _, err = run(command, *args, *(["--no-audio"] if command == "play" else []))
        assert code == 2
        assert message in err
