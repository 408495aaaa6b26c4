"""The register map on a plain list standing in for pymodbus's memory."""

from __future__ import annotations

import pytest

from simulators import registers as registers_module
from simulators.errors import SimulatorError
from simulators.registers import RegisterMap, TableSpan
from simulators.world import World
from topology.profile import ModbusProfile, ModbusTable
from topology.site import Door

PROFILE = ModbusProfile.model_validate(
    {
        "id": "unit",
        "points": [
            {"name": "closed", "table": "coil", "address": 17, "writable": True},
            {"name": "lock", "table": "coil", "address": 18, "writable": True},
            {
                "name": "uptime_s",
                "table": "input_register",
                "address": 4,
                "data_type": "uint16",
            },
        ],
    }
)

DOOR = Door.model_validate(
    {
        "id": "D-1",
        "between": ["A", "B"],
        "bindings": {"locked": "DC/lock", "closed": "DC/closed"},
        "lock": "DC/lock",
    }
)


def make_map() -> tuple[World, RegisterMap]:
    world = World(["D-1"], ["DC"])
    return world, RegisterMap("DC", PROFILE, [DOOR], world)


def bit(memory: list[int], block_start: int, address: int) -> bool:
    index, offset = divmod(address - block_start * 16, 16)
    return bool(memory[index] >> offset & 1)


def test_spans_cover_each_table_from_first_to_last_point() -> None:
    _, register_map = make_map()

    assert register_map.span(ModbusTable.COIL) == TableSpan(17, 19)
    assert register_map.span(ModbusTable.INPUT_REGISTER) == TableSpan(4, 5)
    assert register_map.span(ModbusTable.HOLDING_REGISTER) is None


def test_bits_are_recomputed_only_after_the_world_changed() -> None:
    world, register_map = make_map()
    memory = [0, 0]  # coils 16..47, block starting at register 1

    register_map.refresh(ModbusTable.COIL, 16, 48, 1, memory)
    first = (bit(memory, 1, 17), bit(memory, 1, 18))
    memory[0] = 0  # memory scribbled on: kept until something changes
    register_map.refresh(ModbusTable.COIL, 16, 48, 1, memory)
    untouched = memory[0]
    world.open_door("D-1")
    register_map.refresh(ModbusTable.COIL, 16, 48, 1, memory)

    assert first == (True, True)  # closed, locked
    assert untouched == 0
    assert (bit(memory, 1, 17), bit(memory, 1, 18)) == (False, True)


def test_a_written_door_input_keeps_showing_the_world() -> None:
    world, register_map = make_map()
    memory = [0, 0]

    refused = register_map.write(ModbusTable.COIL, 17, [False, False], 1, memory)
    memory[0] = 0  # what pymodbus would store for the write
    register_map.refresh(ModbusTable.COIL, 16, 48, 1, memory)

    assert refused is None
    assert world.door("D-1").open is False  # writing the contact moves nothing
    assert world.door("D-1").locked is False  # writing the lock does
    assert bit(memory, 1, 17) is True
    assert bit(memory, 1, 18) is False


def test_uptime_moves_with_the_clock_without_a_world_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world, register_map = make_map()
    world.record_running("DC", True)
    started = world.device("DC").started_at
    assert started is not None
    memory = [0, 0]  # input registers 4..5, block starting at 4

    monkeypatch.setattr(registers_module.time, "time", lambda: started + 90.7)
    register_map.refresh(ModbusTable.INPUT_REGISTER, 4, 5, 4, memory)
    at_90 = memory[0]
    monkeypatch.setattr(registers_module.time, "time", lambda: started + 125.2)
    register_map.refresh(ModbusTable.INPUT_REGISTER, 4, 5, 4, memory)

    assert (at_90, memory[0]) == (90, 125)


def test_a_binding_to_a_missing_point_is_named() -> None:
    door = Door.model_validate({**DOOR.model_dump(exclude={"lock"}), "lock": "DC/lokc"})

    with pytest.raises(SimulatorError, match=r"D-1.*lock.*'lokc'"):
        RegisterMap("DC", PROFILE, [door], World(["D-1"], ["DC"]))
