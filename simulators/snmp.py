"""Simulated SNMP switches on loopback: a live model, or a recorded walk.

A :class:`SwitchSimulator` joins a :class:`~simulators.snmp_switch.SwitchModel`
(the world: ports, traffic, neighbours) to a
:class:`~simulators.snmp_agent.SnmpAgent` (the protocol), and acts on the world
the way the hardware would: unplugging a port changes ifOperStatus and sends
linkDown to every trap target; powering off stops all answers; powering on
starts sysUpTime and every counter from zero, counts one more SNMPv3 engine
boot and sends coldStart.

Use :func:`start_switch_simulator` (an async context manager) in tests, or
:func:`start_recorded_agent` to serve a ``.snmprec`` recording of a real
device in place of a simulated one.

Errors: :class:`~simulators.snmp_agent.AgentError` (cannot bind, bad key,
cannot send a trap); ``KeyError`` for an unknown port name.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from pysnmp.proto import rfc1902

from simulators.snmp_agent import (
    LoopingMib,
    MibSource,
    SnmpAgent,
    StaticMib,
    TrapTarget,
    V3User,
)
from simulators.snmp_switch import IF_ENTRY, SwitchModel, mac_for
from simulators.snmprec import read_snmprec

log = logging.getLogger(__name__)

COLD_START = (1, 3, 6, 1, 6, 3, 1, 1, 5, 1)
LINK_DOWN = (1, 3, 6, 1, 6, 3, 1, 1, 5, 3)
LINK_UP = (1, 3, 6, 1, 6, 3, 1, 1, 5, 4)

__all__ = [
    "SwitchSimulator",
    "TrapTarget",
    "V3User",
    "start_recorded_agent",
    "start_switch_simulator",
]


def engine_id_for(name: str) -> bytes:
    """An RFC 3411 engine id (enterprise 8072, MAC format) stable per name."""
    return bytes([0x80, 0x00, 0x1F, 0x88, 0x03]) + mac_for(name)


class SwitchSimulator:
    """One simulated switch: model plus agent. See the module docstring.

    ``loop_at`` makes the agent misbehave: every GETNEXT/GETBULK past that
    OID answers that OID again, as agents with a corrupt table do.
    """

    def __init__(
        self,
        model: SwitchModel,
        *,
        communities: Sequence[str] = ("public",),
        users: Sequence[V3User] = (),
        trap_targets: Sequence[TrapTarget] = (),
        engine_id: bytes | None = None,
        loop_at: tuple[int, ...] | None = None,
        max_bulk_varbinds: int = 64,
    ) -> None:
        self.model = model
        self.trap_targets = list(trap_targets)
        self._communities = tuple(communities)
        self._users = tuple(users)
        self._engine_id = engine_id or engine_id_for(model.name)
        self._loop_at = loop_at
        self._max_bulk = max_bulk_varbinds
        self._boots = 1
        self._agent: SnmpAgent | None = None
        self._host = "127.0.0.1"
        self._port = 0
        model.engine_id = self._engine_id

    @property
    def address(self) -> tuple[str, int]:
        """The bound UDP address; the port stays the same across reboots."""
        return self._host, self._port

    @property
    def powered(self) -> bool:
        return self._agent is not None

    @property
    def boots(self) -> int:
        """snmpEngineBoots the agent reports (1 on first start)."""
        return self._boots

    @property
    def engine_id(self) -> bytes:
        return self._engine_id

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        """Start answering on ``host:port`` (0: a free port); returns the address."""
        if self._agent is not None:
            raise RuntimeError(f"switch {self.model.name} already running")
        source: MibSource = self.model
        if self._loop_at is not None:
            source = LoopingMib(self.model, self._loop_at)
        agent = SnmpAgent(
            source,
            communities=self._communities,
            users=self._users,
            engine_id=self._engine_id,
            boots=self._boots,
            max_bulk_varbinds=self._max_bulk,
        )
        self._host, self._port = await agent.start(host, port)
        self._agent = agent
        log.debug("switch %s up on %s:%d", self.model.name, self._host, self._port)
        return self.address

    async def stop(self) -> None:
        agent, self._agent = self._agent, None
        if agent is not None:
            await agent.stop()

    async def power_off(self) -> None:
        """The switch loses power: no more answers and no traps."""
        await self.stop()

    async def power_on(self) -> None:
        """Boot again on the same port: uptime and counters from 0, one more
        engine boot, and a coldStart trap."""
        if self._agent is not None:
            return
        self._boots += 1
        self.model.restart()
        await self.start(self._host, self._port)
        await self.send_trap(COLD_START)

    async def reboot(self) -> None:
        await self.power_off()
        await self.power_on()

    async def replace(self, engine_id: bytes) -> None:
        """Swap in new hardware at the same address: another SNMPv3 engine id,
        boots from 1, uptime and counters from 0, and a coldStart trap."""
        await self.power_off()
        self._engine_id = engine_id
        self.model.engine_id = engine_id
        self._boots = 0
        await self.power_on()

    async def set_link(self, port: str, up: bool) -> None:
        """Plug (``up``) or unplug a cable; sends linkUp/linkDown on a change."""
        if self.model.set_link(port, up):
            await self._link_trap(port)

    async def set_admin(self, port: str, up: bool) -> None:
        """``no shutdown`` / ``shutdown`` on a port; traps like :meth:`set_link`."""
        if self.model.set_admin(port, up):
            await self._link_trap(port)

    async def send_trap(
        self, trap_oid: tuple[int, ...], var_binds: Sequence[tuple[Any, Any]] = ()
    ) -> None:
        """Send ``trap_oid`` to every trap target; nothing while powered off."""
        if self._agent is None:
            return
        uptime = self.model.uptime_ticks()
        for target in self.trap_targets:
            await self._agent.send_trap(target, trap_oid, uptime, var_binds)

    async def _link_trap(self, port_name: str) -> None:
        port = self.model.port(port_name)
        i = port.index
        await self.send_trap(
            LINK_UP if port.oper_up else LINK_DOWN,
            [
                ((*IF_ENTRY, 1, i), rfc1902.Integer32(i)),
                ((*IF_ENTRY, 7, i), rfc1902.Integer32(1 if port.admin_up else 2)),
                ((*IF_ENTRY, 8, i), rfc1902.Integer32(1 if port.oper_up else 2)),
            ],
        )


@asynccontextmanager
async def start_switch_simulator(
    model: SwitchModel,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    communities: Sequence[str] = ("public",),
    users: Sequence[V3User] = (),
    trap_targets: Sequence[TrapTarget] = (),
    engine_id: bytes | None = None,
    loop_at: tuple[int, ...] | None = None,
    max_bulk_varbinds: int = 64,
) -> AsyncIterator[SwitchSimulator]:
    """Run one simulated switch on loopback for the ``async with`` block.

    Read the bound port from ``simulator.address``. The agent is stopped on
    exit, whatever happened inside.
    """
    simulator = SwitchSimulator(
        model,
        communities=communities,
        users=users,
        trap_targets=trap_targets,
        engine_id=engine_id,
        loop_at=loop_at,
        max_bulk_varbinds=max_bulk_varbinds,
    )
    await simulator.start(host, port)
    try:
        yield simulator
    finally:
        await simulator.stop()


@asynccontextmanager
async def start_recorded_agent(
    path: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    communities: Sequence[str] = ("public",),
    users: Sequence[V3User] = (),
    engine_id: bytes | None = None,
) -> AsyncIterator[SnmpAgent]:
    """Serve a ``.snmprec`` recording (``OID|type|value`` lines) on loopback.

    The values never change: it stands in for a real device in read tests.
    Raises ``ValueError`` naming the line of a malformed recording.
    """
    values = read_snmprec(path)
    agent = SnmpAgent(
        StaticMib(values), communities=communities, users=users, engine_id=engine_id
    )
    await agent.start(host, port)
    try:
        yield agent
    finally:
        await agent.stop()
