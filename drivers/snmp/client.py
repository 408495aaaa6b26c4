"""SNMP requests to one agent: GET and column walks with GETBULK, over pysnmp.

This is the only module of the driver that calls pysnmp's request machinery.
Callers get plain values (see :mod:`drivers.snmp.codec`) and the errors of
:mod:`drivers.snmp.errors`; no pysnmp exception or error indication escapes.

Requests go through pysnmp's low-level command generators with numeric OIDs:
the high-level API resolves every OID against MIB modules on each call, which
costs more than the request itself.

Walks do their own GETBULK paging. pysnmp's walk does not stop when an agent
keeps returning the same OID, so :meth:`SnmpClient.walk` checks that every
column only moves forward and raises :class:`OidNotIncreasingError` otherwise.

Several clients can share one :class:`SnmpEngines` (one UDP socket and one
timer for all of them), which is how one process polls hundreds of switches.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pyasn1.type import univ
from pysnmp.carrier.asyncio.dgram import udp, udp6
from pysnmp.entity import config
from pysnmp.entity.engine import SnmpEngine
from pysnmp.entity.rfc3413 import cmdgen
from pysnmp.error import PySnmpError
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    Udp6TransportTarget,
    UdpTransportTarget,
    UsmUserData,
)
from pysnmp.hlapi.v3arch.asyncio.lcd import CommandGeneratorLcdConfigurator
from pysnmp.proto import errind, rfc1902

from drivers.errors import ConnectError, DecodeError, ProtocolError, RequestTimeout
from drivers.snmp.codec import Absent, WireValue, decode_value
from drivers.snmp.errors import (
    OidNotIncreasingError,
    SnmpErrorStatus,
    SnmpSecurityError,
)
from drivers.snmp.oids import Oid, format_oid
from drivers.snmp.security import SnmpCredentials

logger = logging.getLogger(__name__)

_LCD = CommandGeneratorLcdConfigurator()
_NULL = univ.Null("")
_SECURITY_FAILURES = (
    errind.UnknownUserName,
    errind.UnknownSecurityName,
    errind.WrongDigest,
    errind.DecryptionError,
    errind.EncryptionError,
    errind.AuthenticationError,
    errind.AuthenticationFailure,
    errind.UnknownEngineID,
    errind.NotInTimeWindow,
    errind.UnsupportedSecurityLevel,
    errind.UnsupportedAuthProtocol,
    errind.UnsupportedPrivProtocol,
    errind.NoAuthentication,
    errind.NoEncryption,
)

Table = dict[Oid, dict[Oid, WireValue]]
"""A walk's result: per column OID, values by instance suffix (the index)."""


async def close_engine(engine: SnmpEngine) -> None:
    """Close a pysnmp engine's socket and wait for its timer task to end."""
    dispatcher = engine.transport_dispatcher
    timer = getattr(dispatcher, "loopingcall", None)
    # Stop reading first and let datagrams already taken in be handled while
    # the transport is still registered; pysnmp raises on any it finds after.
    for domain in (udp.DOMAIN_NAME, udp6.DOMAIN_NAME):
        transport = config.get_transport(engine, domain)
        socket_transport = getattr(transport, "transport", None)
        if socket_transport is not None:
            socket_transport.close()
    await asyncio.sleep(0)
    engine.close_dispatcher()
    if isinstance(timer, asyncio.Task):
        await asyncio.gather(timer, return_exceptions=True)


class SnmpEngines:
    """pysnmp engines shared by many clients: one for every v1/v2c agent, one per
    distinct SNMPv3 credential set (pysnmp keys a v3 user by name alone, so two
    key sets for one user name cannot share an engine).

    Clients :meth:`acquire` it when made and :meth:`release` it when closed;
    the engines (sockets and timers) close when the last one is released, and
    come back on the next use. :meth:`close` closes them at once.
    """

    def __init__(self) -> None:
        self._engines: dict[object, SnmpEngine] = {}
        self._users = 0

    def acquire(self) -> None:
        self._users += 1

    async def release(self) -> None:
        self._users = max(0, self._users - 1)
        if self._users == 0:
            await self.close()

    def engine_for(self, credentials: SnmpCredentials) -> SnmpEngine:
        key: object = "v2c" if credentials.version != "v3" else credentials
        engine = self._engines.get(key)
        if engine is None:
            engine = self._engines[key] = SnmpEngine()
        return engine

    async def close(self) -> None:
        engines, self._engines = list(self._engines.values()), {}
        for engine in engines:
            await close_engine(engine)


@dataclass(frozen=True, slots=True)
class _Target:
    addr_name: str
    engine: SnmpEngine
    transport_info: tuple[Any, Any]


