"""Durations, distances, paces and the `do` shorthand."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest

from cuecoach.model import WorkKind
from cuecoach.units import DoSpec, UnitError, parse_distance, parse_do, parse_duration, parse_pace


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("90s", 90), ("1min30s", 90), ("1:30", 90), ("1 min 30 s", 90), (45, 45),
     ("1.5min", 90), ("2 minutes", 120), ("1h", 3600), ("1:02:03", 3723), ("0", 0), (2.5, 2.5),
     ("10 sec", 10), ("0:05.5", 5.5)],
)  # fmt: skip
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("value", "message"),
    [("1m", '"1m": "m" means metres; for minutes write "1min" or "60s"'),
     ("2m30s", '"2m30s": "m" means metres; for minutes write "2min" or "120s"'),
     ("abc", 'expected a duration like "30s", "1min30s", "90s" or "1:30", got "abc"'),
     ("5 fortnights", '"5 fortnights": unknown time unit "fortnights"; expected a duration like "30s", "1min30s", "90s" or "1:30"'),
     (True, 'expected a duration like "30s", "1min30s", "90s" or "1:30", got true'),
     (-5, 'expected a duration like "30s", "1min30s", "90s" or "1:30" of 0 or more, got -5'),
     (float("-inf"), 'expected a duration like "30s", "1min30s", "90s" or "1:30" of 0 or more, got -inf'),
     ([30], 'expected a duration like "30s", "1min30s", "90s" or "1:30", got a list'),
     ({"a": 1}, 'expected a duration like "30s", "1min30s", "90s" or "1:30", got a table'),
     (datetime.date(1979, 5, 27), 'expected a duration like "30s", "1min30s", "90s" or "1:30", got a date or time')],
)  # fmt: skip
def test_bad_durations(value: object, message: str) -> None:
    with pytest.raises(UnitError) as caught:
        parse_duration(value)
    assert str(caught.value) == message


@pytest.mark.parametrize(("text", "metres"), [("40m", 40), ("1.5km", 1500), (25, 25), ("20 m", 20)])
def test_distances(text: object, metres: float) -> None:
    assert parse_distance(text) == metres


@pytest.mark.parametrize(("text", "pace"), [("1m/s", 1), ("3.6 km/h", 1), (2, 2), ("1.5 m/s", 1.5)])
def test_paces(text: object, pace: float) -> None:
    assert parse_pace(text) == pytest.approx(pace)


@pytest.mark.parametrize("value", ["0m/s", "fast", -1])
def test_bad_paces(value: object) -> None:
    with pytest.raises(UnitError):
        parse_pace(value)


@pytest.mark.parametrize(
    ("text", "spec"),
    [("3x12", DoSpec(3, WorkKind.REPS, reps=12)),
     ("3 × 10/side", DoSpec(3, WorkKind.REPS, reps=10, per_side=True)),
     ("3X8/leg", DoSpec(3, WorkKind.REPS, reps=8, per_side=True, side_label="leg")),
     ("2x8 / arm", DoSpec(2, WorkKind.REPS, reps=8, per_side=True, side_label="arm")),
     ("3x20 taps", DoSpec(3, WorkKind.REPS, reps=20, unit="taps")),
     ("3x10 tap|taps", DoSpec(3, WorkKind.REPS, reps=10, unit="tap|taps")),
     ("3x30s/side", DoSpec(3, WorkKind.TIME, seconds=30, per_side=True)),
     ("3x1min30s", DoSpec(3, WorkKind.TIME, seconds=90)),
     ("2x1:30", DoSpec(2, WorkKind.TIME, seconds=90)),
     ("3x40m", DoSpec(3, WorkKind.DISTANCE, metres=40)),
     ("3 x 20m/side", DoSpec(3, WorkKind.DISTANCE, metres=20, per_side=True)),
     ("2x1km", DoSpec(2, WorkKind.DISTANCE, metres=1000))],
)  # fmt: skip
def test_do_shorthand(text: str, spec: DoSpec) -> None:
    assert parse_do(text) == spec


@pytest.mark.parametrize(
    "text", ["3", "x10", "3x", "three x ten", "3x10/knee", "3x1:30 reps", "3x1.5"]
)
def test_bad_do_shorthand(text: str) -> None:
    with pytest.raises(UnitError):
        parse_do(text)


@pytest.mark.parametrize("parse", [parse_duration, parse_distance, parse_pace])
def test_integers_too_large_for_a_float_are_refused(parse: Callable[[object], float]) -> None:
    with pytest.raises(UnitError, match="got an integer of 310 digits"):
        parse(10**309)
    assert parse(10**15) == 1e15  # the largest accepted; range checks come later


@pytest.mark.parametrize("parse", [parse_duration, parse_distance, parse_pace, parse_do])
@pytest.mark.parametrize("text", ["1" * 10_000 + "!", "9" * 4_301, "3x" + "9" * 4_301 + ":00"])
def test_text_too_long_to_be_an_amount_is_refused(
    parse: Callable[[object], object], text: str
) -> None:
    with pytest.raises(UnitError, match=rf"got text of {len(text):,} characters \(at most 100\)"):
        parse(text)


def test_the_longest_accepted_text_still_parses() -> None:
    hours = "9" * 94
    assert parse_duration(f"{hours}:00:00") == float(int(hours) * 3600)  # 100 characters
    assert parse_duration(" " * 200 + "30s") == 30  # surrounding space does not count


SIDE: dict[str, Any] = {"per_side": True}
LEG: dict[str, Any] = {"per_side": True, "side_label": "leg"}
ARM: dict[str, Any] = {"per_side": True, "side_label": "arm"}


@pytest.mark.parametrize(
    ("text", "spec"),
    [("3x30s per side", DoSpec(3, WorkKind.TIME, seconds=30, **SIDE)),
     ("3x10 each side", DoSpec(3, WorkKind.REPS, reps=10, **SIDE)),
     ("3x10 a side", DoSpec(3, WorkKind.REPS, reps=10, **SIDE)),
     ("3x8 per leg", DoSpec(3, WorkKind.REPS, reps=8, **LEG)),
     ("3x8 each leg", DoSpec(3, WorkKind.REPS, reps=8, **LEG)),
     ("3x10 per arm", DoSpec(3, WorkKind.REPS, reps=10, **ARM)),
     ("3x10 each arm", DoSpec(3, WorkKind.REPS, reps=10, **ARM)),
     ("3x8/legs", DoSpec(3, WorkKind.REPS, reps=8, **LEG)),
     ("3x30s each", DoSpec(3, WorkKind.TIME, seconds=30, **SIDE)),
     ("3x12 lunges each", DoSpec(3, WorkKind.REPS, reps=12, unit="lunges", **SIDE)),
     ("3 x 30m per side", DoSpec(3, WorkKind.DISTANCE, metres=30, **SIDE)),
     ("3x30 metres", DoSpec(3, WorkKind.DISTANCE, metres=30)),
     ("3x400 meters", DoSpec(3, WorkKind.DISTANCE, metres=400)),
     ("3x1 metre", DoSpec(3, WorkKind.DISTANCE, metres=1)),
     ("2x1.5 km", DoSpec(2, WorkKind.DISTANCE, metres=1500)),
     ("3x30 sec", DoSpec(3, WorkKind.TIME, seconds=30)),
     ("3x30 secs", DoSpec(3, WorkKind.TIME, seconds=30)),
     ("3x1 second", DoSpec(3, WorkKind.TIME, seconds=1)),
     ("3x45 seconds", DoSpec(3, WorkKind.TIME, seconds=45)),
     ("3x2 min", DoSpec(3, WorkKind.TIME, seconds=120)),
     ("3x2 mins", DoSpec(3, WorkKind.TIME, seconds=120)),
     ("3x1 minute", DoSpec(3, WorkKind.TIME, seconds=60)),
     ("3x2 minutes each leg", DoSpec(3, WorkKind.TIME, seconds=120, **LEG)),
     ("3xAMRAP", DoSpec(3, WorkKind.REPS, amrap=True)),
     ("3 x max per side", DoSpec(3, WorkKind.REPS, amrap=True, **SIDE)),
     ("3xmax reps", DoSpec(3, WorkKind.REPS, amrap=True)),
     ("3 x AMRAP reps per leg", DoSpec(3, WorkKind.REPS, amrap=True, **LEG))],
)  # fmt: skip
def test_do_shorthand_as_people_write_it(text: str, spec: DoSpec) -> None:
    assert parse_do(text) == spec


@pytest.mark.parametrize(
    ("text", "message"),
    [("3x1m", '"3x1m": "m" means metres; for minutes write "3x1min" or "3x60s"'),
     ("3x30 secnds", '"3x30 secnds": unknown unit "secnds"; did you mean "seconds"?'),
     ("3x30 metrs", '"3x30 metrs": unknown unit "metrs"; did you mean "metres"?'),
     ("3x10 sides", '"3x10 sides": for sides write "per side", "each side" or "/side"'),
     ("3x8 legs", '"3x8 legs": for sides write "per leg", "each leg" or "/leg"'),
     ("3x10 per knee", '"3x10 per knee": "per knee" is not a side; write per side, per leg or per arm (or /side, /leg, /arm, each side)'),
     ("3x10/knee", '"3x10/knee": "/knee" is not a side; write per side, per leg or per arm (or /side, /leg, /arm, each side)'),
     ("3xAMRAP taps", '"3xAMRAP taps": "amrap" takes no unit after it')],
)  # fmt: skip
def test_do_shorthand_near_misses_are_errors(text: str, message: str) -> None:
    with pytest.raises(UnitError) as caught:
        parse_do(text)
    assert str(caught.value) == message
