"""The simulated switch network of a site: one agent per switch, wired as the
site's ``links`` say, failing the way cables and switches fail.

Each device of the site that speaks SNMP and is a switch becomes a
:class:`~simulators.snmp.SwitchSimulator` with one port per port name its
links use (ifIndex 1, 2, ... in natural order: ``Gi1/0/2`` before
``Gi1/0/10``). Each port knows what is on the other end: switches, cameras
and servers are LLDP neighbours; every device behind a port that has a
``mac`` in the site file is in the port's forwarding table (BRIDGE-MIB).
Communities and SNMPv3 users come from the devices' ``snmp`` settings, with
secrets read from the environment, like the driver does.

:class:`SimulatedNetwork` acts on the whole: failing a switch silences it and
takes down the ports facing it on its neighbours (which send linkDown), cutting
a link takes down both ends, unplugging an end device takes down its switch
port.

Errors: ``KeyError`` naming an unknown device or link; ``AgentError`` when an
agent cannot start or send.
"""

from __future__ import annotations

import logging
import os
import re
import weakref
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulators.errors import FaultError, SimulatorStartError
from simulators.snmp import SwitchSimulator, TrapTarget, V3User
from simulators.snmp_agent import AgentError
from simulators.snmp_switch import Clock, Neighbour, Port, SwitchModel, mac_for
from simulators.world import Fault
from topology.network import PortRef
from topology.site import Device, DeviceKind, Endpoint, Protocol, SiteFile

if TYPE_CHECKING:
    from simulators.runner import SiteContext

logger = logging.getLogger(__name__)

LLDP_KINDS = frozenset({DeviceKind.SWITCH, DeviceKind.CAMERA, DeviceKind.SERVER})
"""Device kinds that announce themselves with LLDP; door controllers and
perimeter processors are usually too simple to."""

DEFAULT_PORT_ID = "eth0"


def _natural(name: str) -> list[object]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _mac(value: str) -> bytes:
    return bytes.fromhex(value.replace(":", ""))


@dataclass(frozen=True, slots=True)
class _End:
    """One end of a link on a simulated switch: its port and the far end."""

    switch: str
    port: str
    far: PortRef


