"""Write the demo prison's site file and door-controller profiles.

The YAML files next to this module are the product; this script only saves
typing the 95 doors and two profiles by hand. Change the layout here and run
``python -m warden.demo.generate`` to rewrite them; a test checks that the
committed files match what this script writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from warden.demo import network, perimeter
from warden.demo.profiles_yaml import profile_id, profile_yaml

HERE = Path(__file__).parent
FIRST_PORT = 15020


# -- the site -------------------------------------------------------------------


@dataclass(frozen=True)
class DoorSpec:
    """One door of the demo and the inputs wired on its controller channel."""

    id: str
    name: str
    between: tuple[str, str]
    tamper: bool = True
    exit_button: bool = False
    held_open_s: float | None = None


@dataclass
class Controller:
    id: str
    name: str
    location: str
    doors: int
    wired: list[DoorSpec] = field(default_factory=list)


@dataclass(frozen=True)
class SpaceSpec:
    id: str
    kind: str
    name: str
    parent: str | None


def _housing_unit(unit: str, parent: str) -> Iterator[SpaceSpec]:
    yield SpaceSpec(f"HU-{unit}", "housing_unit", f"Housing unit {unit}", parent)
    hu = f"HU-{unit}"
    yield SpaceSpec(f"{unit}-ENTRY", "corridor", f"Unit {unit} entrance lobby", hu)
    yield SpaceSpec(f"{unit}-STAIR", "corridor", f"Unit {unit} staircase", hu)
    yield SpaceSpec(f"{unit}-YARD", "yard", f"Unit {unit} exercise yard", hu)
    for level, label in ((1, "ground floor"), (2, "first floor")):
        floor = f"{unit}-L{level}"
        yield SpaceSpec(floor, "floor", f"Unit {unit} landing {level} ({label})", hu)
        yield SpaceSpec(
            f"{floor}-LANDING", "corridor", f"Unit {unit} landing {level}", floor
        )
        if level == 1:
            yield SpaceSpec(f"{unit}-OFFICE", "room", f"Unit {unit} office", floor)
            yield SpaceSpec(f"{unit}-DAYROOM", "room", f"Unit {unit} dayroom", floor)
        for cell in range(1, CELLS_PER_LANDING + 1):
            yield SpaceSpec(
                f"{unit}{level}-{cell:02d}",
                "cell",
                f"Cell {unit}{level}-{cell:02d}",
                floor,
            )


CELLS_PER_LANDING = 16
UNITS = ("A", "B")


def spaces() -> list[SpaceSpec]:
    found = [
        SpaceSpec("ARCC", "site", "Ashford Ridge Correctional Centre", None),
        SpaceSpec("OUTSIDE", "outside", "Approach road and visitor car park", "ARCC"),
        SpaceSpec("GATEHOUSE", "building", "Gatehouse", "ARCC"),
        SpaceSpec("GH-RECEPTION", "room", "Visitor and staff reception", "GATEHOUSE"),
        SpaceSpec("GH-PED-SP", "sally_port", "Pedestrian sally port", "GATEHOUSE"),
        SpaceSpec("GH-SEARCH", "room", "Search area", "GATEHOUSE"),
        SpaceSpec("GH-CCR", "control_room", "Central control room", "GATEHOUSE"),
        SpaceSpec("GH-VISITS", "room", "Visits hall", "GATEHOUSE"),
        SpaceSpec("VEH-SP", "sally_port", "Vehicle sally port", "GATEHOUSE"),
        SpaceSpec("COMPOUND", "zone", "Secure compound", "ARCC"),
        SpaceSpec("WALKWAY", "corridor", "Central walkway", "COMPOUND"),
        SpaceSpec("SERVICE-YARD", "yard", "Service yard", "COMPOUND"),
        SpaceSpec("KITCHEN", "room", "Kitchen", "COMPOUND"),
        SpaceSpec("HEALTHCARE", "room", "Healthcare centre", "COMPOUND"),
        SpaceSpec("WORKSHOPS", "room", "Workshops", "COMPOUND"),
        SpaceSpec("EDUCATION", "room", "Education block", "COMPOUND"),
    ]
    for unit in UNITS:
        found.extend(_housing_unit(unit, "COMPOUND"))
    return found


def controllers() -> list[Controller]:
    gate = Controller("DC-GH", "Gatehouse door controller", "GH-CCR", 8)
    gate.wired = [
        DoorSpec(
            "D-GH-RECEPTION",
            "Reception main entrance",
            ("OUTSIDE", "GH-RECEPTION"),
            tamper=False,
            exit_button=True,
        ),
        DoorSpec(
            "D-GH-PED-OUTER",
            "Pedestrian sally port, outer door",
            ("GH-RECEPTION", "GH-PED-SP"),
        ),
        DoorSpec(
            "D-GH-PED-INNER",
            "Pedestrian sally port, inner door",
            ("GH-PED-SP", "GH-SEARCH"),
        ),
        DoorSpec("D-GH-SEARCH", "Search area to walkway", ("GH-SEARCH", "WALKWAY")),
        DoorSpec(
            "D-GH-VISITS", "Visitors' door to visits hall", ("GH-SEARCH", "GH-VISITS")
        ),
        DoorSpec(
            "D-GH-VISITS-RETURN",
            "Prisoners' door to visits hall",
            ("WALKWAY", "GH-VISITS"),
        ),
        DoorSpec(
            "D-GH-CCR", "Control room door", ("GH-SEARCH", "GH-CCR"), exit_button=True
        ),
    ]
    compound = Controller("DC-CMP", "Compound door controller", "GH-CCR", 8)
    compound.wired = [
        DoorSpec(
            "G-VSP-OUTER",
            "Vehicle sally port, outer gate",
            ("OUTSIDE", "VEH-SP"),
            held_open_s=120.0,
        ),
        DoorSpec(
            "G-VSP-INNER",
            "Vehicle sally port, inner gate",
            ("VEH-SP", "SERVICE-YARD"),
            held_open_s=120.0,
        ),
        DoorSpec(
            "D-SERVICE-GATE",
            "Service yard gate",
            ("SERVICE-YARD", "WALKWAY"),
            held_open_s=60.0,
        ),
        DoorSpec("D-KITCHEN-DOCK", "Kitchen loading dock", ("SERVICE-YARD", "KITCHEN")),
        DoorSpec("D-KITCHEN", "Kitchen", ("WALKWAY", "KITCHEN")),
        DoorSpec(
            "D-HEALTHCARE",
            "Healthcare centre",
            ("WALKWAY", "HEALTHCARE"),
            exit_button=True,
        ),
        DoorSpec("D-WORKSHOPS", "Workshops", ("WALKWAY", "WORKSHOPS")),
        DoorSpec("D-EDUCATION", "Education block", ("WALKWAY", "EDUCATION")),
    ]
    found = [gate, compound]
    for unit in UNITS:
        common = Controller(
            f"DC-{unit}", f"Unit {unit} door controller", f"{unit}-OFFICE", 8
        )
        common.wired = [
            DoorSpec(
                f"D-{unit}-ENTRY-OUTER",
                f"Unit {unit} entrance, outer door",
                ("WALKWAY", f"{unit}-ENTRY"),
            ),
            DoorSpec(
                f"D-{unit}-ENTRY-INNER",
                f"Unit {unit} entrance, inner door",
                (f"{unit}-ENTRY", f"{unit}-L1-LANDING"),
            ),
            DoorSpec(
                f"D-{unit}-OFFICE",
                f"Unit {unit} office",
                (f"{unit}-L1-LANDING", f"{unit}-OFFICE"),
                tamper=False,
                exit_button=True,
            ),
            DoorSpec(
                f"D-{unit}-DAYROOM",
                f"Unit {unit} dayroom",
                (f"{unit}-L1-LANDING", f"{unit}-DAYROOM"),
            ),
            DoorSpec(
                f"D-{unit}-YARD",
                f"Unit {unit} dayroom to yard",
                (f"{unit}-DAYROOM", f"{unit}-YARD"),
            ),
            DoorSpec(
                f"D-{unit}-YARD-GATE",
                f"Unit {unit} yard service gate",
                (f"{unit}-YARD", "WALKWAY"),
            ),
            DoorSpec(
                f"D-{unit}-STAIR-1",
                f"Unit {unit} stair door, landing 1",
                (f"{unit}-L1-LANDING", f"{unit}-STAIR"),
            ),
            DoorSpec(
                f"D-{unit}-STAIR-2",
                f"Unit {unit} stair door, landing 2",
                (f"{unit}-STAIR", f"{unit}-L2-LANDING"),
            ),
        ]
        found.append(common)
        for level in (1, 2):
            cells = Controller(
                f"DC-{unit}{level}",
                f"Unit {unit} landing {level} cell door controller",
                f"{unit}-OFFICE",
                16,
            )
            cells.wired = [
                DoorSpec(
                    f"D-{unit}{level}-{cell:02d}",
                    f"Cell {unit}{level}-{cell:02d}",
                    (f"{unit}-L{level}-LANDING", f"{unit}{level}-{cell:02d}"),
                )
                for cell in range(1, CELLS_PER_LANDING + 1)
            ]
            found.append(cells)
    return found


INTERLOCKS = (
    ("IL-VEH-SP", "Vehicle sally port gates", ("G-VSP-OUTER", "G-VSP-INNER")),
    ("IL-PED-SP", "Pedestrian sally port doors", ("D-GH-PED-OUTER", "D-GH-PED-INNER")),
)


def site_yaml() -> str:
    """The demo site file."""
    out = [
        "# Ashford Ridge Correctional Centre: a fictional medium-security prison,",
        "# the demo site. Written by warden/demo/generate.py; edit that and rerun.",
        "#",
        "# Layout: a gatehouse on the fence line (reception, pedestrian sally port,",
        "# search area, central control room, visits hall, vehicle sally port)",
        "# leads into the secure compound: a central walkway, service yard,",
        "# kitchen, healthcare, workshops, education and two housing units. Each",
        "# unit has an entrance lobby, an office, a dayroom opening onto its own",
        f"# exercise yard, a staircase and two landings of {CELLS_PER_LANDING} cells.",
        "#",
        "# Door controllers are Modbus TCP I/O modules (see profiles/); door n of",
        "# a controller uses its channel n. Locks are fail-secure, released while",
        "# the relay is energised, hence the inverted lock bindings ('!').",
        "#",
        "# Two fences ring the site with a sterile zone between them: 16 outer and",
        "# 12 inner fence segments, each fence on its own perimeter intrusion",
        "# detection processor (OPC UA), watched by eight perimeter cameras.",
        "#",
        "# Network: a core switch, an access switch for the gatehouse, one per",
        "# housing unit and one for the perimeter, all polled over SNMP; every",
        "# controller, processor and camera is linked to its switch port.",
        "version: 1",
        "site:",
        "  id: ashford-ridge",
        "  name: Ashford Ridge Correctional Centre (demo)",
        "  timezone: Europe/London",
        "  held_open_s: 30",
        "",
        "profiles:",
        f"  {profile_id(8)}: profiles/{profile_id(8)}.yaml",
        f"  {profile_id(16)}: profiles/{profile_id(16)}.yaml",
        f"  {perimeter.PROFILE_ID}: profiles/{perimeter.PROFILE_ID}.yaml",
        "",
        "spaces:",
    ]
    for space in spaces():
        parent = f", parent: {space.parent}" if space.parent else ""
        out.append(
            f"  - {{id: {space.id}, kind: {space.kind}, name: {space.name}{parent}}}"
        )
    out.append(perimeter.ZONE_LINE)

    all_controllers = controllers()
    out += ["", "doors:"]
    for controller in all_controllers:
        out.append(f"  # {controller.name} ({controller.id})")
        for channel, door in enumerate(controller.wired, start=1):
            out += _door_lines(controller.id, channel, door)

    out += [
        "",
        "devices:",
        "  # All controllers are polled alike; the first of each size carries the",
        "  # shared settings as an anchor that the others merge in.",
    ]
    anchored: set[int] = set()
    for index, controller in enumerate(all_controllers):
        port = FIRST_PORT + index
        out += [
            f"  - id: {controller.id}",
            f"    name: {controller.name}",
            f"    location: {controller.location}",
            f"    endpoint: {{host: 127.0.0.1, port: {port}, unit_id: 1}}",
            f'    mac: "{network.controller_mac(index)}"',
        ]
        anchor = f"door-controller-{controller.doors}"
        if controller.doors in anchored:
            out.append(f"    <<: *{anchor}")
            continue
        anchored.add(controller.doors)
        out += [
            f"    <<: &{anchor}",
            "      kind: door_controller",
            "      protocol: modbus",
            f"      profile: {profile_id(controller.doors)}",
            "      poll_interval_s: 1.0",
            "      timeout_s: 1.0",
        ]
    out += perimeter.device_lines()

    controller_ids = [controller.id for controller in all_controllers]
    out += network.device_lines(controller_ids, UNITS)

    out += ["", "interlocks:"]
    for interlock_id, name, doors in INTERLOCKS:
        out += [
            f"  - id: {interlock_id}",
            f"    name: {name}",
            f"    doors: [{', '.join(doors)}]",
        ]
    out += ["", "fence_segments:", *perimeter.segment_lines()]
    out += network.network_lines(controller_ids, UNITS)
    return "\n".join(out) + "\n"


def _door_lines(device: str, channel: int, door: DoorSpec) -> list[str]:
    point = f"{device}/door{channel:02d}"
    lines = [
        f"  - id: {door.id}",
        f"    name: {door.name}",
        f"    between: [{door.between[0]}, {door.between[1]}]",
    ]
    if door.held_open_s is not None:
        lines.append(f"    held_open_s: {door.held_open_s:g}")
    lines += [
        f'    lock: "!{point}_relay"',
        "    bindings:",
        f"      locked: {point}_bolt",
        f"      closed: {point}_contact",
    ]
    if door.tamper:
        lines.append(f"      tamper: {point}_tamper")
    if door.exit_button:
        lines.append(f"      request_to_exit: {point}_exit")
    return lines


def outputs() -> dict[Path, str]:
    """Every file this script writes, by path, with its content."""
    return {
        HERE / "site.yaml": site_yaml(),
        HERE / "profiles" / f"{profile_id(8)}.yaml": profile_yaml(8),
        HERE / "profiles" / f"{profile_id(16)}.yaml": profile_yaml(16),
        HERE / "profiles" / f"{perimeter.PROFILE_ID}.yaml": perimeter.profile_yaml(),
    }


def main() -> None:
    for path, text in outputs().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
