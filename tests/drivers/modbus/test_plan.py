"""Read planning: limits, gaps, exact block boundaries, wide values at the edge."""

from __future__ import annotations

import pytest

from drivers.modbus.plan import PlanLimits, ReadBlock, plan_reads
from topology.profile import DataType, ModbusPoint, ModbusTable

HR = ModbusTable.HOLDING_REGISTER
IR = ModbusTable.INPUT_REGISTER
COIL = ModbusTable.COIL
DI = ModbusTable.DISCRETE_INPUT


def reg(
    address: int, data_type: DataType = DataType.UINT16, table: ModbusTable = HR
) -> ModbusPoint:
    return ModbusPoint(
        name=f"{table.value}_{address}",
        table=table,
        address=address,
        data_type=data_type,
    )


def bit(address: int, table: ModbusTable = COIL) -> ModbusPoint:
    return ModbusPoint(name=f"{table.value}_{address}", table=table, address=address)


def spans(blocks: list[ReadBlock]) -> list[tuple[str, int, int]]:
    return [(str(b.table), b.address, b.count) for b in blocks]


def test_contiguous_points_make_one_block() -> None:
    points = [reg(2), reg(0), reg(1), reg(3, DataType.FLOAT32)]

    blocks = plan_reads(points)

    assert spans(blocks) == [("holding_register", 0, 5)]
    assert [p.address for p in blocks[0].points] == [0, 1, 2, 3]


def test_tables_are_never_merged_and_come_in_a_fixed_order() -> None:
    points = [reg(0, table=IR), reg(1), bit(0, DI), bit(1), reg(0)]

    assert spans(plan_reads(points)) == [
        ("coil", 1, 1),
        ("discrete_input", 0, 1),
        ("holding_register", 0, 2),
        ("input_register", 0, 1),
    ]


def test_a_gap_splits_blocks_by_default() -> None:
    assert spans(plan_reads([reg(0), reg(2)])) == [
        ("holding_register", 0, 1),
        ("holding_register", 2, 1),
    ]


@pytest.mark.parametrize(
    ("gap_allowed", "expected"),
    [
        (2, [("holding_register", 0, 4)]),
        (1, [("holding_register", 0, 1), ("holding_register", 3, 1)]),
    ],
)
def test_gaps_up_to_the_limit_are_bridged(
    gap_allowed: int, expected: list[tuple[str, int, int]]
) -> None:
    limits = PlanLimits(max_register_gap=gap_allowed)

    assert spans(plan_reads([reg(0), reg(3)], limits)) == expected


def test_bit_gaps_have_their_own_limit() -> None:
    limits = PlanLimits(max_bit_gap=10, max_register_gap=0)

    blocks = plan_reads([bit(0), bit(11), reg(0), reg(2)], limits)

    assert spans(blocks) == [
        ("coil", 0, 12),
        ("holding_register", 0, 1),
        ("holding_register", 2, 1),
    ]


def test_exactly_125_registers_fit_in_one_block() -> None:
    points = [reg(a) for a in range(125)]

    assert spans(plan_reads(points)) == [("holding_register", 0, 125)]


def test_the_126th_register_starts_a_new_block() -> None:
    points = [reg(a) for a in range(126)]

    assert spans(plan_reads(points)) == [
        ("holding_register", 0, 125),
        ("holding_register", 125, 1),
    ]


def test_a_float_at_the_boundary_moves_whole_to_the_next_block() -> None:
    points = [reg(a) for a in range(124)] + [reg(124, DataType.FLOAT32)]

    blocks = plan_reads(points)

    assert spans(blocks) == [
        ("holding_register", 0, 124),
        ("holding_register", 124, 2),
    ]
    assert blocks[1].points[0].data_type is DataType.FLOAT32


def test_a_float_ending_exactly_at_the_limit_stays() -> None:
    points = [reg(a) for a in range(123)] + [reg(123, DataType.FLOAT32)]

    assert spans(plan_reads(points)) == [("holding_register", 0, 125)]


def test_a_lower_register_limit_for_small_devices() -> None:
    points = [reg(a) for a in range(250)]

    blocks = plan_reads(points, PlanLimits(max_registers=100))

    assert spans(blocks) == [
        ("holding_register", 0, 100),
        ("holding_register", 100, 100),
        ("holding_register", 200, 50),
    ]


def test_2000_bits_fit_and_2001_do_not() -> None:
    assert spans(plan_reads([bit(a) for a in range(2000)])) == [("coil", 0, 2000)]
    assert spans(plan_reads([bit(a) for a in range(2001)])) == [
        ("coil", 0, 2000),
        ("coil", 2000, 1),
    ]


def test_a_lower_bit_limit() -> None:
    blocks = plan_reads([bit(a, DI) for a in range(10)], PlanLimits(max_bits=4))

    assert spans(blocks) == [
        ("discrete_input", 0, 4),
        ("discrete_input", 4, 4),
        ("discrete_input", 8, 2),
    ]


def test_a_gap_is_not_bridged_when_it_would_break_the_limit() -> None:
    limits = PlanLimits(max_registers=10, max_register_gap=5)

    blocks = plan_reads([reg(0), reg(5), reg(10)], limits)

    assert spans(blocks) == [("holding_register", 0, 6), ("holding_register", 10, 1)]


def test_overlapping_points_share_one_read() -> None:
    points = [reg(10, DataType.UINT32), reg(11)]

    assert spans(plan_reads(points)) == [("holding_register", 10, 2)]


def test_a_point_longer_than_the_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="needs 2 addresses"):
        plan_reads([reg(0, DataType.INT32)], PlanLimits(max_registers=1))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_registers": 0},
        {"max_registers": 126},
        {"max_bits": 2001},
        {"max_bits": 0},
        {"max_register_gap": -1},
        {"max_bit_gap": -1},
    ],
)
def test_limits_outside_the_protocol_are_refused(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        PlanLimits(**kwargs)


def test_no_points_no_reads() -> None:
    assert plan_reads([]) == []
