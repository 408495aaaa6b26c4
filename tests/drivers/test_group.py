"""PollerGroup end to end: real Modbus TCP servers on loopback, real clock, short
intervals."""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path

import pytest

from drivers.backoff import Backoff
from drivers.base import DeviceDriver
from drivers.errors import NotFoundError, NotWritableError
from drivers.group import PollerGroup
from drivers.modbus import ModbusDriver, create_driver
from drivers.poller import PollPolicy
from tests.drivers.fakes import FakeClock, RecordingSink, ScriptedDriver
from tests.drivers.modbus.servers import LoopbackModbusServer, wait_until
from topology.loader import LoadedSite
from topology.profile import DataType, ModbusPoint, ModbusProfile, ModbusTable
from topology.sample import DeviceStatus, Quality
from topology.site import (
    Device,
    DeviceKind,
    Endpoint,
    Protocol,
    SiteFile,
    SiteInfo,
)

ONLINE, OFFLINE = DeviceStatus.ONLINE, DeviceStatus.OFFLINE
FAST = PollPolicy(backoff=Backoff(base_s=0.05, cap_s=0.2))

PROFILE = ModbusProfile(
    id="door-io",
    points=[
        ModbusPoint(name="lock_1", table=ModbusTable.COIL, address=0, writable=True),
        ModbusPoint(name="closed_1", table=ModbusTable.DISCRETE_INPUT, address=0),
        ModbusPoint(
            name="temperature",
            table=ModbusTable.INPUT_REGISTER,
            address=0,
            data_type=DataType.INT16,
            scale=0.1,
        ),
    ],
)


def controller(device_id: str, port: int) -> Device:
    return Device(
        id=device_id,
        kind=DeviceKind.DOOR_CONTROLLER,
        protocol=Protocol.MODBUS,
        endpoint=Endpoint(host="127.0.0.1", port=port),
        profile="door-io",
        poll_interval_s=0.05,
        timeout_s=0.5,
    )


def other(device_id: str, protocol: Protocol) -> Device:
    return Device(id=device_id, kind=DeviceKind.SWITCH, protocol=protocol)


def make_site(devices: list[Device]) -> LoadedSite:
    site = SiteFile(
        site=SiteInfo(id="test", name="Test facility"),
        profiles={"door-io": "door-io.yaml"},
        devices=devices,
    )
    return LoadedSite(Path("site.yaml"), site, {"door-io": PROFILE}, graph=None)


def door_server(temperature_raw: int) -> LoopbackModbusServer:
    return LoopbackModbusServer(
        coils=[False], discrete_inputs=[True], input_registers=[temperature_raw]
    )


MODBUS_ONLY = {Protocol.MODBUS: create_driver}


def online(sink: RecordingSink, device: str) -> bool:
    return ONLINE in sink.statuses(device)


async def test_polls_every_modbus_device_and_takes_writes() -> None:
    sink = RecordingSink()
    async with door_server(215) as first, door_server(0xFF9C) as second:
        site = make_site(
            [
                controller("DC-1", first.port),
                other("SW-1", Protocol.SNMP),
                controller("DC-2", second.port),
                other("PS-1", Protocol.NONE),
            ]
        )
        # Only Modbus is driven here; the switch stands for any device whose
        # protocol has no driver in the group.
        group = PollerGroup(site, sink, policy=FAST, factories=MODBUS_ONLY)
        assert group.devices == ("DC-1", "DC-2")

        async with group:
            await sink.wait_for(lambda: online(sink, "DC-1") and online(sink, "DC-2"))
            await group.write_point("DC-1", "lock_1", True)
            await sink.wait_for(
                lambda: any(
                    s.device == "DC-1" and s.point == "lock_1" and s.value is True
                    for s in sink.samples
                )
            )
            with pytest.raises(NotWritableError):
                await group.write_point("DC-1", "closed_1", False)
            with pytest.raises(NotFoundError):
                await group.write_point("SW-1", "port_1", 1)
            health = group.health("DC-2")
            stats = group.stats()

        assert await first.values("coil", 0, 1) == [True]
        for device_id in group.devices:
            driver = group.poller(device_id).driver
            assert isinstance(driver, ModbusDriver)
            assert not driver.connected

    latest = {(s.device, s.point): s for s in sink.samples}
    assert latest["DC-1", "temperature"].value == pytest.approx(21.5)
    assert latest["DC-2", "temperature"].value == pytest.approx(-10.0)
    assert latest["DC-2", "closed_1"].value is True
    assert all(s.quality is Quality.GOOD for s in sink.samples)
    assert health.status is ONLINE
    assert health.last_good is not None
    assert stats.devices == 2
    assert stats.polls >= 2
    assert stats.requests >= 3 * 2
    assert stats.samples >= 3 * 2
    assert stats.lateness_p50_s is not None
    with pytest.raises(NotFoundError):
        group.health("SW-1")


