"""Tests of the exercise library: built-in data, name matching, user library files."""

from __future__ import annotations

import re
import textwrap
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from cuecoach.errors import InputError, Problem
from cuecoach.library import (
    CATEGORIES,
    ExerciseInfo,
    Library,
    builtin_library,
    load_library,
    normalise_name,
    read_complete_library,
)

BUILTIN = builtin_library().entries

# Cues are read aloud: letters, digits and plain punctuation only, so no voice
# stumbles over a degree sign, a dash or a slash.
SPEAKABLE = re.compile(r"[A-Za-z0-9 ,.'!?-]+")


def _ids(entry: ExerciseInfo) -> str:
    return entry.name


def _write(tmp_path: Path, text: str, name: str = "mine.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def _problems(path: Path) -> tuple[Problem, ...]:
    with pytest.raises(InputError) as caught:
        load_library(path)
    return caught.value.problems


# --- normalise_name -----------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("Push-Ups", "pushup"),
        ("push up", "pushup"),
        ("Pushup", "pushup"),
        ("PUSHUPS", "pushup"),
        ("Farmer's Carry", "farmerscarry"),
        ("Chest Fly & Press", "chestflyandpres"),
        ("Cat-Cow + Thread Needle Mobility", "catcowthreadneedlemobility"),
        ("Downward Dog/Plank Flow", "downwarddogplankflow"),
        ("Straße", "strasse"),  # casefold, not lower
        ("Übung", "übung"),  # letters outside ASCII are kept
        ("Flexión", "flexión"),
        ("  ", ""),
        ("s", ""),
        ("Press", "pres"),  # only one trailing s goes
    ],
)
def test_normalise_name(written: str, key: str) -> None:
    assert normalise_name(written) == key


# --- the built-in data --------------------------------------------------------


def test_builtin_is_cached() -> None:
    assert builtin_library() is builtin_library()
    assert load_library() is builtin_library()


@pytest.mark.parametrize("entry", BUILTIN, ids=_ids)
def test_builtin_entry_is_complete(entry: ExerciseInfo) -> None:
    assert entry.category in CATEGORIES
    assert 2 <= len(entry.cues) <= 4
    assert entry.muscles
    assert all(m.strip() and m == m.lower() for m in entry.muscles)
    assert 20 <= len(entry.why) <= 300
    assert entry.why.endswith(".")


@pytest.mark.parametrize("entry", BUILTIN, ids=_ids)
def test_builtin_cues_are_speakable(entry: ExerciseInfo) -> None:
    for cue in (*entry.cues, *entry.setup):
        assert len(cue) <= 80, cue
        assert SPEAKABLE.fullmatch(cue), cue
        assert cue[0].isupper(), cue
        assert cue.endswith("."), cue


def test_builtin_names_do_not_collide() -> None:
    owners: dict[str, str] = {}
    for entry in BUILTIN:
        for written in entry.names():
            key = normalise_name(written)
            assert key, written
            owner = owners.setdefault(key, entry.name)
            assert owner == entry.name, f"{written!r} of {entry.name!r} clashes with {owner!r}"


def test_builtin_rules_refuse_a_clash_and_an_incomplete_entry(tmp_path: Path) -> None:
    # The built-in file is held to these rules when it loads; check they bite.
    builtin = resources.files("cuecoach").joinpath("data").joinpath("exercises.toml")
    text = builtin.read_text(encoding="utf-8")
    path = _write(tmp_path, text + '\n[[exercise]]\nname = "Press-Ups"\ncategory = "push"\n')
    with pytest.raises(InputError) as caught:
        read_complete_library(path)
    index = len(BUILTIN) + 1
    assert [(p.key, p.message.split(":")[0]) for p in caught.value.problems] == [
        (f"exercise[{index}]", "missing 'aliases'"),
        (f"exercise[{index}]", "missing 'muscles'"),
        (f"exercise[{index}]", "missing 'cues'"),
        (f"exercise[{index}]", "missing 'why'"),
        (f"exercise[{index}].name", "duplicate name"),
    ]


