"""The simulated world of one switch: its ports, traffic, neighbours and clock.

:class:`SwitchModel` is a :class:`~simulators.snmp_agent.MibSource`: it
serves the system group, ifTable and ifXTable (one row per port), LLDP-MIB
neighbours and the BRIDGE-MIB forwarding table, computing counters and
sysUpTime from its clock at the moment each request is read.

Counters grow at each port's configured rate while its link is up, and wrap
like the real types (Counter32 modulo 2**32, Counter64 modulo 2**64).
``counter_offset`` starts them anywhere, for example just below a wrap.
sysUpTime is in hundredths of a second from the last boot, plus
``uptime_offset_ticks`` (to start just below its 497-day wrap), modulo 2**32.
"""

from __future__ import annotations

import bisect
import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pysnmp.proto import rfc1902

Oid = tuple[int, ...]
Clock = Callable[[], float]

SYSTEM = (1, 3, 6, 1, 2, 1, 1)
IF_NUMBER = (1, 3, 6, 1, 2, 1, 2, 1, 0)
IF_ENTRY = (1, 3, 6, 1, 2, 1, 2, 2, 1)
IFX_ENTRY = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1)
DOT1D_BASE_PORT_ENTRY = (1, 3, 6, 1, 2, 1, 17, 1, 4, 1)
DOT1D_TP_FDB_ENTRY = (1, 3, 6, 1, 2, 1, 17, 4, 3, 1)
LLDP_LOC_CHASSIS_ID = (1, 0, 8802, 1, 1, 2, 1, 3, 2, 0)
LLDP_LOC_SYS_NAME = (1, 0, 8802, 1, 1, 2, 1, 3, 3, 0)
LLDP_LOC_PORT_ENTRY = (1, 0, 8802, 1, 1, 2, 1, 3, 7, 1)
LLDP_REM_ENTRY = (1, 0, 8802, 1, 1, 2, 1, 4, 1, 1)
SNMP_ENGINE_ID = (1, 3, 6, 1, 6, 3, 10, 2, 1, 1, 0)

ETHERNET_CSMACD = 6
LLDP_CHASSIS_MAC = 4
LLDP_CHASSIS_LOCAL = 7
LLDP_PORT_INTERFACE_NAME = 5


def mac_for(name: str, index: int = 0) -> bytes:
    """A stable, locally administered MAC address derived from ``name``."""
    digest = hashlib.sha256(name.encode()).digest()
    base = bytes([0x02, *digest[:3], 0, 0])
    number = int.from_bytes(base, "big") + index
    return number.to_bytes(6, "big")


@dataclass(slots=True)
class Neighbour:
    """What LLDP on a port learned: the far device's name and its port."""

    system_name: str
    port: str
    chassis_mac: bytes | None = None


@dataclass(slots=True)
class Port:
    """One front-panel port. Rates are octets (or errors) per second."""

    index: int
    name: str
    alias: str = ""
    speed_bps: int = 1_000_000_000
    mac: bytes = b"\x00" * 6
    admin_up: bool = True
    link_up: bool = True
    in_rate: float = 0.0
    out_rate: float = 0.0
    in_error_rate: float = 0.0
    out_error_rate: float = 0.0
    counter_offset: int = 0
    neighbour: Neighbour | None = None
    learned_macs: list[bytes] = field(default_factory=list)
    # Totals at ``since`` (monotonic seconds); counting resumes from there.
    _totals: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0, 0.0])
    _since: float = 0.0

    @property
    def oper_up(self) -> bool:
        return self.admin_up and self.link_up

    def totals(self, now: float) -> list[float]:
        """in octets, out octets, in errors, out errors, counted up to ``now``."""
        if not self.oper_up:
            return list(self._totals)
        elapsed = max(0.0, now - self._since)
        rates = (self.in_rate, self.out_rate, self.in_error_rate, self.out_error_rate)
        return [t + r * elapsed for t, r in zip(self._totals, rates, strict=True)]

    def settle(self, now: float) -> None:
        """Fold what was counted so far into the totals before a change."""
        self._totals = self.totals(now)
        self._since = now

    def reset(self, now: float) -> None:
        self._totals = [0.0, 0.0, 0.0, 0.0]
        self._since = now


