"""Table tests: exact register values for every type and all four orders."""

from __future__ import annotations

import math

import pytest

from drivers.errors import DecodeError, InvalidValueError
from drivers.modbus.codec import (
    decode_bit,
    decode_registers,
    encode_bit,
    encode_point,
    encode_registers,
    point_decoder,
)
from topology.profile import ByteOrder, DataType, ModbusPoint, ModbusTable, WordOrder

BIG, LITTLE = ByteOrder.BIG, ByteOrder.LITTLE
W_BIG, W_LITTLE = WordOrder.BIG, WordOrder.LITTLE

# (data type, value, byte order, word order, registers on the wire)
Case = tuple[DataType, float, ByteOrder, WordOrder, list[int]]
EXACT: list[Case] = [
    (DataType.UINT16, 0x1234, BIG, W_BIG, [0x1234]),
    (DataType.UINT16, 0x1234, LITTLE, W_BIG, [0x3412]),
    (DataType.UINT16, 0x1234, BIG, W_LITTLE, [0x1234]),
    (DataType.UINT16, 0x1234, LITTLE, W_LITTLE, [0x3412]),
    (DataType.UINT16, 65535, BIG, W_BIG, [0xFFFF]),
    (DataType.UINT16, 0, BIG, W_BIG, [0x0000]),
    (DataType.INT16, -2, BIG, W_BIG, [0xFFFE]),
    (DataType.INT16, -2, LITTLE, W_BIG, [0xFEFF]),
    (DataType.INT16, -2, BIG, W_LITTLE, [0xFFFE]),
    (DataType.INT16, -2, LITTLE, W_LITTLE, [0xFEFF]),
    (DataType.INT16, -32768, BIG, W_BIG, [0x8000]),
    (DataType.INT16, 32767, BIG, W_BIG, [0x7FFF]),
    (DataType.INT16, 300, LITTLE, W_BIG, [0x2C01]),
    (DataType.UINT32, 0x12345678, BIG, W_BIG, [0x1234, 0x5678]),
    (DataType.UINT32, 0x12345678, LITTLE, W_BIG, [0x3412, 0x7856]),
    (DataType.UINT32, 0x12345678, BIG, W_LITTLE, [0x5678, 0x1234]),
    (DataType.UINT32, 0x12345678, LITTLE, W_LITTLE, [0x7856, 0x3412]),
    (DataType.UINT32, 4294967295, BIG, W_BIG, [0xFFFF, 0xFFFF]),
    (DataType.INT32, -123456, BIG, W_BIG, [0xFFFE, 0x1DC0]),
    (DataType.INT32, -123456, LITTLE, W_BIG, [0xFEFF, 0xC01D]),
    (DataType.INT32, -123456, BIG, W_LITTLE, [0x1DC0, 0xFFFE]),
    (DataType.INT32, -123456, LITTLE, W_LITTLE, [0xC01D, 0xFEFF]),
    (DataType.INT32, 123456, BIG, W_BIG, [0x0001, 0xE240]),
    (DataType.INT32, -2147483648, BIG, W_BIG, [0x8000, 0x0000]),
    (DataType.INT32, 2147483647, BIG, W_LITTLE, [0xFFFF, 0x7FFF]),
    (DataType.FLOAT32, 123.456, BIG, W_BIG, [0x42F6, 0xE979]),
    (DataType.FLOAT32, 123.456, LITTLE, W_BIG, [0xF642, 0x79E9]),
    (DataType.FLOAT32, 123.456, BIG, W_LITTLE, [0xE979, 0x42F6]),
    (DataType.FLOAT32, 123.456, LITTLE, W_LITTLE, [0x79E9, 0xF642]),
    (DataType.FLOAT32, -1.5, BIG, W_BIG, [0xBFC0, 0x0000]),
    (DataType.FLOAT32, 0.0, BIG, W_BIG, [0x0000, 0x0000]),
    (DataType.FLOAT32, 1.0, LITTLE, W_LITTLE, [0x0000, 0x803F]),
]


def _case_id(case: Case) -> str:
    data_type, value, byte_order, word_order, _ = case
    return f"{data_type}-{value}-{byte_order}-{word_order}"


@pytest.mark.parametrize("case", EXACT, ids=_case_id)
def test_encode_gives_exact_registers(case: Case) -> None:
    data_type, value, byte_order, word_order, registers = case

    assert encode_registers(value, data_type, byte_order, word_order) == registers


@pytest.mark.parametrize("case", EXACT, ids=_case_id)
def test_decode_reads_exact_registers(case: Case) -> None:
    data_type, value, byte_order, word_order, registers = case

    decoded = decode_registers(registers, data_type, byte_order, word_order)

    if data_type is DataType.FLOAT32:
        assert isinstance(decoded, float)
        assert decoded == pytest.approx(value, rel=1e-7)
    else:
        assert type(decoded) is int
        assert decoded == value


def test_float32_decodes_to_nearest_single_precision() -> None:
    decoded = decode_registers([0x42F6, 0xE979], DataType.FLOAT32)

    assert decoded == 123.45600128173828


