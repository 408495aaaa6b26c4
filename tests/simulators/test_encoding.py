from __future__ import annotations

from typing import Any

import pytest

from simulators.defaults import default_value
from simulators.encoding import decode_value, encode_value
from topology.profile import ModbusPoint


def point(data_type: str, **extra: Any) -> ModbusPoint:
    return ModbusPoint(
        name="p", table="input_register", address=0, data_type=data_type, **extra
    )


BIG: dict[str, Any] = {}
WORD_LE = {"word_order": "little"}
BYTE_LE = {"byte_order": "little"}
BOTH_LE = {"byte_order": "little", "word_order": "little"}


@pytest.mark.parametrize(
    ("data_type", "extra", "value", "registers"),
    [
        ("uint16", BIG, 0x1234, [0x1234]),
        ("uint16", BYTE_LE, 0x1234, [0x3412]),
        ("int16", BIG, -2, [0xFFFE]),
        ("int16", BYTE_LE, -2, [0xFEFF]),
        ("uint32", BIG, 0x12345678, [0x1234, 0x5678]),
        ("uint32", WORD_LE, 0x12345678, [0x5678, 0x1234]),
        ("uint32", BYTE_LE, 0x12345678, [0x3412, 0x7856]),
        ("uint32", BOTH_LE, 0x12345678, [0x7856, 0x3412]),
        ("int32", BIG, -2, [0xFFFF, 0xFFFE]),
        ("int32", WORD_LE, -70000, [0xEE90, 0xFFFE]),
        ("float32", BIG, 24.1, [0x41C0, 0xCCCD]),
        ("float32", WORD_LE, 24.1, [0xCCCD, 0x41C0]),
        ("float32", BYTE_LE, 24.1, [0xC041, 0xCDCC]),
        ("float32", BOTH_LE, -1.5, [0x0000, 0xC0BF]),
        ("uint16", {"scale": 0.1, "offset": -40.0}, 21.5, [0x0267]),
        ("int16", {"scale": 0.01}, -3.27, [0xFEB9]),
    ],
)
def test_encode_pins_raw_registers_and_decodes_back(
    data_type: str, extra: dict[str, Any], value: float, registers: list[int]
) -> None:
    p = point(data_type, **extra)

    encoded = encode_value(p, value)
    decoded = decode_value(p, encoded)

    assert encoded == registers
    assert decoded == pytest.approx(value, rel=1e-6)


@pytest.mark.parametrize(
    ("data_type", "value", "registers"),
    [
        ("uint16", 65536 + 5, [5]),
        ("uint16", -1, [0xFFFF]),
        ("int16", 32768, [0x8000]),
        ("uint32", 2**32 + 7, [0, 7]),
    ],
)
def test_integers_wrap_like_a_hardware_counter(
    data_type: str, value: int, registers: list[int]
) -> None:
    assert encode_value(point(data_type), value) == registers


def test_decode_returns_int_for_whole_values() -> None:
    assert decode_value(point("int32"), [0xFFFF, 0xFFFE]) == -2
    assert isinstance(decode_value(point("uint16"), [7]), int)


@pytest.mark.parametrize(
    ("p", "value"),
    [
        (point("float32"), 1e40),
        (point("int16"), float("nan")),
    ],
)
def test_unrepresentable_values_are_refused(p: ModbusPoint, value: float) -> None:
    with pytest.raises(ValueError, match="cannot hold"):
        encode_value(p, value)


def test_bits_are_not_register_values() -> None:
    bit = ModbusPoint(name="b", table="coil", address=0)

    with pytest.raises(ValueError, match="is a bit"):
        encode_value(bit, 1)
    with pytest.raises(ValueError, match="needs 2 registers"):
        decode_value(point("uint32"), [1])


@pytest.mark.parametrize(
    ("name", "data_type", "expected"),
    [
        ("uptime_s", "uint32", 3725),
        ("supply_voltage", "float32", 24.1),
        ("firmware_version", "uint16", 0x0203),
        ("firmware_version", "float32", 2.3),
        ("cabinet_temp", "int16", 31.5),
        ("anything_else", "uint16", 0),
    ],
)
def test_unbound_points_get_plausible_defaults(
    name: str, data_type: str, expected: float
) -> None:
    p = ModbusPoint(name=name, table="input_register", address=0, data_type=data_type)

    assert default_value(p, uptime_s=3725.9) == expected


def test_unbound_bits_default_to_false() -> None:
    p = ModbusPoint(name="uptime_bit", table="discrete_input", address=0)

    assert default_value(p, uptime_s=10.0) is False
