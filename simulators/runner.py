"""Starting and stopping every simulated device of a site together.

``async with start_simulators(site) as sims:`` builds the world from the site,
starts one protocol server per device that a registered factory can simulate
(Modbus and OPC UA devices with a profile) and stops them all on the way out,
leaving no task behind. Other protocols plug in with :func:`register_factory`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType, TracebackType
from typing import Protocol as TypingProtocol

from simulators.errors import UnknownDeviceError
from simulators.modbus import ModbusDeviceSimulator
from simulators.opcua_device import opcua_factory
from simulators.snmp_site import snmp_factory
from simulators.world import Fault, World
from topology.loader import LoadedSite
from topology.site import Device, Door, Endpoint, Protocol

logger = logging.getLogger(__name__)


class DeviceSimulator(TypingProtocol):
    """What the set needs from one simulated device of any protocol."""

    device_id: str

    @property
    def endpoint(self) -> Endpoint:
        """Where it listens (the real port once started)."""
        ...

    @property
    def running(self) -> bool: ...

    def check_fault(self, fault: Fault) -> None:
        """Raise :class:`FaultError` if the protocol cannot show this fault."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass(frozen=True)
class SiteContext:
    """What a simulator factory may use: the site, the shared world, and for
    each device id the doors whose bindings or lock name it."""

    site: LoadedSite
    world: World
    doors_by_device: Mapping[str, Sequence[Door]]


SimulatorFactory = Callable[[Device, SiteContext], DeviceSimulator | None]
"""Builds the simulator of one device, or returns ``None`` to leave it out."""

_FACTORIES: dict[Protocol, SimulatorFactory] = {}


def register_factory(protocol: Protocol, factory: SimulatorFactory) -> None:
    """Simulate devices of ``protocol`` with ``factory`` (replacing any before)."""
    _FACTORIES[protocol] = factory


def _doors_by_device(doors: Iterable[Door]) -> dict[str, list[Door]]:
    found: dict[str, list[Door]] = defaultdict(list)
    for door in doors:
        refs = [*door.bindings.refs().values(), door.lock]
        for device_id in {ref.device for ref in refs if ref is not None}:
            found[device_id].append(door)
    return dict(found)


def _modbus_factory(device: Device, context: SiteContext) -> DeviceSimulator | None:
    if device.profile is None:
        logger.warning("device %s has no profile; not simulated", device.id)
        return None
    return ModbusDeviceSimulator(
        device,
        context.site.profile_for(device.id),
        context.doors_by_device.get(device.id, ()),
        context.world,
    )


register_factory(Protocol.MODBUS, _modbus_factory)
register_factory(Protocol.SNMP, snmp_factory)
register_factory(Protocol.OPCUA, opcua_factory)


class SimulatorSet:
    """The simulated devices of one site and the world they sense.

    Use as an async context manager (see :func:`start_simulators`). Device ids
    that are not simulated raise :class:`UnknownDeviceError`.
    """

    def __init__(self, site: LoadedSite, *, world: World | None = None) -> None:
        self.site = site
        self.world = world if world is not None else World.from_site(site.site)
        context = SiteContext(site, self.world, _doors_by_device(site.site.doors))
        simulators: dict[str, DeviceSimulator] = {}
        for device in site.site.devices:
            factory = _FACTORIES.get(device.protocol)
            if factory is None:
                continue
            simulator = factory(device, context)
            if simulator is not None:
                simulators[device.id] = simulator
        self._simulators = simulators

    @property
    def simulators(self) -> Mapping[str, DeviceSimulator]:
        """Every simulated device by id."""
        return MappingProxyType(self._simulators)

    @property
    def endpoints(self) -> dict[str, Endpoint]:
        """Where each simulated device listens, by device id, with real ports."""
        return {
            device_id: simulator.endpoint
            for device_id, simulator in self._simulators.items()
        }

    def simulator(self, device_id: str) -> DeviceSimulator:
        try:
            return self._simulators[device_id]
        except KeyError:
            if device_id in self.world.devices:
                raise UnknownDeviceError(device_id, "simulated here") from None
            raise UnknownDeviceError(device_id) from None

    async def start(self) -> None:
        """Start every device. If one cannot start, stop those already started
        and raise its :class:`SimulatorStartError`."""
        try:
            for simulator in self._simulators.values():
                await simulator.start()
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Stop every device and cancel the world's pending timers. Every device
        is stopped even if one fails to; the first failure is raised after."""
        try:
            outcomes = await asyncio.gather(
                *(simulator.stop() for simulator in self._simulators.values()),
                return_exceptions=True,
            )
        finally:
            self.world.close()
        failures = [
            outcome for outcome in outcomes if isinstance(outcome, BaseException)
        ]
        for failure in failures:
            logger.error("a simulated device failed to stop: %r", failure)
        if failures:
            raise failures[0]

    async def stop_device(self, device_id: str) -> None:
        """Stop one device: its listener closes and its connections drop."""
        await self.simulator(device_id).stop()

    async def start_device(self, device_id: str) -> None:
        """Start one device again, on the same port."""
        await self.simulator(device_id).start()

    def set_fault(self, device_id: str, fault: Fault) -> None:
        """Make one device misbehave from its next answer on; raise
        :class:`FaultError` if its protocol cannot show the fault."""
        simulator = self.simulator(device_id)
        simulator.check_fault(fault)
        self.world.set_fault(device_id, fault)

    async def __aenter__(self) -> SimulatorSet:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


def start_simulators(site: LoadedSite, *, world: World | None = None) -> SimulatorSet:
    """The simulators of ``site``, to be entered with ``async with``.

    Entering starts them all (raising :class:`SimulatorStartError` if a port is
    taken), leaving stops them all. ``world`` lets a caller share one world.
    """
    return SimulatorSet(site, world=world)
