"""DevicePoller rules on a fake clock: schedule, backoff, health, logging."""

from __future__ import annotations

import asyncio
import logging

import pytest

from drivers.backoff import Backoff
from drivers.errors import RequestTimeout
from drivers.poller import DevicePoller, PollPolicy, next_slot
from tests.drivers.fakes import (
    EPOCH,
    FakeClock,
    Outcome,
    RecordingSink,
    ScriptedDriver,
    refused,
)
from topology.sample import DeviceStatus, Quality

ONLINE, DEGRADED, OFFLINE = (
    DeviceStatus.ONLINE,
    DeviceStatus.DEGRADED,
    DeviceStatus.OFFLINE,
)


async def run_until_idle(poller: DevicePoller, driver: ScriptedDriver) -> None:
    """Run ``poller`` until the driver's script is used up, then stop it."""
    task = asyncio.create_task(poller.run())
    try:
        async with asyncio.timeout(5):
            await driver.idle.wait()
    finally:
        task.cancel()
        await asyncio.wait([task])
    assert task.cancelled()


def make(
    clock: FakeClock, sink: RecordingSink, driver: ScriptedDriver, **kwargs: object
) -> DevicePoller:
    kwargs.setdefault("interval_s", 1.0)
    kwargs.setdefault("draw", lambda: 0.0)
    return DevicePoller(driver, sink, clock=clock, **kwargs)  # type: ignore[arg-type]


def lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    """Our INFO-and-above log lines (pymodbus and others left out)."""
    return [
        (r.levelno, r.getMessage())
        for r in caplog.records
        if r.name.startswith("drivers.") and r.levelno >= logging.INFO
    ]


@pytest.mark.parametrize(
    ("previous", "now", "expected"),
    [
        (0.0, 0.5, (1.0, 0)),
        (0.0, 1.0, (1.0, 0)),
        (0.0, 1.0001, (2.0, 1)),
        (0.0, 2.0, (2.0, 1)),
        (0.0, 3.5, (4.0, 3)),
        (10.0, 10.2, (11.0, 0)),
    ],
)
def test_next_slot_skips_what_has_passed(
    previous: float, now: float, expected: tuple[float, int]
) -> None:
    assert next_slot(previous, 1.0, now) == expected


async def test_polls_start_on_a_fixed_schedule() -> None:
    clock, sink = FakeClock(), RecordingSink()
    driver = ScriptedDriver("D1", clock, polls=["good"] * 3, poll_s=0.25)
    poller = make(clock, sink, driver)

    await run_until_idle(poller, driver)

    assert driver.poll_times == [0.0, 1.0, 2.0, 3.0]
    assert clock.sleeps == [0.75, 0.75, 0.75]
    assert list(poller.stats.lateness) == [0.0, 0.0, 0.0, 0.0]
    assert poller.stats.skipped_slots == 0
    assert poller.stats.polls == 4
    assert poller.stats.samples == 9


async def test_a_slow_poll_skips_missed_slots_instead_of_bursting() -> None:
    clock, sink = FakeClock(), RecordingSink()
    driver = ScriptedDriver("D1", clock, polls=["good"] * 2, poll_s=2.5)
    poller = make(clock, sink, driver)

    await run_until_idle(poller, driver)

    assert driver.poll_times == [0.0, 3.0, 6.0]
    assert poller.stats.skipped_slots == 4


async def test_lateness_is_the_start_after_the_slot() -> None:
    class LateClock(FakeClock):
        async def sleep(self, seconds: float) -> None:
            await super().sleep(seconds + 0.125)

    clock, sink = LateClock(), RecordingSink()
    driver = ScriptedDriver("D1", clock, polls=["good"] * 2)
    poller = make(clock, sink, driver)

    await run_until_idle(poller, driver)

    assert list(poller.stats.lateness) == [0.0, 0.125, 0.125]


async def test_reconnects_back_off_exponentially_to_the_cap() -> None:
    clock, sink = FakeClock(), RecordingSink()
    driver = ScriptedDriver("D1", clock, connects=[refused()] * 8, polls=["good"])
    poller = make(clock, sink, driver)

    await run_until_idle(poller, driver)

    retries = clock.sleeps[:-1]
    assert retries == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0]
    assert driver.connect_times[:2] == [0.0, 0.0], "the first retry is immediate"
    assert clock.sleeps[-1] == 1.0, "then polling resumes on its interval"
    assert poller.stats.failed_connects == 8


async def test_jitter_shortens_each_delay() -> None:
    clock, sink = FakeClock(), RecordingSink()
    driver = ScriptedDriver("D1", clock, connects=[refused()] * 3, polls=["good"])
    policy = PollPolicy(backoff=Backoff(base_s=0.5, cap_s=30, jitter=0.2))
    poller = make(clock, sink, driver, policy=policy, draw=lambda: 0.5)

    await run_until_idle(poller, driver)

    assert clock.sleeps[:2] == [pytest.approx(0.45), pytest.approx(0.9)]


