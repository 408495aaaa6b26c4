"""A pysnmp command responder that serves any MIB source on loopback.

The agent answers GET, GETNEXT and GETBULK for SNMP v1/v2c communities and
SNMPv3 users (any auth/priv pysnmp knows), reading values from a
:class:`MibSource`: a live switch model or a recorded walk. It also sends
traps from its own UDP port, the way a switch does, so a receiver can tell
which agent a trap came from by its address.

Access control is deliberately open: every configured community or user may
read every OID. Authentication and privacy are still checked by pysnmp.

Errors: :class:`AgentError` when the agent cannot start (port in use, bad
key); pysnmp's exceptions do not leave this module.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.entity import config, engine
from pysnmp.entity.rfc3413 import cmdrsp
from pysnmp.entity.rfc3413 import context as snmp_context
from pysnmp.error import PySnmpError
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    UdpTransportTarget,
    UsmUserData,
    send_notification,
)
from pysnmp.proto import rfc1902, rfc1905

log = logging.getLogger(__name__)

Oid = tuple[int, ...]

SNMP_FRAMEWORK = "__SNMP-FRAMEWORK-MIB"
SYS_UPTIME_0: Oid = (1, 3, 6, 1, 2, 1, 1, 3, 0)
SNMP_TRAP_OID_0: Oid = (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0)

AUTH_PROTOCOLS = {
    "md5": config.USM_AUTH_HMAC96_MD5,
    "sha": config.USM_AUTH_HMAC96_SHA,
    "sha224": config.USM_AUTH_HMAC128_SHA224,
    "sha256": config.USM_AUTH_HMAC192_SHA256,
    "sha384": config.USM_AUTH_HMAC256_SHA384,
    "sha512": config.USM_AUTH_HMAC384_SHA512,
}
PRIV_PROTOCOLS = {
    "des": config.USM_PRIV_CBC56_DES,
    "3des": config.USM_PRIV_CBC168_3DES,
    "aes": config.USM_PRIV_CFB128_AES,
    "aes192": config.USM_PRIV_CFB192_AES,
    "aes256": config.USM_PRIV_CFB256_AES,
}


class AgentError(Exception):
    """The simulated agent could not start or send."""


class MibSource(Protocol):
    """What an agent serves: values by OID, in OID order.

    Values are pysnmp SMI objects (``rfc1902.Counter32(5)``) so the source
    decides each value's wire type.
    """

    def get(self, oid: Oid) -> Any | None:
        """The value at exactly ``oid``, or ``None`` if there is none."""

    def next_after(self, oid: Oid) -> tuple[Oid, Any] | None:
        """The first OID strictly after ``oid`` and its value; ``None`` at the end."""


class StaticMib:
    """A fixed set of values (for example a recorded walk), sorted once."""

    def __init__(self, values: dict[Oid, Any]) -> None:
        self._values = dict(values)
        self._order = sorted(self._values)

    def get(self, oid: Oid) -> Any | None:
        return self._values.get(oid)

    def next_after(self, oid: Oid) -> tuple[Oid, Any] | None:
        position = bisect.bisect_right(self._order, oid)
        if position == len(self._order):
            return None
        found = self._order[position]
        return found, self._values[found]


class LoopingMib:
    """A broken agent: past ``loop_at`` every GETNEXT answers ``loop_at`` again.

    Real agents with corrupt tables do this; a manager that does not check
    that OIDs increase walks forever.
    """

    def __init__(self, inner: MibSource, loop_at: Oid) -> None:
        self._inner = inner
        self._loop_at = loop_at

    def get(self, oid: Oid) -> Any | None:
        return self._inner.get(oid)

    def next_after(self, oid: Oid) -> tuple[Oid, Any] | None:
        if oid >= self._loop_at:
            value = self._inner.get(self._loop_at)
            return self._loop_at, rfc1902.Integer32(0) if value is None else value
        return self._inner.next_after(oid)


@dataclass(frozen=True, slots=True)
class V3User:
    """An SNMPv3 user. ``auth``/``priv`` name protocols (``"sha"``, ``"aes"``)
    and are ``None`` for noAuth / noPriv."""

    name: str
    auth: str | None = None
    auth_key: str | None = None
    priv: str | None = None
    priv_key: str | None = None


@dataclass(frozen=True, slots=True)
class TrapTarget:
    """Where the agent sends traps: a loopback UDP address and either a v2c
    community or a v3 user (authoritative engine: the agent itself)."""

    host: str
    port: int
    community: str | None = None
    user: V3User | None = None


class _Instrumentation:
    """Adapts a :class:`MibSource` to what pysnmp's responders call."""

    def __init__(self, source: MibSource) -> None:
        self.source = source

    def read_variables(self, *var_binds: Any, **context: Any) -> list[Any]:
        answers = []
        for name, _ in var_binds:
            value = self.source.get(tuple(name))
            answers.append((name, rfc1905.noSuchInstance if value is None else value))
        return answers

    def read_next_variables(self, *var_binds: Any, **context: Any) -> list[Any]:
        answers = []
        for name, _ in var_binds:
            found = self.source.next_after(tuple(name))
            if found is None:
                answers.append((name, rfc1905.endOfMibView))
            else:
                answers.append((rfc1902.ObjectName(found[0]), found[1]))
        return answers

    def write_variables(self, *var_binds: Any, **context: Any) -> list[Any]:
        # The simulated devices are read-only, like a switch with no write
        # community configured.
        raise PySnmpError("read-only agent")


