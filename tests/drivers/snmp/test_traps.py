"""Traps from the simulated switch to the receiver, over UDP on loopback."""

from __future__ import annotations

import asyncio

import pytest

from drivers.snmp.driver import SnmpDriver
from drivers.snmp.security import SnmpCredentials
from drivers.snmp.traps import TrapEvent, TrapReceiver
from simulators.snmp import TrapTarget, start_switch_simulator
from tests.drivers.snmp.switches import USER, RecordingSink, switch
from topology.site import Device, DeviceKind, Endpoint, Protocol

V3 = SnmpCredentials.v3(
    "warden",
    auth_protocol="sha",
    auth_key="auth-secret-1",
    priv_protocol="aes",
    priv_key="priv-secret-1",
)


async def test_v2c_link_traps_become_samples_named_by_the_poller() -> None:
    sink = RecordingSink()
    events: list[TrapEvent] = []
    receiver = TrapReceiver(sink, communities=["traps"], on_trap=events.append)
    host, port = await receiver.start()
    target = TrapTarget(host, port, community="traps")
    try:
        async with (
            asyncio.timeout(10),
            start_switch_simulator(switch(ports=3), trap_targets=[target]) as sim,
        ):
            endpoint = Endpoint(host=sim.address[0], port=sim.address[1])
            device = Device(
                id="SW-A",
                kind=DeviceKind.SWITCH,
                protocol=Protocol.SNMP,
                endpoint=endpoint,
            )
            driver = SnmpDriver(device, SnmpCredentials.v2c("public"))
            try:
                await driver.poll()  # learns ifIndex -> ifName
            finally:
                await driver.close()
            receiver.add_device(
                "SW-A", *sim.address, interface_name=driver.interface_name
            )

            await sim.set_link("Gi1/0/2", False)
            down = await sink.wait_for("SW-A", "if.Gi1/0/2.oper_status", "down")
            await sim.set_admin("Gi1/0/3", False)
            await sink.wait_for("SW-A", "if.Gi1/0/3.admin_status", "down")
            await sim.set_link("Gi1/0/2", True)
            await sink.wait_for("SW-A", "if.Gi1/0/2.oper_status", "up")
            await sim.reboot()
            await sink.wait_for("SW-A", "sys.restart", "cold_start")
    finally:
        await receiver.stop()

    assert down.quality == "good"
    assert [e.kind for e in events] == [
        "link_down",
        "link_down",
        "link_up",
        "cold_start",
    ]
    assert events[0].if_index == 2
    assert events[0].if_name == "Gi1/0/2"
    assert receiver.received == 4
    assert receiver.unknown_source == 0


async def test_v3_traps_are_identified_by_engine_id() -> None:
    sink = RecordingSink()
    events: asyncio.Queue[TrapEvent] = asyncio.Queue()
    receiver = TrapReceiver(sink, on_trap=events.put_nowait)
    host, port = await receiver.start()
    target = TrapTarget(host, port, user=USER)
    try:
        async with (
            asyncio.timeout(10),
            start_switch_simulator(
                switch(ports=2), users=[USER], trap_targets=[target]
            ) as sim,
        ):
            # Not registered by address at all: the engine id is enough.
            receiver.add_v3_engine("SW-A", sim.engine_id, V3)
            await sim.set_link("Gi1/0/1", False)
            link_down = await events.get()
            await sim.reboot()
            await sink.wait_for("SW-A", "sys.restart", "cold_start")
    finally:
        await receiver.stop()

    # Without the poller's map and without ifName in the trap, the name is
    # unknown: no port sample, but the event still reaches the poller.
    assert (link_down.device, link_down.kind, link_down.if_index) == (
        "SW-A",
        "link_down",
        1,
    )
    assert link_down.if_name is None
    assert not [s for s in sink.samples if s.point.startswith("if.")]
    assert receiver.received == 2


async def test_traps_from_unknown_sources_are_dropped() -> None:
    sink = RecordingSink()
    events: asyncio.Queue[TrapEvent] = asyncio.Queue()
    receiver = TrapReceiver(sink, communities=["traps"], on_trap=events.put_nowait)
    host, port = await receiver.start()
    targets = [TrapTarget(host, port, community="traps")]
    try:
        async with (
            asyncio.timeout(10),
            start_switch_simulator(
                switch("SW-X", ports=1), trap_targets=targets
            ) as stray,
            start_switch_simulator(
                switch("SW-C", ports=1), trap_targets=targets
            ) as known,
        ):
            receiver.add_device("SW-C", *known.address)
            # A second device on the same host: the host alone no longer says
            # which device an unknown port belongs to.
            receiver.add_device("SW-D", known.address[0], 9)
            await stray.set_link("Gi1/0/1", False)
            # Loopback delivers in send order, so once the known switch's trap
            # is in, the stray one has been handled.
            await known.set_link("Gi1/0/1", False)
            event = await events.get()
    finally:
        await receiver.stop()

    assert receiver.unknown_source == 1
    assert (event.device, event.kind) == ("SW-C", "link_down")
    assert events.empty()
    assert sink.samples == []  # no poller map and no ifName: no port sample


async def test_host_alone_names_the_only_device_on_it() -> None:
    sink = RecordingSink()
    events: asyncio.Queue[TrapEvent] = asyncio.Queue()
    receiver = TrapReceiver(sink, communities=["traps"], on_trap=events.put_nowait)
    host, port = await receiver.start()
    try:
        async with (
            asyncio.timeout(10),
            start_switch_simulator(
                switch("SW-A", ports=1),
                trap_targets=[TrapTarget(host, port, community="traps")],
            ) as sim,
        ):
            # Registered on its polling port; traps come from wherever.
            receiver.add_device("SW-A", sim.address[0], 161)
            await sim.set_link("Gi1/0/1", False)
            event = await events.get()
    finally:
        await receiver.stop()

    assert event.device == "SW-A"


@pytest.mark.parametrize("community", ["wrong"])
async def test_wrong_community_is_not_accepted(community: str) -> None:
    sink = RecordingSink()
    receiver = TrapReceiver(sink, communities=["traps"])
    host, port = await receiver.start()
    try:
        async with (
            asyncio.timeout(10),
            start_switch_simulator(
                switch(ports=1),
                trap_targets=[TrapTarget(host, port, community=community)],
            ) as sim,
        ):
            receiver.add_device("SW-A", *sim.address)
            await sim.set_link("Gi1/0/1", False)
            # A correct trap sent after the wrong one proves the wrong one was
            # processed (UDP from one socket arrives in order on loopback).
            sim.trap_targets = [TrapTarget(host, port, community="traps")]
            await sim.reboot()
            await sink.wait_for("SW-A", "sys.restart", "cold_start")
    finally:
        await receiver.stop()

    assert receiver.received == 1
