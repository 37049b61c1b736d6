"""Cue wording: defaults, user overrides, checks at load, plural agreement."""

from __future__ import annotations

import string
from pathlib import Path

import pytest

from cuecoach.errors import InputError
from cuecoach.wording import LANGUAGES, PLACEHOLDERS, load_wording, wording_text


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_every_key_and_only_known_placeholders(language: str) -> None:
    wording = load_wording(language)
    assert set(wording.templates) == set(PLACEHOLDERS)
    for key, template in wording.templates.items():
        names = {f[1] for f in string.Formatter().parse(template) if f[1]}
        assert names <= PLACEHOLDERS[key], key


@pytest.mark.parametrize(
    ("key", "values", "expected"),
    [("up_next", {"next": "Push-Ups", "sets": 1, "amount": "12 reps"}, "Up next: Push-Ups, 1 set."),
     ("up_next", {"next": "Push-Ups", "sets": 3, "amount": "12 reps"}, "Up next: Push-Ups, 3 sets."),
     ("load_kg", {"kg": 1}, "1 kilogram"),
     ("load_kg", {"kg": 12.5}, "12.5 kilograms"),
     ("amount_reps", {"reps": 1, "unit": "rep"}, "1 rep"),
     ("duration_seconds", {"seconds": 1}, "1 second"),
     ("duration_minutes", {"minutes": 2}, "2 minutes"),
     ("up_next_group", {"next": "A and B", "rounds": 1}, "Up next, 1 round of A and B.")],
)  # fmt: skip
def test_numbers_agree(key: str, values: dict[str, object], expected: str) -> None:
    assert load_wording().say(key, **values) == expected


@pytest.mark.parametrize(
    ("seconds", "spoken"),
    [(1, "1 second"), (45, "45 seconds"), (90, "90 seconds"), (120, "2 minutes"),
     (150, "2 minutes 30 seconds"), (3600, "1 hour"), (5400, "1 hour 30 minutes"), (2.5, "2.5 seconds"),
     (3630, "1 hour 30 seconds"), (3690, "1 hour 1 minute 30 seconds"), (7260, "2 hours 1 minute")],
)  # fmt: skip
def test_spoken_durations(seconds: float, spoken: str) -> None:
    assert load_wording().duration(seconds) == spoken


def test_lists_and_distances() -> None:
    w = load_wording()
    assert [w.join(["A"]), w.join(["A", "B"]), w.join(["A", "B", "C"])] == [
        "A",
        "A and B",
        "A, B and C",
    ]
    assert [
        w.distance(1),
        w.distance(40),
        w.distance(12.25),
        w.distance(1500),
        w.distance(1255),
    ] == [
        "1 metre",
        "40 metres",
        "12.25 metres",
        "1.5 kilometres",
        "1.255 kilometres",
    ]


def test_user_file_overrides_a_subset(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text('rest = "Breathe for {duration}."\n', encoding="utf-8")
    w = load_wording(user_file=path)
    assert w.say("rest", duration="60 seconds") == "Breathe for 60 seconds."
    assert w.say("switch_sides") == "Change sides."


def test_bad_user_file_reports_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text(
        'rest = "Rest {secs}."\n'
        'reset = "x"\n'
        'up_next = "Next {next:a|b}"\n'
        "halfway = 3\n"
        'finish = "Done {"\n'
        'set_next = "Set {set:one|two|three}"\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        load_wording(user_file=path)
    assert [str(p).removeprefix(f"{path}:") for p in caught.value.problems] == [
        "1: rest: unknown placeholder {secs}; this phrase can use: {duration}",
        '2: reset: unknown wording key; did you mean "rest"?',
        "3: up_next: {next:a|b}: only number placeholders take word forms, written like {sets:set|sets}",
        "4: halfway: expected a string",
        "5: finish: Single '{' encountered in format string (write {{ and }} for literal braces)",
        "6: set_next: {set:one|two|three}: write exactly two word forms, singular|plural, like {sets:set|sets}",
    ]


def test_missing_wording_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_wording(user_file=tmp_path / "nope.toml")


def test_unknown_language() -> None:
    with pytest.raises(InputError, match='no wording for language "xx"'):
        load_wording("xx")


def test_printed_defaults_load_back_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "copy.toml"
    path.write_text(wording_text("en"), encoding="utf-8")
    assert load_wording(user_file=path).templates == load_wording().templates


@pytest.mark.parametrize("blank", ['""', '"   "'])
def test_a_blank_phrase_is_refused_at_load(tmp_path: Path, blank: str) -> None:
    path = tmp_path / "w.toml"
    path.write_text(f"countdown = {blank}\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_wording(user_file=path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:1: countdown: is blank: every phrase must say something"
    ]


def test_a_word_form_without_its_plural_says_so(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text('set_first = "{exercise}: {sets:set}"\n', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_wording(user_file=path)
    [problem] = caught.value.problems
    assert problem.message == (
        "{sets:set}: the |plural part is missing; write both forms, like {sets:set|sets}"
    )


def test_pronounce_table_adds_to_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text(
        '[pronounce]\nDumbbell = "dumb bell"\nRDL = "Romanian deadlift"\n', encoding="utf-8"
    )
    wording = load_wording(user_file=path)
    assert wording.pronounce["Dumbbell"] == "dumb bell"
    assert wording.pronounce["RDL"] == "Romanian deadlift"


def test_pronounce_entries_must_be_text(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text("[pronounce]\nDumbbell = 3\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_wording(user_file=path)
    [problem] = caught.value.problems
    assert (problem.line, problem.key) == (2, "pronounce.Dumbbell")
