"""Turning engineering values into Modbus registers and back, the device's way.

This is deliberately written apart from the driver's codec: a simulator that
reused the driver's code would agree with any bug in it. Values go through
``struct`` in big-endian order and are then rearranged: ``word_order: little``
puts the low 16-bit word first, ``byte_order: little`` swaps the two bytes inside
every word.

The raw value is ``(value - offset) / scale``; integer types round it to the
nearest integer and wrap it to the type's width, as a hardware counter wraps.
"""

from __future__ import annotations

import math
import struct
from typing import Literal

from topology.profile import ByteOrder, DataType, ModbusPoint, WordOrder

_FORMATS: dict[DataType, tuple[str, int]] = {
    DataType.INT16: (">h", 16),
    DataType.UINT16: (">H", 16),
    DataType.INT32: (">i", 32),
    DataType.UINT32: (">I", 32),
    DataType.FLOAT32: (">f", 32),
}

_SIGNED = frozenset({DataType.INT16, DataType.INT32})


def _wrap(raw: int, bits: int, signed: bool) -> int:
    raw &= (1 << bits) - 1
    if signed and raw >= 1 << (bits - 1):
        raw -= 1 << bits
    return raw


def encode_value(point: ModbusPoint, value: float) -> list[int]:
    """The registers (16-bit unsigned ints, in address order) that hold ``value``
    for this numeric point. Raises ``ValueError`` for a bool point and for a value
    that is not finite where an integer is needed."""
    if point.data_type is DataType.BOOL:
        raise ValueError(f"point {point.name!r} is a bit, not a register value")
    fmt, bits = _FORMATS[point.data_type]
    raw = (value - point.offset) / point.scale
    if point.data_type is DataType.FLOAT32:
        try:
            packed = struct.pack(fmt, raw)
        except OverflowError as exc:
            raise ValueError(f"point {point.name!r} cannot hold {value!r}") from exc
    else:
        if not math.isfinite(raw):
            raise ValueError(f"point {point.name!r} cannot hold {value!r}")
        signed = point.data_type in _SIGNED
        packed = struct.pack(fmt, _wrap(round(raw), bits, signed))
    words = [packed[i : i + 2] for i in range(0, len(packed), 2)]
    if point.word_order is WordOrder.LITTLE:
        words.reverse()
    byteorder: Literal["little", "big"] = (
        "little" if point.byte_order is ByteOrder.LITTLE else "big"
    )
    return [int.from_bytes(word, byteorder) for word in words]


def decode_value(point: ModbusPoint, registers: list[int]) -> float | int:
    """The engineering value held by ``registers`` (exactly ``point.count`` of
    them, in address order). Integers come back as ``int`` when scale and offset
    keep them whole, floats otherwise."""
    if point.data_type is DataType.BOOL:
        raise ValueError(f"point {point.name!r} is a bit, not a register value")
    if len(registers) != point.count:
        raise ValueError(
            f"point {point.name!r} needs {point.count} registers, got {len(registers)}"
        )
    byteorder: Literal["little", "big"] = (
        "little" if point.byte_order is ByteOrder.LITTLE else "big"
    )
    words = [register.to_bytes(2, byteorder) for register in registers]
    if point.word_order is WordOrder.LITTLE:
        words.reverse()
    fmt, _ = _FORMATS[point.data_type]
    (raw,) = struct.unpack(fmt, b"".join(words))
    value = raw * point.scale + point.offset
    if isinstance(raw, int) and float(value).is_integer():
        return int(value)
    return float(value)
