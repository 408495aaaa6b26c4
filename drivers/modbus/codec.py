"""Turning Modbus registers and bits into values, and values back into registers.

Pure functions, no I/O. A register is a 16-bit unsigned word as it travels on the
wire (0..0xFFFF). A 32-bit value spans two consecutive registers.

* ``byte_order`` is the order of the two bytes inside each register: ``big`` is the
  Modbus default (high byte first), ``little`` swaps them.
* ``word_order`` is the order of the two registers of a 32-bit value: ``big`` puts
  the high word at the lower address, ``little`` the low word.

So float32 123.456 (0x42F6E979) is ``[0x42F6, 0xE979]`` big/big, ``[0xF642,
0x79E9]`` with little byte order, ``[0xE979, 0x42F6]`` with little word order and
``[0x79E9, 0xF642]`` with both.

The engineering value is ``raw * scale + offset``. With ``scale == 1`` and
``offset == 0`` integer types decode to ``int``; otherwise every numeric type
decodes to ``float``.

Not-a-number and infinity: a float32 register pair holding NaN or an infinity is not
a reading anybody can act on, so decoding raises :class:`~drivers.errors.DecodeError`
(the point gets a bad sample). Encoding refuses NaN and infinities as well, and any
value outside the type's range after scaling, with
:class:`~drivers.errors.InvalidValueError`.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Sequence

from drivers.errors import DecodeError, InvalidValueError
from topology.profile import ByteOrder, DataType, ModbusPoint, WordOrder
from topology.sample import Value

RegisterDecoder = Callable[[Sequence[int], int], int | float]
"""Decodes the value starting at index ``start`` of a register list."""

PointDecoder = Callable[[Sequence[int], int], Value]
"""Decodes one point from a block's registers or bits, given its index in it."""

_TWO_WORDS = struct.Struct(">HH")
_FLOAT32 = struct.Struct(">f")

_INT_RANGES: dict[DataType, tuple[int, int]] = {
    DataType.INT16: (-0x8000, 0x7FFF),
    DataType.UINT16: (0, 0xFFFF),
    DataType.INT32: (-0x8000_0000, 0x7FFF_FFFF),
    DataType.UINT32: (0, 0xFFFF_FFFF),
}


def _swap(word: int) -> int:
    return ((word & 0xFF) << 8) | (word >> 8)


def _word_reader(byte_order: ByteOrder) -> Callable[[Sequence[int], int], int]:
    if byte_order is ByteOrder.BIG:
        return lambda registers, start: registers[start]
    return lambda registers, start: _swap(registers[start])


def _pair_reader(
    byte_order: ByteOrder, word_order: WordOrder
) -> Callable[[Sequence[int], int], tuple[int, int]]:
    """Reads two registers as (high word, low word), bytes already in order."""
    big_bytes = byte_order is ByteOrder.BIG
    if word_order is WordOrder.BIG:
        if big_bytes:
            return lambda r, i: (r[i], r[i + 1])
        return lambda r, i: (_swap(r[i]), _swap(r[i + 1]))
    if big_bytes:
        return lambda r, i: (r[i + 1], r[i])
    return lambda r, i: (_swap(r[i + 1]), _swap(r[i]))


def _check_finite(value: float) -> float:
    if not math.isfinite(value):
        raise DecodeError(
            f"float32 registers hold {value}, not a usable reading",
            reason=f"float32 {value}",
        )
    return value


def _raw_decoder(
    data_type: DataType, byte_order: ByteOrder, word_order: WordOrder
) -> RegisterDecoder:
    if data_type is DataType.UINT16:
        return _word_reader(byte_order)
    if data_type is DataType.INT16:
        word = _word_reader(byte_order)

        def int16(registers: Sequence[int], start: int) -> int:
            raw = word(registers, start)
            return raw - 0x1_0000 if raw & 0x8000 else raw

        return int16

    pair = _pair_reader(byte_order, word_order)
    if data_type is DataType.UINT32:

        def uint32(registers: Sequence[int], start: int) -> int:
            high, low = pair(registers, start)
            return (high << 16) | low

        return uint32
    if data_type is DataType.INT32:

        def int32(registers: Sequence[int], start: int) -> int:
            high, low = pair(registers, start)
            raw = (high << 16) | low
            return raw - 0x1_0000_0000 if raw & 0x8000_0000 else raw

        return int32
    if data_type is DataType.FLOAT32:

        def float32(registers: Sequence[int], start: int) -> float:
            value: float = _FLOAT32.unpack(_TWO_WORDS.pack(*pair(registers, start)))[0]
            return _check_finite(value)

        return float32
    raise ValueError(f"{data_type} is not held in registers")


def register_decoder(
    data_type: DataType,
    byte_order: ByteOrder = ByteOrder.BIG,
    word_order: WordOrder = WordOrder.BIG,
    scale: float = 1.0,
    offset: float = 0.0,
) -> RegisterDecoder:
    """A function ``(registers, start) -> value`` for one numeric layout.

    Built once per point so that polling pays no dispatch on the layout. The
    function reads ``data_type.register_count`` registers from index ``start``
    without checking their range (callers pass words off the wire); it raises
    :class:`DecodeError` for a float32 NaN or infinity and ``IndexError`` when the
    list is too short. Raises ``ValueError`` here for ``bool``.
    """
    raw = _raw_decoder(data_type, byte_order, word_order)
    if scale == 1.0 and offset == 0.0:
        return raw

    def scaled(registers: Sequence[int], start: int) -> float:
        return raw(registers, start) * scale + offset

    return scaled


