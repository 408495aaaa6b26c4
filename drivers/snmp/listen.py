"""Receiving a site's SNMP traps alongside its pollers.

:func:`start_trap_receiver` starts one :class:`~drivers.snmp.traps.TrapReceiver`
on the site's ``network.trap_host:trap_port``, accepts the v2c communities of
its SNMP devices, names each sender by its endpoint, takes interface names from
the device's poller and accepts SNMPv3 traps once the poller has learnt the
agent's engine id. Samples go to ``sink`` like the pollers' do.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import partial

from drivers.base import DeviceDriver, SampleSink
from drivers.errors import DriverError
from drivers.snmp.driver import SnmpDriver
from drivers.snmp.security import SnmpCredentials, credentials_for
from drivers.snmp.traps import TrapReceiver
from topology.loader import LoadedSite
from topology.site import Protocol

logger = logging.getLogger(__name__)


async def start_trap_receiver(
    site: LoadedSite,
    sink: SampleSink,
    drivers: Mapping[str, DeviceDriver],
    environ: Mapping[str, str] | None = None,
) -> TrapReceiver | None:
    """A started receiver for ``site``'s SNMP devices, or ``None`` when the site
    has no SNMP device, no ``network`` section or ``trap_port: null``.

    ``drivers`` are the pollers' drivers by device id. Raises
    ``TrapReceiverError`` when the port cannot be bound.
    """
    network = site.site.network
    devices = [d for d in site.site.devices if d.protocol is Protocol.SNMP]
    if network is None or network.trap_port is None or not devices:
        return None

    communities: list[str] = []
    for device in devices:
        try:
            credentials = credentials_for(device, environ)
        except DriverError as exc:
            logger.warning("%s: no traps accepted: %s", device.id, exc)
            continue
        if credentials.version == "v2c" and credentials.community not in communities:
            communities.append(credentials.community)

    receiver = TrapReceiver(
        sink, host=network.trap_host, port=network.trap_port, communities=communities
    )
    await receiver.start()
    for device in devices:
        driver = drivers.get(device.id)
        if device.endpoint is None or not isinstance(driver, SnmpDriver):
            continue
        receiver.add_device(
            device.id,
            device.endpoint.host,
            device.endpoint.port,
            interface_name=driver.interface_name,
        )
        credentials = driver.client.credentials
        if credentials.version == "v3":
            driver.engine_listener = partial(_accept_v3, receiver, credentials)
    return receiver


def _accept_v3(
    receiver: TrapReceiver,
    credentials: SnmpCredentials,
    device_id: str,
    engine_id: bytes,
) -> None:
    try:
        receiver.add_v3_engine(device_id, engine_id, credentials)
    except DriverError as exc:
        logger.warning("%s: SNMPv3 traps not accepted: %s", device_id, exc)
