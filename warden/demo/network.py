"""The demo prison's network, for the site file the generator writes.

A core switch in the central control room; one access switch for the
gatehouse, one per housing unit and one for the perimeter, each on a core
port; the platform's server on the core; every door controller, perimeter
processor and camera on an access switch port. Switches are polled over SNMP
v2c (a lab community written in the file: real sites name an environment
variable instead) and send traps to the platform on 127.0.0.1:10162.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from warden.demo import perimeter

FIRST_SWITCH_PORT = 16100
UPLINK = "Gi1/0/48"
TRAP_PORT = 10162
COMMUNITY = "warden-demo"


@dataclass(frozen=True)
class Switch:
    id: str
    name: str
    location: str
    core_port: str | None
    """The core's port this access switch hangs off (None for the core)."""


@dataclass(frozen=True)
class Camera:
    id: str
    name: str
    location: str
    switch: str


def mac(number: int) -> str:
    """A locally administered MAC address for the demo's device ``number``."""
    return "02:57:44:" + ":".join(f"{b:02x}" for b in number.to_bytes(3, "big"))


def switches(units: Sequence[str]) -> list[Switch]:
    found = [
        Switch("SW-CORE", "Core switch", "GH-CCR", None),
        Switch("SW-GH", "Gatehouse access switch", "GH-CCR", "Gi1/0/1"),
    ]
    for number, unit in enumerate(units, start=2):
        found.append(
            Switch(
                f"SW-{unit}",
                f"Unit {unit} access switch",
                f"{unit}-OFFICE",
                f"Gi1/0/{number}",
            )
        )
    found.append(
        Switch(
            "SW-PERIM", "Perimeter access switch", "GH-CCR", f"Gi1/0/{len(units) + 2}"
        )
    )
    return found


def cameras(units: Sequence[str]) -> list[Camera]:
    found = [
        Camera("CAM-GH-RECEPTION", "Reception camera", "GH-RECEPTION", "SW-GH"),
        Camera("CAM-GH-PED-SP", "Pedestrian sally port camera", "GH-PED-SP", "SW-GH"),
        Camera("CAM-GH-VEH-SP", "Vehicle sally port camera", "VEH-SP", "SW-GH"),
    ]
    for unit in units:
        found += [
            Camera(
                f"CAM-{unit}-ENTRY",
                f"Unit {unit} entrance camera",
                f"{unit}-ENTRY",
                f"SW-{unit}",
            ),
            Camera(
                f"CAM-{unit}-DAYROOM",
                f"Unit {unit} dayroom camera",
                f"{unit}-DAYROOM",
                f"SW-{unit}",
            ),
            Camera(
                f"CAM-{unit}-YARD",
                f"Unit {unit} yard camera",
                f"{unit}-YARD",
                f"SW-{unit}",
            ),
        ]
    return found


def controller_switch(controller_id: str, units: Sequence[str]) -> str:
    """The access switch a door controller hangs off: its unit's, else the
    gatehouse's."""
    for unit in units:
        if controller_id in (f"DC-{unit}", f"DC-{unit}1", f"DC-{unit}2"):
            return f"SW-{unit}"
    return "SW-GH"


def device_lines(controller_ids: Sequence[str], units: Sequence[str]) -> list[str]:
    """The switches, the server and the cameras, as ``devices:`` entries."""
    out = [
        "  # The network: switches polled over SNMP, the platform's server and",
        "  # cameras (not polled; their switch ports say whether they are there).",
        "  - id: SRV-WARDEN",
        "    name: Warden platform server",
        "    kind: server",
        "    protocol: none",
        "    location: GH-CCR",
        f"    mac: {mac(1)}",
    ]
    for number, switch in enumerate(switches(units)):
        out += [
            f"  - id: {switch.id}",
            f"    name: {switch.name}",
            f"    location: {switch.location}",
            f"    endpoint: {{host: 127.0.0.1, port: {FIRST_SWITCH_PORT + number}}}",
        ]
        if number:
            out.append("    <<: *switch")
            continue
        out += [
            "    <<: &switch",
            "      kind: switch",
            "      protocol: snmp",
            "      poll_interval_s: 10.0",
            "      timeout_s: 1.0",
            f"      snmp: {{version: v2c, community: {COMMUNITY}}}",
        ]
    for number, camera in enumerate(cameras(units), start=100):
        out += [
            f"  - id: {camera.id}",
            f"    name: {camera.name}",
            f"    location: {camera.location}",
            f'    mac: "{mac(number)}"',
            "    <<: *camera" if number > 100 else "    <<: &camera",
        ]
        if number == 100:
            out += ["      kind: camera", "      protocol: none"]
    return out


def controller_mac(index: int) -> str:
    """The MAC address of the ``index``-th door controller (0-based)."""
    return mac(10 + index)


def network_lines(controller_ids: Sequence[str], units: Sequence[str]) -> list[str]:
    """The ``network:`` and ``links:`` sections."""
    out = [
        "",
        "network:",
        "  platform: SRV-WARDEN",
        "  trap_host: 127.0.0.1",
        f"  trap_port: {TRAP_PORT}",
        "",
        "links:",
        f"  - {{a: SRV-WARDEN, b: SW-CORE/{UPLINK}}}",
    ]
    for switch in switches(units):
        if switch.core_port is not None:
            out.append(
                f"  - {{a: SW-CORE/{switch.core_port}, b: {switch.id}/{UPLINK}}}"
            )
    # Controllers from port 1 up, cameras from port 25 up on each switch.
    used: dict[str, int] = {}
    for controller_id in controller_ids:
        access = controller_switch(controller_id, units)
        used[access] = used.get(access, 0) + 1
        out.append(f"  - {{a: {access}/Gi1/0/{used[access]}, b: {controller_id}}}")
    for fence in perimeter.FENCES:
        used["SW-PERIM"] = used.get("SW-PERIM", 0) + 1
        out.append(
            f"  - {{a: SW-PERIM/Gi1/0/{used['SW-PERIM']}, b: {fence.processor}}}"
        )
    cameras_on = [(c.switch, c.id) for c in cameras(units)] + [
        ("SW-PERIM", f"CAM-P{n:02d}") for n in range(1, perimeter.CAMERAS + 1)
    ]
    for access, camera_id in cameras_on:
        key = f"camera {access}"
        used[key] = used.get(key, 24) + 1
        out.append(f"  - {{a: {access}/Gi1/0/{used[key]}, b: {camera_id}}}")
    return out
