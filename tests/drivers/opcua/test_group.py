"""An OPC UA processor in the PollerGroup: it streams instead of being polled,
and the group answers for its health and writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.errors import NotFoundError
from drivers.group import PollerGroup
from simulators.opcua_site import perimeter_simulator_for
from tests.perimeter_support import (
    RecordingSink,
    device_at,
    perimeter_profile,
    perimeter_site,
)
from topology.loader import LoadedSite
from topology.sample import DeviceStatus

PROFILE = perimeter_profile(2)
SITE = perimeter_site(2)


async def test_the_group_runs_opcua_devices_as_streams() -> None:
    async with perimeter_simulator_for(SITE, {"pids": PROFILE}, "PP-1") as sim:
        devices = [
            device_at(SITE, "PP-1", sim.port) if d.id == "PP-1" else d
            for d in SITE.devices
        ]
        site = LoadedSite(
            Path("site.yaml"),
            SITE.model_copy(update={"devices": devices}),
            {},
            None,
            {"pids": PROFILE},
        )
        sink = RecordingSink()
        group = PollerGroup(site, sink)
        assert group.devices == ("PP-1",)

        async with group:
            await sink.wait_health(lambda h: h.status is DeviceStatus.ONLINE)
            await group.write_point("PP-1", "relay", True)
            relay = await sink.wait_for(lambda s: s.point == "relay" and s.value)
            health = group.health("PP-1")
            with pytest.raises(NotFoundError):
                group.health("CAM-1")

        assert sim.session_count() == 0

    assert relay.value is True
    assert health.status is DeviceStatus.ONLINE
    assert group.stats().devices == 0
