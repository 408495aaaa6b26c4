"""A perimeter processor as one device of a :class:`~simulators.runner.SimulatorSet`.

:class:`OpcUaDeviceSimulator` wraps a :class:`~simulators.opcua.PerimeterSimulator`
so the set starts and stops it with the other devices, and ties it to the shared
world: a point value set on the world (a scenario's ``set_point``, the control
interface) is written to the processor's node, so
``set_point PP-OUTER/zone03_alarm true`` is someone cutting the fence. Stopping
releases the server entirely; starting again rebuilds it on the same port (about
two seconds) from the world's values.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from simulators.errors import FaultError, SimulatorStartError
from simulators.modbus import loopback_host
from simulators.opcua import PerimeterSimulator
from simulators.opcua_site import perimeter_simulator_for
from simulators.world import Fault, World, WorldChange
from topology.site import Device, Endpoint

if TYPE_CHECKING:
    from simulators.runner import SiteContext

logger = logging.getLogger(__name__)

_POINT = "point:"


class OpcUaDeviceSimulator:
    """One simulated OPC UA perimeter processor whose points follow ``world``."""

    def __init__(self, device: Device, simulator: PerimeterSimulator, world: World):
        self.device_id = device.id
        self._device = device
        self._sim = simulator
        self._world = world
        self._changes: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self._pump: asyncio.Task[None] | None = None
        self._unlisten: Callable[[], None] | None = None

    @property
    def simulator(self) -> PerimeterSimulator:
        """The OPC UA server itself, for direct world actions (``cut``...)."""
        return self._sim

    @property
    def endpoint(self) -> Endpoint:
        """Where the processor listens; the real port once it has started."""
        security = self._device.endpoint.security if self._device.endpoint else None
        return Endpoint.model_validate({"url": self._sim.url, "security": security})

    @property
    def running(self) -> bool:
        return self._sim.running

    def check_fault(self, fault: Fault) -> None:
        """Only a healthy processor can be simulated: stop and start it instead."""
        if not fault.is_healthy:
            raise FaultError(
                f"device {self.device_id!r} speaks OPC UA, whose simulator cannot "
                "delay, refuse or garble answers; stop and start it instead"
            )

    async def start(self) -> None:
        """Serve on the endpoint's port (the same one after a stop), with every
        point value the world holds for this device. Raises
        :class:`SimulatorStartError` when the port cannot be bound."""
        if self._sim.running:
            return
        try:
            await self._sim.start()
        except OSError as exc:
            await self._sim.close()
            raise SimulatorStartError(
                f"device {self.device_id!r} cannot listen on {self._sim.url}: {exc}"
            ) from exc
        for point, value in self._world.device(self.device_id).values.items():
            self._changes.put_nowait((point, value))
        self._unlisten = self._world.add_listener(self._on_change, [self.device_id])
        self._pump = asyncio.create_task(
            self._write_changes(), name=f"world to {self.device_id}"
        )
        self._world.record_running(self.device_id, True)

    async def stop(self) -> None:
        """Drop every session and release the server."""
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        if self._pump is not None:
            self._pump.cancel()
            await asyncio.gather(self._pump, return_exceptions=True)
            self._pump = None
        was_running = self._sim.running
        await self._sim.close()
        if was_running:
            self._world.record_running(self.device_id, False)

    def _on_change(self, change: WorldChange) -> None:
        if change.attribute.startswith(_POINT):
            self._changes.put_nowait((change.attribute[len(_POINT) :], change.value))

    async def _write_changes(self) -> None:
        while True:
            point, value = await self._changes.get()
            try:
                await self._sim.set_value(point, value)
            except KeyError:
                logger.warning("%s has no point %r; ignored", self.device_id, point)


def opcua_factory(device: Device, context: SiteContext) -> OpcUaDeviceSimulator | None:
    """The simulator of an OPC UA ``device`` of the set's site, or ``None`` (with
    a warning) when the site gives it no OPC UA profile."""
    site = context.site
    if device.profile not in site.opcua_profiles:
        logger.warning("device %s has no OPC UA profile; not simulated", device.id)
        return None
    host = device.endpoint.host if device.endpoint else "127.0.0.1"
    simulator = perimeter_simulator_for(
        site.site, site.opcua_profiles, device.id, host=loopback_host(host)
    )
    return OpcUaDeviceSimulator(device, simulator, context.world)
