"""The simulated controllers, seen through a plain pymodbus client on loopback."""

from __future__ import annotations

import asyncio
import time

import pytest
from pymodbus.exceptions import ConnectionException, ModbusIOException

from simulators.errors import FaultError, SimulatorStartError
from simulators.modbus import garbage_frame, loopback_host
from simulators.runner import SimulatorSet, start_simulators
from simulators.world import HEALTHY, Fault
from tests.simulators.conftest import SITE, build_site, modbus_client
from topology.loader import LoadedSite

DC1 = 1  # unit ids of the test controllers
DC2 = 3


async def test_every_modbus_controller_listens_on_a_real_loopback_port(
    sims: SimulatorSet,
) -> None:
    endpoints = sims.endpoints

    assert sorted(endpoints) == ["DC-1", "DC-2"]  # the SNMP switch is not served
    assert all(e.host == "127.0.0.1" and e.port > 0 for e in endpoints.values())
    assert endpoints["DC-1"].port != endpoints["DC-2"].port
    assert (endpoints["DC-1"].unit_id, endpoints["DC-2"].unit_id) == (DC1, DC2)
    assert sims.world.device("DC-1").running is True
    assert sims.world.device("SW-1").running is False


async def test_writing_a_lock_coil_moves_the_door_relay(sims: SimulatorSet) -> None:
    async with modbus_client(sims.endpoints["DC-1"]) as client:
        unlocked = await client.write_coil(0, False, device_id=DC1)
        relay_after_unlock = sims.world.door("D-1").locked
        read_back = await client.read_coils(0, count=1, device_id=DC1)
        locked = await client.write_coil(0, True, device_id=DC1)

    assert not unlocked.isError() and not locked.isError()
    assert relay_after_unlock is False
    assert read_back.bits[0] is False
    assert sims.world.door("D-1").locked is True


async def test_an_inverted_lock_coil_unlocks_when_set(sims: SimulatorSet) -> None:
    async with modbus_client(sims.endpoints["DC-1"]) as client:
        before = await client.read_discrete_inputs(4, count=1, device_id=DC1)
        await client.write_coils(1, [True], device_id=DC1)
        after = await client.read_discrete_inputs(4, count=1, device_id=DC1)

    assert sims.world.door("D-2").locked is False
    assert (before.bits[0], after.bits[0]) == (True, False)  # door_2_bolt


async def test_door_inputs_follow_the_world(sims: SimulatorSet) -> None:
    world = sims.world

    async with modbus_client(sims.endpoints["DC-1"]) as client:
        quiet = await client.read_discrete_inputs(0, count=5, device_id=DC1)
        world.open_door("D-1")
        world.set_tamper("D-1", True)
        world.set_request_to_exit("D-1", True)
        world.open_door("D-2")
        world.set_tamper("D-2", True)
        busy = await client.read_discrete_inputs(0, count=5, device_id=DC1)
        tamper_word = await client.read_input_registers(30, count=1, device_id=DC1)

    # closed, tamper, rex of D-1; open (inverted closed) and bolt of D-2
    assert quiet.bits[:5] == [True, False, False, False, True]
    assert busy.bits[:5] == [False, True, True, True, True]
    assert tamper_word.registers == [1]


async def test_each_controller_shows_only_its_own_doors(sims: SimulatorSet) -> None:
    sims.world.open_door("D-3")

    async with (
        modbus_client(sims.endpoints["DC-1"]) as dc1,
        modbus_client(sims.endpoints["DC-2"]) as dc2,
    ):
        on_dc1 = await dc1.read_discrete_inputs(0, count=1, device_id=DC1)
        on_dc2 = await dc2.read_discrete_inputs(0, count=1, device_id=DC2)
        await dc2.write_coil(0, False, device_id=DC2)

    assert on_dc1.bits[0] is True  # D-1 still closed
    assert on_dc2.bits[0] is False  # D-3 open
    assert sims.world.door("D-3").locked is False
    assert sims.world.door("D-1").locked is True