async def test_a_device_that_goes_away_is_offline_once_and_comes_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="drivers")
    sink = RecordingSink()
    server = door_server(215)
    await server.start()
    group = PollerGroup(make_site([controller("DC-1", server.port)]), sink, policy=FAST)
    poller = group.poller("DC-1")

    try:
        async with group:
            await sink.wait_for(lambda: online(sink, "DC-1"))
            await server.stop()
            await sink.wait_for(lambda: OFFLINE in sink.statuses())
            failed_before = poller.stats.failed_connects
            await wait_until(lambda: poller.stats.failed_connects >= failed_before + 3)
            await server.start()
            await sink.wait_for(lambda: sink.statuses() == [ONLINE, OFFLINE, ONLINE])
    finally:
        await server.stop()

    offline_marks = [s for s in sink.samples if s.quality is Quality.BAD]
    assert sorted(s.point for s in offline_marks) == [
        "closed_1",
        "lock_1",
        "temperature",
    ]
    assert {s.reason for s in offline_marks} == {"offline: connection refused"}
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.name == "drivers.poller" and r.levelno == logging.WARNING
    ]
    infos = [
        r.getMessage()
        for r in caplog.records
        if r.name == "drivers.poller" and r.levelno == logging.INFO
    ]
    assert len(warnings) == 1
    assert warnings[0].startswith("DC-1 offline after 2 failed attempts")
    assert re.search(r"; retrying in 0\.0[45]\d? s$", warnings[0]), warnings[0]
    assert len(infos) == 1
    assert infos[0].startswith("DC-1 back online after")


async def test_other_protocols_plug_in_by_factory() -> None:
    sink = RecordingSink()
    made: list[ScriptedDriver] = []

    def fake_opcua(device: Device, site: LoadedSite) -> DeviceDriver:
        driver = ScriptedDriver(device.id, FakeClock(), polls=["good"])
        made.append(driver)
        return driver

    site = make_site([other("PIDS-1", Protocol.OPCUA), controller("DC-1", 1)])
    group = PollerGroup(site, sink, factories={Protocol.OPCUA: fake_opcua})

    async with group:
        await sink.wait_for(lambda: online(sink, "PIDS-1"))
        await group.write_point("PIDS-1", "zone_1", "armed")

    assert group.devices == ("PIDS-1",)
    assert made[0].writes == [("zone_1", "armed")]
    assert made[0].closed == 1
    assert sink.statuses("PIDS-1") == [ONLINE]


async def test_run_stops_cleanly_when_cancelled() -> None:
    sink = RecordingSink()
    async with door_server(1) as server:
        group = PollerGroup(make_site([controller("DC-1", server.port)]), sink)
        task = asyncio.create_task(group.run())
        await sink.wait_for(lambda: online(sink, "DC-1"))

        task.cancel()
        await asyncio.wait([task], timeout=5)

    assert task.cancelled()
    driver = group.poller("DC-1").driver
    assert isinstance(driver, ModbusDriver)
    assert not driver.connected


async def test_a_group_with_nothing_to_poll_waits_to_be_stopped() -> None:
    group = PollerGroup(
        make_site([other("SW-1", Protocol.SNMP)]),
        RecordingSink(),
        factories=MODBUS_ONLY,
    )
    task = asyncio.create_task(group.run())

    done, _ = await asyncio.wait([task], timeout=0.05)
    task.cancel()
    await asyncio.wait([task], timeout=5)

    assert not done
    assert task.cancelled()


def test_modbus_factory_uses_the_profile_the_site_names() -> None:
    site = make_site([controller("DC-1", 1502)])

    driver = create_driver(site.device("DC-1"), site)

    assert driver.point_names == ("lock_1", "closed_1", "temperature")