def decode_registers(
    registers: Sequence[int],
    data_type: DataType,
    byte_order: ByteOrder = ByteOrder.BIG,
    word_order: WordOrder = WordOrder.BIG,
    scale: float = 1.0,
    offset: float = 0.0,
) -> int | float:
    """Decode one value from exactly the registers it occupies.

    Raises :class:`DecodeError` when the number of registers does not match the
    type, a register is outside 0..0xFFFF, or a float32 is NaN or infinite.
    """
    if len(registers) != data_type.register_count:
        raise DecodeError(
            f"{data_type} needs {data_type.register_count} registers, "
            f"got {len(registers)}",
            reason="wrong register count",
        )
    for word in registers:
        if not 0 <= word <= 0xFFFF:
            raise DecodeError(
                f"register value {word} is not a 16-bit word", reason="bad register"
            )
    decode = register_decoder(data_type, byte_order, word_order, scale, offset)
    return decode(registers, 0)


def decode_bit(bits: Sequence[int], index: int) -> bool:
    """The bit at ``index`` of a coil or discrete-input block, as ``bool``."""
    return bool(bits[index])


def point_decoder(point: ModbusPoint) -> PointDecoder:
    """The decoder for ``point``: bits for coil and discrete-input points, its
    numeric layout, scale and offset for register points."""
    if point.table.is_bit:
        return decode_bit
    return register_decoder(
        point.data_type, point.byte_order, point.word_order, point.scale, point.offset
    )


def _check_number(value: object, data_type: DataType) -> float | int:
    # bool is an int in Python, but writing True to an int16 is a mistake.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidValueError(
            f"{data_type} needs a number, not {type(value).__name__} {value!r}"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidValueError(f"{value} cannot be written to a {data_type}")
    return value


def _raw_integer(
    value: float | int, data_type: DataType, scale: float, offset: float
) -> int:
    if scale == 1.0 and offset == 0.0:
        if isinstance(value, float) and not value.is_integer():
            raise InvalidValueError(f"{value} is not a whole number for a {data_type}")
        raw = int(value)
    else:
        exact = (value - offset) / scale
        if not math.isfinite(exact):
            raise InvalidValueError(f"{value} overflows a {data_type} when scaled")
        raw = round(exact)  # nearest step of the scale; ties go to even

    low, high = _INT_RANGES[data_type]
    if not low <= raw <= high:
        raise InvalidValueError(
            f"{value} is raw {raw} after scale {scale} and offset {offset}, "
            f"outside the {data_type} range {low}..{high}"
        )
    return raw


def encode_registers(
    value: Value,
    data_type: DataType,
    byte_order: ByteOrder = ByteOrder.BIG,
    word_order: WordOrder = WordOrder.BIG,
    scale: float = 1.0,
    offset: float = 0.0,
) -> list[int]:
    """The registers that hold ``value``, engineering units in, wire words out.

    The raw value is ``(value - offset) / scale``; for integer types it is rounded
    to the nearest whole number when scaling applies, and must already be whole
    when it does not. Raises :class:`InvalidValueError` for a non-number, NaN,
    infinity, or a raw value outside the type's range (float32: beyond
    ±3.4028235e38).
    """
    number = _check_number(value, data_type)

    if data_type is DataType.FLOAT32:
        raw = float(number)
        if scale != 1.0 or offset != 0.0:
            raw = (raw - offset) / scale
        try:
            if not math.isfinite(raw):
                raise OverflowError(raw)
            high, low = _TWO_WORDS.unpack(_FLOAT32.pack(raw))
        except OverflowError as exc:
            raise InvalidValueError(
                f"{value} is raw {raw} after scale {scale} and offset {offset}, "
                "beyond the float32 range"
            ) from exc
    elif data_type in _INT_RANGES:
        unsigned = _raw_integer(number, data_type, scale, offset) & 0xFFFF_FFFF
        high, low = unsigned >> 16, unsigned & 0xFFFF
    else:
        raise InvalidValueError(f"{data_type} is not held in registers")

    if data_type.register_count == 1:
        return [low if byte_order is ByteOrder.BIG else _swap(low)]
    if byte_order is ByteOrder.LITTLE:
        high, low = _swap(high), _swap(low)
    return [high, low] if word_order is WordOrder.BIG else [low, high]


def encode_bit(value: Value) -> bool:
    """The coil state for ``value``; only ``True`` and ``False`` are accepted, so
    that a stray number never switches a lock."""
    if not isinstance(value, bool):
        raise InvalidValueError(
            f"a coil takes true or false, not {type(value).__name__} {value!r}"
        )
    return value


def encode_point(point: ModbusPoint, value: Value) -> bool | list[int]:
    """``value`` ready for ``point``'s table: a ``bool`` for a coil, the registers
    for a holding register. Raises :class:`InvalidValueError` as the encoders do."""
    if point.table.is_bit:
        return encode_bit(value)
    return encode_registers(
        value,
        point.data_type,
        point.byte_order,
        point.word_order,
        point.scale,
        point.offset,
    )
