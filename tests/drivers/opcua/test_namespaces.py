"""Namespace indexes change between server starts; the driver follows the URIs."""

from __future__ import annotations

import asyncio

from drivers.backoff import Backoff
from drivers.opcua.driver import OpcUaDriver
from simulators.opcua_site import perimeter_simulator_for
from tests.perimeter_support import (
    URI,
    RecordingSink,
    device_at,
    perimeter_profile,
    perimeter_site,
)
from topology.sample import Quality

PROFILE = perimeter_profile(2)
SITE = perimeter_site(2)


async def test_nodes_are_found_again_when_the_namespaces_are_reordered() -> None:
    first = perimeter_simulator_for(SITE, {"pids": PROFILE}, "PP-1")
    sink = RecordingSink()
    task: asyncio.Task[None] | None = None
    try:
        await first.start()
        port = first.port
        driver = OpcUaDriver(
            device_at(SITE, "PP-1", port),
            PROFILE,
            sink,
            backoff=Backoff(base_s=0.1, cap_s=0.3),
            keepalive_s=0.5,
        )
        task = asyncio.create_task(driver.run())
        await first.climb("OF-02")
        await sink.wait_for(lambda s: s.point == "z2_alarm" and s.value is True)
        old_index = first.node_id("z2_alarm").NamespaceIndex
        await first.close()

        # The same device, rebooted with a firmware that registers two more
        # namespaces before its own.
        second = perimeter_simulator_for(
            SITE,
            {"pids": PROFILE},
            "PP-1",
            port=port,
            namespaces=["urn:acme:diagnostics", "urn:acme:io", URI],
        )
        async with second:
            mark = len(sink.samples)
            await second.cut("OF-01")
            alarm = await sink.wait_for(
                lambda s: s.point == "z1_alarm" and s.value is True, after=mark
            )
            quiet = await sink.wait_for(
                lambda s: s.point == "z2_alarm" and s.value is False, after=mark
            )
            new_index = second.node_id("z2_alarm").NamespaceIndex
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    finally:
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await first.close()

    assert new_index != old_index
    assert alarm.quality is Quality.GOOD
    # The new server never saw the climb on OF-02: its fresh state is read.
    assert quiet.quality is Quality.GOOD
    assert driver.sessions_opened == 2
