"""Counter wraps, restarts and the 497-day sysUpTime wrap, as tables."""

from __future__ import annotations

import pytest

from drivers.snmp.counters import CounterRates, counter_delta, uptime_restarted

WRAP = 1 << 32


@pytest.mark.parametrize(
    ("previous", "current", "bits", "expected"),
    [
        (100, 350, 32, 250),
        (WRAP - 100, 50, 32, 150),
        (WRAP - 1, 0, 32, 1),
        (5, 5, 32, 0),
        (100, 350, 64, 250),
        (1 << 40, 10, 64, None),
    ],
)
def test_counter_delta(
    previous: int, current: int, bits: int, expected: int | None
) -> None:
    assert counter_delta(previous, current, bits) == expected


@pytest.mark.parametrize(
    ("previous", "prev_at", "current", "at", "restarted"),
    [
        # Normal progress, 10 s apart.
        (100_000, 0.0, 101_000, 10.0, False),
        # A little late or early stays within the tolerance.
        (100_000, 0.0, 100_900, 10.0, False),
        (100_000, 0.0, 101_150, 10.0, False),
        # Went back: restarted.
        (100_000, 0.0, 500, 10.0, True),
        (100_000, 0.0, 99_999, 0.1, True),
        # Restarted and ran longer than the old uptime before the next poll:
        # 5 s of uptime, 30 s gap, now 15 s: it lost 20 s.
        (500, 0.0, 1_500, 30.0, True),
        # The 497-day wrap: 5 s before it, polled 10 s later.
        (WRAP - 500, 0.0, 500, 10.0, False),
        # Due to wrap, but the value is not where the wrap puts it: restart.
        (WRAP - 500, 0.0, 100_000, 10.0, True),
        (WRAP - 500, 0.0, 100, 10.0, True),
        # Backwards by a wrap that was not due: restart.
        (WRAP - 500_000, 0.0, 100, 10.0, True),
    ],
)
def test_uptime_restarted(
    previous: int, prev_at: float, current: int, at: float, restarted: bool
) -> None:
    assert uptime_restarted(previous, prev_at, current, at) is restarted


def test_rates_across_a_counter32_wrap() -> None:
    rates = CounterRates()

    assert rates.update("a", WRAP - 1_000, 32, 0.0) is None
    assert rates.update("a", 1_000, 32, 2.0) == pytest.approx(1_000.0)
    assert rates.update("a", 3_000, 32, 4.0) == pytest.approx(1_000.0)


def test_rates_refuse_what_cannot_be_true() -> None:
    rates = CounterRates()
    rates.update("a", 10, 64, 0.0)
    # A 64-bit counter going back is a discontinuity, not a wrap.
    assert rates.update("a", 5, 64, 1.0) is None
    # A width change restarts the series.
    assert rates.update("a", 100, 32, 2.0) is None
    # A "wrap" faster than the link: a counter reset without restart.
    assert rates.update("a", 50, 32, 3.0, max_rate=1e6) is None
    # No time elapsed.
    assert rates.update("a", 60, 32, 3.0) is None


def test_forget_drops_by_prefix() -> None:
    rates = CounterRates()
    rates.update("if.a.in", 1, 32, 0.0)
    rates.update("if.b.in", 1, 32, 0.0)

    rates.forget("if.a.")

    assert rates.update("if.a.in", 11, 32, 1.0) is None
    assert rates.update("if.b.in", 11, 32, 1.0) == pytest.approx(10.0)
    rates.forget()
    assert rates.update("if.b.in", 21, 32, 2.0) is None
