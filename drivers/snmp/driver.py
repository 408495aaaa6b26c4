"""The SNMP device driver: one switch (or any agent with IF-MIB), polled.

Each poll sends one GET for the system group, then walks the interface
status and counter columns with GETBULK. The columns that rarely change
(names, aliases, speeds, MAC addresses) are walked on the first poll, after
the agent restarted, when the set of interfaces changed, and every
``static_refresh_s`` seconds.

Device points: ``sys.uptime_s`` (seconds since the agent started), ``sys.name``
and ``sys.descr`` (on refresh), and ``sys.restart`` (``"detected"``) on the poll
that found sysUpTime gone back. Interface points are listed in
:mod:`drivers.snmp.interfaces`.

A restart is told from sysUpTime's 497-day wrap (see
:func:`drivers.snmp.counters.uptime_restarted`); after one, no rate is given
until two readings of the new counters exist.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from drivers.errors import DecodeError, NotWritableError, ProtocolError
from drivers.snmp import oids
from drivers.snmp.client import SnmpClient, SnmpEngines, Table
from drivers.snmp.codec import (
    WireValue,
    as_bytes,
    as_int,
    render_octets,
    ticks_to_seconds,
)
from drivers.snmp.counters import CounterRates, uptime_restarted
from drivers.snmp.interfaces import (
    HC_COLUMNS,
    LEGACY_COLUMNS,
    STATIC_COLUMNS,
    STATUS_COLUMNS,
    Interface,
    dynamic_values,
    interfaces_from,
    point_name,
    static_values,
)
from drivers.snmp.oids import Oid
from drivers.snmp.security import SnmpCredentials, credentials_for
from topology.loader import LoadedSite
from topology.sample import Quality, Sample, Value
from topology.site import Device

logger = logging.getLogger(__name__)

SYSTEM_OIDS = (oids.SYS_UPTIME, oids.SYS_NAME, oids.SYS_DESCR)


class SnmpDriver:
    """Polls one SNMP agent (``device.endpoint``) with ``credentials``.

    ``device.timeout_s`` is the time allowed per attempt; ``retries`` extra
    attempts follow a silent one. ``engines`` shares pysnmp engines between
    drivers (one socket for hundreds of switches). ``clock`` is monotonic
    seconds (rates, restarts, refresh), ``wall_clock`` epoch seconds (sample
    times). Raises ``ValueError`` when the device has no endpoint.
    """

    def __init__(
        self,
        device: Device,
        credentials: SnmpCredentials,
        *,
        engines: SnmpEngines | None = None,
        retries: int = 1,
        max_repetitions: int = 20,
        static_refresh_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if device.endpoint is None:
            raise ValueError(f"device {device.id!r} has no endpoint")
        self._device_id = device.id
        self._client = SnmpClient(
            device.endpoint.host,
            device.endpoint.port,
            credentials,
            timeout_s=device.timeout_s,
            retries=retries,
            max_repetitions=max_repetitions,
            engines=engines,
            name=device.id,
        )
        self._static_refresh_s = static_refresh_s
        self._clock = clock
        self._wall_clock = wall_clock
        self._rates = CounterRates()
        self._interfaces: dict[int, Interface] = {}
        self._names_by_index: dict[int, str] = {}
        self._refreshed_at: float | None = None
        self._uptime: tuple[int, float] | None = None
        self._high_capacity: bool | None = None
        self._point_names: tuple[str, ...] = ()
        self._walk_failure: str | None = None
        self._engine_id: bytes | None = None
        self.engine_listener: Callable[[str, bytes], None] | None = None
        """Called with (device id, engine id) when a poll learns the agent's
        SNMPv3 engine id, or a new one (a trap receiver needs it)."""

    @property
    def device_id(self) -> str:
        return self._device_id

    @property
    def point_names(self) -> Sequence[str]:
        """The points the last poll produced (interfaces are learnt by polling)."""
        return self._point_names

    @property
    def requests(self) -> int:
        return self._client.requests

    @property
    def client(self) -> SnmpClient:
        return self._client

    def interface_name(self, if_index: int) -> str | None:
        """The name of the interface now at ``if_index`` (``None`` if unknown)."""
        return self._names_by_index.get(if_index)

    @property
    def engine_id(self) -> bytes | None:
        """The agent's SNMPv3 engine id once a v3 poll succeeded."""
        return self._client.peer_engine_id()

    async def connect(self) -> None:
        """Set up the SNMP target (UDP has no connection). Raises ``ConnectError``."""
        await self._client.open()

    async def close(self) -> None:
        await self._client.close()

    async def write(self, point: str, value: Value) -> None:
        """Switch points are read-only here; always raises ``NotWritableError``."""
        raise NotWritableError(
            f"point {point!r} of device {self._device_id!r} is read-only"
        )

    async def poll(self) -> list[Sample]:
        """Read the system group and every interface once.

        Raises ``RequestTimeout`` (agent silent), ``ConnectError`` (including
        ``SnmpSecurityError``), ``ProtocolError`` or ``DecodeError`` when the
        system GET fails. A failing interface walk (an error-status, a looping
        agent) gives bad samples for the interface points, with the reason.
        """
        system = await self._client.get(SYSTEM_OIDS)
        at = self._clock()
        if self.engine_listener is not None:
            engine_id = self._client.peer_engine_id()
            if engine_id is not None and engine_id != self._engine_id:
                self._engine_id = engine_id
                self.engine_listener(self._device_id, engine_id)
        now = self._wall_clock()
        values: dict[str, Value] = {}

        ticks = as_int(system[oids.SYS_UPTIME])
        restarted = False
        if ticks is not None:
            values["sys.uptime_s"] = ticks_to_seconds(ticks)
            if self._uptime is not None and uptime_restarted(*self._uptime, ticks, at):
                restarted = True
                values["sys.restart"] = "detected"
                logger.info(
                    "%s restarted (sysUpTime %.1f s); rates resume next poll",
                    self._device_id,
                    ticks_to_seconds(ticks),
                )
                self._rates.forget()
            self._uptime = (ticks, at)

        try:
            await self._read_interfaces(system, restarted, at, values)
        except (ProtocolError, DecodeError) as exc:
            if self._walk_failure != exc.reason:
                logger.warning("%s: interface walk failed: %s", self._device_id, exc)
            self._walk_failure = exc.reason
            samples = self._samples(values, now)
            samples.extend(self._bad_interface_samples(now, exc.reason))
            return samples

        if self._walk_failure is not None:
            logger.info("%s: interface walk works again", self._device_id)
            self._walk_failure = None
        samples = self._samples(values, now)
        self._point_names = tuple(sample.point for sample in samples)
        return samples

    async def _read_interfaces(
        self,
        system: dict[Oid, WireValue],
        restarted: bool,
        at: float,
        values: dict[str, Value],
    ) -> None:
        """Add interface values to ``values``; what was read before a failure
        stays there."""
        due = (
            self._refreshed_at is None
            or restarted
            or at - self._refreshed_at >= self._static_refresh_s
        )
        if due:
            values.update(await self._refresh(system, at))

        table = await self._client.walk(self._dynamic_columns())
        seen = {index[0] for index in table[oids.IF_OPER_STATUS] if len(index) == 1}
        if seen != set(self._interfaces) and not due:
            logger.info("%s: interfaces changed; reading names again", self._device_id)
            values.update(await self._refresh(system, at))
        if self._high_capacity is None:
            # Use only the 64-bit columns when they cover every interface the
            # 32-bit ones do; otherwise keep walking both.
            wide, narrow = table[oids.IF_HC_IN_OCTETS], table[oids.IF_IN_OCTETS]
            self._high_capacity = bool(wide) and set(wide) >= set(narrow)

        values.update(dynamic_values(self._interfaces, table, self._rates, at))

    async def _refresh(
        self, system: dict[Oid, WireValue], at: float
    ) -> dict[str, Value]:
        table: Table = await self._client.walk(STATIC_COLUMNS)
        self._interfaces = interfaces_from(table)
        self._names_by_index = {i: f.name for i, f in self._interfaces.items()}
        self._refreshed_at = at

        values: dict[str, Value] = {}
        for key, oid in (("sys.name", oids.SYS_NAME), ("sys.descr", oids.SYS_DESCR)):
            data = as_bytes(system[oid])
            if data is not None:
                values[key] = render_octets(data)
        for interface in self._interfaces.values():
            values.update(static_values(interface))
        return values

    def _dynamic_columns(self) -> tuple[Oid, ...]:
        if self._high_capacity:
            return STATUS_COLUMNS + HC_COLUMNS
        return STATUS_COLUMNS + HC_COLUMNS + LEGACY_COLUMNS

    def _samples(self, values: dict[str, Value], now: float) -> list[Sample]:
        device = self._device_id
        good = Quality.GOOD
        return [
            Sample(device, point, value, good, now, now)
            for point, value in values.items()
        ]

    def _bad_interface_samples(self, now: float, reason: str) -> list[Sample]:
        device = self._device_id
        bad = Quality.BAD
        return [
            Sample(
                device,
                point_name(interface.name, attribute),
                None,
                bad,
                now,
                now,
                reason,
            )
            for interface in self._interfaces.values()
            for attribute in ("oper_status", "admin_status")
        ]

    @classmethod
    def for_device(
        cls,
        device: Device,
        *,
        engines: SnmpEngines | None = None,
        environ: Mapping[str, str] | None = None,
        **options: Any,
    ) -> SnmpDriver:
        """A driver for a site device: credentials, retries and GETBULK size
        from its ``snmp`` settings (secrets from the environment).

        Raises ``SnmpConfigError`` for missing settings or secrets, and
        ``ValueError`` when the device has no endpoint.
        """
        credentials = credentials_for(device, environ)
        if device.snmp is not None:
            options.setdefault("retries", device.snmp.retries)
            options.setdefault("max_repetitions", device.snmp.max_repetitions)
        return cls(device, credentials, engines=engines, **options)

    def __repr__(self) -> str:
        return f"<SnmpDriver {self._device_id} {len(self._interfaces)} interfaces>"


_SHARED_ENGINES = SnmpEngines()
"""One set of pysnmp engines for every driver :func:`create_driver` makes: one
UDP socket and one timer for all the switches of a process. Closed when the
last of those drivers closes."""


def create_driver(device: Device, site: LoadedSite) -> SnmpDriver:
    """The driver for an SNMP ``device`` of ``site`` (the registry's factory).

    Raises ``SnmpConfigError`` (a ``ValueError``) for missing ``snmp`` settings
    or secrets and ``ValueError`` when the device has no endpoint.
    """
    return SnmpDriver.for_device(device, engines=_SHARED_ENGINES)