@pytest.mark.parametrize(
    "name",
    [
        # Every exercise the strength guide names, as the guide writes it.
        "Push-Ups",
        "Incline Push-Up",
        "Decline Push-Up",
        "Diamond Push-Up",
        "Hand-Release Push-Up",
        "Knee Push-Ups",
        "Wall Push-Ups",
        "Pull-Ups",
        "Assisted Pull-Up",
        "Banded Pull-Up",
        "Inverted Rows",
        "Dumbbell Rows",
        "Resistance Band Rows",
        "Shoulder Press with Rotation",
        "Standard Plank",
        "Side Plank",
        "Plank with Reach",
        "Plank Pull-Through",
        "Plank to Downward Dog",
        "Plank with Shoulder Tap",
        "Dumbbell Chest Fly",
        "Dumbbell Chest Press",
        "Dumbbell Chest Fly & Press",
        "Russian Twists",
        "Seated Rotations",
        "Farmer's Carry",
        "Suitcase Carry",
        "Loaded Suitcase Carry",
        "Cat-Cow",
        "Thread the Needle",
        "Cat-Cow + Thread Needle Mobility",
        "Arm Circles",
        "Scapular Push-Ups",
        "Goblet Squat",
        "Bulgarian Split Squat",
        "Deadlift",
        "Downward Dog/Plank Flow",
        "Single-arm kettlebell presses (marching)",
        "Plyometric push-ups",
        "Bear crawl (crawling plank)",
        "Turkish Get-Up",
        "Resistance band mobility drills for shoulder and chest",
    ],
)
def test_guide_exercises_are_known(name: str) -> None:
    assert builtin_library().find(name) is not None


SESSIONS = Path(__file__).resolve().parents[1] / "sessions"
SESSION_NAMES = [
    (path.name, exercise["name"])
    for path in sorted(SESSIONS.glob("*.toml"))
    for exercise in tomllib.loads(path.read_text(encoding="utf-8")).get("exercise", [])
]


def test_sample_sessions_exist() -> None:
    assert len(SESSION_NAMES) >= 20


@pytest.mark.parametrize(("session", "name"), SESSION_NAMES)
def test_sample_session_names_are_known(session: str, name: str) -> None:
    # The shipped examples must not trigger the "unknown exercise" warning.
    assert builtin_library().find(name) is not None, f"{session}: {name}"


# --- find ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("push ups", "Push-Up"),
        ("PUSHUPS", "Push-Up"),
        ("Press-Up", "Push-Up"),
        ("  push-up  ", "Push-Up"),
        ("Russian twist", "Russian Twist"),
        ("russian TWISTS", "Russian Twist"),
        ("seated rotations", "Russian Twist"),
        ("farmers carry", "Farmer's Carry"),
        ("Farmer\u2019s Carry", "Farmer's Carry"),  # typographic apostrophe
        ("Cat-Cow + Thread Needle Mobility", "Cat-Cow and Thread the Needle"),
        ("cat cow", "Cat-Cow"),
        ("Downward Dog/Plank Flow", "Plank to Downward Dog"),
        ("single arm carry", "Suitcase Carry"),
        ("crawling plank", "Bear Crawl"),
        ("Chest Fly & Press", "Dumbbell Chest Fly and Press"),
        ("banded pull-up", "Assisted Pull-Up"),
        ("TGU", "Turkish Get-Up"),
    ],
)
def test_find_by_alias_and_odd_spelling(written: str, canonical: str) -> None:
    found = builtin_library().find(written)
    assert found is not None
    assert found.name == canonical


@pytest.mark.parametrize("written", ["", "   ", "-", "Underwater Basket Weaving"])
def test_find_unknown(written: str) -> None:
    assert builtin_library().find(written) is None


def test_name_wins_over_alias_in_hand_built_library() -> None:
    a = ExerciseInfo("Alpha", ("Beta",), "core", (), (), "")
    b = ExerciseInfo("Beta", (), "core", (), (), "")
    library = Library((a, b))
    assert library.find("beta") is b
    assert library.find("alpha") is a


