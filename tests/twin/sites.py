"""Sites built in code for the twin's tests and benchmark."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from topology.loader import LoadedSite
from topology.profile import ModbusProfile
from topology.site import SiteFile


def loaded(site: dict[str, Any]) -> LoadedSite:
    return LoadedSite(
        path=Path("test-site.yaml"),
        site=SiteFile.model_validate(site),
        profiles={},
        graph=None,
    )


def small_site() -> LoadedSite:
    """Building A with two cells off a corridor that leads outside.

    DC-1 controls the two cell doors (D-A1 has every input, its contact reads
    1 when the door is open, hence the inverted binding); DC-2 the corridor
    door, with its own 10-second held-open limit.
    """
    return loaded(
        {
            "site": {"id": "test", "name": "Test site", "held_open_s": 30},
            "spaces": [
                {"id": "site", "kind": "site"},
                {"id": "A", "kind": "building", "parent": "site", "name": "Block A"},
                {"id": "A-1", "kind": "cell", "parent": "A"},
                {"id": "A-2", "kind": "cell", "parent": "A"},
                {"id": "A-corr", "kind": "corridor", "parent": "A"},
                {"id": "out", "kind": "outside"},
            ],
            "doors": [
                {
                    "id": "D-A1",
                    "name": "Cell A1",
                    "between": ["A-1", "A-corr"],
                    "bindings": {
                        "locked": "DC-1/lock_1",
                        "closed": "!DC-1/door_open_1",
                        "tamper": "DC-1/tamper_1",
                        "request_to_exit": "DC-1/rex_1",
                    },
                    "lock": "DC-1/lock_cmd_1",
                },
                {
                    "id": "D-A2",
                    "between": ["A-2", "A-corr"],
                    "bindings": {"locked": "DC-1/lock_2", "closed": "DC-1/closed_2"},
                },
                {
                    "id": "D-AX",
                    "between": ["A-corr", "out"],
                    "held_open_s": 10,
                    "bindings": {"locked": "DC-2/lock_1", "closed": "DC-2/closed_1"},
                },
            ],
            "devices": [
                {
                    "id": "DC-1",
                    "kind": "door_controller",
                    "protocol": "modbus",
                    "location": "A-corr",
                },
                {"id": "DC-2", "kind": "door_controller", "protocol": "modbus"},
                {"id": "SW-1", "kind": "switch", "protocol": "snmp"},
            ],
        }
    )


def _profile(points: list[dict[str, Any]]) -> ModbusProfile:
    return ModbusProfile.model_validate({"id": "ctl", "points": points})


def command_site() -> LoadedSite:
    """A sally port and a few doors with every kind of command point.

    D-OUT and D-IN are the sally port's doors (interlock IL-SP) on DC-1, each
    with a fail-secure lock relay bound inverted (``!DC-1/relay_n``). On DC-2,
    D-COIL has no lock point but its ``locked`` input is a writable coil,
    D-REG's lock point is a holding register, and D-RO has only a read-only
    bolt input. D-BARE is on DC-3, which has no profile.
    """
    points: list[dict[str, Any]] = [
        {"name": "relay_1", "table": "coil", "address": 0, "writable": True},
        {"name": "relay_2", "table": "coil", "address": 1, "writable": True},
        {"name": "lock_coil", "table": "coil", "address": 2, "writable": True},
        {
            "name": "lock_reg",
            "table": "holding_register",
            "address": 0,
            "data_type": "uint16",
            "writable": True,
        },
    ]
    for n in range(1, 6):
        points.append({"name": f"bolt_{n}", "table": "discrete_input", "address": n})
        points.append(
            {"name": f"closed_{n}", "table": "discrete_input", "address": 10 + n}
        )

    def door(door_id: str, device: str, n: int, **more: Any) -> dict[str, Any]:
        return {
            "id": door_id,
            "between": ["in", "out"],
            "bindings": {
                "locked": f"{device}/bolt_{n}",
                "closed": f"{device}/closed_{n}",
            },
            **more,
        }

    site = SiteFile.model_validate(
        {
            "site": {"id": "cmd", "name": "Command site"},
            "spaces": [
                {"id": "site", "kind": "site"},
                {"id": "out", "kind": "outside"},
                {"id": "sp", "kind": "sally_port", "parent": "site"},
                {"id": "in", "kind": "zone", "parent": "site"},
            ],
            "doors": [
                door("D-OUT", "DC-1", 1, lock="!DC-1/relay_1", between=["out", "sp"]),
                door("D-IN", "DC-1", 2, lock="!DC-1/relay_2", between=["sp", "in"]),
                {
                    "id": "D-COIL",
                    "between": ["in", "out"],
                    "bindings": {"locked": "DC-2/lock_coil", "closed": "DC-2/closed_1"},
                },
                door("D-REG", "DC-2", 2, lock="DC-2/lock_reg"),
                door("D-RO", "DC-2", 3),
                door("D-BARE", "DC-3", 1),
            ],
            "devices": [
                {
                    "id": "DC-1",
                    "kind": "door_controller",
                    "protocol": "modbus",
                    "profile": "ctl",
                    "poll_interval_s": 0.5,
                    "timeout_s": 0.5,
                },
                {
                    "id": "DC-2",
                    "kind": "door_controller",
                    "protocol": "modbus",
                    "profile": "ctl",
                },
                {"id": "DC-3", "kind": "door_controller", "protocol": "modbus"},
            ],
            "interlocks": [
                {"id": "IL-SP", "name": "Sally port", "doors": ["D-OUT", "D-IN"]}
            ],
        }
    )
    return LoadedSite(Path("cmd-site.yaml"), site, {"ctl": _profile(points)}, None)