async def test_offline_after_two_failures_then_back_with_one_line_each(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="drivers")
    clock, sink = FakeClock(), RecordingSink()
    timeout = RequestTimeout("no answer within 1.0 s")
    polls: list[Outcome] = ["good", timeout, timeout, "good"]
    driver = ScriptedDriver("D1", clock, polls=polls)
    poller = make(clock, sink, driver)

    await run_until_idle(poller, driver)

    assert sink.statuses() == [ONLINE, OFFLINE, ONLINE]
    offline = sink.health[1]
    assert offline.consecutive_failures == 2
    assert offline.last_good == EPOCH + 0.0
    assert offline.reason == "timeout"
    assert offline.since == EPOCH + 1.0
    stale_guard = [s for s in sink.samples if s.quality is Quality.BAD]
    assert [(s.point, s.value, s.reason) for s in stale_guard] == [
        ("a", None, "offline: timeout"),
        ("b", None, "offline: timeout"),
        ("c", None, "offline: timeout"),
    ]
    assert lines(caplog) == [
        (
            logging.WARNING,
            "D1 offline after 2 failed attempts (no answer within 1.0 s); "
            "retrying in 0.50 s",
        ),
        (logging.INFO, "D1 back online after 0.5 s offline"),
    ]
    assert poller.health().status is ONLINE
    assert poller.health().consecutive_failures == 0


async def test_one_failure_alone_does_not_take_a_device_offline() -> None:
    clock, sink = FakeClock(), RecordingSink()
    polls: list[Outcome] = ["good", RequestTimeout("slow"), "good"]
    driver = ScriptedDriver("D1", clock, polls=polls)
    poller = make(clock, sink, driver)

    await run_until_idle(poller, driver)

    assert sink.statuses() == [ONLINE]
    assert all(s.quality is Quality.GOOD for s in sink.samples)
    assert len(driver.connect_times) == 2


async def test_a_long_outage_warns_once_and_marks_points_bad_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="drivers")
    clock, sink = FakeClock(), RecordingSink()
    driver = ScriptedDriver("D1", clock, connects=[refused()] * 6, polls=["good"])
    poller = make(clock, sink, driver)

    await run_until_idle(poller, driver)

    assert sink.statuses() == [OFFLINE, ONLINE]
    assert [len(batch) for batch in sink.batches] == [3, 3]
    assert [level for level, _ in lines(caplog)] == [logging.WARNING, logging.INFO]
    assert sink.health[0].consecutive_failures == 2
    assert sink.health[0].last_good is None


async def test_bad_points_degrade_the_device_until_they_read_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="drivers")
    clock, sink = FakeClock(), RecordingSink()
    driver = ScriptedDriver("D1", clock, polls=["good", "partial", "partial", "good"])
    poller = make(clock, sink, driver)

    await run_until_idle(poller, driver)

    assert sink.statuses() == [ONLINE, DEGRADED, ONLINE]
    degraded = sink.health[1]
    assert degraded.reason == "1 of 3 points bad: refused"
    assert degraded.consecutive_failures == 1
    assert degraded.last_good == EPOCH
    assert lines(caplog) == [
        (logging.WARNING, "D1 degraded: 1 of 3 points bad: refused"),
        (logging.INFO, "D1: every point reads good again"),
    ]
    assert len(driver.connect_times) == 1, "a degraded device keeps its connection"


async def test_a_driver_bug_is_logged_and_polling_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock, sink = FakeClock(), RecordingSink()
    driver = ScriptedDriver("D1", clock, polls=[RuntimeError("bug"), "good"])
    poller = make(clock, sink, driver)

    await run_until_idle(poller, driver)

    assert sink.statuses() == [ONLINE]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert errors[0].exc_info is not None


async def test_the_first_connect_waits_for_the_start_delay() -> None:
    clock, sink = FakeClock(), RecordingSink()
    driver = ScriptedDriver("D1", clock, polls=["good"])
    poller = make(clock, sink, driver, start_delay_s=0.3)

    await run_until_idle(poller, driver)

    assert driver.connect_times == [0.3]


async def test_stopping_closes_the_driver() -> None:
    clock, sink = FakeClock(), RecordingSink()
    driver = ScriptedDriver("D1", clock, polls=["good"])
    poller = make(clock, sink, driver)

    await run_until_idle(poller, driver)

    assert driver.closed == 1


async def test_stopping_during_backoff_closes_the_driver() -> None:
    clock, sink = FakeClock(), RecordingSink()
    driver = ScriptedDriver("D1", clock, connects=[refused()] * 3)

    class StuckClock(FakeClock):
        async def sleep(self, seconds: float) -> None:
            driver.idle.set()
            await asyncio.Event().wait()

    poller = make(StuckClock(), sink, driver)

    await run_until_idle(poller, driver)

    assert driver.closed == 1
    assert poller.health().status is OFFLINE
