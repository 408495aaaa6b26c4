"""Read planning: a profile's points merged into as few read requests as possible.

Each Modbus read covers one contiguous range of one table, at most 125 registers
(function codes 0x03, 0x04) or 2000 bits (0x01, 0x02). Planning sorts each table's
points by address and grows a block while the next point still fits the limit and
the unused addresses before it do not exceed the allowed gap. A multi-register
value is always read whole by one block.

Gaps default to zero: many controllers answer a read that touches an unmapped
address with exception 0x02 for the whole request, which would turn every point in
the block bad. Raise the gap for devices known to tolerate it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from topology.profile import ModbusPoint, ModbusTable

MAX_READ_REGISTERS = 125
MAX_READ_BITS = 2000

_TABLE_ORDER = (
    ModbusTable.COIL,
    ModbusTable.DISCRETE_INPUT,
    ModbusTable.HOLDING_REGISTER,
    ModbusTable.INPUT_REGISTER,
)


@dataclass(frozen=True, slots=True)
class PlanLimits:
    """How large one read may be and how many unused addresses it may span.

    ``max_registers`` (1..125) and ``max_bits`` (1..2000) cap a block's length;
    devices with smaller buffers need lower values. ``max_register_gap`` and
    ``max_bit_gap`` are the most unused addresses a block may read between two
    points. Raises ``ValueError`` for values outside these ranges.
    """

    max_registers: int = MAX_READ_REGISTERS
    max_bits: int = MAX_READ_BITS
    max_register_gap: int = 0
    max_bit_gap: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.max_registers <= MAX_READ_REGISTERS:
            raise ValueError(
                f"max_registers must be 1..{MAX_READ_REGISTERS}, "
                f"not {self.max_registers}"
            )
        if not 1 <= self.max_bits <= MAX_READ_BITS:
            raise ValueError(
                f"max_bits must be 1..{MAX_READ_BITS}, not {self.max_bits}"
            )
        if self.max_register_gap < 0 or self.max_bit_gap < 0:
            raise ValueError("gaps must not be negative")

    def for_table(self, table: ModbusTable) -> tuple[int, int]:
        """(longest block, widest gap) for ``table``."""
        if table.is_bit:
            return self.max_bits, self.max_bit_gap
        return self.max_registers, self.max_register_gap


@dataclass(frozen=True, slots=True)
class ReadBlock:
    """One read request: ``count`` bits or registers of ``table`` from ``address``
    (0-based), and the points it serves, in address order."""

    table: ModbusTable
    address: int
    count: int
    points: tuple[ModbusPoint, ...]

    @property
    def end(self) -> int:
        """One past the last address read."""
        return self.address + self.count

    def __str__(self) -> str:
        return f"{self.table} {self.address}..{self.end - 1}"


def _close_block(table: ModbusTable, points: list[ModbusPoint]) -> ReadBlock:
    start = points[0].address
    end = max(point.end for point in points)
    return ReadBlock(table, start, end - start, tuple(points))


def _plan_table(
    table: ModbusTable, points: list[ModbusPoint], limits: PlanLimits
) -> list[ReadBlock]:
    longest, widest_gap = limits.for_table(table)
    ordered = sorted(points, key=lambda p: (p.address, p.count))
    blocks: list[ReadBlock] = []
    current: list[ModbusPoint] = []
    start = end = 0

    for point in ordered:
        if point.count > longest:
            raise ValueError(
                f"point {point.name!r} needs {point.count} addresses, more than "
                f"the {longest} one read may cover"
            )
        gap = point.address - end
        if current and gap <= widest_gap and max(end, point.end) - start <= longest:
            current.append(point)
            end = max(end, point.end)
            continue

        if current:
            blocks.append(_close_block(table, current))
        current = [point]
        start, end = point.address, point.end

    if current:
        blocks.append(_close_block(table, current))
    return blocks


def plan_reads(
    points: Iterable[ModbusPoint], limits: PlanLimits | None = None
) -> list[ReadBlock]:
    """The read requests that cover ``points``, table by table in the order coils,
    discrete inputs, holding registers, input registers, then by address.

    Raises ``ValueError`` when one point alone is longer than the limit allows.
    """
    limits = limits or PlanLimits()
    by_table: dict[ModbusTable, list[ModbusPoint]] = {}
    for point in points:
        by_table.setdefault(point.table, []).append(point)

    blocks: list[ReadBlock] = []
    for table in _TABLE_ORDER:
        if table in by_table:
            blocks.extend(_plan_table(table, by_table[table], limits))
    return blocks
