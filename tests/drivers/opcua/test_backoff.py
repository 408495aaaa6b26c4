"""Reconnect pacing against a port where nothing listens, on a fake clock."""

from __future__ import annotations

import asyncio
import socket

from drivers.backoff import Backoff
from drivers.opcua.driver import OpcUaDriver
from tests.drivers.fakes import FakeClock
from tests.perimeter_support import (
    RecordingSink,
    device_at,
    perimeter_profile,
    perimeter_site,
)
from topology.sample import DeviceStatus, Quality

PROFILE = perimeter_profile(1)
SITE = perimeter_site(1)


class CountingClock(FakeClock):
    """A fake clock that says when it has been slept on ``enough`` times."""

    def __init__(self, enough: int) -> None:
        super().__init__()
        self.enough = enough
        self.reached = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        if len(self.sleeps) + 1 >= self.enough:
            self.reached.set()
        await super().sleep(seconds)


def _closed_port() -> int:
    """A loopback port that was free a moment ago and has no listener now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_failed_connects_back_off_to_the_cap_with_one_gap_marker() -> None:
    clock = CountingClock(enough=6)
    sink = RecordingSink()
    driver = OpcUaDriver(
        device_at(SITE, "PP-1", _closed_port()),
        PROFILE,
        sink,
        backoff=Backoff(base_s=0.5, cap_s=4.0, jitter=0.0),
        clock=clock,
    )

    task = asyncio.create_task(driver.run())
    try:
        async with asyncio.timeout(10):
            await clock.reached.wait()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    assert clock.sleeps[:6] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert [h.status for h in sink.health] == [DeviceStatus.OFFLINE]
    assert sink.health[0].reason == "connection failed"
    assert {s.point for s in sink.samples} == PROFILE.point_names
    assert {s.quality for s in sink.samples} == {Quality.BAD}
    assert driver.health.consecutive_failures >= 6
    assert driver.sessions_opened == 0
