"""Receiving SNMP traps (v2c and v3) and turning them into samples at once.

A switch sends linkDown/linkUp when a port changes and coldStart/warmStart
when it boots; polling would see the same change up to a poll interval later,
so the receiver publishes samples immediately and polling stays the backstop.

Which device sent a trap is decided, in order, by its SNMPv3 engine id, by the
exact source address, or by the source host when one registered device has
it. Traps from anywhere else are counted and dropped. Interface names come
from the trap (ifName, when the switch includes it) or from the driver that
polls the switch (its ifIndex to ifName map); a link trap for an interface not
known yet gives no sample, but ``on_trap`` still fires so the poller can poll.

Samples: ``if.<name>.oper_status`` and ``if.<name>.admin_status`` (as the
driver names them) for link traps, ``sys.restart`` (``"cold_start"`` or
``"warm_start"``) for boot traps.

SNMPv3 traps are sent by the switch as the authoritative engine, so the user
must be known with the switch's engine id: :meth:`TrapReceiver.add_device`
takes it (the driver learns it with its first v3 poll).

Errors: :class:`TrapReceiverError` (a ``DriverError``) when the port cannot be
bound or credentials are refused; pysnmp errors do not escape.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pysnmp.carrier.asyncio.dgram import udp, udp6
from pysnmp.entity import config
from pysnmp.entity.engine import SnmpEngine
from pysnmp.entity.rfc3413 import ntfrcv
from pysnmp.error import PySnmpError
from pysnmp.proto import rfc1902

from drivers.base import SampleSink
from drivers.errors import DriverError
from drivers.snmp import oids
from drivers.snmp.client import close_engine
from drivers.snmp.codec import as_bytes, as_int, decode_value, render_octets
from drivers.snmp.errors import SnmpConfigError
from drivers.snmp.interfaces import point_name
from drivers.snmp.security import AUTH_PROTOCOLS, PRIV_PROTOCOLS, SnmpCredentials
from topology.sample import Quality, Sample, Value

logger = logging.getLogger(__name__)

TRAP_KINDS = {
    oids.LINK_DOWN: "link_down",
    oids.LINK_UP: "link_up",
    oids.COLD_START: "cold_start",
    oids.WARM_START: "warm_start",
}


class TrapReceiverError(DriverError):
    """The trap receiver cannot start or accept the given settings."""

    default_reason = "trap receiver error"


@dataclass(frozen=True, slots=True)
class TrapEvent:
    """One accepted trap. ``kind`` is link_down, link_up, cold_start,
    warm_start or other; ``if_name`` is ``None`` when not known."""

    device: str
    kind: str
    trap_oid: tuple[int, ...]
    if_index: int | None
    if_name: str | None
    received_time: float


@dataclass(slots=True)
class _Source:
    device: str
    host: str
    port: int | None
    interface_name: Callable[[int], str | None] | None


class TrapReceiver:
    """Listens on UDP ``host:port`` (loopback by default; port 0 picks one).

    ``communities`` are the v2c communities accepted. ``sink`` gets the
    samples; ``on_trap`` (optional) every accepted trap, after the samples.
    Counters: ``received``, ``unknown_source``, ``ignored``.
    """

    def __init__(
        self,
        sink: SampleSink,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        communities: Sequence[str] = (),
        on_trap: Callable[[TrapEvent], None] | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._sink = sink
        self._host = host
        self._port = port
        self._communities = tuple(communities)
        self._on_trap = on_trap
        self._wall_clock = wall_clock
        self._engine: SnmpEngine | None = None
        self._sources: list[_Source] = []
        self._by_engine_id: dict[bytes, str] = {}
        self._users: set[tuple[str, bytes]] = set()
        self.address: tuple[str, int] | None = None
        self.received = 0
        self.unknown_source = 0
        self.ignored = 0

    async def start(self) -> tuple[str, int]:
        """Bind and start receiving; returns the bound address.

        Raises :class:`TrapReceiverError` if the port is taken.
        """
        if self._engine is not None:
            raise TrapReceiverError("trap receiver already started")
        engine = SnmpEngine()
        ipv6 = ":" in self._host
        transport_type = udp6.Udp6AsyncioTransport if ipv6 else udp.UdpAsyncioTransport
        domain = udp6.DOMAIN_NAME if ipv6 else udp.DOMAIN_NAME
        try:
            transport = transport_type().open_server_mode((self._host, self._port))
            config.add_transport(engine, domain, transport)
            await transport._lport
            for community in self._communities:
                config.add_v1_system(engine, f"trap-{community}", community)
        except (OSError, PySnmpError) as exc:
            await close_engine(engine)
            raise TrapReceiverError(
                f"cannot receive traps on {self._host}:{self._port}: {exc}"
            ) from exc
        ntfrcv.NotificationReceiver(engine, self._received)
        self._engine = engine
        bound = transport.transport.get_extra_info("sockname")
        self.address = (bound[0], bound[1])
        logger.info("receiving SNMP traps on %s:%d", *self.address)
        return self.address

    async def stop(self) -> None:
        engine, self._engine = self._engine, None
        if engine is not None:
            await close_engine(engine)

    def add_device(
        self,
        device: str,
        host: str,
        port: int | None = None,
        *,
        interface_name: Callable[[int], str | None] | None = None,
    ) -> None:
        """Accept traps from ``host`` as ``device``: from ``port`` when given,
        or from any port when no other device has that host.

        ``interface_name`` maps an ifIndex to the interface name the poller
        uses (for example ``SnmpDriver.interface_name``).
        """
        self._sources = [s for s in self._sources if s.device != device]
        self._sources.append(_Source(device, host, port, interface_name))

    def add_v3_engine(
        self, device: str, engine_id: bytes, credentials: SnmpCredentials
    ) -> None:
        """Accept SNMPv3 traps from the agent whose engine id is ``engine_id``.

        Call after :meth:`start`. Raises :class:`SnmpConfigError` for v2c
        credentials and :class:`TrapReceiverError` if pysnmp refuses the user.
        """
        if credentials.version != "v3":
            raise SnmpConfigError("add_v3_engine needs SNMPv3 credentials")
        if self._engine is None:
            raise TrapReceiverError("start the trap receiver first")
        self._by_engine_id[engine_id] = device
        key = (credentials.user, engine_id)
        if key in self._users:
            return
        try:
            config.add_v3_user(
                self._engine,
                credentials.user,
                AUTH_PROTOCOLS[credentials.auth_protocol]
                if credentials.auth_protocol
                else config.USM_AUTH_NONE,
                credentials.auth_key,
                PRIV_PROTOCOLS[credentials.priv_protocol]
                if credentials.priv_protocol
                else config.USM_PRIV_NONE,
                credentials.priv_key,
                securityEngineId=rfc1902.OctetString(engine_id),
            )
        except PySnmpError as exc:
            raise TrapReceiverError(f"cannot accept SNMPv3 traps: {exc}") from exc
        self._users.add(key)

    # pysnmp calls this for every notification that passed security checks.
    def _received(
        self,
        engine: Any,
        state_reference: Any,
        context_engine_id: Any,
        context_name: Any,
        var_binds: Any,
        context: Any,
    ) -> None:
        now = self._wall_clock()
        try:
            _, address = engine.message_dispatcher.get_transport_info(state_reference)
            source = self._identify(bytes(context_engine_id), address[0], address[1])
            if source is None:
                self.unknown_source += 1
                logger.debug("trap from unknown source %s:%s", address[0], address[1])
                return
            bound = {tuple(name): decode_value(value) for name, value in var_binds}
            self._publish(source, bound, now)
        except DriverError as exc:
            self.ignored += 1
            logger.warning("ignored a malformed trap: %s", exc)

    def _identify(self, engine_id: bytes, host: str, port: int) -> _Source | None:
        device = self._by_engine_id.get(engine_id)
        if device is not None:
            return next((s for s in self._sources if s.device == device), None) or (
                _Source(device, host, port, None)
            )
        exact = [s for s in self._sources if s.host == host and s.port == port]
        if exact:
            return exact[0]
        # Most switches send traps from another port than the one they answer
        # on; the host alone is enough when one device has it.
        by_host = [s for s in self._sources if s.host == host]
        return by_host[0] if len(by_host) == 1 else None

    def _publish(self, source: _Source, bound: dict[Any, Any], now: float) -> None:
        trap_oid = bound.get(oids.SNMP_TRAP_OID)
        if not isinstance(trap_oid, tuple):
            self.ignored += 1
            return
        self.received += 1
        kind = TRAP_KINDS.get(trap_oid, "other")
        values: dict[str, Value] = {}
        if_index = if_name = None

        if kind in ("link_down", "link_up"):
            if_index, if_name = self._interface(source, bound)
            if if_name is not None:
                oper = _indexed(bound, oids.IF_OPER_STATUS, if_index)
                admin = _indexed(bound, oids.IF_ADMIN_STATUS, if_index)
                if oper is None:
                    oper = 2 if kind == "link_down" else 1
                values[point_name(if_name, "oper_status")] = oids.OPER_STATUS.get(
                    oper, "unknown"
                )
                if admin is not None:
                    values[point_name(if_name, "admin_status")] = oids.ADMIN_STATUS.get(
                        admin, "unknown"
                    )
        elif kind in ("cold_start", "warm_start"):
            values["sys.restart"] = kind

        logger.debug("%s: trap %s %s", source.device, kind, if_name or "")
        if values:
            self._sink.publish_samples(
                [
                    Sample(source.device, point, value, Quality.GOOD, now, now)
                    for point, value in values.items()
                ]
            )
        if self._on_trap is not None:
            event = TrapEvent(source.device, kind, trap_oid, if_index, if_name, now)
            self._on_trap(event)

    def _interface(
        self, source: _Source, bound: dict[Any, Any]
    ) -> tuple[int | None, str | None]:
        if_index = None
        for oid, value in bound.items():
            if oid[: len(oids.IF_INDEX)] == oids.IF_INDEX:
                if_index = as_int(value)
                break
        if if_index is None:
            # Without ifIndex, take the index from ifOperStatus's instance.
            for oid in bound:
                if (
                    oid[: len(oids.IF_OPER_STATUS)] == oids.IF_OPER_STATUS
                    and len(oid) == len(oids.IF_OPER_STATUS) + 1
                ):
                    if_index = oid[-1]
                    break
        if if_index is None:
            return None, None
        name = as_bytes(bound.get((*oids.IF_NAME, if_index)))
        if name:
            return if_index, render_octets(name)
        if source.interface_name is not None:
            return if_index, source.interface_name(if_index)
        return if_index, None


def _indexed(
    bound: dict[Any, Any], column: tuple[int, ...], index: int | None
) -> int | None:
    if index is None:
        return None
    return as_int(bound.get((*column, index)))
