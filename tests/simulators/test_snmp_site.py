"""Simulated switches started from a site by the simulator runner."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from drivers.snmp import oids
from drivers.snmp.client import SnmpClient
from drivers.snmp.security import SnmpCredentials
from drivers.snmp.traps import TrapEvent, TrapReceiver
from simulators.errors import FaultError
from simulators.runner import start_simulators
from simulators.world import Fault
from tests.drivers.snmp.switches import RecordingSink
from topology.loader import LoadedSite
from topology.site import SiteFile


def site(trap_port: int) -> LoadedSite:
    snmp = {"version": "v2c", "community": "lab-community"}
    return LoadedSite(
        path=Path("site.yaml"),
        site=SiteFile.model_validate(
            {
                "site": {"id": "t", "name": "t"},
                "devices": [
                    {"id": "SRV", "kind": "server", "protocol": "none"},
                    *(
                        {
                            "id": name,
                            "kind": "switch",
                            "protocol": "snmp",
                            "endpoint": {"port": 0},
                            "snmp": snmp,
                        }
                        for name in ("CORE", "SW-A")
                    ),
                    {
                        "id": "CAM-1",
                        "kind": "camera",
                        "protocol": "none",
                        "mac": "02:00:00:00:00:01",
                    },
                ],
                "network": {"platform": "SRV", "trap_port": trap_port},
                "links": [
                    {"a": "SRV", "b": "CORE/Gi1/0/48"},
                    {"a": "CORE/Gi1/0/1", "b": "SW-A/Gi1/0/48"},
                    {"a": "SW-A/Gi1/0/2", "b": "CAM-1"},
                ],
            }
        ),
        profiles={},
        graph=None,
    )


async def oper_status(address: tuple[str, int], if_index: int) -> object:
    client = SnmpClient(*address, SnmpCredentials.v2c("lab-community"), timeout_s=0.5)
    try:
        oid = (*oids.IF_OPER_STATUS, if_index)
        return (await client.get([oid]))[oid]
    finally:
        await client.close()


async def test_runner_starts_switches_and_a_stopped_switch_takes_links_down() -> None:
    events: asyncio.Queue[TrapEvent] = asyncio.Queue()
    receiver = TrapReceiver(
        RecordingSink(), communities=["lab-community"], on_trap=events.put_nowait
    )
    _, trap_port = await receiver.start()
    try:
        async with asyncio.timeout(15), start_simulators(site(trap_port)) as sims:
            core = sims.endpoints["CORE"]
            assert core.port != 0
            assert set(sims.simulators) == {"CORE", "SW-A"}
            receiver.add_device("CORE", core.host, core.port)
            # CORE's ports: Gi1/0/1 (index 1), Gi1/0/48 (index 2).
            assert await oper_status((core.host, core.port), 1) == 1

            await sims.stop_device("SW-A")
            event = await events.get()
            down = await oper_status((core.host, core.port), 1)

            await sims.start_device("SW-A")
            up = await oper_status((core.host, core.port), 1)
            with pytest.raises(FaultError):
                sims.set_fault("SW-A", Fault(delay_ms=100))
    finally:
        await receiver.stop()

    assert (event.device, event.kind, event.if_index) == ("CORE", "link_down", 1)
    assert (down, up) == (2, 1)
