"""The demo door controllers' profiles, written as YAML text.

Used by :mod:`warden.demo.generate`; see the profile files' description for the
vendor address map they follow and where they go beyond it.
"""

from __future__ import annotations

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
