"""Speech settings: layering, validation, the user config file, voice resolution."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import UserDirs
from cuecoach.checker import COMMAND_LINE, Checker
from cuecoach.errors import InputError, SpeechError
from cuecoach.model import SpeechSettings
from cuecoach.speech import (
    config_path,
    default_engine_name,
    merge_speech,
    read_speech_config,
    resolve_speech,
    validate_speech,
)
from cuecoach.speech.engine import load_engine


def write_config(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults() -> None:
    merged = merge_speech()
    assert merged == SpeechSettings(
        engine=default_engine_name(), voice=None, rate=165, volume=1.0, language="en"
    )


def test_default_engine_is_piper_when_installed_with_an_english_voice() -> None:
    # The test extra installs the voice extra.
    assert default_engine_name() == "piper"


def test_a_language_without_a_piper_voice_falls_back_to_espeak_with_a_notice(
    capsys: pytest.CaptureFixture[str],
) -> None:
    resolved = resolve_speech(SpeechSettings(language="es"))
    assert (resolved.engine, resolved.voice) == ("espeak", "roa/es")
    [notice] = capsys.readouterr().err.splitlines()
    assert notice.startswith("notice: no piper voice speaks language 'es'")
    assert notice.endswith("speaking with espeak instead")


def test_english_gets_the_piper_voice_without_a_notice(capsys: pytest.CaptureFixture[str]) -> None:
    resolved = resolve_speech(SpeechSettings(language="en"))
    assert (resolved.engine, resolved.voice) == ("piper", "en_US-joe-medium")
    assert capsys.readouterr().err == ""


def test_an_unknown_table_in_the_config_is_named_with_the_closest(tmp_path: Path) -> None:
    path = write_config(tmp_path / "config.toml", "[speach]\nrate = 150\n")
    with pytest.raises(InputError) as caught:
        read_speech_config(path)
    [problem] = caught.value.problems
    assert (problem.line, problem.key) == (1, "speach")
    assert "did you mean [speech]?" in problem.message


def test_a_misspelt_voice_suggests_voices_by_name_and_language() -> None:
    with pytest.raises(SpeechError) as caught:
        resolve_speech(SpeechSettings(engine="espeak", voice="english-us"))
    message = str(caught.value)
    assert "'gmw/en-US' (English (America))" in message
    assert "Bengali" not in message and "Welsh" not in message


def test_higher_layers_win_key_by_key() -> None:
    config = SpeechSettings(rate=150, volume=0.8, language="es")
    session = SpeechSettings(rate=180, voice="roa/es")
    cli = SpeechSettings(rate=200)
    merged = merge_speech(config, session, cli)
    assert merged.rate == 200
    assert merged.voice == "roa/es"
    assert merged.volume == 0.8
    assert merged.language == "es"


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        (SpeechSettings(rate=500), "expected words per minute from 80 to 450, got 500"),
        (SpeechSettings(rate=79), "from 80 to 450, got 79"),
        (SpeechSettings(volume=1.5), "expected a volume from 0 to 1, got 1.5"),
        (SpeechSettings(engine="festival"), "expected one of espeak, pyttsx3, piper"),
        (SpeechSettings(language="english!"), "language code"),
    ],
)
def test_out_of_range_values_are_refused(layer: SpeechSettings, message: str) -> None:
    with pytest.raises(SpeechError, match=message):
        merge_speech(layer)


def test_every_problem_is_reported_at_once() -> None:
    check = Checker(COMMAND_LINE)
    validate_speech({"rate": 1000, "volume": -1, "pitch": 3}, check)
    assert [p.key for p in check.problems] == ["--rate", "--volume", "--pitch"]
    assert "unknown speech setting" in check.problems[2].message


def test_config_path_is_under_xdg_config_home(user_dirs: UserDirs) -> None:
    assert config_path() == user_dirs.config / "cuecoach" / "config.toml"


def test_missing_config_sets_nothing(tmp_path: Path) -> None:
    assert read_speech_config(tmp_path / "absent.toml") == SpeechSettings()


def test_config_file_is_read(tmp_path: Path) -> None:
    path = write_config(tmp_path / "c.toml", '[speech]\nrate = 190\nlanguage = "ES"\n')
    assert read_speech_config(path) == SpeechSettings(rate=190, language="es")


def test_config_errors_name_file_line_and_key(tmp_path: Path) -> None:
    path = write_config(
        tmp_path / "c.toml",
        '# my settings\n[speech]\nrate = 1000\nvolume = "loud"\nengine = "sam"\n',
    )
    with pytest.raises(InputError) as caught:
        read_speech_config(path)
    problems = caught.value.problems
    assert [(p.line, p.key) for p in problems] == [
        (3, "speech.rate"),
        (4, "speech.volume"),
        (5, "speech.engine"),
    ]
    assert all(p.file == str(path) for p in problems)
    assert f"{path}:3: speech.rate: expected words per minute from 80 to 450, got 1000" in str(
        caught.value
    )


def test_config_that_is_not_toml(tmp_path: Path) -> None:
    path = write_config(tmp_path / "c.toml", "[speech]\nrate = = 3\n")
    with pytest.raises(InputError, match="invalid TOML"):
        read_speech_config(path)


def test_resolve_reads_the_user_config_below_session_and_cli() -> None:
    write_config(config_path(), "[speech]\nrate = 150\nvolume = 0.5\n")
    resolved = resolve_speech(SpeechSettings(rate=170), SpeechSettings(volume=0.9))
    assert resolved.rate == 170
    assert resolved.volume == 0.9
    assert resolved.engine == "piper"


def test_resolve_picks_a_voice_for_the_language(tmp_path: Path) -> None:
    absent = tmp_path / "none.toml"
    assert resolve_speech(config=absent).voice == "en_US-joe-medium"
    spanish = resolve_speech(SpeechSettings(language="es"), config=absent)
    assert spanish.voice == "roa/es"
    assert spanish.language == "es"


def test_resolve_accepts_voice_names_and_ids(tmp_path: Path) -> None:
    absent = tmp_path / "none.toml"
    by_name = resolve_speech(SpeechSettings(voice="english (america)"), config=absent)
    by_id = resolve_speech(SpeechSettings(voice="gmw/en-US"), config=absent)
    assert by_name.voice == by_id.voice == "gmw/en-US"


def test_resolve_refuses_unknown_voice_with_close_matches(tmp_path: Path) -> None:
    with pytest.raises(
        SpeechError, match=r"unknown espeak voice 'Englsh \(America\)'.*\(English \(America\)\)"
    ):
        resolve_speech(SpeechSettings(voice="Englsh (America)"), config=tmp_path / "none.toml")


def test_resolve_refuses_a_language_without_wording(tmp_path: Path) -> None:
    with pytest.raises(SpeechError, match='speech language: no wording for language "xx"'):
        resolve_speech(SpeechSettings(language="xx"), config=tmp_path / "none.toml")


def test_find_voice_refuses_a_language_without_voices() -> None:
    engine = load_engine("espeak")
    with pytest.raises(SpeechError, match="no espeak voice speaks language 'xx'"):
        engine.find_voice(None, "xx")
