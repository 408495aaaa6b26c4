"""A processor reboots: the driver sees the loss, records the gap, reconnects by
itself and keeps a single session.

Each test has a simulator of its own: a reboot starts new server tasks, which
would outlive the test if the simulator were shared by the module.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest_asyncio

from drivers.backoff import Backoff
from drivers.opcua.driver import OpcUaDriver
from simulators.opcua import PerimeterSimulator
from simulators.opcua_site import perimeter_simulator_for
from tests.perimeter_support import (
    RecordingSink,
    device_at,
    perimeter_profile,
    perimeter_site,
)
from topology.sample import DeviceStatus, Quality

PROFILE = perimeter_profile(2)
SITE = perimeter_site(2)


@pytest_asyncio.fixture
async def simulator() -> AsyncIterator[PerimeterSimulator]:
    async with perimeter_simulator_for(SITE, {"pids": PROFILE}, "PP-1") as sim:
        yield sim


async def test_restart_resumes_data_with_the_gap_marked_bad(
    simulator: PerimeterSimulator,
) -> None:
    sink = RecordingSink()
    driver = OpcUaDriver(
        device_at(SITE, "PP-1", simulator.port),
        PROFILE,
        sink,
        backoff=Backoff(base_s=0.1, cap_s=0.4),
        keepalive_s=0.5,
    )
    task = asyncio.create_task(driver.run())
    try:
        await sink.wait_for(lambda s: s.point == "z1_alarm" and s.value is False)
        assert simulator.session_count() == 1
        mark = len(sink.samples)

        await simulator.stop()
        gap = await sink.wait_for(
            lambda s: s.point == "z1_alarm" and s.quality is Quality.BAD, after=mark
        )
        offline = await sink.wait_health(lambda h: h.status is DeviceStatus.OFFLINE)
        await simulator.cut("OF-01")  # happens while nobody can see it
        await simulator.start()
        alarm = await sink.wait_for(
            lambda s: s.point == "z1_alarm" and s.value is True, after=mark
        )
        online_again = await sink.wait_health(
            lambda h: h.status is DeviceStatus.ONLINE and h.since > offline.since
        )

        assert gap.value is None
        assert gap.reason is not None and "connection lost" in gap.reason
        bad_points = {s.point for s in sink.samples[mark:] if s.quality is Quality.BAD}
        assert bad_points == PROFILE.point_names
        assert alarm.quality is Quality.GOOD
        assert gap.received_time <= alarm.received_time
        assert online_again.consecutive_failures == 0
        assert driver.sessions_opened == 2
        assert simulator.session_count() == 1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await simulator.clear("OF-01")

    # Cancelling the driver closed its session.
    assert simulator.session_count() == 0


async def test_a_server_down_at_start_is_retried_until_it_comes_up(
    simulator: PerimeterSimulator,
) -> None:
    await simulator.stop()
    sink = RecordingSink()
    driver = OpcUaDriver(
        device_at(SITE, "PP-1", simulator.port),
        PROFILE,
        sink,
        backoff=Backoff(base_s=0.05, cap_s=0.2),
    )
    task = asyncio.create_task(driver.run())
    try:
        first = await sink.wait_for(lambda s: s.point == "z2_alarm")
        offline = await sink.wait_health(lambda h: h.status is DeviceStatus.OFFLINE)
        await sink.wait_health(lambda h: h.consecutive_failures >= 0)
        await simulator.start()
        good = await sink.wait_for(
            lambda s: s.point == "z2_alarm" and s.quality is Quality.GOOD
        )
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    assert first.quality is Quality.BAD
    assert first.reason == "connection failed"
    # One gap marker per outage, however many attempts failed.
    assert len([s for s in sink.of("z2_alarm") if s.quality is Quality.BAD]) == 1
    assert offline.reason is not None
    assert good.value is False
    assert driver.sessions_opened == 1
