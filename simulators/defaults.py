"""Plausible values for device points that no door binds.

A real controller reports more than door inputs: how long it has run, its supply
voltage, its firmware. The simulator guesses these from the point's name, so a
profile needs no simulator-only annotations. Anything it cannot guess reads 0 (or
``False`` for a bit).
"""

from __future__ import annotations

from topology.profile import DataType, ModbusPoint

SUPPLY_VOLTS = 24.1
"""A healthy 24 V DC supply reads slightly high under light load."""

FIRMWARE_INT = 0x0203
"""Firmware 2.3 as a 16-bit register: major in the high byte, minor in the low."""

FIRMWARE_FLOAT = 2.3

TEMPERATURE_C = 31.5
"""Inside a controller cabinet."""


def default_value(point: ModbusPoint, uptime_s: float) -> bool | int | float:
    """The value an unbound point reports, in engineering units.

    ``uptime_s`` is how long the device has been running (seconds); points named
    like ``uptime`` count it as whole seconds. Voltage, firmware and temperature
    points get fixed plausible values; every other point reads 0 or ``False``.
    """
    if point.data_type is DataType.BOOL:
        return False
    name = point.name.lower()
    is_float = point.data_type is DataType.FLOAT32
    if "uptime" in name:
        return int(uptime_s)
    if "volt" in name or "supply" in name:
        return SUPPLY_VOLTS
    if "firmware" in name or "version" in name:
        return FIRMWARE_FLOAT if is_float else FIRMWARE_INT
    if "temp" in name:
        return TEMPERATURE_C
    return 0


def changes_with_time(point: ModbusPoint) -> bool:
    """Whether :func:`default_value` of this point moves on its own (uptime), so
    it must be recomputed on every read rather than only after a change."""
    return point.data_type is not DataType.BOOL and "uptime" in point.name.lower()
