"""ModbusConnection over real Modbus TCP on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import pytest
from pymodbus.constants import ExcCodes

from drivers.errors import ConnectError, DecodeError, RequestTimeout
from drivers.modbus.client import ModbusConnection
from drivers.modbus.errors import ModbusExceptionError
from drivers.modbus.plan import ReadBlock
from tests.drivers.modbus.servers import (
    LOOPBACK,
    LoopbackModbusServer,
    RawServer,
    SilentServer,
    mbap_reply,
    unused_port,
    wait_until,
)
from topology.profile import ModbusTable

HR = ModbusTable.HOLDING_REGISTER


def block(table: ModbusTable, address: int, count: int) -> ReadBlock:
    return ReadBlock(table, address, count, ())


async def test_reads_each_table() -> None:
    server = LoopbackModbusServer(
        coils=[True, False, True],
        discrete_inputs=[False, True],
        holding_registers=[0x42F6, 0xE979, 0xFFFE],
        input_registers=[7, 8],
    )
    async with server:
        connection = ModbusConnection(LOOPBACK, server.port, timeout_s=1.0)
        await connection.connect()

        coils = await connection.read(block(ModbusTable.COIL, 0, 3))
        inputs = await connection.read(block(ModbusTable.DISCRETE_INPUT, 1, 1))
        holding = await connection.read(block(HR, 0, 3))
        registers = await connection.read(block(ModbusTable.INPUT_REGISTER, 0, 2))
        await connection.close()

    assert coils == [True, False, True]
    assert inputs == [True]
    assert holding == [0x42F6, 0xE979, 0xFFFE]
    assert registers == [7, 8]
    assert connection.requests == 4
    assert not connection.connected


async def test_writes_go_on_the_wire() -> None:
    server = LoopbackModbusServer(coils=[False] * 4, holding_registers=[0] * 4)
    async with server:
        connection = ModbusConnection(LOOPBACK, server.port)
        await connection.connect()

        await connection.write_coil(2, True)
        await connection.write_registers(1, [0xFFFE, 0x1DC0])

        assert await server.values("coil", 0, 4) == [False, False, True, False]
        assert await server.values("holding_register", 0, 4) == [0, 0xFFFE, 0x1DC0, 0]
        await connection.close()


async def test_exception_response_becomes_a_typed_error() -> None:
    async with LoopbackModbusServer(holding_registers=[1, 2]) as server:
        connection = ModbusConnection(LOOPBACK, server.port)
        await connection.connect()

        with pytest.raises(ModbusExceptionError) as caught:
            await connection.read(block(HR, 1, 5))
        after = await connection.read(block(HR, 0, 2))
        await connection.close()

    error = caught.value
    assert (error.code, error.name, error.function_code) == (
        0x02,
        "ILLEGAL DATA ADDRESS",
        0x03,
    )
    assert error.reason == "exception 0x02 ILLEGAL DATA ADDRESS"
    assert after == [1, 2], "the connection stays usable after an exception"


async def test_gateway_exception_is_named() -> None:
    async def gateway_fails(*_: object) -> ExcCodes:
        return ExcCodes.GATEWAY_NO_RESPONSE

    async with LoopbackModbusServer(action=gateway_fails) as server:
        connection = ModbusConnection(LOOPBACK, server.port)
        await connection.connect()

        with pytest.raises(ModbusExceptionError) as caught:
            await connection.read(block(HR, 0, 1))
        await connection.close()

    assert caught.value.code == 0x0B
    assert (
        caught.value.reason == "exception 0x0B GATEWAY TARGET DEVICE FAILED TO RESPOND"
    )


async def test_silent_device_times_out_and_the_connection_is_dropped() -> None:
    async with SilentServer() as server:
        connection = ModbusConnection(LOOPBACK, server.port, timeout_s=0.2)
        await connection.connect()
        started = time.monotonic()

        with pytest.raises(RequestTimeout) as caught:
            await connection.read(block(HR, 0, 1))
        waited = time.monotonic() - started

        assert server.received > 0, "the request reached the server"
        assert not connection.connected
        with pytest.raises(ConnectError, match="not connected"):
            await connection.read(block(HR, 0, 1))

    assert 0.2 <= waited < 1.0
    assert caught.value.reason == "timeout"
    assert isinstance(caught.value.__cause__, TimeoutError)


async def test_a_late_answer_is_never_taken_for_the_next_request() -> None:
    release = asyncio.Event()
    late_handlers: list[asyncio.Task[object]] = []

    async def slow_first_read(
        function_code: int, _start: int, address: int, *_: object
    ) -> None:
        if function_code == 3 and address == 0 and not late_handlers:
            task = asyncio.current_task()
            assert task is not None
            late_handlers.append(task)
            await release.wait()

    server = LoopbackModbusServer(holding_registers=[11, 22], action=slow_first_read)
    async with server:
        connection = ModbusConnection(LOOPBACK, server.port, timeout_s=0.2)
        await connection.connect()
        with pytest.raises(RequestTimeout):
            await connection.read(block(HR, 0, 1))

        await connection.connect()
        release.set()  # the late answer goes out now, to the old connection
        second = await connection.read(block(HR, 1, 1))
        await connection.close()
        async with asyncio.timeout(2):
            await asyncio.gather(*late_handlers)

    assert second == [22]


async def test_cancelling_a_request_drops_the_connection() -> None:
    async with SilentServer() as server:
        connection = ModbusConnection(LOOPBACK, server.port, timeout_s=5.0)
        await connection.connect()
        request = asyncio.create_task(connection.read(block(HR, 0, 1)))
        async with asyncio.timeout(2):
            await server.request_seen.wait()

        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request

        assert not connection.connected


async def test_nobody_listening_is_a_connect_error() -> None:
    connection = ModbusConnection(LOOPBACK, unused_port(), timeout_s=1.0)

    with pytest.raises(ConnectError) as caught:
        await connection.connect()

    assert caught.value.reason == "connection refused"
    assert not connection.connected


async def test_a_lost_connection_fails_fast() -> None:
    server = LoopbackModbusServer(holding_registers=[5])
    await server.start()
    connection = ModbusConnection(LOOPBACK, server.port, timeout_s=5.0)
    await connection.connect()
    assert await connection.read(block(HR, 0, 1)) == [5]

    await server.stop()
    await wait_until(lambda: not connection.connected)
    started = time.monotonic()
    with pytest.raises(ConnectError) as caught:
        await connection.read(block(HR, 0, 1))

    assert caught.value.reason == "connection lost"
    assert time.monotonic() - started < 1.0


async def test_one_request_in_flight_at_a_time() -> None:
    in_flight = 0
    most = 0

    async def count_overlap(*_: object) -> None:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1

    server = LoopbackModbusServer(
        holding_registers=list(range(10)), action=count_overlap
    )
    async with server:
        connection = ModbusConnection(LOOPBACK, server.port)
        await connection.connect()

        answers = await asyncio.gather(
            *(connection.read(block(HR, a, 1)) for a in range(10))
        )
        await connection.close()

    assert answers == [[a] for a in range(10)]
    assert most == 1


async def test_an_answer_of_the_wrong_length_is_a_decode_error() -> None:
    def one_register(request: bytes) -> bytes:
        return mbap_reply(request, bytes([0x03, 2, 0x12, 0x34]))

    async with RawServer(one_register) as server:
        connection = ModbusConnection(LOOPBACK, server.port)
        await connection.connect()

        with pytest.raises(DecodeError) as caught:
            await connection.read(block(HR, 0, 3))

        assert connection.connected, "the stream is still in step"
        await connection.close()

    assert caught.value.reason == "wrong length"


async def test_an_answer_for_another_function_is_a_decode_error() -> None:
    def coils_instead(request: bytes) -> bytes:
        return mbap_reply(request, bytes([0x01, 1, 0x01]))

    async with RawServer(coils_instead) as server:
        connection = ModbusConnection(LOOPBACK, server.port)
        await connection.connect()

        with pytest.raises(DecodeError) as caught:
            await connection.read(block(HR, 0, 1))
        await connection.close()

    assert caught.value.reason == "wrong function code"


@pytest.mark.parametrize(
    "respond",
    [
        pytest.param(lambda request: None, id="hang-up"),
        pytest.param(
            lambda request: mbap_reply(request, bytes([0x03, 200, 0x12, 0x34])),
            id="unparseable",
        ),
    ],
)
async def test_a_connection_closing_under_a_request_fails_it_at_once(
    respond: Callable[[bytes], bytes | None],
) -> None:
    async with RawServer(respond) as server:
        connection = ModbusConnection(LOOPBACK, server.port, timeout_s=5.0)
        await connection.connect()
        started = time.monotonic()

        with pytest.raises(ConnectError) as caught:
            await connection.read(block(HR, 0, 3))

    assert caught.value.reason == "connection lost"
    assert time.monotonic() - started < 2.0, "not left to the 5 s timeout"
    assert not connection.connected


async def test_a_cancel_swallowed_below_us_still_stops_the_request() -> None:
    # asyncio.wait_for in Python 3.11 (pymodbus awaits answers with it) returns
    # the answer and drops a cancel that arrives in the same loop step. Emulate
    # that below the connection: the cancel must still reach the caller.
    connection = ModbusConnection("127.0.0.1", 1, timeout_s=1.0)

    async def send() -> object:
        task = asyncio.current_task()
        assert task is not None
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(0)
        return object()  # the answer, returned as if no cancel had come

    async def exchange() -> None:
        await connection._exchange(send, 1, "read coils")  # type: ignore[arg-type]

    with pytest.raises(asyncio.CancelledError):
        await exchange()
