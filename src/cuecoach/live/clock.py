"""Clocks the player runs on: real monotonic time, or virtual time for tests."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Seconds on a monotonic time line, and waiting until an absolute moment on it."""

    def now(self) -> float:
        """The current time in seconds (arbitrary origin, never goes back)."""
        ...

    def sleep_until(self, deadline: float) -> None:
        """Return at `deadline` (at once if it has passed)."""
        ...


class RealClock:
    """`time.monotonic`, sleeping until absolute deadlines.

    Waiting for a deadline rather than for a duration keeps a loop that wakes
    every few milliseconds from drifting by its accumulated oversleeps.
    """

    def now(self) -> float:
        """Seconds from `time.monotonic`."""
        return time.monotonic()

    def sleep_until(self, deadline: float) -> None:
        """Sleep until `deadline`; a late return is never carried into the next deadline."""
        delay = deadline - time.monotonic()
        if delay > 0:
            time.sleep(delay)


class VirtualClock:
    """Time that only moves when someone sleeps: a whole session runs instantly."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        """The virtual time."""
        return self._now

    def sleep_until(self, deadline: float) -> None:
        """Jump to `deadline` if it is in the future."""
        self._now = max(self._now, deadline)
