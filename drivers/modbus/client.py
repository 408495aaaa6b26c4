"""One Modbus TCP connection to one device (unit), over pymodbus.

The connection owns the rules pymodbus would otherwise apply on its own: one request
in flight at a time, every request bounded by the device timeout, no automatic
retries or reconnects. pymodbus stays inside this module: callers see plain lists
and the errors of :mod:`drivers.errors`.

After a timeout or a cancelled request the connection is dropped, because a late
answer could otherwise be taken for the next request; :meth:`connect` opens a new
one. A request that finds the connection gone raises ``ConnectError`` at once, and
so does a request whose connection closes while it waits: the peer hung up, or
sent a frame pymodbus could not parse (pymodbus then closes the socket and leaves
the request waiting, so the connection interrupts it rather than let it time out).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from functools import partial

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException
from pymodbus.pdu import ModbusPDU

from drivers.errors import ConnectError, DecodeError, RequestTimeout
from drivers.modbus.errors import ModbusExceptionError
from drivers.modbus.plan import MAX_READ_BITS, MAX_READ_REGISTERS, ReadBlock
from topology.profile import ModbusTable

logger = logging.getLogger(__name__)

_READ_FUNCTION = {
    ModbusTable.COIL: 0x01,
    ModbusTable.DISCRETE_INPUT: 0x02,
    ModbusTable.HOLDING_REGISTER: 0x03,
    ModbusTable.INPUT_REGISTER: 0x04,
}
_WRITE_COIL = 0x05
_WRITE_REGISTERS = 0x10
_MAX_WRITE_REGISTERS = 123
_EXCEPTION_FLAG = 0x80


class ModbusConnection:
    """A supervised Modbus TCP connection to ``host:port``, addressing ``unit_id``.

    ``timeout_s`` bounds connecting and each request, in seconds. ``requests``
    counts requests sent. Not connected until :meth:`connect` succeeds.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        unit_id: int = 1,
        timeout_s: float = 1.0,
        name: str | None = None,
    ) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        self.host = host
        self.port = port
        self.unit_id = unit_id
        self.timeout_s = timeout_s
        self.name = name or f"{host}:{port}/{unit_id}"
        self.requests = 0
        self._client: AsyncModbusTcpClient | None = None
        self._lock = asyncio.Lock()
        # Which connection's close events count, the task waiting for an answer
        # and whether that wait was interrupted by the connection closing.
        self._link: object | None = None
        self._waiting: asyncio.Task[object] | None = None
        self._lost_while_waiting = False

    @property
    def connected(self) -> bool:
        """Whether a connection is open (as far as the socket knows)."""
        return self._client is not None and bool(self._client.connected)

    async def connect(self) -> None:
        """Open a fresh connection, closing any previous one first.

        Raises :class:`ConnectError` when the device refuses, is unreachable or does
        not accept within ``timeout_s``.
        """
        async with self._lock:
            self._drop()
            # pymodbus' own timer is set wider than ours so that ours decides, and
            # its reconnect and retry machinery is off: the poller owns both.
            link = object()
            client = AsyncModbusTcpClient(
                self.host,
                port=self.port,
                name=self.name,
                reconnect_delay=0,
                timeout=self.timeout_s * 2 + 1,
                retries=0,
                trace_connect=partial(self._link_changed, link),
            )
            try:
                async with asyncio.timeout(self.timeout_s):
                    opened = await client.connect()
            except TimeoutError as exc:
                client.close()
                raise ConnectError(
                    f"{self.name}: no connection within {self.timeout_s} s",
                    reason="connect timeout",
                ) from exc
            except asyncio.CancelledError:
                client.close()
                raise
            if not opened:
                client.close()
                raise ConnectError(
                    f"{self.name}: connection refused or unreachable",
                    reason="connection refused",
                )
            self._client = client
            self._link = link
        logger.debug("%s: connected to %s:%d", self.name, self.host, self.port)

    async def close(self) -> None:
        """Close the connection; safe to call when already closed."""
        self._drop()

    def _drop(self) -> None:
        client, self._client = self._client, None
        self._link = None
        if client is not None:
            client.close()

    def _link_changed(self, link: object, up: bool) -> None:
        """pymodbus' connection callback: interrupt a request waiting on a
        connection that just closed under it."""
        if up or link is not self._link or self._waiting is None:
            return
        self._lost_while_waiting = True
        self._waiting.cancel()

    async def read(self, block: ReadBlock) -> Sequence[int]:
        """Read ``block``: its registers as 16-bit words, or its bits as bools.

        The result has exactly ``block.count`` items. Raises ``ConnectError`` (not
        connected or connection lost), ``RequestTimeout``,
        ``ModbusExceptionError`` (an exception response) or ``DecodeError``
        (an answer of the wrong function or length); ``ValueError`` for a block
        beyond the protocol's limits.
        """
        limit = MAX_READ_BITS if block.table.is_bit else MAX_READ_REGISTERS
        if not 1 <= block.count <= limit or not 0 <= block.address <= 0xFFFF:
            raise ValueError(f"cannot read {block.count} from {block}")
        function_code = _READ_FUNCTION[block.table]

        async with self._lock:
            client = self._require_client()
            if function_code == 0x03:
                call = client.read_holding_registers
            elif function_code == 0x04:
                call = client.read_input_registers
            elif function_code == 0x01:
                call = client.read_coils
            else:
                call = client.read_discrete_inputs
            response = await self._exchange(
                partial(call, block.address, count=block.count, device_id=self.unit_id),
                function_code,
                block,
            )

        if block.table.is_bit:
            bits: list[bool] = list(response.bits)
            # Bits come back padded to whole bytes.
            if not block.count <= len(bits) < block.count + 8:
                raise self._wrong_length(block, block.count, len(bits))
            del bits[block.count :]
            return bits
        registers = response.registers
        if len(registers) != block.count:
            raise self._wrong_length(block, block.count, len(registers))
        return registers

    async def write_coil(self, address: int, value: bool) -> None:
        """Set coil ``address`` (0-based) with function 0x05.

        Raises as :meth:`read` does; ``DecodeError`` also when the echo does not
        match the request.
        """
        if not 0 <= address <= 0xFFFF:
            raise ValueError(f"coil address {address} is outside 0..65535")
        async with self._lock:
            client = self._require_client()
            what = f"write coil {address}"
            response = await self._exchange(
                partial(client.write_coil, address, value, device_id=self.unit_id),
                _WRITE_COIL,
                what,
            )
        if response.address != address or list(response.bits[:1]) != [value]:
            raise DecodeError(
                f"{self.name}: {what} echoed address {response.address} "
                f"value {list(response.bits[:1])}",
                reason="wrong echo",
            )

    async def write_registers(self, address: int, values: Sequence[int]) -> None:
        """Write ``values`` (16-bit words) from holding register ``address`` with
        function 0x10. Raises as :meth:`write_coil` does."""
        if not 1 <= len(values) <= _MAX_WRITE_REGISTERS:
            raise ValueError(f"cannot write {len(values)} registers in one request")
        if not 0 <= address <= 0xFFFF - len(values) + 1:
            raise ValueError(f"holding register address {address} is out of range")
        if any(not 0 <= word <= 0xFFFF for word in values):
            raise ValueError(f"{list(values)} are not all 16-bit words")
        async with self._lock:
            client = self._require_client()
            what = f"write holding register {address}..{address + len(values) - 1}"
            response = await self._exchange(
                partial(
                    client.write_registers,
                    address,
                    list(values),
                    device_id=self.unit_id,
                ),
                _WRITE_REGISTERS,
                what,
            )
        if response.address != address or response.count != len(values):
            raise DecodeError(
                f"{self.name}: {what} echoed address {response.address} "
                f"count {response.count}",
                reason="wrong echo",
            )

    def _require_client(self) -> AsyncModbusTcpClient:
        client = self._client
        if client is None:
            raise ConnectError(f"{self.name}: not connected", reason="not connected")
        if not client.connected:
            self._drop()
            raise ConnectError(
                f"{self.name}: connection lost", reason="connection lost"
            )
        return client

    async def _exchange(
        self,
        send: Callable[[], Awaitable[ModbusPDU]],
        function_code: int,
        what: object,
    ) -> ModbusPDU:
        """Send one request and wait for its answer under the timeout; call with
        the lock held. ``what`` names the request in error messages (formatted only
        when there is one)."""
        self.requests += 1
        task = asyncio.current_task()
        cancels = task.cancelling() if task is not None else 0
        self._waiting = task
        self._lost_while_waiting = False
        try:
            async with asyncio.timeout(self.timeout_s):
                response = await send()
            # Python 3.11's asyncio.wait_for, which pymodbus awaits the answer
            # with, drops a cancel that arrives together with the answer; a
            # swallowed cancel would leave the poller running through shutdown.
            if task is not None and task.cancelling() > cancels:
                self._drop()
                raise asyncio.CancelledError
        except asyncio.CancelledError:
            self._drop()
            waiting = self._waiting
            # Only our own interruption becomes an error; any other cancel of
            # the task still propagates.
            if (
                self._lost_while_waiting
                and waiting is not None
                and waiting.uncancel() == 0
            ):
                raise ConnectError(
                    f"{self.name}: {what}: connection closed before the answer",
                    reason="connection lost",
                ) from None
            raise
        except TimeoutError as exc:
            self._drop()
            raise RequestTimeout(
                f"{self.name}: {what}: no answer within {self.timeout_s} s"
            ) from exc
        except ConnectionException as exc:
            self._drop()
            raise ConnectError(f"{self.name}: {what}: {exc}") from exc
        except ModbusException as exc:
            # Answers from the wrong unit or transaction: the stream cannot be
            # trusted any more.
            self._drop()
            raise DecodeError(f"{self.name}: {what}: {exc}") from exc
        finally:
            self._waiting = None

        if response.function_code == function_code | _EXCEPTION_FLAG:
            raise ModbusExceptionError(
                response.exception_code,
                function_code=function_code,
                detail=f"{self.name}: {what}",
            )
        if response.function_code != function_code:
            raise DecodeError(
                f"{self.name}: {what}: answer has function code "
                f"0x{response.function_code:02X}",
                reason="wrong function code",
            )
        return response

    def _wrong_length(self, what: object, expected: int, got: int) -> DecodeError:
        return DecodeError(
            f"{self.name}: {what}: expected {expected} values, got {got}",
            reason="wrong length",
        )

    def __repr__(self) -> str:
        state = "connected" if self.connected else "closed"
        return f"<ModbusConnection {self.name} {state}>"
