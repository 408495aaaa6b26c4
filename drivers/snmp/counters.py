"""Counter arithmetic: rates across wraps, and telling a wrap from a restart.

SNMP counters only grow, modulo their width: a Counter32 passes 2**32 - 1 and
starts again at 0, so a smaller reading is normally a wrap, not a drop. It is
not a wrap when the agent restarted (every counter went back to 0), which
sysUpTime shows by going backwards. sysUpTime itself wraps too, after
2**32 hundredths of a second (497.1 days); that is not a restart either.

Times here are monotonic seconds (``time.monotonic()``), never wall clock, so a
clock step on the poller cannot fake a restart or a rate.
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.snmp.codec import TIMETICKS_MODULO

RESTART_TOLERANCE_S = 2.0
"""How far sysUpTime may lag our clock before we call it a restart: covers the
time between the agent reading its clock and our receiving the answer."""

CLOCK_SKEW = 0.01
"""Extra lag allowed per second elapsed, for agents whose clock runs slow."""


def counter_delta(previous: int, current: int, bits: int) -> int | None:
    """How much a counter of ``bits`` width (32 or 64) grew between two readings.

    A 32-bit counter that reads lower has wrapped once (a wrap more than once
    between two polls cannot be seen; poll fast links through their 64-bit
    counters). A 64-bit counter never wraps in practice, so a lower reading is
    a discontinuity and gives ``None``.
    """
    if current >= previous:
        return current - previous
    if bits == 32:
        return current + (1 << 32) - previous
    return None


def uptime_restarted(
    previous_ticks: int,
    previous_at: float,
    current_ticks: int,
    current_at: float,
    tolerance_s: float = RESTART_TOLERANCE_S,
) -> bool:
    """Whether the agent restarted between two sysUpTime readings.

    ``*_ticks`` are sysUpTime values (hundredths of a second), ``*_at`` the
    monotonic times (seconds) they were received. A reading that went back is
    a restart unless the 497-day wrap was due and the new value is where the
    wrap puts it; a reading that went forward is a restart when it lost more
    time than the tolerance (the agent restarted and ran longer than our last
    reading before we polled again).
    """
    elapsed = max(0.0, current_at - previous_at) * 100.0
    tolerance = (tolerance_s + CLOCK_SKEW * elapsed / 100.0) * 100.0
    expected = previous_ticks + elapsed

    if current_ticks >= previous_ticks:
        return current_ticks + tolerance < expected

    wrap_due = expected + tolerance >= TIMETICKS_MODULO
    after_wrap = expected - TIMETICKS_MODULO
    return not (wrap_due and abs(current_ticks - after_wrap) <= tolerance)


@dataclass(slots=True)
class _Reading:
    value: int
    bits: int
    at: float


class CounterRates:
    """Per-second rates of many counters, each named by a key.

    The first reading of a key, a reading after :meth:`forget`, a change of
    counter width, a 64-bit counter going back, or a rate above ``max_rate``
    gives ``None``: no rate is better than a false one.
    """

    def __init__(self) -> None:
        self._last: dict[str, _Reading] = {}

    def update(
        self,
        key: str,
        value: int,
        bits: int,
        at: float,
        max_rate: float | None = None,
    ) -> float | None:
        """Record ``value`` (read at monotonic ``at`` seconds); return units/s.

        ``max_rate`` (units per second) rejects a rate the link cannot carry,
        which is what a counter reset without a restart looks like on a 32-bit
        counter (for example "clear counters" on the switch).
        """
        previous = self._last.get(key)
        self._last[key] = _Reading(value, bits, at)
        if previous is None or previous.bits != bits:
            return None

        seconds = at - previous.at
        delta = counter_delta(previous.value, value, bits)
        if delta is None or seconds <= 0:
            return None

        rate = delta / seconds
        if max_rate is not None and rate > max_rate:
            return None
        return rate

    def forget(self, prefix: str = "") -> None:
        """Drop the readings whose key starts with ``prefix`` (all by default),
        for example after the agent restarted."""
        if not prefix:
            self._last.clear()
            return
        for key in [k for k in self._last if k.startswith(prefix)]:
            del self._last[key]
