"""From the fence to the twin over real OPC UA: a cut segment alarms, names its
cameras and breaches the perimeter zone; a processor reboot shows as offline
segments, then everything comes back by itself."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from drivers.backoff import Backoff
from drivers.opcua.driver import OpcUaDriver
from simulators.opcua_site import perimeter_simulator_for
from tests.perimeter_support import device_at, perimeter_profile, perimeter_site
from topology.loader import LoadedSite
from twin.events import Event, EventType, Subscription
from twin.model import Twin

PROFILE = perimeter_profile(4)
SITE = perimeter_site(4)


async def _until(
    events: Subscription, predicate: Callable[[Event], bool], within: float = 5.0
) -> Event:
    async with asyncio.timeout(within):
        while True:
            event = await events.get()
            if predicate(event):
                return event


async def test_a_cut_fence_breaches_the_zone_and_a_reboot_recovers() -> None:
    twin = Twin(LoadedSite(Path("site.yaml"), SITE, {}, None, {"pids": PROFILE}))
    events = twin.bus.subscribe()
    simulator = perimeter_simulator_for(SITE, {"pids": PROFILE}, "PP-1")
    async with simulator:
        driver = OpcUaDriver(
            device_at(SITE, "PP-1", simulator.port),
            PROFILE,
            twin,
            backoff=Backoff(base_s=0.1, cap_s=0.3),
            keepalive_s=0.5,
        )
        task = asyncio.create_task(driver.run())
        try:
            await _until(events, lambda e: e.node == "perimeter" and e.new == "secure")

            await simulator.cut("OF-03")
            alarm = await _until(events, lambda e: e.type == EventType.ALARM_RAISED)
            breach = await _until(events, lambda e: e.node == "perimeter")
            cut_status = twin.node("OF-03").state["status"]

            await simulator.clear("OF-03")
            await _until(events, lambda e: e.node == "perimeter" and e.new == "secure")

            await simulator.stop()
            await _until(events, lambda e: e.node == "OF-01" and e.new == "offline")
            degraded = twin.node("perimeter").state["status"]
            await simulator.start()
            await _until(events, lambda e: e.node == "OF-01" and e.new == "normal")
            await _until(events, lambda e: e.node == "perimeter" and e.new == "secure")
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    assert (alarm.node, alarm.new) == ("OF-03", "fence_intrusion")
    assert alarm.detail["cameras"] == ["CAM-1"]
    assert alarm.detail["neighbours"] == ["OF-02", "OF-04"]
    assert alarm.detail["neighbour_cameras"] == ["CAM-2"]
    assert cut_status == "alarm"
    assert (breach.old, breach.new) == ("secure", "breach")
    assert degraded == "degraded"
    # The reboot never looked like sensors failing: no segment went to fault.
    faults = [(e.node, e.old, e.detail) for e in twin.bus.recent() if e.new == "fault"]
    assert not faults, faults