class SimulatedNetwork:
    """The simulated switches of a site. Start with :func:`start_snmp_network`."""

    def __init__(
        self,
        site: SiteFile,
        *,
        trap_targets: Sequence[TrapTarget] = (),
        environ: Mapping[str, str] | None = None,
        clock: Clock | None = None,
        port_traffic: float = 12_500.0,
    ) -> None:
        env = os.environ if environ is None else environ
        self.site = site
        self._devices = {device.id: device for device in site.devices}
        switches = [
            d
            for d in site.devices
            if d.protocol is Protocol.SNMP and d.kind is DeviceKind.SWITCH
        ]
        switch_ids = {device.id for device in switches}
        self._ends: list[_End] = []
        for link in site.links:
            for near, far in ((link.a, link.b), (link.b, link.a)):
                if near.device in switch_ids and near.port is not None:
                    self._ends.append(_End(near.device, near.port, far))

        self.switches: dict[str, SwitchSimulator] = {}
        for device in switches:
            model = self._model(device, clock, port_traffic)
            communities, users = _credentials(device, env)
            self.switches[device.id] = SwitchSimulator(
                model,
                communities=communities,
                users=users,
                trap_targets=trap_targets,
            )

    def _model(
        self, device: Device, clock: Clock | None, traffic: float
    ) -> SwitchModel:
        ends = [end for end in self._ends if end.switch == device.id]
        names = sorted({end.port for end in ends}, key=_natural)
        ports = [
            Port(
                index,
                name,
                mac=mac_for(device.id, index),
                in_rate=traffic,
                out_rate=traffic / 2,
            )
            for index, name in enumerate(names, start=1)
        ]
        options = {} if clock is None else {"clock": clock}
        model = SwitchModel(
            device.id,
            ports,
            descr=f"Warden simulated switch {device.name or device.id}",
            location=device.location or "",
            **options,  # type: ignore[arg-type]
        )
        for end in ends:
            far = self._devices.get(end.far.device)
            if far is None:
                continue
            port = model.port(end.port)
            port.alias = str(end.far)
            if far.kind in LLDP_KINDS:
                model.set_neighbour(
                    end.port,
                    Neighbour(
                        far.id,
                        end.far.port or DEFAULT_PORT_ID,
                        _mac(far.mac) if far.mac else mac_for(far.id),
                    ),
                )
            model.set_learned_macs(end.port, self._macs_behind(device.id, far.id))
        return model

    def _macs_behind(self, switch: str, first: str) -> list[bytes]:
        """MAC addresses of ``first`` and everything reached through it without
        passing back through ``switch``."""
        seen = {switch, first}
        queue = [first]
        while queue:
            here = queue.pop()
            for link in self.site.links:
                for near, far in ((link.a, link.b), (link.b, link.a)):
                    if near.device == here and far.device not in seen:
                        seen.add(far.device)
                        queue.append(far.device)
        seen.discard(switch)
        return [
            _mac(mac)
            for device_id in sorted(seen)
            if (mac := self._devices[device_id].mac) is not None
        ]

    @property
    def endpoints(self) -> dict[str, Endpoint]:
        """Where each simulated switch listens (real ports once started)."""
        found = {}
        for device_id, simulator in self.switches.items():
            host, port = simulator.address
            found[device_id] = Endpoint(host=host, port=port)
        return found

    async def start(self) -> None:
        """Start every switch on its site port (0: a free one), on loopback."""
        try:
            for device_id, simulator in self.switches.items():
                endpoint = self._devices[device_id].endpoint
                await simulator.start("127.0.0.1", endpoint.port if endpoint else 0)
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        for simulator in self.switches.values():
            await simulator.stop()

    def site_device(self, device_id: str) -> Device:
        return self._devices[device_id]

    def switch(self, device_id: str) -> SwitchSimulator:
        try:
            return self.switches[device_id]
        except KeyError:
            raise KeyError(f"{device_id} is not a simulated switch") from None

    def _facing(self, device_id: str, peer: str | None = None) -> list[_End]:
        """The switch ports whose far end is ``device_id`` (and on ``peer`` only,
        if given)."""
        return [
            end
            for end in self._ends
            if end.far.device == device_id and (peer is None or end.switch == peer)
        ]

    async def _set_ends(self, ends: Sequence[_End], up: bool) -> None:
        for end in ends:
            await self.switches[end.switch].set_link(end.port, up)

    async def fail_switch(self, device_id: str) -> None:
        """Power a switch off: it stops answering; the ports facing it on its
        neighbours go down (sending linkDown)."""
        await self.switch(device_id).power_off()
        await self._set_ends(self._facing(device_id), up=False)

    async def restore_switch(self, device_id: str) -> None:
        """Power a failed switch on again (coldStart) and bring its links up."""
        await self.switch(device_id).power_on()
        await self._set_ends(self._facing(device_id), up=True)

    async def cut(self, a: str, b: str) -> None:
        """Cut the cable between devices ``a`` and ``b``: both ends go down."""
        ends = self._facing(a, b) + self._facing(b, a)
        if not ends:
            raise KeyError(f"no simulated link between {a} and {b}")
        await self._set_ends(ends, up=False)

    async def mend(self, a: str, b: str) -> None:
        """Repair the cable cut with :meth:`cut`."""
        await self._set_ends(self._facing(a, b) + self._facing(b, a), up=True)

    async def unplug(self, device_id: str) -> None:
        """Pull an end device's cable: its switch port goes down."""
        ends = self._facing(device_id)
        if not ends:
            raise KeyError(f"{device_id} is not linked to a simulated switch")
        await self._set_ends(ends, up=False)

    async def plug(self, device_id: str) -> None:
        await self._set_ends(self._facing(device_id), up=True)


def _credentials(
    device: Device, environ: Mapping[str, str]
) -> tuple[list[str], list[V3User]]:
    settings = device.snmp
    if settings is None:
        return ["public"], []
    if settings.version == "v2c":
        community = settings.community
        if community is None and settings.community_env is not None:
            community = environ.get(settings.community_env)
        if not community:
            raise KeyError(f"{device.id}: community variable {settings.community_env}")
        return [community], []
    assert settings.user is not None
    auth_key = environ.get(settings.auth_key_env) if settings.auth_key_env else None
    priv_key = environ.get(settings.priv_key_env) if settings.priv_key_env else None
    user = V3User(
        settings.user,
        settings.auth_protocol,
        auth_key,
        settings.priv_protocol,
        priv_key,
    )
    return [], [user]