@pytest.mark.parametrize(
    ("point", "address", "value", "registers"),
    [
        ("t_int16", 5, -2, [0xFFFE]),
        ("t_int16_bl", 6, 0x1234, [0x3412]),
        ("t_uint32", 7, 0x12345678, [0x1234, 0x5678]),
        ("t_uint32_wl", 9, 0x12345678, [0x5678, 0x1234]),
        ("t_uint32_bl", 11, 0x12345678, [0x3412, 0x7856]),
        ("t_uint32_ll", 13, 0x12345678, [0x7856, 0x3412]),
        ("t_int32", 15, -2, [0xFFFF, 0xFFFE]),
        ("t_float32_wl", 17, 24.1, [0xCCCD, 0x41C0]),
        ("t_float32_bl", 19, 24.1, [0xC041, 0xCDCC]),
        ("t_scaled", 21, 21.5, [0x0267]),
        ("t_uint16", 22, 513, [0x0201]),
    ],
)
async def test_unbound_registers_read_back_exact_raw_values(
    sims: SimulatorSet, point: str, address: int, value: float, registers: list[int]
) -> None:
    sims.world.set_point_value("DC-1", point, value)

    async with modbus_client(sims.endpoints["DC-1"]) as client:
        result = await client.read_input_registers(
            address, count=len(registers), device_id=DC1
        )

    assert result.registers == registers


async def test_unbound_points_have_plausible_defaults(sims: SimulatorSet) -> None:
    started_at = sims.world.device("DC-1").started_at
    assert started_at is not None

    async with modbus_client(sims.endpoints["DC-1"]) as client:
        block = await client.read_input_registers(0, count=6, device_id=DC1)
    uptime_now = time.time() - started_at

    uptime = block.registers[0] << 16 | block.registers[1]
    assert 0 <= uptime <= uptime_now
    assert block.registers[2:4] == [0x41C0, 0xCCCD]  # 24.1 V
    assert block.registers[4] == 0x0203  # firmware 2.3
    assert block.registers[5] == 0  # nothing to guess from the name


async def test_writable_registers_keep_what_is_written(sims: SimulatorSet) -> None:
    async with modbus_client(sims.endpoints["DC-1"]) as client:
        await client.write_register(10, 45, device_id=DC1)
        # counter_limit is int32, low word first: write only its high word
        await client.write_registers(12, [0x0000, 0x0001], device_id=DC1)
        await client.write_register(13, 0x0002, device_id=DC1)
        read_back = await client.read_holding_registers(10, count=4, device_id=DC1)
        await client.write_coil(5, True, device_id=DC1)
        aux = await client.read_coils(5, count=1, device_id=DC1)

    values = sims.world.device("DC-1").values
    assert values["unlock_time_s"] == 45
    assert values["counter_limit"] == 0x0002_0000
    assert values["aux_relay"] is True
    assert read_back.registers == [45, 0, 0x0000, 0x0002]
    assert aux.bits[0] is True


async def test_read_only_points_and_unknown_addresses_are_refused(
    sims: SimulatorSet,
) -> None:
    async with modbus_client(sims.endpoints["DC-1"]) as client:
        read_only_coil = await client.write_coil(6, True, device_id=DC1)
        read_only_register = await client.write_register(20, 1, device_id=DC1)
        past_the_end = await client.read_input_registers(31, count=1, device_id=DC1)

    assert read_only_coil.isError() and read_only_coil.exception_code == 0x02
    assert read_only_register.exception_code == 0x02
    assert past_the_end.exception_code == 0x02
    assert "spare_coil" not in sims.world.device("DC-1").values


async def test_a_stopped_device_refuses_connections_then_returns_on_its_port(
    sims: SimulatorSet,
) -> None:
    endpoint = sims.endpoints["DC-1"]

    async with modbus_client(endpoint) as client:
        await client.read_coils(0, count=1, device_id=DC1)
        await sims.stop_device("DC-1")
        with pytest.raises((ConnectionException, ModbusIOException)):
            await client.read_coils(0, count=1, device_id=DC1)
    with pytest.raises(AssertionError, match="cannot connect"):
        async with modbus_client(endpoint):
            pass
    stopped = sims.world.device("DC-1").running

    await sims.start_device("DC-1")
    async with modbus_client(sims.endpoints["DC-1"]) as client:
        again = await client.read_coils(0, count=1, device_id=DC1)

    assert stopped is False
    assert sims.endpoints["DC-1"] == endpoint
    assert again.bits[0] is True
    assert sims.world.device("DC-1").running is True


async def test_a_delay_fault_slows_every_answer(sims: SimulatorSet) -> None:
    async with modbus_client(sims.endpoints["DC-1"], answer_timeout=2.0) as client:
        sims.set_fault("DC-1", Fault(delay_ms=300))
        started = time.monotonic()
        slow = await client.read_coils(0, count=1, device_id=DC1)
        slow_s = time.monotonic() - started
        sims.set_fault("DC-1", HEALTHY)
        started = time.monotonic()
        await client.read_coils(0, count=1, device_id=DC1)
        fast_s = time.monotonic() - started

    assert not slow.isError()
    assert 0.3 <= slow_s < 1.5
    assert fast_s < slow_s / 2


