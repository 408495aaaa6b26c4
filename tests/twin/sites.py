"""Sites built in code for the twin's tests and benchmark."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from topology.loader import LoadedSite
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