@asynccontextmanager
async def start_snmp_network(
    site: SiteFile,
    *,
    trap_targets: Sequence[TrapTarget] = (),
    environ: Mapping[str, str] | None = None,
    clock: Clock | None = None,
) -> AsyncIterator[SimulatedNetwork]:
    """Run the site's simulated switches for the block; all stop on the way out."""
    network = SimulatedNetwork(
        site, trap_targets=trap_targets, environ=environ, clock=clock
    )
    await network.start()
    try:
        yield network
    finally:
        await network.stop()


class SnmpSwitchDevice:
    """One switch of a :class:`SimulatedNetwork` as the simulator runner sees a
    device (``simulators.runner.DeviceSimulator``).

    Stopping it fails the switch (its neighbours' ports facing it go down);
    starting it again restores it (coldStart, links up).
    """

    def __init__(self, network: SimulatedNetwork, device_id: str) -> None:
        self.device_id = device_id
        self._network = network
        self._simulator = network.switch(device_id)
        self._started_once = False

    @property
    def endpoint(self) -> Endpoint:
        host, port = self._simulator.address
        return Endpoint(host=host, port=port)

    @property
    def running(self) -> bool:
        return self._simulator.powered

    def check_fault(self, fault: Fault) -> None:
        """Only a healthy answer is simulated; a switch that is down is stopped."""
        if not fault.is_healthy:
            raise FaultError(
                f"switch {self.device_id} cannot simulate slow or malformed SNMP "
                "answers; stop it to take it down"
            )

    async def start(self) -> None:
        """Boot the switch on its site port (0: a free one, kept afterwards).
        Raises :class:`SimulatorStartError` when the port cannot be bound."""
        if self._simulator.powered:
            return
        try:
            if not self._started_once:
                device = self._network.site_device(self.device_id)
                port = device.endpoint.port if device.endpoint else 0
                await self._simulator.start("127.0.0.1", port)
                self._started_once = True
            else:
                await self._network.restore_switch(self.device_id)
        except AgentError as exc:
            raise SimulatorStartError(f"switch {self.device_id}: {exc}") from exc

    async def stop(self) -> None:
        if self._simulator.powered:
            await self._network.fail_switch(self.device_id)


_NETWORKS: weakref.WeakKeyDictionary[object, SimulatedNetwork] = (
    weakref.WeakKeyDictionary()
)


def snmp_factory(device: Device, context: SiteContext) -> SnmpSwitchDevice | None:
    """The runner's factory for SNMP devices: switches only, sharing one
    :class:`SimulatedNetwork` per simulated site (its world of cables). Traps
    go to the site's ``network.trap_host:trap_port``."""
    if device.kind is not DeviceKind.SWITCH:
        logger.warning(
            "device %s speaks snmp but is not a switch; not simulated", device.id
        )
        return None
    if device.snmp is None:
        logger.warning("device %s has no snmp settings; not simulated", device.id)
        return None
    network = _NETWORKS.get(context.world)
    if network is None:
        network = SimulatedNetwork(
            context.site.site, trap_targets=_trap_targets(context.site.site)
        )
        _NETWORKS[context.world] = network
    return SnmpSwitchDevice(network, device.id)


def _trap_targets(site: SiteFile) -> list[TrapTarget]:
    """Every SNMP switch sends traps to the platform's receiver with its own
    credentials; one target per distinct community or user."""
    settings = site.network
    # Port 0 lets the platform pick a free port; nothing can be sent there.
    if settings is None or not settings.trap_port:
        return []
    targets: list[TrapTarget] = []
    for device in site.devices:
        if device.protocol is not Protocol.SNMP or device.snmp is None:
            continue
        try:
            communities, users = _credentials(device, os.environ)
        except KeyError:
            continue
        for community in communities:
            target = TrapTarget(
                settings.trap_host, settings.trap_port, community=community
            )
            if target not in targets:
                targets.append(target)
        for user in users:
            target = TrapTarget(settings.trap_host, settings.trap_port, user=user)
            if target not in targets:
                targets.append(target)
    return targets