class SwitchModel:
    """A switch's state and the MIB it serves (see the module docstring)."""

    def __init__(
        self,
        name: str,
        ports: Iterable[Port],
        *,
        descr: str = "Warden simulated access switch",
        location: str = "",
        contact: str = "",
        object_id: Oid = (1, 3, 6, 1, 4, 1, 8072, 3, 2, 10),
        clock: Clock = time.monotonic,
        uptime_offset_ticks: int = 0,
        high_capacity: bool = True,
    ) -> None:
        self.name = name
        self.descr = descr
        self.location = location
        self.contact = contact
        self.object_id = object_id
        self.clock = clock
        self.uptime_offset_ticks = uptime_offset_ticks
        self.high_capacity = high_capacity
        self.chassis_mac = mac_for(name)
        self.engine_id: bytes = b""
        self.ports: dict[str, Port] = {}
        for port in ports:
            if port.name in self.ports:
                raise ValueError(f"{name}: duplicate port name {port.name!r}")
            self.ports[port.name] = port
        self.boot_time = clock()
        for port in self.ports.values():
            port.reset(self.boot_time)
        self._getters: dict[Oid, Callable[[], Any]] = {}
        self._order: list[Oid] = []
        self._dirty = True

    # The world -------------------------------------------------------------

    def port(self, name: str) -> Port:
        try:
            return self.ports[name]
        except KeyError:
            raise KeyError(f"switch {self.name} has no port {name!r}") from None

    def uptime_ticks(self) -> int:
        elapsed = (self.clock() - self.boot_time) * 100
        return int(self.uptime_offset_ticks + elapsed) % (1 << 32)

    def set_link(self, port_name: str, up: bool) -> bool:
        """Plug or unplug a port; returns whether its oper status changed."""
        port = self.port(port_name)
        before = port.oper_up
        port.settle(self.clock())
        port.link_up = up
        self._dirty = True  # neighbours and learned MACs age out with the link
        return port.oper_up != before

    def set_admin(self, port_name: str, up: bool) -> bool:
        """Enable or shut a port; returns whether its oper status changed."""
        port = self.port(port_name)
        before = port.oper_up
        port.settle(self.clock())
        port.admin_up = up
        self._dirty = True
        return port.oper_up != before

    def set_traffic(
        self,
        port_name: str,
        in_rate: float,
        out_rate: float,
        in_error_rate: float = 0.0,
        out_error_rate: float = 0.0,
    ) -> None:
        """Set a port's traffic in octets (errors) per second from now on."""
        port = self.port(port_name)
        port.settle(self.clock())
        port.in_rate, port.out_rate = in_rate, out_rate
        port.in_error_rate, port.out_error_rate = in_error_rate, out_error_rate

    def set_neighbour(self, port_name: str, neighbour: Neighbour | None) -> None:
        self.port(port_name).neighbour = neighbour
        self._dirty = True

    def set_learned_macs(self, port_name: str, macs: Iterable[bytes]) -> None:
        self.port(port_name).learned_macs = list(macs)
        self._dirty = True

    def restart(self) -> None:
        """Reboot: uptime starts again from 0 and every counter from 0."""
        self.boot_time = self.clock()
        self.uptime_offset_ticks = 0
        for port in self.ports.values():
            port.counter_offset = 0
            port.reset(self.boot_time)

    # MibSource ---------------------------------------------------------------

    def get(self, oid: Oid) -> Any | None:
        self._refresh()
        getter = self._getters.get(oid)
        return None if getter is None else getter()

    def next_after(self, oid: Oid) -> tuple[Oid, Any] | None:
        self._refresh()
        position = bisect.bisect_right(self._order, oid)
        if position == len(self._order):
            return None
        found = self._order[position]
        return found, self._getters[found]()

    def _refresh(self) -> None:
        if not self._dirty:
            return
        self._getters = self._build()
        self._order = sorted(self._getters)
        self._dirty = False

    def _build(self) -> dict[Oid, Callable[[], Any]]:
        s = rfc1902.OctetString
        getters: dict[Oid, Callable[[], Any]] = {
            (*SYSTEM, 1, 0): lambda: s(self.descr),
            (*SYSTEM, 2, 0): lambda: rfc1902.ObjectIdentifier(self.object_id),
            (*SYSTEM, 3, 0): lambda: rfc1902.TimeTicks(self.uptime_ticks()),
            (*SYSTEM, 4, 0): lambda: s(self.contact),
            (*SYSTEM, 5, 0): lambda: s(self.name),
            (*SYSTEM, 6, 0): lambda: s(self.location),
            IF_NUMBER: lambda: rfc1902.Integer32(len(self.ports)),
            LLDP_LOC_CHASSIS_ID: lambda: s(self.chassis_mac),
            LLDP_LOC_SYS_NAME: lambda: s(self.name),
            SNMP_ENGINE_ID: lambda: s(self.engine_id),
        }
        for port in self.ports.values():
            self._add_port(getters, port)
        return getters

    def _add_port(self, getters: dict[Oid, Callable[[], Any]], port: Port) -> None:
        i = port.index
        s = rfc1902.OctetString

        def counter32(slot: int) -> Callable[[], Any]:
            return lambda: rfc1902.Counter32(self._count(port, slot) % (1 << 32))

        def counter64(slot: int) -> Callable[[], Any]:
            return lambda: rfc1902.Counter64(self._count(port, slot) % (1 << 64))

        getters.update(
            {
                (*IF_ENTRY, 1, i): lambda: rfc1902.Integer32(i),
                (*IF_ENTRY, 2, i): lambda: s(port.name),
                (*IF_ENTRY, 3, i): lambda: rfc1902.Integer32(ETHERNET_CSMACD),
                (*IF_ENTRY, 4, i): lambda: rfc1902.Integer32(1500),
                (*IF_ENTRY, 5, i): lambda: rfc1902.Gauge32(
                    min(port.speed_bps, 2**32 - 1)
                ),
                (*IF_ENTRY, 6, i): lambda: s(port.mac),
                (*IF_ENTRY, 7, i): lambda: rfc1902.Integer32(1 if port.admin_up else 2),
                (*IF_ENTRY, 8, i): lambda: rfc1902.Integer32(1 if port.oper_up else 2),
                (*IF_ENTRY, 10, i): counter32(0),
                (*IF_ENTRY, 14, i): counter32(2),
                (*IF_ENTRY, 16, i): counter32(1),
                (*IF_ENTRY, 20, i): counter32(3),
                (*IFX_ENTRY, 1, i): lambda: s(port.name),
                (*IFX_ENTRY, 15, i): lambda: rfc1902.Gauge32(
                    port.speed_bps // 1_000_000
                ),
                (*IFX_ENTRY, 18, i): lambda: s(port.alias),
                (*DOT1D_BASE_PORT_ENTRY, 1, i): lambda: rfc1902.Integer32(i),
                (*DOT1D_BASE_PORT_ENTRY, 2, i): lambda: rfc1902.Integer32(i),
                (*LLDP_LOC_PORT_ENTRY, 2, i): lambda: rfc1902.Integer32(
                    LLDP_PORT_INTERFACE_NAME
                ),
                (*LLDP_LOC_PORT_ENTRY, 3, i): lambda: s(port.name),
                (*LLDP_LOC_PORT_ENTRY, 4, i): lambda: s(port.alias),
            }
        )
        if self.high_capacity:
            getters[(*IFX_ENTRY, 6, i)] = counter64(0)
            getters[(*IFX_ENTRY, 10, i)] = counter64(1)
        if not port.oper_up:
            return
        if port.neighbour is not None:
            self._add_neighbour(getters, i, port.neighbour)
        for mac in port.learned_macs:
            row = tuple(mac)
            getters[(*DOT1D_TP_FDB_ENTRY, 1, *row)] = partial(s, mac)
            getters[(*DOT1D_TP_FDB_ENTRY, 2, *row)] = lambda: rfc1902.Integer32(i)
            getters[(*DOT1D_TP_FDB_ENTRY, 3, *row)] = lambda: rfc1902.Integer32(3)

    def _add_neighbour(
        self, getters: dict[Oid, Callable[[], Any]], index: int, neighbour: Neighbour
    ) -> None:
        s = rfc1902.OctetString
        row = (0, index, 1)
        if neighbour.chassis_mac is not None:
            subtype, chassis = LLDP_CHASSIS_MAC, neighbour.chassis_mac
        else:
            subtype, chassis = LLDP_CHASSIS_LOCAL, neighbour.system_name.encode()
        getters.update(
            {
                (*LLDP_REM_ENTRY, 4, *row): lambda: rfc1902.Integer32(subtype),
                (*LLDP_REM_ENTRY, 5, *row): lambda: s(chassis),
                (*LLDP_REM_ENTRY, 6, *row): lambda: rfc1902.Integer32(
                    LLDP_PORT_INTERFACE_NAME
                ),
                (*LLDP_REM_ENTRY, 7, *row): lambda: s(neighbour.port),
                (*LLDP_REM_ENTRY, 9, *row): lambda: s(neighbour.system_name),
            }
        )

    def _count(self, port: Port, slot: int) -> int:
        return port.counter_offset + int(port.totals(self.clock())[slot])
