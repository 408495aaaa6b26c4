"""Servers without subscriptions are polled; nodes and namespaces the server
lacks are reported bad and the device degraded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from drivers.opcua.driver import OpcUaDriver
from simulators.opcua import PerimeterSimulator
from simulators.opcua_site import perimeter_simulator_for
from tests.perimeter_support import (
    URI,
    RecordingSink,
    check_no_leaked_tasks,
    device_at,
    perimeter_profile,
    perimeter_site,
)
from topology.profile_opcua import OpcUaProfile
from topology.sample import DeviceStatus, Quality

pytestmark = pytest.mark.asyncio(loop_scope="module")

PROFILE = perimeter_profile(2)
SITE = perimeter_site(2)


@pytest_asyncio.fixture(autouse=True, loop_scope="module")
async def no_leaked_tasks() -> AsyncIterator[None]:
    async for _ in check_no_leaked_tasks():
        yield


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def simulator() -> AsyncIterator[PerimeterSimulator]:
    sim = perimeter_simulator_for(SITE, {"pids": PROFILE}, "PP-1", subscriptions=False)
    async with sim:
        yield sim


async def _run(
    simulator: PerimeterSimulator, profile: OpcUaProfile
) -> tuple[asyncio.Task[None], RecordingSink]:
    sink = RecordingSink()
    driver = OpcUaDriver(device_at(SITE, "PP-1", simulator.port), profile, sink)
    return asyncio.create_task(driver.run()), sink


async def test_a_server_refusing_subscriptions_is_polled(
    simulator: PerimeterSimulator,
) -> None:
    task, sink = await _run(simulator, PROFILE)
    try:
        online = await sink.wait_health(lambda h: h.status is DeviceStatus.ONLINE)
        first = await sink.wait_for(lambda s: s.point == "z1_alarm")
        # Polling repeats an unchanged value; a subscription would not.
        again = await sink.wait_for(
            lambda s: s.point == "z1_alarm", after=sink.samples.index(first) + 1
        )
        await simulator.cut("OF-01")
        alarm = await sink.wait_for(lambda s: s.point == "z1_alarm" and s.value)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await simulator.clear("OF-01")

    assert first.value is False
    assert again.value is False
    assert again.received_time > first.received_time
    assert alarm.quality is Quality.GOOD
    assert online.reason is None


async def test_missing_nodes_and_namespaces_are_bad_and_degrade_the_device(
    simulator: PerimeterSimulator,
) -> None:
    profile = OpcUaProfile.model_validate(
        {
            "id": "pids",
            "sampling_interval_s": 0.05,
            "points": [
                {"name": "z1_alarm", "node": f"nsu={URI};s=Zone01.Alarm"},
                {"name": "ghost", "node": f"nsu={URI};s=Zone99.Alarm"},
                {"name": "elsewhere", "node": "nsu=urn:other:vendor;s=Zone01.Alarm"},
            ],
        }
    )
    task, sink = await _run(simulator, profile)
    try:
        health = await sink.wait_health(lambda h: h.status is not DeviceStatus.UNKNOWN)
        ghost = await sink.wait_for(lambda s: s.point == "ghost")
        elsewhere = await sink.wait_for(lambda s: s.point == "elsewhere")
        alarm = await sink.wait_for(lambda s: s.point == "z1_alarm")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    assert health.status is DeviceStatus.DEGRADED
    assert (ghost.quality, ghost.reason) == (Quality.BAD, "BadNodeIdUnknown")
    assert elsewhere.quality is Quality.BAD
    assert elsewhere.reason is not None and "urn:other:vendor" in elsewhere.reason
    assert alarm.quality is Quality.GOOD
