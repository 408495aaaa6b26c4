"""Which driver speaks which protocol.

A polled protocol package offers ``create_driver(device, site) -> DeviceDriver``;
a package whose devices push their changes (OPC UA) offers
``create_driver(device, site, sink) -> StreamingDriver``. The registry maps a site
file's ``protocol`` to one of them. A package that is not listed here (yet)
simply leaves its devices unpolled.
"""

from __future__ import annotations

from collections.abc import Callable

from drivers import modbus, opcua, snmp
from drivers.base import DeviceDriver, SampleSink, StreamingDriver
from topology.loader import LoadedSite
from topology.site import Device, Protocol

DriverFactory = Callable[[Device, LoadedSite], DeviceDriver]
"""Builds the driver for one device of a loaded site; raises ``KeyError`` or
``ValueError`` when the site does not describe the device well enough."""


def default_factories() -> dict[Protocol, DriverFactory]:
    """The drivers this build knows, by protocol."""
    return {Protocol.MODBUS: modbus.create_driver, Protocol.SNMP: snmp.create_driver}


StreamFactory = Callable[[Device, LoadedSite, SampleSink], StreamingDriver]
"""Builds the self-running driver for one device, publishing into the sink;
raises ``KeyError`` or ``ValueError`` like :data:`DriverFactory`."""


def default_stream_factories() -> dict[Protocol, StreamFactory]:
    """The self-running drivers this build knows, by protocol."""
    return {Protocol.OPCUA: opcua.create_driver}
