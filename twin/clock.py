"""Time sources for the twin.

The twin reads two clocks: wall time (epoch seconds) to stamp events and state
changes, and a monotonic clock to measure durations such as how long a door has
been open, so a wall-clock step (NTP, daylight saving) never fakes or hides a
held-open door. Tests drive both with :class:`FakeClock`.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Where the twin gets the time from."""

    def time(self) -> float:
        """Wall time, seconds since the Unix epoch."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin; never goes backwards."""
        ...


class SystemClock:
    """The host's clocks."""

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


class FakeClock:
    """A clock that moves only when told to, for tests of time-based rules.

    Wall time starts at ``start`` (epoch seconds) and the monotonic clock at 0;
    :meth:`advance` moves both by the same amount.
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._time = start
        self._monotonic = 0.0

    def time(self) -> float:
        return self._time

    def monotonic(self) -> float:
        return self._monotonic

    def advance(self, seconds: float) -> None:
        """Move both clocks forward; raise ``ValueError`` for a negative step."""
        if seconds < 0:
            raise ValueError(f"a clock cannot go back ({seconds} s)")
        self._time += seconds
        self._monotonic += seconds
