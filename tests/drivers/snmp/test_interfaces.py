"""Walked tables in, interface names and point values out."""

from __future__ import annotations

import pytest

from drivers.snmp import oids
from drivers.snmp.client import Table
from drivers.snmp.codec import Absent
from drivers.snmp.counters import CounterRates
from drivers.snmp.interfaces import dynamic_values, interfaces_from, static_values


def static_table(**columns: dict[int, object]) -> Table:
    by_name = {
        "descr": oids.IF_DESCR,
        "name": oids.IF_NAME,
        "alias": oids.IF_ALIAS,
        "speed": oids.IF_SPEED,
        "high_speed": oids.IF_HIGH_SPEED,
        "mac": oids.IF_PHYS_ADDRESS,
    }
    table: Table = {oid: {} for oid in by_name.values()}
    for key, rows in columns.items():
        table[by_name[key]] = {(index,): value for index, value in rows.items()}  # type: ignore[misc]
    return table


def test_interfaces_are_keyed_by_name_with_fallbacks() -> None:
    table = static_table(
        descr={1: b"GigabitEthernet1/0/1", 2: b"GigabitEthernet1/0/2", 3: b"", 4: b"x"},
        name={1: b"Gi1/0/1", 2: b"", 4: b"Gi1/0/1"},
    )

    found = interfaces_from(table)

    assert {i: f.name for i, f in found.items()} == {
        1: "Gi1/0/1",
        2: "GigabitEthernet1/0/2",  # empty ifName: ifDescr
        3: "if3",  # nothing: the index
        4: "Gi1/0/1#4",  # a duplicate name never hides the first
    }


def test_static_values_render_mac_and_prefer_high_speed() -> None:
    table = static_table(
        name={1: b"Gi1/0/1", 2: b"Te1/1/1", 3: b"Vlan10"},
        alias={1: b"DC-A1 door controller", 2: Absent.NO_SUCH_INSTANCE},
        speed={1: 1_000_000_000, 2: 4_294_967_295, 3: 0},
        high_speed={1: 1000, 2: 10_000},
        mac={1: b"ABCDEF", 2: b"\x00\x1a\x2b\x3c\x4d\x5e", 3: b""},
    )

    found = interfaces_from(table)

    assert static_values(found[1]) == {
        "if.Gi1/0/1.index": 1,
        "if.Gi1/0/1.alias": "DC-A1 door controller",
        "if.Gi1/0/1.speed_bps": 1_000_000_000,
        "if.Gi1/0/1.mac": "41:42:43:44:45:46",
    }
    assert static_values(found[2]) == {
        "if.Te1/1/1.index": 2,
        "if.Te1/1/1.speed_bps": 10_000_000_000,
        "if.Te1/1/1.mac": "00:1a:2b:3c:4d:5e",
    }
    assert static_values(found[3]) == {"if.Vlan10.index": 3, "if.Vlan10.speed_bps": 0}


def dynamic_table(**columns: dict[int, object]) -> Table:
    by_name = {
        "admin": oids.IF_ADMIN_STATUS,
        "oper": oids.IF_OPER_STATUS,
        "in_errors": oids.IF_IN_ERRORS,
        "out_errors": oids.IF_OUT_ERRORS,
        "hc_in": oids.IF_HC_IN_OCTETS,
        "hc_out": oids.IF_HC_OUT_OCTETS,
        "in": oids.IF_IN_OCTETS,
        "out": oids.IF_OUT_OCTETS,
    }
    table: Table = {oid: {} for oid in by_name.values()}
    for key, rows in columns.items():
        table[by_name[key]] = {(index,): value for index, value in rows.items()}  # type: ignore[misc]
    return table


def test_dynamic_values_prefer_hc_counters_and_skip_absent_cells() -> None:
    interfaces = interfaces_from(
        static_table(name={1: b"Gi1/0/1", 2: b"Gi1/0/2"}, high_speed={1: 1000, 2: 1000})
    )
    rates = CounterRates()
    first = dynamic_table(
        admin={1: 1, 2: 2},
        oper={1: 1, 2: 7},
        in_errors={1: 0, 2: Absent.NO_SUCH_INSTANCE},
        hc_in={1: 5_000_000_000, 2: Absent.NO_SUCH_INSTANCE},
        hc_out={1: 10},
        **{"in": {1: 705_032_704, 2: 10}},
    )

    values = dynamic_values(interfaces, first, rates, at=0.0)

    assert values == {
        "if.Gi1/0/1.oper_status": "up",
        "if.Gi1/0/1.admin_status": "up",
        "if.Gi1/0/1.in_octets": 5_000_000_000,
        "if.Gi1/0/1.out_octets": 10,
        "if.Gi1/0/1.in_errors": 0,
        "if.Gi1/0/2.oper_status": "lower_layer_down",
        "if.Gi1/0/2.admin_status": "down",
        "if.Gi1/0/2.in_octets": 10,  # no 64-bit cell: the 32-bit counter
    }

    second = dynamic_table(
        admin={1: 1},
        oper={1: 1},
        in_errors={1: 4},
        hc_in={1: 5_001_000_000},
        hc_out={1: 10},
    )
    values = dynamic_values(interfaces, second, rates, at=10.0)

    assert values["if.Gi1/0/1.in_octets_rate"] == pytest.approx(100_000.0)
    assert values["if.Gi1/0/1.out_octets_rate"] == pytest.approx(0.0)
    assert values["if.Gi1/0/1.in_errors_rate"] == pytest.approx(0.4)
    assert not any(point.startswith("if.Gi1/0/2.") for point in values)


def test_octet_rate_above_link_speed_is_dropped() -> None:
    interfaces = interfaces_from(
        static_table(name={1: b"Fa0/1"}, speed={1: 100_000_000})
    )
    rates = CounterRates()
    dynamic_values(interfaces, dynamic_table(**{"in": {1: 4_000_000_000}}), rates, 0.0)

    # 4e9 -> 1000 over one second would be a wrap worth 295 MB/s on 100 Mb/s.
    values = dynamic_values(interfaces, dynamic_table(**{"in": {1: 1000}}), rates, 1.0)

    assert values["if.Fa0/1.in_octets"] == 1000
    assert "if.Fa0/1.in_octets_rate" not in values
