"""Times on the timeline as text: the one clock formatter every writer and display uses.

Times are integer milliseconds. Each caller picks how many fraction digits it
shows and which way to round; the splitting into hours, minutes and seconds is
done here only, so every listing agrees with every other.
"""

from __future__ import annotations

from typing import Literal

Rounding = Literal["nearest", "up", "down"]
Hours = Literal["auto", "always", "never"]


def clock(
    ms: int,
    digits: int = 0,
    *,
    mark: str = ".",
    hours: Hours = "auto",
    lead: str = "d",
    rounding: Rounding = "nearest",
) -> str:
    """`ms` as ``m:ss`` (``h:mm:ss`` from an hour on) with `digits` (0-3) after `mark`.

    `hours`: ``"always"`` shows them (``0:01:05``), ``"never"`` lets minutes pass
    59 (LRC). `lead` formats the first field (``"02d"``, ``"3d"``). `rounding`
    picks the direction to the shown precision: ``"nearest"`` (half up),
    ``"up"`` (a countdown never shows 0:00 early), ``"down"`` (a moment passed).
    """
    unit = 10 ** (3 - digits)
    ms = max(0, ms)
    if rounding == "nearest":
        ticks = (ms + unit // 2) // unit
    elif rounding == "up":
        ticks = -(-ms // unit)
    else:
        ticks = ms // unit
    whole, fraction = divmod(ticks, 10**digits)
    minutes, secs = divmod(whole, 60)
    hrs, mins = divmod(minutes, 60)
    if hours == "always" or (hours == "auto" and hrs):
        text = f"{hrs:{lead}}:{mins:02d}:{secs:02d}"
    else:
        text = f"{minutes:{lead}}:{secs:02d}"
    return f"{text}{mark}{fraction:0{digits}d}" if digits else text


def to_samples(ms: int, sample_rate: int) -> int:
    """The sample index of `ms` at `sample_rate`, rounded half up, in exact integers."""
    return (ms * sample_rate + 500) // 1000
