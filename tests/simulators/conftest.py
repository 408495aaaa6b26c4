"""A small hand-built site for the simulator tests: two door controllers on one
test profile, three doors, and a switch that no simulator serves."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from pymodbus.client import AsyncModbusTcpClient

from simulators.runner import SimulatorSet, start_simulators
from topology.loader import LoadedSite
from topology.profile import ModbusProfile
from topology.site import Endpoint, SiteFile

PROFILE: dict[str, Any] = {
    "id": "door-io-test",
    "vendor": "Test",
    "model": "IO-16",
    "points": [
        {"name": "lock_1", "table": "coil", "address": 0, "writable": True},
        {"name": "lock_2", "table": "coil", "address": 1, "writable": True},
        {"name": "aux_relay", "table": "coil", "address": 5, "writable": True},
        {"name": "spare_coil", "table": "coil", "address": 6},
        {"name": "door_1_closed", "table": "discrete_input", "address": 0},
        {"name": "door_1_tamper", "table": "discrete_input", "address": 1},
        {"name": "door_1_rex", "table": "discrete_input", "address": 2},
        {"name": "door_2_open", "table": "discrete_input", "address": 3},
        {"name": "door_2_bolt", "table": "discrete_input", "address": 4},
        {
            "name": "unlock_time_s",
            "table": "holding_register",
            "address": 10,
            "data_type": "uint16",
            "writable": True,
        },
        {
            "name": "counter_limit",
            "table": "holding_register",
            "address": 12,
            "data_type": "int32",
            "word_order": "little",
            "writable": True,
        },
        {
            "name": "serial_number",
            "table": "holding_register",
            "address": 20,
            "data_type": "uint16",
        },
        {
            "name": "uptime_s",
            "table": "input_register",
            "address": 0,
            "data_type": "uint32",
        },
        {
            "name": "supply_voltage",
            "table": "input_register",
            "address": 2,
            "data_type": "float32",
            "unit": "V",
        },
        {
            "name": "firmware_version",
            "table": "input_register",
            "address": 4,
            "data_type": "uint16",
        },
        *(
            {"name": name, "table": "input_register", "address": address, **extra}
            for name, address, extra in [
                ("t_int16", 5, {"data_type": "int16"}),
                ("t_int16_bl", 6, {"data_type": "int16", "byte_order": "little"}),
                ("t_uint32", 7, {"data_type": "uint32"}),
                ("t_uint32_wl", 9, {"data_type": "uint32", "word_order": "little"}),
                ("t_uint32_bl", 11, {"data_type": "uint32", "byte_order": "little"}),
                (
                    "t_uint32_ll",
                    13,
                    {
                        "data_type": "uint32",
                        "byte_order": "little",
                        "word_order": "little",
                    },
                ),
                ("t_int32", 15, {"data_type": "int32"}),
                ("t_float32_wl", 17, {"data_type": "float32", "word_order": "little"}),
                ("t_float32_bl", 19, {"data_type": "float32", "byte_order": "little"}),
                (
                    "t_scaled",
                    21,
                    {"data_type": "uint16", "scale": 0.1, "offset": -40.0},
                ),
                ("t_uint16", 22, {"data_type": "uint16"}),
            ]
        ),
        {
            "name": "door_2_tamper_word",
            "table": "input_register",
            "address": 30,
            "data_type": "uint16",
        },
    ],
}

SITE: dict[str, Any] = {
    "version": 1,
    "site": {"id": "test-site", "name": "Test site"},
    "profiles": {"door-io-test": "profiles/door-io-test.yaml"},
    "spaces": [
        {"id": "SITE", "kind": "site"},
        {"id": "CORR", "kind": "corridor", "parent": "SITE"},
        {"id": "CELL-1", "kind": "cell", "parent": "SITE"},
        {"id": "CELL-2", "kind": "cell", "parent": "SITE"},
        {"id": "CELL-3", "kind": "cell", "parent": "SITE"},
    ],
    "doors": [
        {
            "id": "D-1",
            "between": ["CELL-1", "CORR"],
            "bindings": {
                "locked": "DC-1/lock_1",
                "closed": "DC-1/door_1_closed",
                "tamper": "DC-1/door_1_tamper",
                "request_to_exit": "DC-1/door_1_rex",
            },
            "lock": "DC-1/lock_1",
        },
        {
            "id": "D-2",
            "between": ["CELL-2", "CORR"],
            "bindings": {
                "locked": "DC-1/door_2_bolt",
                "closed": "!DC-1/door_2_open",
                "tamper": "DC-1/door_2_tamper_word",
            },
            "lock": "!DC-1/lock_2",
        },
        {
            "id": "D-3",
            "between": ["CELL-3", "CORR"],
            "bindings": {"locked": "DC-2/lock_1", "closed": "DC-2/door_1_closed"},
            "lock": "DC-2/lock_1",
        },
    ],
    "devices": [
        {
            "id": "DC-1",
            "kind": "door_controller",
            "protocol": "modbus",
            "endpoint": {"host": "127.0.0.1", "port": 0, "unit_id": 1},
            "profile": "door-io-test",
        },
        {
            "id": "DC-2",
            "kind": "door_controller",
            "protocol": "modbus",
            "endpoint": {"host": "127.0.0.1", "port": 0, "unit_id": 3},
            "profile": "door-io-test",
        },
        {
            "id": "SW-1",
            "kind": "switch",
            "protocol": "snmp",
            "endpoint": {"host": "127.0.0.1", "port": 0},
        },
    ],
}


def build_site(site: dict[str, Any] | None = None) -> LoadedSite:
    """A LoadedSite made from the dictionaries above (no loader, no graph)."""
    profile = ModbusProfile.model_validate(PROFILE)
    return LoadedSite(
        path=Path("test-site.yaml"),
        site=SiteFile.model_validate(site or SITE),
        profiles={profile.id: profile},
        graph=None,
    )


@pytest.fixture
def site() -> LoadedSite:
    return build_site()


@pytest.fixture
async def sims(site: LoadedSite) -> AsyncIterator[SimulatorSet]:
    async with start_simulators(site) as started:
        yield started


@asynccontextmanager
async def modbus_client(
    endpoint: Endpoint,
    answer_timeout: float = 1.0,
    trace_packet: Callable[[bool, bytes], bytes] | None = None,
) -> AsyncIterator[AsyncModbusTcpClient]:
    """A plain pymodbus client (not our driver) that never reconnects by itself;
    ``trace_packet`` sees every raw frame it sends and receives."""
    client = AsyncModbusTcpClient(
        endpoint.host,
        port=endpoint.port,
        timeout=answer_timeout,
        retries=0,
        reconnect_delay=0,
        trace_packet=trace_packet,
    )
    try:
        assert await client.connect(), f"cannot connect to {endpoint}"
        yield client
    finally:
        client.close()