class SnmpClient:
    """Requests to the agent at ``host:port`` (UDP) with ``credentials``.

    ``timeout_s`` is per attempt and ``retries`` the extra attempts after the
    first, so an unanswered request fails after ``timeout_s * (retries + 1)``
    seconds. ``max_repetitions`` is the rows asked for per column in each
    GETBULK (the agent may send fewer); ``max_rows`` ends a walk of an
    endless table with :class:`DecodeError`. Without ``engines`` the client
    makes and closes its own.
    """

    def __init__(
        self,
        host: str,
        port: int,
        credentials: SnmpCredentials,
        *,
        timeout_s: float = 1.0,
        retries: int = 1,
        max_repetitions: int = 20,
        max_rows: int = 100_000,
        engines: SnmpEngines | None = None,
        name: str | None = None,
    ) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        if retries < 0 or max_repetitions < 1:
            raise ValueError("retries must be >= 0 and max_repetitions >= 1")
        self.host = host
        self.port = port
        self.credentials = credentials
        self.timeout_s = timeout_s
        self.retries = retries
        self.max_repetitions = max_repetitions
        self.max_rows = max_rows
        self.name = name or f"{host}:{port}"
        self.requests = 0
        self._engines = engines if engines is not None else SnmpEngines()
        self._engines.acquire()
        self._released = False
        self._auth: CommunityData | UsmUserData = credentials.pysnmp_auth()
        self._target: _Target | None = None

    @property
    def deadline_s(self) -> float:
        """The longest one request can take, retries included (plus slack)."""
        return self.timeout_s * (self.retries + 1) + 1.0

    async def open(self) -> None:
        """Resolve the address and register the agent with the engine.

        Raises :class:`ConnectError` if the host does not resolve or pysnmp
        refuses the settings. Called by the first request if needed.
        """
        if self._released:
            self._released = False
            self._engines.acquire()
        engine = self._engines.engine_for(self.credentials)
        target_type = Udp6TransportTarget if ":" in self.host else UdpTransportTarget
        try:
            transport = await target_type.create(
                (self.host, self.port), timeout=self.timeout_s, retries=self.retries
            )
            addr_name, _ = _LCD.configure(engine, self._auth, transport)
        except PySnmpError as exc:
            raise ConnectError(
                f"{self.name}: cannot set up SNMP: {exc}", reason="bad address"
            ) from exc
        self._target = _Target(addr_name, engine, transport.get_transport_info())

    async def close(self) -> None:
        """Forget the agent and release the engines (closed with their last
        client). Safe to call twice; a later request opens the client again."""
        self._target = None
        if not self._released:
            self._released = True
            await self._engines.release()

    def peer_engine_id(self) -> bytes | None:
        """The SNMPv3 engine id learnt by discovery (``None`` before it, or v2c)."""
        target = self._target
        if target is None or self.credentials.version != "v3":
            return None
        mp = target.engine.message_processing_subsystems.get(3)
        if mp is None:
            return None
        found = mp.get_peer_engine_info(*target.transport_info)[0]
        return bytes(found) if found else None

    async def get(self, oids: Sequence[Oid]) -> dict[Oid, WireValue]:
        """GET ``oids`` in one request; values by OID, :class:`Absent` where the
        agent has none.

        Raises ``RequestTimeout``, ``SnmpSecurityError``, ``ConnectError``,
        ``SnmpErrorStatus`` or ``DecodeError``.
        """
        var_binds = [(rfc1902.ObjectName(oid), _NULL) for oid in oids]
        answer = await self._request(None, var_binds)
        if len(answer) != len(oids):
            raise DecodeError(
                f"{self.name}: asked for {len(oids)} values, got {len(answer)}"
            )
        return {
            oid: decode_value(value)
            for oid, (_, value) in zip(oids, answer, strict=True)
        }

    async def walk(self, columns: Sequence[Oid]) -> Table:
        """Every row of ``columns`` (OIDs without index), walked side by side
        with GETBULK until each column ends.

        A column that does not exist comes back empty. Raises
        :class:`OidNotIncreasingError` when the agent returns an OID not after
        the one asked for, ``DecodeError`` past ``max_rows`` rows, and the
        request errors of :meth:`get`.
        """
        table: Table = {column: {} for column in columns}
        cursors: dict[Oid, Oid] = {column: column for column in columns}
        active = list(dict.fromkeys(columns))

        while active:
            repetitions = self.max_repetitions
            var_binds = [(rfc1902.ObjectName(cursors[c]), _NULL) for c in active]
            answer = await self._request(repetitions, var_binds)
            if not answer:
                raise DecodeError(f"{self.name}: empty answer to GETBULK")

            finished: set[Oid] = set()
            width = len(active)
            for position, (name, value) in enumerate(answer):
                column = active[position % width]
                if column in finished:
                    continue
                oid = tuple(name)
                decoded = decode_value(value)
                if decoded is Absent.END_OF_MIB_VIEW or oid[: len(column)] != column:
                    finished.add(column)
                    continue
                if oid <= cursors[column]:
                    raise OidNotIncreasingError(
                        f"{self.name}: asked for the OID after "
                        f"{format_oid(cursors[column])}, got {format_oid(oid)}"
                    )
                rows = table[column]
                rows[oid[len(column) :]] = decoded
                cursors[column] = oid
                if len(rows) > self.max_rows:
                    raise DecodeError(
                        f"{self.name}: {format_oid(column)} has more than "
                        f"{self.max_rows} rows",
                        reason="table too long",
                    )
            active = [c for c in active if c not in finished]
        return table

    async def _request(
        self, repetitions: int | None, var_binds: list[tuple[Any, Any]]
    ) -> list[tuple[Any, Any]]:
        """One GET (``repetitions`` None) or GETBULK; the raw varbinds.

        An SNMPv3 agent that stops answering after it had been discovered may
        have a new engine id (replaced, or reset): the engine is discovered
        again and the request sent once more. Later failures are not retried,
        so a dead agent costs one extra wait only the first time.
        """
        try:
            return await self._send(repetitions, var_binds)
        except (RequestTimeout, SnmpSecurityError) as exc:
            if not self._forget_peer_engine():
                raise
            logger.info("%s: %s; discovering its SNMPv3 engine again", self.name, exc)
        return await self._send(repetitions, var_binds)

    async def _send(
        self, repetitions: int | None, var_binds: list[tuple[Any, Any]]
    ) -> list[tuple[Any, Any]]:
        if self._target is None:
            await self.open()
        target = self._target
        assert target is not None
        loop = asyncio.get_running_loop()
        future: asyncio.Future[tuple[Any, Any, Any, Any]] = loop.create_future()

        def done(
            engine: Any,
            handle: Any,
            indication: Any,
            status: Any,
            index: Any,
            answer: Any,
            context: Any,
        ) -> None:
            if not future.done():
                future.set_result((indication, status, index, answer))

        self.requests += 1
        try:
            if repetitions is None:
                cmdgen.GetCommandGenerator().send_varbinds(
                    target.engine, target.addr_name, None, "", var_binds, done
                )
            else:
                cmdgen.BulkCommandGeneratorSingleRun().send_varbinds(
                    target.engine,
                    target.addr_name,
                    None,
                    "",
                    0,
                    repetitions,
                    var_binds,
                    done,
                )
            async with asyncio.timeout(self.deadline_s):
                indication, status, index, answer = await future
        except TimeoutError as exc:
            raise RequestTimeout(
                f"{self.name}: no answer within {self.deadline_s:.1f} s"
            ) from exc
        except PySnmpError as exc:
            raise ConnectError(
                f"{self.name}: {exc}", reason="snmp engine error"
            ) from exc

        if indication:
            raise self._translate(indication)
        if status:
            name = (
                status.prettyPrint() if hasattr(status, "prettyPrint") else str(status)
            )
            raise SnmpErrorStatus(
                f"{self.name}: agent answered {name} (index {int(index)})",
                status=name,
                index=int(index),
            )
        return list(answer)

    def _forget_peer_engine(self) -> bool:
        """Make the next SNMPv3 request discover the agent's engine again;
        True if an engine id was known (and is now forgotten).

        pysnmp keeps a discovered engine id per address for 300 s and keeps
        using it even when the agent now has another one (a replaced switch, a
        reset configuration), so every request times out until then. It has no
        public way to forget one peer, hence the use of its private cache; if
        that ever disappears, re-discovery falls back to pysnmp's expiry.
        """
        target = self._target
        if target is None or self.credentials.version != "v3":
            return False
        mp = target.engine.message_processing_subsystems.get(3)
        cache = getattr(mp, "_SnmpV3MessageProcessingModel__engineIdCache", None)
        return (
            isinstance(cache, dict)
            and cache.pop(target.transport_info, None) is not None
        )

    def _translate(self, indication: Any) -> Exception:
        text = str(indication)
        if isinstance(indication, errind.RequestTimedOut):
            return RequestTimeout(
                f"{self.name}: no response after {self.retries + 1} attempt(s) of "
                f"{self.timeout_s} s"
            )
        if isinstance(indication, _SECURITY_FAILURES):
            return SnmpSecurityError(f"{self.name}: {text}", reason=text)
        if isinstance(indication, errind.TooBig):
            return ProtocolError(f"{self.name}: {text}", reason="tooBig")
        if isinstance(indication, errind.DeserializationError | errind.EmptyResponse):
            return DecodeError(f"{self.name}: {text}")
        return ConnectError(f"{self.name}: {text}", reason=text)
