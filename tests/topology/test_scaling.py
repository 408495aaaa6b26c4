"""The checks and the graph grow linearly with the size of a site.

YAML parsing (linear, and most of the load time) is left out, so that a check
that went quadratic would stand out. Timing ratios, best of three, with a wide
margin: linear growth gives about 4x for 4x the doors, quadratic about 16x.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from topology._rules import NODE_SECTIONS, SiteRules
from topology._validate import validate
from topology._yaml import YamlDocument
from topology.graph import build_graph, isolating_doors
from topology.profile import ModbusProfile
from topology.site import SiteFile

PROFILE = ModbusProfile(
    id="dc",
    points=[
        {"name": f"{kind}_{n}", "table": table, "address": base + n, **extra}
        for n in range(16)
        for kind, table, base, extra in (
            ("relay", "coil", 0, {"writable": True}),
            ("contact", "discrete_input", 0, {}),
            ("bolt", "discrete_input", 16, {}),
        )
    ],
)


def synthetic_site(units: int) -> dict[str, Any]:
    """``units`` housing units of 16 cells each, one controller per unit."""
    spaces: list[dict[str, Any]] = [{"id": "SITE", "kind": "site"}]
    spaces.append({"id": "HALL", "kind": "corridor", "parent": "SITE"})
    doors: list[dict[str, Any]] = []
    devices: list[dict[str, Any]] = []
    for u in range(units):
        spaces.append({"id": f"U{u}", "kind": "housing_unit", "parent": "HALL"})
        devices.append(
            {
                "id": f"DC{u}",
                "kind": "door_controller",
                "protocol": "modbus",
                "profile": "dc",
                "endpoint": {"port": 20000 + u},
            }
        )
        for c in range(16):
            spaces.append({"id": f"U{u}-C{c}", "kind": "cell", "parent": f"U{u}"})
            doors.append(
                {
                    "id": f"D-U{u}-C{c}",
                    "between": [f"U{u}", f"U{u}-C{c}"],
                    "lock": f"!DC{u}/relay_{c}",
                    "bindings": {
                        "locked": f"DC{u}/bolt_{c}",
                        "closed": f"DC{u}/contact_{c}",
                    },
                }
            )
    return {
        "site": {"id": "big", "name": "Big"},
        "profiles": {"dc": "dc.yaml"},
        "spaces": spaces,
        "doors": doors,
        "devices": devices,
    }


def check_and_build(data: dict[str, Any]) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        document = YamlDocument(Path("site.yaml"), data)
        result = validate(document, SiteFile, "site file", lists=NODE_SECTIONS)
        assert result.model is not None and not result.problems
        rules = SiteRules(document, result.model, result.indexes, {"dc": PROFILE}, ())
        assert rules.run() == []
        graph = build_graph(result.model)
        isolating_doors(graph, "HALL")
        best = min(best, time.process_time() - started)
    return best


def test_checks_and_graph_grow_linearly() -> None:
    small = check_and_build(synthetic_site(60))  # 960 doors
    large = check_and_build(synthetic_site(240))  # 3,840 doors

    assert large / small < 9, f"{small:.3f} s -> {large:.3f} s"
