"""The one clock formatter: every listing and display rounds through it."""

from __future__ import annotations

from typing import Any

import pytest

from cuecoach.timecode import clock, to_samples


@pytest.mark.parametrize(
    ("ms", "options", "text"),
    [
        (0, {}, "0:00"),
        (59_500, {}, "1:00"),  # nearest, half up
        (3_725_000, {}, "1:02:05"),
        (4_001, {"rounding": "up"}, "0:05"),
        (4_999, {"rounding": "down"}, "0:04"),
        (1_500, {"digits": 3, "mark": ",", "hours": "always", "lead": "02d"}, "00:00:01,500"),
        (3_725_004, {"digits": 3, "hours": "always", "lead": "02d"}, "01:02:05.004"),
        (3_725_005, {"digits": 2, "hours": "never", "lead": "02d"}, "62:05.01"),
        (59_960, {"digits": 1, "hours": "never", "lead": "3d"}, "  1:00.0"),  # never "60.0"
        (-5, {}, "0:00"),
    ],
)
def test_clock(ms: int, options: dict[str, Any], text: str) -> None:
    assert clock(ms, **options) == text


def test_samples_are_exact_integers() -> None:
    assert to_samples(1_000, 44_100) == 44_100
    assert to_samples(5, 44_100) == 221  # 220.5 rounds up
    assert to_samples(123_456_789, 48_000) == 123_456_789 * 48
