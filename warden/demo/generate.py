"""Write the demo prison's site file and door-controller profiles.

The YAML files next to this module are the product; this script only saves
typing the 96 doors and two profiles by hand. Change the layout here and run
``python -m warden.demo.generate`` to rewrite them; a test checks that the
committed files match what this script writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).parent
FIRST_PORT = 15020


# -- the door-controller profiles ---------------------------------------------

_PROFILE_DESCRIPTION = """\
Door controller built on a Moxa ioLogik E1212 remote Ethernet I/O module. The
addresses follow the module's default Modbus/TCP map (Moxa, ioLogik E1200
Series User's Manual, appendix A, 'E1212 Modbus mapping' and the 'System'
table): DI channel values as discrete inputs from 0, DO channel values as coils
from 0 and DO pulse status as coils from 0x0010, each DI channel's 32-bit
counter as two input registers from 0x0010 (high word first), the packed DI
word at input register 0x0030 and the packed DO word at holding register
0x0020, the system block (model name, uptime, IP address, firmware version and
build date) at input registers 5000-5032 and the watchdog alarm flag at coil
4144. A single E1212 offers 8 DI and 8 DIO channels, fewer than {doors} doors
need (lock relay, contact, bolt monitor, exit button and tamper loop each);
this profile describes the module together with companion I/O banks that the
controller presents as further channels of the same tables ({di} DI and {do}
DO channels), which is our wiring, not a Moxa product. The supply and battery
readings at input registers 5100-5107 come from a companion power monitor
that is not in the Moxa map; it sends supply_voltage low word first."""


def profile_id(doors: int) -> str:
    return f"moxa-e1212-door{doors}"


def profile_yaml(doors: int) -> str:
    """The profile of a controller for ``doors`` doors (8 or 16)."""
    di = 4 * doors
    lines = [
        f"# Door controller for {doors} doors: Moxa ioLogik E1212 address map plus",
        "# companion I/O banks. Written by warden/demo/generate.py.",
        "#",
        f"# Door n (1-{doors}) uses DO channel n-1 and four DI channels:",
        "#   contact  " + "n-1".ljust(9) + "1 = door closed (reed switch loop made)",
        "#   bolt     " + f"{doors}+n-1".ljust(9) + "1 = bolt thrown, door locked",
        "#   exit     " + f"{2 * doors}+n-1".ljust(9) + "1 = request-to-exit pressed",
        "#   tamper   " + f"{3 * doors}+n-1".ljust(9) + "1 = tamper loop open",
        f"id: {profile_id(doors)}",
        "protocol: modbus",
        "vendor: Moxa",
        "model: ioLogik E1212 with companion I/O banks",
        "description: >-",
        *(
            "  " + line if line else ""
            for line in _PROFILE_DESCRIPTION.format(
                doors=doors, di=di, do=doors
            ).splitlines()
        ),
        "points:",
        "  # -- Coils (functions 1, 5, 15) -----------------------------------",
        "  # DO channel values ('CH n DO Value', coil n). The relay releases a",
        "  # fail-secure lock when energised, so sites bind the lock inverted:",
        '  # lock: "!DC/door01_relay".',
    ]
    for n in range(doors):
        lines.append(_point(f"door{n + 1:02d}_relay", "coil", n, writable=True))
    lines += [
        "  # DO pulse status ('CH n DO Pulse Operate Status', coil 0x0010 + n):",
        "  # 1 starts a timed release pulse on the relay, 0 stops it.",
    ]
    for n in range(doors):
        lines.append(
            _point(f"door{n + 1:02d}_pulse", "coil", 0x10 + n, writable=True, hex_=True)
        )
    lines += [
        "  # Watchdog alarm flag (system table, coil 4144): 1 after the host",
        "  # stopped talking for longer than the watchdog time; write 1 to clear.",
        _point("watchdog_alarm", "coil", 4144, writable=True),
        "",
        "  # -- Discrete inputs (function 2): DI channel values, 1 = on --------",
    ]
    for index, group in enumerate(("contact", "bolt", "exit", "tamper")):
        base = index * doors
        lines.append(f"  # DI {base}-{base + doors - 1}: {group}")
        for n in range(doors):
            lines.append(_point(f"door{n + 1:02d}_{group}", "discrete_input", base + n))
    lines += [
        "",
        "  # -- Input registers (function 4) ---------------------------------",
        "  # DI counters of the contact channels ('CH n DI Counter Value',",
        "  # 0x0010 + 2n, high word first): how often each door was opened.",
    ]
    for n in range(doors):
        lines.append(
            _point(
                f"door{n + 1:02d}_open_count",
                "input_register",
                0x10 + 2 * n,
                data_type="uint32",
                hex_=True,
            )
        )
    lines.append(
        "  # Packed DI words ('DI Value', 0x0030 on): bit b = channel 16k + b."
    )
    for k in range(di // 16):
        lines.append(
            _point(f"di_word_{k}", "input_register", 0x30 + k, "uint16", hex_=True)
        )
    lines += [
        "  # System table: model name, two ASCII characters per word, high byte",
        "  # first ('modelName', 5000, 10 words).",
    ]
    for k in range(10):
        lines.append(_point(f"model_name_{k}", "input_register", 5000 + k, "uint16"))
    lines += [
        "  # 'deviceUpTime' (5020, seconds), 'lanIp' (5027, one octet per byte),",
        "  # 'firmwareVersion' (5029, major/minor/patch in the first three bytes)",
        "  # and 'firmwareBuildDate' (5031, digits YYMMDDHH as a number).",
        _point("uptime", "input_register", 5020, "uint32", unit="s"),
        _point("lan_ip", "input_register", 5027, "uint32"),
        _point("firmware_version", "input_register", 5029, "uint32"),
        _point("firmware_build", "input_register", 5031, "uint32"),
        "  # Companion power monitor (not in the Moxa map).",
        _point(
            "supply_voltage",
            "input_register",
            5100,
            "float32",
            unit="V",
            extra="word_order: little",
        ),
        _point("battery_voltage", "input_register", 5102, "float32", unit="V"),
        _point(
            "battery_current",
            "input_register",
            5104,
            "int32",
            unit="mA",
            description="Negative while the battery discharges",
        ),
        _point(
            "enclosure_temperature",
            "input_register",
            5106,
            "int16",
            unit="degC",
            extra="scale: 0.1",
        ),
        "",
        "  # -- Holding registers (functions 3, 6, 16) -----------------------",
        "  # Packed DO word ('DO all Value', 0x0020): bit n = DO channel n.",
        _point("do_word", "holding_register", 0x20, "uint16", writable=True, hex_=True),
    ]
    return "\n".join(lines) + "\n"


def _point(
    name: str,
    table: str,
    address: int,
    data_type: str | None = None,
    *,
    writable: bool = False,
    unit: str | None = None,
    description: str | None = None,
    extra: str | None = None,
    hex_: bool = False,
) -> str:
    parts = [f"name: {name}", f"table: {table}"]
    parts.append(f"address: 0x{address:04X}" if hex_ else f"address: {address}")
    if data_type is not None:
        parts.append(f"data_type: {data_type}")
    if extra is not None:
        parts.append(extra)
    if unit is not None:
        parts.append(f"unit: {unit}")
    if writable:
        parts.append("writable: true")
    if description is not None:
        parts.append(f'description: "{description}"')
    return "  - {" + ", ".join(parts) + "}"


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
        "",
        "spaces:",
    ]
    for space in spaces():
        parent = f", parent: {space.parent}" if space.parent else ""
        out.append(
            f"  - {{id: {space.id}, kind: {space.kind}, name: {space.name}{parent}}}"
        )

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
    for port, controller in enumerate(all_controllers, start=FIRST_PORT):
        out += [
            f"  - id: {controller.id}",
            f"    name: {controller.name}",
            f"    location: {controller.location}",
            f"    endpoint: {{host: 127.0.0.1, port: {port}, unit_id: 1}}",
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

    out += ["", "interlocks:"]
    for interlock_id, name, doors in INTERLOCKS:
        out += [
            f"  - id: {interlock_id}",
            f"    name: {name}",
            f"    doors: [{', '.join(doors)}]",
        ]
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
    }


def main() -> None:
    for path, text in outputs().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
