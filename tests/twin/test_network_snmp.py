"""Root cause end to end over real SNMP on loopback: simulated switches, the
SNMP driver and trap receiver feeding the twin."""

from __future__ import annotations

import asyncio

from drivers.snmp.driver import SnmpDriver
from drivers.snmp.traps import TrapReceiver
from simulators.snmp import TrapTarget
from simulators.snmp_site import start_snmp_network
from topology.loader import LoadedSite, with_endpoints
from topology.sample import DeviceHealth, DeviceStatus
from twin.events import Event, EventType, Subscription
from twin.model import Twin

from .sites import loaded

SNMP = {"version": "v2c", "community": "lab-community"}


def site() -> LoadedSite:
    return loaded(
        {
            "site": {"id": "net", "name": "Networked test site"},
            "devices": [
                {"id": "SRV", "kind": "server", "protocol": "none"},
                {
                    "id": "CORE",
                    "kind": "switch",
                    "protocol": "snmp",
                    "endpoint": {"port": 0},
                    "snmp": SNMP,
                },
                {
                    "id": "SW-A",
                    "kind": "switch",
                    "protocol": "snmp",
                    "endpoint": {"port": 0},
                    "snmp": SNMP,
                },
                {"id": "DC-1", "kind": "door_controller", "protocol": "modbus"},
                {"id": "CAM-1", "kind": "camera", "protocol": "none"},
            ],
            "network": {"platform": "SRV"},
            "links": [
                {"a": "SRV", "b": "CORE/Gi1/0/48"},
                {"a": "CORE/Gi1/0/1", "b": "SW-A/Gi1/0/48"},
                {"a": "SW-A/Gi1/0/5", "b": "DC-1"},
                {"a": "SW-A/Gi1/0/6", "b": "CAM-1"},
            ],
        }
    )


async def next_alarm(events: Subscription) -> Event:
    while True:
        event = await events.get()
        if event.type == EventType.ALARM_RAISED:
            return event


async def test_uplink_cut_is_one_alarm_naming_the_port() -> None:
    loaded_site = site()
    twin = Twin(loaded_site)
    receiver = TrapReceiver(twin, communities=["lab-community"])
    host, port = await receiver.start()
    target = TrapTarget(host, port, community="lab-community")
    try:
        async with (
            asyncio.timeout(20),
            twin.bus.subscribe() as events,
            start_snmp_network(loaded_site.site, trap_targets=[target]) as network,
        ):
            live = with_endpoints(loaded_site, network.endpoints)
            for switch in ("CORE", "SW-A"):
                driver = SnmpDriver.for_device(live.device(switch))
                try:
                    twin.publish_samples(await driver.poll())
                finally:
                    await driver.close()
                endpoint = network.endpoints[switch]
                receiver.add_device(
                    switch,
                    endpoint.host,
                    endpoint.port,
                    interface_name=driver.interface_name,
                )
                twin.publish_health(
                    DeviceHealth(switch, DeviceStatus.ONLINE, 0.0, 0.0, 0)
                )
            assert twin.node("DC-1").state["status"] == "unknown"

            # The cable between the core and SW-A is cut: the core's linkDown
            # trap is enough to know what is cut off, before any poll.
            await network.cut("CORE", "SW-A")
            alarm = await next_alarm(events)
    finally:
        await receiver.stop()

    assert (alarm.node, alarm.new) == ("CORE", "link_down")
    assert alarm.detail["alarm"]["cause"] == [  # type: ignore[index]
        "link down on CORE",
        "port Gi1/0/1 of CORE is down (link CORE/Gi1/0/1 - SW-A/Gi1/0/48): "
        "SW-A, DC-1, CAM-1 unreachable",
    ]
    for device in ("SW-A", "DC-1", "CAM-1"):
        view = twin.node(device).state
        assert view["status"] == "unreachable"
        assert view["cause"] == (
            "port Gi1/0/1 of CORE is down (link CORE/Gi1/0/1 - SW-A/Gi1/0/48)"
        )
    assert twin.node("CORE").state["status"] == "online"
    assert [(a.type.value, a.node) for a in twin.alarms.listed()] == [
        ("link_down", "CORE")
    ]


async def test_access_port_down_cuts_off_one_device() -> None:
    loaded_site = site()
    twin = Twin(loaded_site)
    receiver = TrapReceiver(twin, communities=["lab-community"])
    host, port = await receiver.start()
    target = TrapTarget(host, port, community="lab-community")
    try:
        async with (
            asyncio.timeout(20),
            twin.bus.subscribe() as events,
            start_snmp_network(loaded_site.site, trap_targets=[target]) as network,
        ):
            live = with_endpoints(loaded_site, network.endpoints)
            driver = SnmpDriver.for_device(live.device("SW-A"))
            try:
                await driver.poll()
                endpoint = network.endpoints["SW-A"]
                receiver.add_device(
                    "SW-A",
                    endpoint.host,
                    endpoint.port,
                    interface_name=driver.interface_name,
                )
                await network.unplug("DC-1")
                alarm = await next_alarm(events)
                # Polling sees the same, and keeps it so.
                twin.publish_samples(await driver.poll())
            finally:
                await driver.close()
    finally:
        await receiver.stop()

    assert (alarm.node, alarm.new) == ("SW-A", "link_down")
    assert alarm.detail["alarm"]["cause"][1] == (  # type: ignore[index]
        "port Gi1/0/5 of SW-A is down (link SW-A/Gi1/0/5 - DC-1): DC-1 unreachable"
    )
    assert twin.node("DC-1").state["status"] == "unreachable"
    assert twin.node("CAM-1").state["status"] == "unknown"