# --- suggest ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typo", "expected"),
    [
        ("Pushupp", "Push-Up"),
        ("Russain Twist", "Russian Twist"),
        ("Bulgarin Split Squat", "Bulgarian Split Squat"),
        ("Goblet Sqaut", "Goblet Squat"),
        ("Farmers Cary", "Farmer's Carry"),
        ("dedlift", "Deadlift"),
        ("Turkish getup", "Turkish Get-Up"),
        ("Inverted Rwo", "Inverted Row"),
        ("Shoulder press rotation", "Shoulder Press with Rotation"),
        ("presup", "Push-Up"),  # close to an alias, answered with the canonical name
    ],
)
def test_suggest_typo(typo: str, expected: str) -> None:
    suggestions = builtin_library().suggest(typo)
    assert suggestions
    assert suggestions[0] == expected


def test_suggest_limit_and_no_duplicates() -> None:
    library = builtin_library()
    # "pushup" is close to many aliases of the same few entries.
    suggestions = library.suggest("pushupz", limit=5)
    assert 1 <= len(suggestions) <= 5
    assert len(set(suggestions)) == len(suggestions)
    assert all(library.find(name) is not None for name in suggestions)
    assert library.suggest("pushupz", limit=1) == suggestions[:1]
    assert library.suggest("pushupz", limit=0) == ()


@pytest.mark.parametrize("nonsense", ["", "???", "qqqqqqqqqqqqxz"])
def test_suggest_nothing_close(nonsense: str) -> None:
    assert builtin_library().suggest(nonsense) == ()


# --- user library files -------------------------------------------------------


def test_user_file_adds_new_entry(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
        [[exercise]]
        name = "Hill Bounds"
        aliases = ["Bounding"]
        category = "lower"
        cues = ["Drive your knee up.", "Land light."]

        [[exercise]]
        name = "Calf Raise"
        """,
    )
    library = load_library(path)
    assert len(library.entries) == len(BUILTIN) + 2
    bounds = library.find("bounding")
    assert bounds == ExerciseInfo(
        "Hill Bounds", ("Bounding",), "lower", (), ("Drive your knee up.", "Land light."), ""
    )
    # A new entry needs only a name; everything else defaults to empty.
    assert library.find("calf raises") == ExerciseInfo("Calf Raise", (), "", (), (), "")
    # The built-in entries are all still there.
    assert library.find("push ups") == builtin_library().find("push ups")


def test_user_file_overrides_builtin(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
        [[exercise]]
        name = "pushups"
        cues = ["Chest to the floor.", "Lock out at the top."]

        [[exercise]]
        name = "My Twist"
        aliases = ["Russian Twist"]
        why = "Because my coach said so."
        """,
    )
    builtin_push = builtin_library().find("Push-Up")
    builtin_twist = builtin_library().find("Russian Twist")
    assert builtin_push is not None
    assert builtin_twist is not None

    library = load_library(path)
    assert len(library.entries) == len(BUILTIN)  # replaced in place, nothing added

    push = library.find("Push-Up")
    assert push is not None
    assert push.name == "pushups"
    assert push.cues == ("Chest to the floor.", "Lock out at the top.")
    # Fields the user left out keep the built-in values.
    assert push.muscles == builtin_push.muscles
    assert push.why == builtin_push.why
    assert push.category == builtin_push.category
    assert library.find("Press-Up") is push

    twist = library.find("seated rotations")
    assert twist is not None
    assert twist.name == "My Twist"
    assert twist.why == "Because my coach said so."
    assert twist.cues == builtin_twist.cues
    assert library.find("Russian Twist") is twist
    assert library.find("my twist") is twist
    # The built-in library itself is untouched.
    assert builtin_library().find("Push-Up") == builtin_push


def test_user_file_empty_is_builtin(tmp_path: Path) -> None:
    path = _write(tmp_path, "# nothing yet\n")
    assert load_library(path).entries == BUILTIN


