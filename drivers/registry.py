"""Which driver speaks which protocol.

Every protocol package offers ``create_driver(device, site) -> DeviceDriver``; the
registry maps a site file's ``protocol`` to it. A package that is not listed here
(yet) simply leaves its devices unpolled.
"""

from __future__ import annotations

from collections.abc import Callable

from drivers import modbus, snmp
from drivers.base import DeviceDriver
from topology.loader import LoadedSite
from topology.site import Device, Protocol

DriverFactory = Callable[[Device, LoadedSite], DeviceDriver]
"""Builds the driver for one device of a loaded site; raises ``KeyError`` or
``ValueError`` when the site does not describe the device well enough."""


def default_factories() -> dict[Protocol, DriverFactory]:
    """The drivers this build knows, by protocol."""
    return {Protocol.MODBUS: modbus.create_driver, Protocol.SNMP: snmp.create_driver}
