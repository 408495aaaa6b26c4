"""Reading who is on each switch port: LLDP, CDP and forwarding tables.

:func:`observe_switch` walks one switch's LLDP-MIB remote table, CISCO-CDP-MIB
cache and BRIDGE-MIB (or Q-BRIDGE-MIB) forwarding table and returns
:class:`~topology.discovery.Observation` records keyed by interface name.
Tables an agent lacks are simply empty. :func:`discover_site` does that for
every SNMP switch of a site and compares the result with its ``links``; it is
what ``warden discover SITE`` runs.

Errors: a switch that cannot be read is listed as unread in the report (its
error logged); only a site without SNMP switches gives an empty report.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from drivers.errors import DriverError
from drivers.snmp import oids
from drivers.snmp.client import SnmpClient, SnmpEngines, Table
from drivers.snmp.codec import WireValue, as_bytes, as_int, render_hex, render_octets
from drivers.snmp.security import credentials_for
from topology.discovery import DiscoveryReport, Observation, compare_links
from topology.loader import LoadedSite
from topology.site import Device, DeviceKind, Protocol

logger = logging.getLogger(__name__)

# LLDP-MIB subtypes (IEEE 802.1AB): how a chassis or port id is written.
CHASSIS_MAC = 4
PORT_MAC = 3
LEARNED = 3
"""dot1dTpFdbStatus learned(3): an address the switch saw, not a static one."""


def _text(value: WireValue | None) -> str | None:
    data = as_bytes(value)
    return None if data is None else render_octets(data)


async def _interface_names(client: SnmpClient) -> dict[int, str]:
    table = await client.walk([oids.IF_NAME, oids.IF_DESCR])
    names: dict[int, str] = {}
    for column in (oids.IF_DESCR, oids.IF_NAME):  # ifName wins where present
        for index, value in table[column].items():
            text = _text(value)
            if text and len(index) == 1:
                names[index[0]] = text
    return names


def _port_id(subtype: int | None, value: WireValue | None) -> str | None:
    data = as_bytes(value)
    if data is None:
        return None
    return render_hex(data) if subtype == PORT_MAC else render_octets(data)


async def _lldp(
    client: SnmpClient, switch: str, names: dict[int, str]
) -> list[Observation]:
    local: Table = await client.walk([oids.LLDP_LOC_PORT_ID])
    local_names: dict[int, str] = {}
    known = set(names.values())
    for index, value in local[oids.LLDP_LOC_PORT_ID].items():
        text = _text(value)
        # The local port id is often the interface name; when it is not,
        # lldpLocPortNum is usually the ifIndex.
        if text is not None and text in known:
            local_names[index[0]] = text
        elif index[0] in names:
            local_names[index[0]] = names[index[0]]

    table = await client.walk(
        [
            oids.LLDP_REM_CHASSIS_ID_SUBTYPE,
            oids.LLDP_REM_CHASSIS_ID,
            oids.LLDP_REM_PORT_ID_SUBTYPE,
            oids.LLDP_REM_PORT_ID,
            oids.LLDP_REM_SYS_NAME,
        ]
    )
    found = []
    for index, name in table[oids.LLDP_REM_SYS_NAME].items():
        if len(index) != 3:
            continue
        port_num = index[1]
        chassis = table[oids.LLDP_REM_CHASSIS_ID].get(index)
        chassis_type = as_int(table[oids.LLDP_REM_CHASSIS_ID_SUBTYPE].get(index))
        chassis_bytes = as_bytes(chassis)
        mac = (
            render_hex(chassis_bytes)
            if chassis_type == CHASSIS_MAC and chassis_bytes
            else None
        )
        found.append(
            Observation(
                switch,
                local_names.get(port_num, names.get(port_num, str(port_num))),
                "lldp",
                system=_text(name),
                remote_port=_port_id(
                    as_int(table[oids.LLDP_REM_PORT_ID_SUBTYPE].get(index)),
                    table[oids.LLDP_REM_PORT_ID].get(index),
                ),
                mac=mac,
            )
        )
    return found


async def _cdp(
    client: SnmpClient, switch: str, names: dict[int, str]
) -> list[Observation]:
    table = await client.walk([oids.CDP_CACHE_DEVICE_ID, oids.CDP_CACHE_DEVICE_PORT])
    return [
        Observation(
            switch,
            names.get(index[0], str(index[0])),
            "cdp",
            system=_text(value),
            remote_port=_text(table[oids.CDP_CACHE_DEVICE_PORT].get(index)),
        )
        for index, value in table[oids.CDP_CACHE_DEVICE_ID].items()
        if len(index) == 2
    ]


async def _fdb(
    client: SnmpClient, switch: str, names: dict[int, str]
) -> list[Observation]:
    bridge = await client.walk([oids.DOT1D_BASE_PORT_IF_INDEX])
    if_index = {
        index[0]: value
        for index, value in bridge[oids.DOT1D_BASE_PORT_IF_INDEX].items()
        if isinstance(value, int)
    }
    table = await client.walk([oids.DOT1D_TP_FDB_PORT, oids.DOT1D_TP_FDB_STATUS])
    entries = [
        (index, value)
        for index, value in table[oids.DOT1D_TP_FDB_PORT].items()
        if as_int(table[oids.DOT1D_TP_FDB_STATUS].get(index)) in (LEARNED, None)
    ]
    if not entries:
        # Q-BRIDGE: the index starts with the filtering database id.
        q = await client.walk([oids.DOT1Q_TP_FDB_PORT])
        entries = [
            (index[1:], value) for index, value in q[oids.DOT1Q_TP_FDB_PORT].items()
        ]
    found = []
    for index, value in entries:
        bridge_port = as_int(value)
        if bridge_port is None or len(index) != 6 or bridge_port == 0:
            continue
        interface = if_index.get(bridge_port, bridge_port)
        found.append(
            Observation(
                switch,
                names.get(interface, str(interface)),
                "fdb",
                mac=render_hex(bytes(index)),
            )
        )
    return found


async def observe_switch(client: SnmpClient, switch: str) -> list[Observation]:
    """Everything ``switch`` (read through ``client``) says about its neighbours.

    Raises the client's errors (the switch could not be read at all).
    """
    names = await _interface_names(client)
    return [
        *await _lldp(client, switch, names),
        *await _cdp(client, switch, names),
        *await _fdb(client, switch, names),
    ]


async def discover_site(
    site: LoadedSite,
    *,
    environ: Mapping[str, str] | None = None,
    timeout_s: float = 30.0,
) -> DiscoveryReport:
    """Read every SNMP switch of ``site`` and compare with its declared links.

    Switches are read concurrently; one that does not answer, refuses our
    credentials or is not done within ``timeout_s`` seconds is listed as
    unread and its links as unverified.
    """
    switches = [
        d
        for d in site.site.devices
        if d.protocol is Protocol.SNMP and d.kind is DeviceKind.SWITCH and d.endpoint
    ]
    engines = SnmpEngines()
    engines.acquire()
    results: dict[str, list[Observation]] = {}

    async def read(device: Device) -> None:
        assert device.endpoint is not None
        try:
            client = SnmpClient(
                device.endpoint.host,
                device.endpoint.port,
                credentials_for(device, environ),
                timeout_s=device.timeout_s,
                retries=device.snmp.retries if device.snmp else 1,
                engines=engines,
                name=device.id,
            )
        except DriverError as exc:
            logger.warning("%s: not read: %s", device.id, exc)
            return
        try:
            async with asyncio.timeout(timeout_s):
                results[device.id] = await observe_switch(client, device.id)
        except (DriverError, TimeoutError) as exc:
            logger.warning("%s: not read: %s", device.id, exc or "timed out")
        finally:
            await client.close()

    try:
        async with asyncio.TaskGroup() as group:
            for device in switches:
                group.create_task(read(device), name=f"discover-{device.id}")
    finally:
        await engines.release()
    observations = [o for found in results.values() for o in found]
    return compare_links(site.site, observations, results.keys())