async def test_a_delayed_answer_is_abandoned_when_the_device_stops(
    sims: SimulatorSet,
) -> None:
    sims.set_fault("DC-1", Fault(delay_ms=10_000))

    async with modbus_client(sims.endpoints["DC-1"], answer_timeout=0.2) as client:
        with pytest.raises(ModbusIOException):
            await client.read_coils(0, count=1, device_id=DC1)
        async with asyncio.timeout(2):
            await sims.stop_device("DC-1")
    # the leaked-task fixture checks that no delayed handler is left behind


@pytest.mark.parametrize("code", [0x02, 0x04, 0x0B])
async def test_an_exception_fault_answers_with_that_code(
    sims: SimulatorSet, code: int
) -> None:
    sims.set_fault("DC-1", Fault(exception_code=code))

    async with modbus_client(sims.endpoints["DC-1"]) as client:
        read = await client.read_holding_registers(10, count=1, device_id=DC1)
        write = await client.write_coil(0, False, device_id=DC1)

    assert read.isError() and read.exception_code == code
    assert write.isError() and write.exception_code == code
    assert sims.world.door("D-1").locked is True  # the refused write did nothing


async def test_a_garbage_fault_sends_a_malformed_frame(sims: SimulatorSet) -> None:
    received: list[bytes] = []

    def trace(sending: bool, frame: bytes) -> bytes:
        if not sending:
            received.append(frame)
        return frame

    sims.set_fault("DC-2", Fault(garbage=True))
    async with modbus_client(sims.endpoints["DC-2"], 0.3, trace) as client:
        # pymodbus checks a register answer's byte count, so this one fails ...
        with pytest.raises(ModbusIOException):
            await client.read_holding_registers(10, count=1, device_id=DC2)
    async with modbus_client(sims.endpoints["DC-2"], 0.3, trace) as client:
        # ... but not a coil answer's: the raw frame shows the lie.
        await client.read_coils(0, count=1, device_id=DC2)
    sims.set_fault("DC-2", HEALTHY)
    async with modbus_client(sims.endpoints["DC-2"]) as client:
        healthy = await client.read_coils(0, count=1, device_id=DC2)

    coil_answer = received[-1]
    assert coil_answer[7] == 0x01  # read coils
    assert coil_answer[8] == 0xFA  # claims 250 data bytes ...
    assert len(coil_answer) - 9 == 2  # ... and brings 2
    assert healthy.bits[0] is True


def test_garbage_frame_keeps_the_header_and_breaks_the_body() -> None:
    answer = bytes.fromhex("0007 0000 0005 03 03 02 1234")

    garbage = garbage_frame(answer)

    assert garbage == bytes.fromhex("0007 0000 0005 03 03 fadead")


async def test_a_fault_modbus_cannot_show_is_refused(sims: SimulatorSet) -> None:
    with pytest.raises(FaultError, match="0x09"):
        sims.set_fault("DC-1", Fault(exception_code=0x09))

    assert sims.world.device("DC-1").fault == HEALTHY


async def test_a_taken_port_is_reported_and_nothing_is_left_running(
    sims: SimulatorSet,
) -> None:
    taken = sims.endpoints["DC-2"].port
    site = dict(SITE)
    site["devices"] = [
        {**device, "endpoint": {"host": "127.0.0.1", "port": taken}}
        for device in SITE["devices"]
        if device["id"] == "DC-1"
    ]

    other = start_simulators(build_site(site))
    with pytest.raises(SimulatorStartError, match=f"DC-1.*{taken}"):
        async with other:
            pass

    assert other.world.device("DC-1").running is False


async def test_simulators_never_listen_off_loopback(site: LoadedSite) -> None:
    assert loopback_host("10.20.30.40") == "127.0.0.1"
    assert loopback_host("controller.example") == "127.0.0.1"
    assert loopback_host("localhost") == "127.0.0.1"
    assert loopback_host("::1") == "::1"
    assert loopback_host("127.0.0.5") == "127.0.0.5"


async def test_a_value_a_point_cannot_hold_reads_as_device_failure(
    sims: SimulatorSet,
) -> None:
    sims.world.set_point_value("DC-1", "t_int16", float("nan"))

    async with modbus_client(sims.endpoints["DC-1"]) as client:
        failed = await client.read_input_registers(5, count=1, device_id=DC1)
        sims.world.set_point_value("DC-1", "t_int16", -3)
        recovered = await client.read_input_registers(2, count=4, device_id=DC1)

    assert failed.isError() and failed.exception_code == 0x04
    assert recovered.registers == [0x41C0, 0xCCCD, 0x0203, 0xFFFD]