def test_user_file_reports_every_problem(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
        [[exercise]]
        name = "Good One"
        cues = ["Fine."]

        [[exercise]]
        name = "Bad Cues"
        cues = 3
        colour = "red"

        [[exercise]]
        aliases = ["Nameless"]

        [[exercise]]
        name = "Good one"
        cues = []
        category = "legs"

        [[exercise]]
        name = "Long"
        cues = ["ok", 7, "x"]
        why = "%s"
        muscles = "chest"
        """
        % ("y" * 500),
    )
    problems = _problems(path)
    found = {(p.line, p.key): p.message for p in problems}
    assert all(p.file == str(path) for p in problems)

    assert found[(7, "exercise[2].cues")] == "expected a list of strings, got a whole number"
    assert (
        "allowed: name, aliases, category, muscles, cues, setup, why"
        in found[(8, "exercise[2].colour")]
    )
    assert found[(10, "exercise[3]")] == "missing 'name'"
    assert "duplicate name" in found[(14, "exercise[4].name")]
    assert "exercise[1]" in found[(14, "exercise[4].name")]
    assert found[(15, "exercise[4].cues")] == "expected 1 to 6 items, got 0"
    assert "expected one of: push, pull" in found[(16, "exercise[4].category")]
    assert found[(20, "exercise[5].cues[2]")] == "expected a string, got a whole number"
    assert "at most 400" in found[(21, "exercise[5].why")]
    assert found[(22, "exercise[5].muscles")] == "expected a list of strings, got a string"
    assert len(problems) == 9


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        ('[[exercise]]\nname = "A"\ncue = ["x"]\n', "exercise[1].cue", 'did you mean "cues"'),
        ("[[exercise]]\nname = 5\n", "exercise[1].name", "expected a string, got a whole number"),
        ('[[exercise]]\nname = ""\n', "exercise[1].name", "empty string"),
        ('[[exercise]]\nname = "+++"\n', "exercise[1].name", "at least one letter or digit"),
        (f'[[exercise]]\nname = "{"n" * 81}"\n', "exercise[1].name", "at most 80"),
        (
            '[[exercise]]\nname = "A"\ncues = [' + ", ".join(['"c"'] * 7) + "]\n",
            "exercise[1].cues",
            "expected 1 to 6 items, got 7",
        ),
        (
            f'[[exercise]]\nname = "A"\ncues = ["{"c" * 121}"]\n',
            "exercise[1].cues[1]",
            "at most 120",
        ),
        (
            '[[exercise]]\nname = "A"\naliases = [true]\n',
            "exercise[1].aliases[1]",
            "got true or false",
        ),
        ('[exercise]\nname = "A"\n', "exercise", "got a table"),
        ('title = "x"\n', "title", "only [[exercise]] tables"),
        ("exercise = [1]\n", "exercise[1]", "got a whole number"),
        (
            '[[exercise]]\nname = "A"\naliases = ["B"]\n'
            '[[exercise]]\nname = "C"\naliases = ["b"]\n',
            "exercise[2].aliases[1]",
            "duplicate name: 'b' matches exercise[1] ('A')",
        ),
        (
            '[[exercise]]\nname = "Push-Up"\naliases = ["Deadlift"]\n',
            "exercise[1]",
            "more than one built-in exercise ('Push-Up' and 'Deadlift')",
        ),
        (
            "".join(f'[[exercise]]\nname = "E{i}"\n' for i in range(1001)),
            "exercise[1001]",
            "at most 1000 exercises; this file has 1001",
        ),
    ],
)
def test_user_file_single_problem(tmp_path: Path, text: str, key: str, fragment: str) -> None:
    problems = _problems(_write(tmp_path, text))
    assert [p.key for p in problems] == [key]
    assert fragment in problems[0].message
    assert problems[0].line is not None


def test_user_file_bad_toml(tmp_path: Path) -> None:
    problems = _problems(_write(tmp_path, '[[exercise]]\nname = "A\n'))
    assert len(problems) == 1
    assert problems[0].line == 2
    assert "invalid TOML" in problems[0].message


def test_user_file_missing(tmp_path: Path) -> None:
    problems = _problems(tmp_path / "nope.toml")
    assert problems[0].message == "no such file"
