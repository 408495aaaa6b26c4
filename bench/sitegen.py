"""A large synthetic site for benchmarks, written as real files and loaded back.

The site is a prison of housing units made of landings; each landing is a
corridor with one door controller and the cell doors it drives. Controllers
use the demo's 16-door profile (``moxa-e1212-door16``) and doors are bound as
the demo's cell doors are: the lock is the inverted relay coil, ``locked``
comes from the bolt monitor, ``closed`` from the contact and ``tamper`` from
the tamper loop. Every controller listens on 127.0.0.1 port 0, so simulators
pick free ports and the caller swaps the real ones in with
:func:`topology.loader.with_endpoints`.

Writing files and going through :func:`topology.loader.load_site` keeps the
benchmark on the same path as a real deployment (validation, graph, profiles).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import warden.demo

PROFILE_ID = "moxa-e1212-door16"
PROFILE_FILE = Path(warden.demo.__file__).parent / "profiles" / f"{PROFILE_ID}.yaml"
MAX_DOORS_PER_CONTROLLER = 16
LANDINGS_PER_UNIT = 4


def controller_id(index: int) -> str:
    """The id of controller ``index`` (0-based)."""
    return f"DC-{index + 1:04d}"


def door_id(index: int) -> str:
    """The id of door ``index`` (0-based)."""
    return f"D-{index + 1:05d}"


def write_site(
    directory: Path,
    *,
    doors: int,
    doors_per_controller: int = MAX_DOORS_PER_CONTROLLER,
    interval_s: float = 1.0,
    timeout_s: float = 1.0,
) -> Path:
    """Write ``site.yaml`` and its profile into ``directory``; return the site
    file's path.

    ``doors`` cell doors are spread over ``ceil(doors / doors_per_controller)``
    controllers polled every ``interval_s`` seconds with a request timeout of
    ``timeout_s`` seconds. Raises ``ValueError`` for fewer than one door or more
    doors per controller than the profile has channels (16).
    """
    if doors < 1:
        raise ValueError(f"doors must be at least 1, not {doors}")
    if not 1 <= doors_per_controller <= MAX_DOORS_PER_CONTROLLER:
        raise ValueError(
            f"doors_per_controller must be 1..{MAX_DOORS_PER_CONTROLLER}, "
            f"not {doors_per_controller}"
        )
    controllers = -(-doors // doors_per_controller)

    profiles = directory / "profiles"
    profiles.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PROFILE_FILE, profiles / PROFILE_FILE.name)

    lines = [
        "# Synthetic benchmark site: one controller per landing of cells.",
        "version: 1",
        "site: {id: bench, name: Benchmark prison, held_open_s: 30}",
        f"profiles: {{{PROFILE_ID}: profiles/{PROFILE_FILE.name}}}",
        "spaces:",
        "  - {id: SITE, kind: site, name: Benchmark prison}",
    ]
    for controller in range(controllers):
        unit = f"HU-{controller // LANDINGS_PER_UNIT + 1:03d}"
        if controller % LANDINGS_PER_UNIT == 0:
            lines.append(f"  - {{id: {unit}, kind: housing_unit, parent: SITE}}")
        lines.append(
            f"  - {{id: L-{controller + 1:04d}, kind: corridor, parent: {unit}}}"
        )
    for door in range(doors):
        unit = f"HU-{door // doors_per_controller // LANDINGS_PER_UNIT + 1:03d}"
        lines.append(f"  - {{id: C-{door + 1:05d}, kind: cell, parent: {unit}}}")

    lines.append("doors:")
    for door in range(doors):
        controller, channel = divmod(door, doors_per_controller)
        device = controller_id(controller)
        point = f"{device}/door{channel + 1:02d}"
        lines += [
            f"  - id: {door_id(door)}",
            f"    between: [L-{controller + 1:04d}, C-{door + 1:05d}]",
            f'    lock: "!{point}_relay"',
            f"    bindings: {{locked: {point}_bolt, closed: {point}_contact, "
            f"tamper: {point}_tamper}}",
        ]

    lines.append("devices:")
    for controller in range(controllers):
        lines += [
            f"  - id: {controller_id(controller)}",
            "    kind: door_controller",
            "    protocol: modbus",
            f"    profile: {PROFILE_ID}",
            "    endpoint: {host: 127.0.0.1, port: 0, unit_id: 1}",
            f"    poll_interval_s: {interval_s}",
            f"    timeout_s: {timeout_s}",
        ]

    path = directory / "site.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