class _BulkResponder(cmdrsp.BulkCommandResponder):  # type: ignore[misc]
    max_varbinds = 64


def _add_user(snmp_engine: engine.SnmpEngine, user: V3User) -> None:
    try:
        config.add_v3_user(
            snmp_engine,
            user.name,
            AUTH_PROTOCOLS[user.auth] if user.auth else config.USM_AUTH_NONE,
            user.auth_key,
            PRIV_PROTOCOLS[user.priv] if user.priv else config.USM_PRIV_NONE,
            user.priv_key,
        )
    except KeyError as exc:
        raise AgentError(f"unknown protocol {exc.args[0]!r} for {user.name}") from exc
    except PySnmpError as exc:
        raise AgentError(f"cannot add SNMPv3 user {user.name}: {exc}") from exc


class SnmpAgent:
    """One running agent. Build with :meth:`start`; stop with :meth:`stop`.

    ``engine_id`` (5 to 32 bytes) and ``boots`` are what an SNMPv3 manager
    sees; a restarted device keeps its engine id and counts one more boot.
    """

    def __init__(
        self,
        source: MibSource,
        *,
        communities: Sequence[str] = ("public",),
        users: Sequence[V3User] = (),
        engine_id: bytes | None = None,
        boots: int = 1,
        max_bulk_varbinds: int = 64,
    ) -> None:
        self.instrumentation = _Instrumentation(source)
        self._communities = tuple(communities)
        self._users = tuple(users)
        self._engine_id = engine_id
        self._boots = boots
        self._max_bulk = max_bulk_varbinds
        self._engine: engine.SnmpEngine | None = None
        self._transport: udp.UdpAsyncioTransport | None = None
        self.address: tuple[str, int] | None = None

    @property
    def engine_id(self) -> bytes:
        if self._engine is None:
            raise AgentError("agent is not running")
        (snmp_engine_id,) = self._engine.get_mib_builder().import_symbols(
            SNMP_FRAMEWORK, "snmpEngineID"
        )
        return bytes(snmp_engine_id.syntax)

    @property
    def running(self) -> bool:
        return self._engine is not None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        """Bind UDP ``host:port`` (port 0 picks a free one) and start answering.

        Returns the bound address. Raises :class:`AgentError` if the port is
        taken or the configuration is invalid.
        """
        if self._engine is not None:
            raise AgentError("agent already running")
        snmp_engine = engine.SnmpEngine()
        builder = snmp_engine.get_mib_builder()
        engine_id_obj, boots_obj = builder.import_symbols(
            SNMP_FRAMEWORK, "snmpEngineID", "snmpEngineBoots"
        )
        # Set directly rather than through SnmpEngine(snmpEngineID=...), which
        # would persist the boot counter in a shared temporary directory.
        if self._engine_id is not None:
            engine_id_obj.syntax = engine_id_obj.syntax.clone(self._engine_id)
        boots_obj.syntax = boots_obj.syntax.clone(self._boots)

        transport = udp.UdpAsyncioTransport().open_server_mode((host, port))
        config.add_transport(snmp_engine, udp.DOMAIN_NAME, transport)
        try:
            await transport._lport
        except OSError as exc:
            snmp_engine.close_dispatcher()
            raise AgentError(f"cannot bind UDP {host}:{port}: {exc}") from exc
        self._engine = snmp_engine
        self._transport = transport
        bound = transport.transport.get_extra_info("sockname")
        self.address = (bound[0], bound[1])

        try:
            for community in self._communities:
                config.add_v1_system(snmp_engine, f"c-{community}", community)
            for user in self._users:
                _add_user(snmp_engine, user)
        except (AgentError, PySnmpError) as exc:
            await self.stop()
            raise AgentError(f"cannot configure agent: {exc}") from exc

        snmp_ctx = snmp_context.SnmpContext(snmp_engine)
        snmp_ctx.context_names[b""] = self.instrumentation
        cmdrsp.GetCommandResponder(snmp_engine, snmp_ctx)
        cmdrsp.NextCommandResponder(snmp_engine, snmp_ctx)
        bulk = _BulkResponder(snmp_engine, snmp_ctx)
        bulk.max_varbinds = self._max_bulk
        log.debug("SNMP agent listening on %s:%d", *self.address)
        return self.address

    async def stop(self) -> None:
        """Close the socket and the engine's timer; safe to call twice."""
        snmp_engine, self._engine = self._engine, None
        if snmp_engine is None:
            return
        dispatcher = snmp_engine.transport_dispatcher
        timer = getattr(dispatcher, "loopingcall", None)
        # Stop reading, then let requests already taken in be handled while
        # the transport is registered: pysnmp raises on any it finds after.
        transport = self._transport.transport if self._transport else None
        if transport is not None:
            transport.close()
        await asyncio.sleep(0)
        snmp_engine.close_dispatcher()
        if isinstance(timer, asyncio.Task):
            # close_dispatcher cancels the timer task; wait until it is gone.
            await asyncio.gather(timer, return_exceptions=True)
        self._transport = None

    async def send_trap(
        self,
        target: TrapTarget,
        trap_oid: Oid,
        uptime_ticks: int,
        var_binds: Iterable[tuple[Oid, Any]] = (),
    ) -> None:
        """Send one SNMPv2 trap (``trap_oid``) from the agent's own port.

        ``uptime_ticks`` goes in sysUpTime.0, first as RFC 3416 requires.
        Raises :class:`AgentError` if the agent is stopped or pysnmp refuses.
        """
        if self._engine is None:
            raise AgentError("agent is not running")
        if target.user is not None:
            auth: CommunityData | UsmUserData = UsmUserData(
                target.user.name,
                authKey=target.user.auth_key,
                privKey=target.user.priv_key,
                authProtocol=AUTH_PROTOCOLS[target.user.auth]
                if target.user.auth
                else None,
                privProtocol=PRIV_PROTOCOLS[target.user.priv]
                if target.user.priv
                else None,
            )
        else:
            auth = CommunityData(target.community or "public")
        objects = [
            ObjectType(ObjectIdentity(SYS_UPTIME_0), rfc1902.TimeTicks(uptime_ticks)),
            ObjectType(
                ObjectIdentity(SNMP_TRAP_OID_0), rfc1902.ObjectIdentifier(trap_oid)
            ),
            *(ObjectType(ObjectIdentity(oid), value) for oid, value in var_binds),
        ]
        try:
            destination = await UdpTransportTarget.create(
                (target.host, target.port), timeout=1, retries=0
            )
            error_indication, _, _, _ = await send_notification(
                self._engine,
                auth,
                destination,
                ContextData(),
                "trap",
                *objects,
                lookupMib=False,
            )
        except PySnmpError as exc:
            raise AgentError(f"cannot send trap: {exc}") from exc
        if error_indication:
            raise AgentError(f"cannot send trap: {error_indication}")
