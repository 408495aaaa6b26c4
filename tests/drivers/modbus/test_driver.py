"""ModbusDriver against a real pymodbus server on loopback."""

from __future__ import annotations

from typing import Any

import pytest

from drivers.errors import (
    ConnectError,
    InvalidValueError,
    NotFoundError,
    NotWritableError,
    RequestTimeout,
)
from drivers.modbus.driver import ModbusDriver
from tests.drivers.modbus.servers import LoopbackModbusServer, SilentServer
from topology.profile import DataType, ModbusPoint, ModbusProfile, ModbusTable
from topology.sample import Quality, Sample
from topology.site import Device, DeviceKind, Endpoint, Protocol

HR = ModbusTable.HOLDING_REGISTER

# Raw words as a device would hold them, written out by hand.
HOLDING = [
    0x1234,  # 0 uint16 4660
    0xFFFE,  # 1 int16 -2
    0x1234, 0x5678,  # 2 uint32 305419896
    0xFFFE, 0x1DC0,  # 4 int32 -123456
    0x42F6, 0xE979,  # 6 float32 123.456, big/big
    0x79E9, 0xF642,  # 8 float32 123.456, little bytes, little words
    0x00D7,  # 10 int16 215 * 0.1 = 21.5
    0x3412,  # 11 uint16 0x1234, little bytes
    0x0000, 0x0000,  # 12 int32 setpoint, writable
]  # fmt: skip
INPUTS = [0xE979, 0x42F6, 7]  # 0 float32 word-little 123.456, 2 uint16 7
COILS = [False, True, False]
DISCRETE = [True, False, True]

POINTS: list[dict[str, Any]] = [
    {"name": "u16", "table": "holding_register", "address": 0, "data_type": "uint16"},
    {"name": "i16", "table": "holding_register", "address": 1, "data_type": "int16"},
    {"name": "u32", "table": "holding_register", "address": 2, "data_type": "uint32"},
    {"name": "i32", "table": "holding_register", "address": 4, "data_type": "int32"},
    {"name": "f32", "table": "holding_register", "address": 6, "data_type": "float32"},
    {
        "name": "f32_swapped",
        "table": "holding_register",
        "address": 8,
        "data_type": "float32",
        "byte_order": "little",
        "word_order": "little",
    },
    {
        "name": "temperature",
        "table": "holding_register",
        "address": 10,
        "data_type": "int16",
        "scale": 0.1,
        "unit": "degC",
    },
    {
        "name": "u16_little",
        "table": "holding_register",
        "address": 11,
        "data_type": "uint16",
        "byte_order": "little",
    },
    {
        "name": "setpoint",
        "table": "holding_register",
        "address": 12,
        "data_type": "int32",
        "writable": True,
    },
    {
        "name": "flow",
        "table": "input_register",
        "address": 0,
        "data_type": "float32",
        "word_order": "little",
    },
    {"name": "count", "table": "input_register", "address": 2, "data_type": "uint16"},
    {"name": "lock_1", "table": "coil", "address": 0, "writable": True},
    {"name": "lock_2", "table": "coil", "address": 1, "writable": True},
    {"name": "lock_3", "table": "coil", "address": 2},
    {"name": "closed_1", "table": "discrete_input", "address": 0},
    {"name": "closed_2", "table": "discrete_input", "address": 1},
    {"name": "closed_3", "table": "discrete_input", "address": 2},
]

EXPECTED = {
    "u16": 4660,
    "i16": -2,
    "u32": 305419896,
    "i32": -123456,
    "f32": pytest.approx(123.456, rel=1e-7),
    "f32_swapped": pytest.approx(123.456, rel=1e-7),
    "temperature": pytest.approx(21.5),
    "u16_little": 0x1234,
    "setpoint": 0,
    "flow": pytest.approx(123.456, rel=1e-7),
    "count": 7,
    "lock_1": False,
    "lock_2": True,
    "lock_3": False,
    "closed_1": True,
    "closed_2": False,
    "closed_3": True,
}


def make_profile(extra: list[dict[str, Any]] | None = None) -> ModbusProfile:
    points = [ModbusPoint(**p) for p in POINTS + (extra or [])]
    return ModbusProfile(id="test-controller", points=points)


def make_device(port: int, timeout_s: float = 1.0) -> Device:
    return Device(
        id="DC-T1",
        kind=DeviceKind.DOOR_CONTROLLER,
        protocol=Protocol.MODBUS,
        endpoint=Endpoint(host="127.0.0.1", port=port, unit_id=1),
        profile="test-controller",
        timeout_s=timeout_s,
    )


