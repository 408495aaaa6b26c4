"""Small site and profile files for loader tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

# Line numbers matter: the tests assert the exact line of each problem.
SITE = """\
version: 1
site: {id: test, name: Test site}
profiles:
  dc: profiles/dc.yaml
spaces:
  - {id: S, kind: site}
  - {id: HALL, kind: corridor, parent: S}
  - {id: CELL-1, kind: cell, parent: S}
doors:
  - id: D-1
    between: [HALL, CELL-1]
    lock: "!DC-1/relay_1"
    bindings:
      locked: DC-1/bolt_1
      closed: DC-1/contact_1
devices:
  - id: DC-1
    kind: door_controller
    protocol: modbus
    endpoint: {host: 127.0.0.1, port: 15020}
    profile: dc
"""

PROFILE = """\
id: dc
protocol: modbus
points:
  - {name: relay_1, table: coil, address: 0, writable: true}
  - {name: contact_1, table: discrete_input, address: 0}
  - {name: bolt_1, table: discrete_input, address: 1}
  - {name: relay_2, table: coil, address: 1, writable: true}
  - {name: contact_2, table: discrete_input, address: 2}
  - {name: bolt_2, table: discrete_input, address: 3}
  - {name: count_1, table: input_register, address: 16, data_type: uint32}
"""

WriteSite = Callable[..., Path]
"""The ``write_site`` fixture: ``(site=SITE, profile=PROFILE) -> site path``."""


def edit(text: str, old: str, new: str) -> str:
    """``text`` with its single occurrence of ``old`` replaced by ``new``."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)
