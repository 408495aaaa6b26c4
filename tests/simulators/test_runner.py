from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from simulators import runner
from simulators.errors import FaultError, UnknownDeviceError
from simulators.runner import SiteContext, start_simulators
from simulators.world import Fault
from topology.loader import LoadedSite
from topology.site import Device, Endpoint, Protocol


@dataclass
class FakeSnmpAgent:
    """Stands in for a simulator another protocol will register."""

    device_id: str
    context: SiteContext
    calls: list[str] = field(default_factory=list)

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint(port=16100)

    @property
    def running(self) -> bool:
        return bool(self.calls) and self.calls[-1] == "start"

    def check_fault(self, fault: Fault) -> None:
        if fault.exception_code is not None:
            raise FaultError("SNMP has no exception codes")

    async def start(self) -> None:
        self.calls.append("start")
        self.context.world.record_running(self.device_id, True)

    async def stop(self) -> None:
        self.calls.append("stop")
        self.context.world.record_running(self.device_id, False)


async def test_other_protocols_plug_in_through_the_registry(
    site: LoadedSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[FakeSnmpAgent] = []

    def factory(device: Device, context: SiteContext) -> FakeSnmpAgent:
        agent = FakeSnmpAgent(device.id, context)
        made.append(agent)
        return agent

    monkeypatch.setattr(runner, "_FACTORIES", dict(runner._FACTORIES))
    runner.register_factory(Protocol.SNMP, factory)

    async with start_simulators(site) as sims:
        endpoints = sims.endpoints
        running = sims.world.device("SW-1").running
        with pytest.raises(FaultError):
            sims.set_fault("SW-1", Fault(exception_code=2))

    assert [agent.device_id for agent in made] == ["SW-1"]
    assert endpoints["SW-1"].port == 16100
    assert running is True
    assert made[0].calls == ["start", "stop"]
    assert made[0].context.doors_by_device["DC-1"][0].id == "D-1"


async def test_devices_without_a_simulator_are_named(site: LoadedSite) -> None:
    async with start_simulators(site) as sims:
        with pytest.raises(UnknownDeviceError, match="'SW-1' simulated here"):
            await sims.stop_device("SW-1")
        with pytest.raises(UnknownDeviceError, match="'NOPE' in the simulated"):
            await sims.start_device("NOPE")
