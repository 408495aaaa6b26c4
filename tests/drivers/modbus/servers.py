"""Modbus TCP servers on loopback for the driver tests.

:class:`LoopbackModbusServer` is a real pymodbus server holding raw register and
bit values written out literally by each test (never produced by our codec, so a
codec bug cannot hide behind a mirrored encoder). It uses pymodbus' SimDevice
datastore, which (unlike the older datastore classes) is not deprecated.
:class:`SilentServer` accepts connections and never answers. :class:`RawServer`
answers each request with whatever bytes a test makes up (or hangs up), for
answers no well-behaved server would give.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, cast

from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimAction, SimData, SimDevice

LOOPBACK = "127.0.0.1"

_FUNCTION_FOR_TABLE = {
    "coil": 1,
    "discrete_input": 2,
    "holding_register": 3,
    "input_register": 4,
}


def _bits(values: Sequence[bool]) -> list[SimData]:
    return [SimData(address=0, values=list(values), datatype=DataType.BITS)]


def _registers(values: Sequence[int]) -> list[SimData]:
    return [SimData(address=0, values=list(values), datatype=DataType.REGISTERS)]


class LoopbackModbusServer:
    """A pymodbus TCP server on 127.0.0.1 for one unit.

    Each table starts at address 0 and holds exactly the values given; reading past
    them answers exception 0x02. ``port`` 0 binds a free port; :attr:`port` tells
    which after :meth:`start`, and a later :meth:`start` binds the same one again.
    """

    def __init__(
        self,
        *,
        unit_id: int = 1,
        coils: Sequence[bool] = (False,),
        discrete_inputs: Sequence[bool] = (False,),
        holding_registers: Sequence[int] = (0,),
        input_registers: Sequence[int] = (0,),
        action: SimAction | None = None,
        port: int = 0,
    ) -> None:
        self.unit_id = unit_id
        self._tables = (coils, discrete_inputs, holding_registers, input_registers)
        self._action = action
        self.port = port
        self._server: ModbusTcpServer | None = None

    def _device(self) -> SimDevice:
        coils, inputs, holding, registers = self._tables
        return SimDevice(
            id=self.unit_id,
            simdata=(
                _bits(coils),
                _bits(inputs),
                _registers(holding),
                _registers(registers),
            ),
            action=self._action,
        )

    async def start(self) -> int:
        """Listen on loopback and return the port."""
        server = ModbusTcpServer(self._device(), address=(LOOPBACK, self.port))
        await server.serve_forever(background=True)
        self._server = server
        listener = cast(asyncio.Server, server.transport)
        self.port = listener.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        """Stop listening and close every client connection."""
        server, self._server = self._server, None
        if server is not None:
            listener = cast(asyncio.Server | None, server.transport)
            await server.shutdown()  # type: ignore[no-untyped-call]
            if listener is not None:
                await listener.wait_closed()

    async def values(self, table: str, address: int, count: int) -> list[Any]:
        """What the server holds now (to check what a write put on the wire)."""
        assert self._server is not None, "server not running"
        function_code = _FUNCTION_FOR_TABLE[table]
        return list(
            await self._server.async_getValues(
                self.unit_id, function_code, address, count
            )
        )

    async def __aenter__(self) -> LoopbackModbusServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()


class _Swallow(asyncio.Protocol):
    def __init__(self, owner: SilentServer) -> None:
        self._owner = owner

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._owner.transports.append(transport)
        self._owner.connections += 1
        self._owner.connected.set()

    def data_received(self, data: bytes) -> None:
        self._owner.received += len(data)
        self._owner.request_seen.set()


class SilentServer:
    """Accepts TCP connections on loopback, reads requests, never answers."""

    def __init__(self) -> None:
        self.transports: list[asyncio.BaseTransport] = []
        self.connections = 0
        self.received = 0
        self.connected = asyncio.Event()
        self.request_seen = asyncio.Event()
        self._server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> SilentServer:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _Swallow(self), LOOPBACK, 0, family=socket.AF_INET
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for transport in self.transports:
            transport.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


def mbap_reply(request: bytes, pdu: bytes) -> bytes:
    """A Modbus TCP frame answering ``request`` (same transaction and unit)."""
    transaction, unit = request[0:2], request[6:7]
    return transaction + b"\x00\x00" + (len(pdu) + 1).to_bytes(2, "big") + unit + pdu


class _Respond(asyncio.Protocol):
    def __init__(self, respond: Callable[[bytes], bytes | None]) -> None:
        self._respond = respond
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        assert self._transport is not None
        answer = self._respond(data)
        if answer is None:
            self._transport.close()
        else:
            self._transport.write(answer)


class RawServer:
    """Answers each request with ``respond(request)``; ``None`` hangs up instead.
    Assumes each request arrives in one piece, which holds on loopback."""

    def __init__(self, respond: Callable[[bytes], bytes | None]) -> None:
        self._respond = respond
        self._server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> RawServer:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _Respond(self._respond), LOOPBACK, 0, family=socket.AF_INET
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


def unused_port() -> int:
    """A loopback port nobody listens on (bound and released just now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
    return port


async def wait_until(condition: Any, timeout_s: float = 2.0) -> None:
    """Wait until ``condition()`` is true, checking every 5 ms, for at most
    ``timeout_s`` (for state that changes without an event to wait on)."""
    async with asyncio.timeout(timeout_s):
        # Socket state inside pymodbus changes in callbacks that set no event.
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.005)