# (data type, raw registers, scale, offset, engineering value)
SCALED = [
    (DataType.INT16, [0x00D7], 0.1, 0.0, 21.5),
    (DataType.INT16, [0xFF29], 0.1, 0.0, -21.5),
    (DataType.UINT16, [0x03E8], 0.01, -5.0, 5.0),
    (DataType.UINT32, [0x0001, 0x0000], 2.0, 1.0, 131073.0),
    (DataType.FLOAT32, [0x3FC0, 0x0000], 10.0, 0.5, 15.5),
]


@pytest.mark.parametrize(("data_type", "registers", "scale", "offset", "value"), SCALED)
def test_scale_and_offset_apply_both_ways(
    data_type: DataType,
    registers: list[int],
    scale: float,
    offset: float,
    value: float,
) -> None:
    decoded = decode_registers(
        registers, data_type, BIG, W_BIG, scale=scale, offset=offset
    )
    encoded = encode_registers(value, data_type, BIG, W_BIG, scale=scale, offset=offset)

    assert isinstance(decoded, float)
    assert decoded == pytest.approx(value)
    assert encoded == registers


def test_scaled_integer_rounds_to_the_nearest_step() -> None:
    assert encode_registers(21.54, DataType.INT16, scale=0.1) == [215]
    assert encode_registers(21.56, DataType.INT16, scale=0.1) == [216]


def test_integers_stay_integers_without_scaling() -> None:
    assert type(decode_registers([7], DataType.UINT16)) is int
    assert type(decode_registers([7], DataType.UINT16, scale=1.0, offset=0.5)) is float
    assert type(decode_registers([7], DataType.UINT16, scale=2.0)) is float


@pytest.mark.parametrize(
    ("registers", "shown"),
    [
        ([0x7FC0, 0x0000], "nan"),
        ([0x7F80, 0x0000], "inf"),
        ([0xFF80, 0x0000], "-inf"),
    ],
)
def test_decoding_nan_or_infinity_is_refused(registers: list[int], shown: str) -> None:
    with pytest.raises(DecodeError) as caught:
        decode_registers(registers, DataType.FLOAT32)

    assert caught.value.reason == f"float32 {shown}"


@pytest.mark.parametrize(
    ("value", "data_type", "scale"),
    [
        (32768, DataType.INT16, 1.0),
        (-32769, DataType.INT16, 1.0),
        (-1, DataType.UINT16, 1.0),
        (65536, DataType.UINT16, 1.0),
        (2**31, DataType.INT32, 1.0),
        (-(2**31) - 1, DataType.INT32, 1.0),
        (2**32, DataType.UINT32, 1.0),
        (-1, DataType.UINT32, 1.0),
        (3276.8, DataType.INT16, 0.1),
        (1.5, DataType.INT16, 1.0),
        (3.5e38, DataType.FLOAT32, 1.0),
        (1e30, DataType.FLOAT32, 1e-10),
        (math.nan, DataType.FLOAT32, 1.0),
        (math.inf, DataType.FLOAT32, 1.0),
        (-math.inf, DataType.INT32, 1.0),
        (math.nan, DataType.UINT16, 2.0),
        (True, DataType.UINT16, 1.0),
        ("12", DataType.INT16, 1.0),
        (None, DataType.FLOAT32, 1.0),
    ],
)
def test_encoding_refuses_values_that_do_not_fit(
    value: object, data_type: DataType, scale: float
) -> None:
    with pytest.raises(InvalidValueError):
        encode_registers(value, data_type, scale=scale)  # type: ignore[arg-type]


def test_invalid_value_is_also_a_value_error() -> None:
    with pytest.raises(ValueError, match="outside the int16 range"):
        encode_registers(40000, DataType.INT16)


@pytest.mark.parametrize(
    ("registers", "data_type"),
    [([1, 2], DataType.UINT16), ([1], DataType.FLOAT32), ([0x10000], DataType.UINT16)],
)
def test_decode_refuses_the_wrong_registers(
    registers: list[int], data_type: DataType
) -> None:
    with pytest.raises(DecodeError):
        decode_registers(registers, data_type)


def test_bits_decode_and_encode() -> None:
    assert decode_bit([True, False, True], 2) is True
    assert decode_bit([True, False, True], 1) is False
    assert encode_bit(True) is True
    assert encode_bit(False) is False


@pytest.mark.parametrize("value", [1, 0, "on", None, 1.0])
def test_coils_take_only_booleans(value: object) -> None:
    with pytest.raises(InvalidValueError):
        encode_bit(value)  # type: ignore[arg-type]


def test_point_decoder_reads_at_the_point_index() -> None:
    point = ModbusPoint(
        name="temp",
        table=ModbusTable.INPUT_REGISTER,
        address=10,
        data_type=DataType.FLOAT32,
        word_order=WordOrder.LITTLE,
        scale=2.0,
    )
    block = [0xAAAA, 0xE979, 0x42F6, 0xBBBB]

    assert point_decoder(point)(block, 1) == pytest.approx(246.912, rel=1e-6)


def test_encode_point_picks_the_table_shape() -> None:
    coil = ModbusPoint(name="lock", table=ModbusTable.COIL, address=3, writable=True)
    setpoint = ModbusPoint(
        name="setpoint",
        table=ModbusTable.HOLDING_REGISTER,
        address=0,
        data_type=DataType.INT32,
        byte_order=ByteOrder.LITTLE,
        writable=True,
    )

    assert encode_point(coil, True) is True
    assert encode_point(setpoint, -123456) == [0xFEFF, 0xC01D]
