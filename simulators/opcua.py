"""A perimeter intrusion detection processor, simulated as an OPC UA server.

The simulator serves the nodes its device profile lists, under the profile's
namespace URIs, on loopback. Each fence segment wired to it (by the site file's
bindings) has an alarm, tamper and fault flag and a signal level (percent of the
detector's full response); a ``heartbeat`` point counts seconds and a ``health``
point reports the processor itself. The world acts on it through
:meth:`PerimeterSimulator.cut`, :meth:`climb`, :meth:`tamper`, :meth:`fault`,
:meth:`set_value` (any value with any status code and source time) and
:meth:`stop`/:meth:`start` (a reboot: every session is dropped; the port stays).

Values are encoded from the profile's data types independently of the driver's
codec; :mod:`simulators.opcua_server` builds the server itself.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asyncua import ua
from asyncua.server.server import Server
from asyncua.ua.status_codes import StatusCodes

from simulators.certificates import make_self_signed
from simulators.opcua_server import (
    SIGNAL_BASELINE,
    VARIANT_OF,
    SimulatorSecurity,
    build_server,
)
from topology.profile_opcua import OpcUaPoint, OpcUaProfile

logger = logging.getLogger(__name__)

_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
SIGNAL_CLIMB = 72.0
SIGNAL_CUT = 100.0


class _Now:
    """Marker: stamp a value with the current time."""


NOW = _Now()


@dataclass(frozen=True, slots=True)
class SegmentPoints:
    """The point names on this processor that report one fence segment."""

    alarm: str
    tamper: str | None = None
    fault: str | None = None
    signal: str | None = None


@dataclass
class _Variable:
    point: OpcUaPoint
    node_id: ua.NodeId
    value: Any = None
    status: str = "Good"
    source_time: datetime | _Now | None = field(default=NOW)


class PerimeterSimulator:
    """A perimeter processor ``device_id`` serving ``profile`` on loopback.

    ``segments`` maps segment ids to the points reporting them. ``port`` 0 takes
    a free port (read :attr:`port` after :meth:`start`); a restart keeps it.
    ``namespaces`` is the order the namespace URIs are registered in (the
    profile's URIs must all be among them; extra ones shift the indexes), so a
    test can show a client still finds its nodes. ``subscriptions=False`` makes
    the server refuse CreateSubscription, as some embedded servers do.
    """

    def __init__(
        self,
        device_id: str,
        profile: OpcUaProfile,
        segments: Mapping[str, SegmentPoints] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        path: str = "/perimeter",
        namespaces: Sequence[str] | None = None,
        security: SimulatorSecurity | None = None,
        subscriptions: bool = True,
        heartbeat_s: float = 1.0,
    ) -> None:
        if host not in _LOOPBACK:
            raise ValueError(f"simulators listen on loopback only, not {host!r}")
        order = list(namespaces) if namespaces is not None else profile.namespace_uris
        missing = set(profile.namespace_uris) - set(order)
        if missing:
            raise ValueError(f"namespaces lacks the profile's {sorted(missing)}")
        self.device_id = device_id
        self.profile = profile
        self.segments = dict(segments or {})
        for segment, names in self.segments.items():
            for name in (names.alarm, names.tamper, names.fault, names.signal):
                if name is not None and name not in profile.point_names:
                    raise ValueError(f"segment {segment}: no point {name!r}")
        self._host = host
        self._port = port
        self._path = path
        self._namespaces = order
        self._security = security
        self._subscriptions = subscriptions
        self._heartbeat_s = heartbeat_s
        self._server: Server | None = None
        self._variables: dict[str, _Variable] = {}
        self._running = False
        self._heartbeat: asyncio.Task[None] | None = None
        self._scratch: tempfile.TemporaryDirectory[str] | None = None

    # -- lifecycle ----------------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port served (known after the first :meth:`start`)."""
        return self._port

    @property
    def url(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"opc.tcp://{host}:{self._port}{self._path}"

    @property
    def running(self) -> bool:
        return self._running

    async def start(self) -> None:
        """Start serving. The first start builds the server (about two seconds);
        a start after :meth:`stop` only reopens the port (a processor reboot)."""
        if self._running:
            return
        if self._server is None:
            self._server = await self._build()
            await self._server.start()
            assert self._server.bserver is not None
            self._port = self._server.bserver.port
        else:
            assert self._server.bserver is not None
            await self._server.bserver.start()
        self._running = True
        self._heartbeat = asyncio.create_task(
            self._beat(), name=f"heartbeat {self.device_id}"
        )
        logger.info("%s: serving %s", self.device_id, self.url)

    async def stop(self) -> None:
        """Stop answering and drop every session and subscription; the address
        space (the fence's state) is kept for :meth:`start`."""
        if not self._running or self._server is None:
            return
        self._running = False
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            await asyncio.gather(self._heartbeat, return_exceptions=True)
            self._heartbeat = None
        assert self._server.bserver is not None
        await self._server.bserver.stop()
        await self._close_sessions()
        logger.info("%s: stopped", self.device_id)

    async def restart(self) -> None:
        """Stop, then start again on the same port."""
        await self.stop()
        await self.start()

    async def close(self) -> None:
        """Stop for good and release everything."""
        await self.stop()
        server, self._server = self._server, None
        if server is not None:
            await server.stop()
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None

    async def __aenter__(self) -> PerimeterSimulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def session_count(self) -> int:
        """Sessions the server holds now, connected or not."""
        if self._server is None:
            return 0
        # asyncua keeps sessions that outlive their connection only in this
        # registry; it is the one count that includes them.
        return len(self._server.iserver._external_sessions)

    async def _close_sessions(self) -> None:
        assert self._server is not None
        sessions = list(self._server.iserver._external_sessions.values())
        for session in sessions:
            await session.close_session(True)

    async def _build(self) -> Server:
        security = self._security
        application_uri = f"urn:warden:simulator:{self.device_id}"
        if security is not None and (
            security.certificate is None or security.private_key is None
        ):
            self._scratch = tempfile.TemporaryDirectory(prefix="warden-sim-")
            files = make_self_signed(
                Path(self._scratch.name), "server", application_uri, server=True
            )
            security = replace(
                security, certificate=files.certificate, private_key=files.private_key
            )
        server, nodes, initial = await build_server(
            self.device_id,
            self.profile,
            self._roles(),
            url=self.url,
            application_uri=application_uri,
            namespaces=self._namespaces,
            security=security,
            subscriptions=self._subscriptions,
        )
        self._variables = {
            point.name: _Variable(point, nodes[point.name], initial.get(point.name))
            for point in self.profile.points
        }
        return server

    def _roles(self) -> dict[str, str]:
        roles: dict[str, str] = {}
        for names in self.segments.values():
            for role in ("alarm", "tamper", "fault", "signal"):
                name = getattr(names, role)
                if name is not None:
                    roles[name] = role
        for name in ("heartbeat", "health"):
            if name in self.profile.point_names:
                roles.setdefault(name, name)
        return roles

    async def _beat(self) -> None:
        if "heartbeat" not in self._variables:
            return
        while True:
            await asyncio.sleep(self._heartbeat_s)
            count = self._variables["heartbeat"].value or 0
            await self.set_value("heartbeat", int(count) + 1)

    # -- the world ----------------------------------------------------------------

    async def set_value(
        self,
        point: str,
        value: Any,
        *,
        status: str = "Good",
        source_time: datetime | _Now | None = NOW,
    ) -> None:
        """Set ``point`` to ``value`` with status code ``status`` (a spec name
        such as ``"UncertainLastUsableValue"``; a Bad status carries no value) and
        source timestamp ``source_time`` (``None`` for none; default now).
        Subscribed clients are notified. Raises ``KeyError`` for an unknown point.
        """
        variable = self._variables[point]
        code = ua.StatusCode(getattr(StatusCodes, status))
        now: Any = datetime.now(UTC)
        stamp: Any = now if isinstance(source_time, _Now) else source_time
        if code.is_bad():
            variant = ua.Variant()
        else:
            variant = ua.Variant(value, VARIANT_OF[variable.point.data_type])
        variable.value, variable.status, variable.source_time = value, status, stamp
        assert self._server is not None
        await self._server.write_attribute_value(
            variable.node_id,
            ua.DataValue(
                variant, StatusCode=code, SourceTimestamp=stamp, ServerTimestamp=now
            ),
        )

    def value(self, point: str) -> Any:
        """The value last set on ``point`` (by the world or by a client write)."""
        variable = self._variables[point]
        if self._server is not None:
            data = self._server.read_attribute_value(variable.node_id)
            if data.Value is not None:
                return data.Value.Value
        return variable.value

    def node_id(self, point: str) -> ua.NodeId:
        """The node id ``point`` has on this server (for tests and benchmarks)."""
        return self._variables[point].node_id

    async def cut(self, segment: str) -> None:
        """Someone cuts the fence: alarm, full signal."""
        await self._intrusion(segment, SIGNAL_CUT)

    async def climb(self, segment: str) -> None:
        """Someone climbs the fence: alarm, a strong but not full signal."""
        await self._intrusion(segment, SIGNAL_CLIMB)

    async def clear(self, segment: str) -> None:
        """The segment goes quiet: no alarm, baseline signal, sensor healthy."""
        names = self.segments[segment]
        await self.set_value(names.alarm, False)
        if names.signal is not None:
            await self.set_value(names.signal, SIGNAL_BASELINE)
        if names.fault is not None:
            await self.set_value(names.fault, False)

    async def tamper(self, segment: str, active: bool = True) -> None:
        """Someone opens the sensor's enclosure (or closes it again)."""
        names = self.segments[segment]
        if names.tamper is None:
            raise KeyError(f"segment {segment} has no tamper point")
        await self.set_value(names.tamper, active)

    async def fault(self, segment: str, active: bool = True) -> None:
        """The segment's sensor fails: fault set, signal unreadable
        (``BadSensorFailure``); ``active=False`` repairs it."""
        names = self.segments[segment]
        if names.fault is not None:
            await self.set_value(names.fault, active)
        if names.signal is not None:
            if active:
                await self.set_value(names.signal, None, status="BadSensorFailure")
            else:
                await self.set_value(names.signal, SIGNAL_BASELINE)

    async def _intrusion(self, segment: str, signal: float) -> None:
        names = self.segments[segment]
        if names.signal is not None:
            await self.set_value(names.signal, signal)
        await self.set_value(names.alarm, True)