def make_server() -> LoopbackModbusServer:
    return LoopbackModbusServer(
        coils=COILS,
        discrete_inputs=DISCRETE,
        holding_registers=HOLDING,
        input_registers=INPUTS,
    )


def by_point(samples: list[Sample]) -> dict[str, Sample]:
    return {sample.point: sample for sample in samples}


async def test_poll_reads_every_type_in_one_request_per_table() -> None:
    async with make_server() as server:
        driver = ModbusDriver(make_device(server.port), make_profile())
        await driver.connect()

        samples = await driver.poll()
        await driver.close()

    assert len(driver.blocks) == 4
    assert driver.requests == 4
    assert {s.point: s.value for s in samples} == EXPECTED
    assert [s.point for s in samples if type(s.value) is int] == [
        "u16",
        "i16",
        "u32",
        "i32",
        "u16_little",
        "setpoint",
        "count",
    ]
    for sample in samples:
        assert sample.device == "DC-T1"
        assert sample.quality is Quality.GOOD
        assert sample.reason is None
        assert sample.source_time == sample.received_time > 0


async def test_writes_travel_on_the_polling_connection() -> None:
    async with make_server() as server:
        driver = ModbusDriver(make_device(server.port), make_profile())
        await driver.connect()

        await driver.write("lock_1", True)
        await driver.write("setpoint", -123456)
        on_wire = await server.values("holding_register", 12, 2)
        samples = by_point(await driver.poll())
        await driver.close()

    assert on_wire == [0xFFFE, 0x1DC0]
    assert samples["lock_1"].value is True
    assert samples["setpoint"].value == -123456
    assert driver.requests == 2 + 4


async def test_bad_writes_are_refused_before_the_wire() -> None:
    async with make_server() as server:
        driver = ModbusDriver(make_device(server.port), make_profile())
        await driver.connect()

        with pytest.raises(NotWritableError):
            await driver.write("lock_3", True)
        with pytest.raises(NotWritableError):
            await driver.write("u16", 1)
        with pytest.raises(NotFoundError):
            await driver.write("no_such_point", 1)
        with pytest.raises(InvalidValueError):
            await driver.write("lock_1", 1)
        with pytest.raises(InvalidValueError):
            await driver.write("setpoint", 2**31)
        await driver.close()

    assert driver.requests == 0


async def test_write_without_a_connection_is_a_connect_error() -> None:
    driver = ModbusDriver(make_device(port=1), make_profile())

    with pytest.raises(ConnectError):
        await driver.write("lock_1", True)


async def test_a_refused_block_gives_bad_samples_and_the_rest_still_reads() -> None:
    missing = {
        "name": "missing",
        "table": "holding_register",
        "address": 500,
        "data_type": "float32",
    }
    async with make_server() as server:
        driver = ModbusDriver(make_device(server.port), make_profile([missing]))
        await driver.connect()

        samples = by_point(await driver.poll())
        await driver.close()

    bad = samples.pop("missing")
    assert bad.quality is Quality.BAD
    assert bad.value is None
    assert bad.reason == "exception 0x02 ILLEGAL DATA ADDRESS"
    assert {name: s.value for name, s in samples.items()} == EXPECTED
    assert all(s.quality is Quality.GOOD for s in samples.values())


async def test_a_nan_reading_is_a_bad_sample_for_that_point_only() -> None:
    server = LoopbackModbusServer(holding_registers=[0x7FC0, 0x0000, 0x0001])
    profile = ModbusProfile(
        id="p",
        points=[
            ModbusPoint(name="f", table=HR, address=0, data_type=DataType.FLOAT32),
            ModbusPoint(name="n", table=HR, address=2, data_type=DataType.UINT16),
        ],
    )
    async with server:
        driver = ModbusDriver(make_device(server.port), profile)
        await driver.connect()
        samples = by_point(await driver.poll())
        await driver.close()

    assert (samples["f"].quality, samples["f"].reason) == (Quality.BAD, "float32 nan")
    assert (samples["n"].quality, samples["n"].value) == (Quality.GOOD, 1)


async def test_an_unreachable_device_raises_instead_of_returning_samples() -> None:
    async with SilentServer() as server:
        driver = ModbusDriver(make_device(server.port, timeout_s=0.2), make_profile())
        await driver.connect()

        with pytest.raises(RequestTimeout):
            await driver.poll()
        with pytest.raises(ConnectError):
            await driver.poll()

    assert driver.requests == 1
    assert not driver.connected


def test_a_device_without_endpoint_is_refused() -> None:
    device = make_device(502).model_copy(update={"endpoint": None})

    with pytest.raises(ValueError, match="no endpoint"):
        ModbusDriver(device, make_profile())
