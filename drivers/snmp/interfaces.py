"""Interfaces from ifTable/ifXTable walks, keyed by name, and their samples.

Interfaces are keyed by ifName, not ifIndex: an ifIndex can change when a
switch reboots or a module is inserted, a name is what people and the site
file use. Without ifName (agents lacking ifXTable) ifDescr is used, and
without either ``if<ifIndex>``. A name seen twice gets ``#<ifIndex>`` added
to the second and later rows, so no interface hides another.

Point names, all under ``if.<name>.``:

============================  =====================================================
``oper_status``               ifOperStatus as a word: up, down, testing, unknown,
                              dormant, not_present, lower_layer_down
``admin_status``              ifAdminStatus: up, down, testing
``in_octets``/``out_octets``  the octet counter (ifHCInOctets, or ifInOctets when
                              the agent has no 64-bit counters)
``in_octets_rate``            octets per second since the previous poll
``out_octets_rate``           (no sample on the first poll, after a restart or on a
                              reading the link could not carry)
``in_errors``/``out_errors``  ifInErrors / ifOutErrors
``in_errors_rate``            errors per second, like the octet rates
``out_errors_rate``
``alias``                     ifAlias (the description an engineer typed)
``speed_bps``                 ifHighSpeed x 10**6, or ifSpeed when that is absent
``mac``                       ifPhysAddress as ``aa:bb:cc:dd:ee:ff``
``index``                     the current ifIndex
============================  =====================================================

The name sits between the first dot and the last one, so names with dots or
slashes (``Gi1/0/5``, ``Po1.100``) still split back: ``point.rpartition(".")``.
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.snmp import oids
from drivers.snmp.client import Table
from drivers.snmp.codec import WireValue, as_bytes, as_int, render_hex, render_octets
from drivers.snmp.counters import CounterRates
from topology.sample import Value

STATIC_COLUMNS = (
    oids.IF_DESCR,
    oids.IF_NAME,
    oids.IF_ALIAS,
    oids.IF_SPEED,
    oids.IF_HIGH_SPEED,
    oids.IF_PHYS_ADDRESS,
)
"""Columns that rarely change; walked on the first poll and then seldom."""

STATUS_COLUMNS = (
    oids.IF_ADMIN_STATUS,
    oids.IF_OPER_STATUS,
    oids.IF_IN_ERRORS,
    oids.IF_OUT_ERRORS,
)
HC_COLUMNS = (oids.IF_HC_IN_OCTETS, oids.IF_HC_OUT_OCTETS)
LEGACY_COLUMNS = (oids.IF_IN_OCTETS, oids.IF_OUT_OCTETS)

RATE_HEADROOM = 1.1
"""An octet rate above the link speed by more than this factor is not real."""


def point_name(interface: str, attribute: str) -> str:
    """``if.<interface>.<attribute>``."""
    return f"if.{interface}.{attribute}"


@dataclass(frozen=True, slots=True)
class Interface:
    """What the static columns say about one interface."""

    index: int
    name: str
    alias: str | None
    speed_bps: int | None
    mac: str | None


def _column(table: Table, column: tuple[int, ...]) -> dict[int, WireValue]:
    """A column's values by ifIndex (single-arc index; others are skipped)."""
    return {
        index[0]: value
        for index, value in table.get(column, {}).items()
        if len(index) == 1
    }


def _text(value: WireValue | None) -> str | None:
    data = as_bytes(value)
    return None if data is None else render_octets(data)


def interfaces_from(table: Table) -> dict[int, Interface]:
    """Interfaces by ifIndex from a walk of :data:`STATIC_COLUMNS`."""
    descr = _column(table, oids.IF_DESCR)
    names = _column(table, oids.IF_NAME)
    aliases = _column(table, oids.IF_ALIAS)
    speeds = _column(table, oids.IF_SPEED)
    high_speeds = _column(table, oids.IF_HIGH_SPEED)
    macs = _column(table, oids.IF_PHYS_ADDRESS)

    found: dict[int, Interface] = {}
    taken: set[str] = set()
    for index in sorted(set(descr) | set(names)):
        name = _text(names.get(index)) or _text(descr.get(index)) or f"if{index}"
        if name in taken:
            name = f"{name}#{index}"
        taken.add(name)

        high = as_int(high_speeds.get(index))
        low = as_int(speeds.get(index))
        # ifSpeed saturates at 4294967295 for links of 4.3 Gb/s and faster.
        speed = high * 1_000_000 if high else low
        mac_bytes = as_bytes(macs.get(index))

        found[index] = Interface(
            index=index,
            name=name,
            alias=_text(aliases.get(index)),
            speed_bps=speed,
            mac=render_hex(mac_bytes) if mac_bytes else None,
        )
    return found


def static_values(interface: Interface) -> dict[str, Value]:
    """The static points of one interface that have a value."""
    values: dict[str, Value] = {point_name(interface.name, "index"): interface.index}
    if interface.alias is not None:
        values[point_name(interface.name, "alias")] = interface.alias
    if interface.speed_bps is not None:
        values[point_name(interface.name, "speed_bps")] = interface.speed_bps
    if interface.mac is not None:
        values[point_name(interface.name, "mac")] = interface.mac
    return values


def dynamic_values(
    interfaces: dict[int, Interface],
    table: Table,
    rates: CounterRates,
    at: float,
) -> dict[str, Value]:
    """Status, counters and rates of every known interface from a walk of the
    status and octet columns, read at monotonic time ``at``.

    Prefers 64-bit octet counters per interface and falls back to the 32-bit
    ones. Absent cells give no point at all (never 0).
    """
    admin = _column(table, oids.IF_ADMIN_STATUS)
    oper = _column(table, oids.IF_OPER_STATUS)
    counters = {
        "in_octets": (
            _column(table, oids.IF_HC_IN_OCTETS),
            _column(table, oids.IF_IN_OCTETS),
        ),
        "out_octets": (
            _column(table, oids.IF_HC_OUT_OCTETS),
            _column(table, oids.IF_OUT_OCTETS),
        ),
        "in_errors": ({}, _column(table, oids.IF_IN_ERRORS)),
        "out_errors": ({}, _column(table, oids.IF_OUT_ERRORS)),
    }

    values: dict[str, Value] = {}
    for index, interface in interfaces.items():
        name = interface.name
        status = as_int(oper.get(index))
        if status is not None:
            values[point_name(name, "oper_status")] = oids.OPER_STATUS.get(
                status, "unknown"
            )
        status = as_int(admin.get(index))
        if status is not None:
            values[point_name(name, "admin_status")] = oids.ADMIN_STATUS.get(
                status, "unknown"
            )

        max_octets = None
        if interface.speed_bps:
            max_octets = interface.speed_bps / 8 * RATE_HEADROOM
        for attribute, (wide, narrow) in counters.items():
            value, bits = as_int(wide.get(index)), 64
            if value is None:
                value, bits = as_int(narrow.get(index)), 32
            if value is None:
                continue
            point = point_name(name, attribute)
            values[point] = value
            limit = max_octets if attribute.endswith("octets") else None
            rate = rates.update(point, value, bits, at, limit)
            if rate is not None:
                values[f"{point}_rate"] = rate
    return values
