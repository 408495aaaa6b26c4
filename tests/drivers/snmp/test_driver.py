"""The SNMP driver end to end: real UDP on loopback, simulated switches, and one
fake clock shared by the switch and the driver so rates come out exact."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from drivers.errors import NotWritableError, RequestTimeout
from drivers.group import PollerGroup
from drivers.snmp import oids
from drivers.snmp.driver import SnmpDriver
from drivers.snmp.security import SnmpCredentials
from simulators.snmp import SwitchSimulator, start_switch_simulator
from simulators.snmp_site import start_snmp_network
from simulators.snmp_switch import SwitchModel
from tests.drivers.snmp.switches import USER, FakeClock, RecordingSink, switch
from topology.loader import LoadedSite, with_endpoints
from topology.sample import Quality, Sample
from topology.site import Device, DeviceKind, Endpoint, Protocol, SiteFile

WRAP = 1 << 32


def device(address: tuple[str, int], timeout_s: float = 0.5) -> Device:
    return Device(
        id="SW-A",
        kind=DeviceKind.SWITCH,
        protocol=Protocol.SNMP,
        endpoint=Endpoint(host=address[0], port=address[1]),
        timeout_s=timeout_s,
    )


def values(samples: Sequence[Sample]) -> dict[str, object]:
    assert all(s.quality is Quality.GOOD for s in samples)
    assert all(s.device == "SW-A" for s in samples)
    return {s.point: s.value for s in samples}


@asynccontextmanager
async def polled(
    model: SwitchModel,
    clock: FakeClock,
    credentials: SnmpCredentials | None = None,
    **options: object,
) -> AsyncIterator[tuple[SwitchSimulator, SnmpDriver]]:
    async with (
        asyncio.timeout(15),
        start_switch_simulator(model, users=[USER], **options) as sim,  # type: ignore[arg-type]
    ):
        driver = SnmpDriver(
            device(sim.address),
            credentials or SnmpCredentials.v2c("public"),
            clock=clock,
            retries=0,
        )
        await driver.connect()
        try:
            yield sim, driver
        finally:
            await driver.close()


async def test_first_poll_reads_system_and_interfaces() -> None:
    clock = FakeClock()
    model = switch(ports=3, clock=clock)
    model.port("Gi1/0/3").mac = bytes.fromhex("001a2b3c4d5e")
    model.port("Gi1/0/3").alias = "DC-A1 door controller"
    async with polled(model, clock) as (sim, driver):
        await sim.set_link("Gi1/0/2", False)
        clock.advance(12.5)
        got = values(await driver.poll())

    assert got["sys.name"] == "SW-A"
    assert got["sys.descr"] == "Warden simulated access switch"
    assert got["sys.uptime_s"] == pytest.approx(12.5)
    assert got["if.Gi1/0/1.oper_status"] == "up"
    assert got["if.Gi1/0/2.oper_status"] == "down"
    assert got["if.Gi1/0/2.admin_status"] == "up"
    assert got["if.Gi1/0/3.mac"] == "00:1a:2b:3c:4d:5e"
    assert got["if.Gi1/0/3.alias"] == "DC-A1 door controller"
    assert got["if.Gi1/0/3.speed_bps"] == 1_000_000_000
    assert got["if.Gi1/0/3.index"] == 3
    assert got["if.Gi1/0/3.in_octets"] == 3000 * 12.5
    assert not any(point.endswith("_rate") for point in got)
    assert driver.interface_name(2) == "Gi1/0/2"
    assert set(driver.point_names) == set(got)


async def test_rates_across_a_counter32_wrap() -> None:
    clock = FakeClock()
    # No 64-bit counters, and port 1 counting from 1500 octets below the wrap.
    model = switch(ports=1, clock=clock, high_capacity=False)
    model.port("Gi1/0/1").counter_offset = WRAP - 1500
    async with polled(model, clock) as (_, driver):
        first = values(await driver.poll())
        clock.advance(2.0)
        second = values(await driver.poll())
        clock.advance(2.0)
        third = values(await driver.poll())

    assert first["if.Gi1/0/1.in_octets"] == WRAP - 1500
    assert second["if.Gi1/0/1.in_octets"] == 500
    assert second["if.Gi1/0/1.in_octets_rate"] == pytest.approx(1000.0)
    assert third["if.Gi1/0/1.in_octets_rate"] == pytest.approx(1000.0)
    assert third["if.Gi1/0/1.out_octets_rate"] == pytest.approx(10.0)


async def test_reboot_gives_no_false_rate() -> None:
    clock = FakeClock()
    async with polled(switch(ports=2, clock=clock), clock) as (sim, driver):
        clock.advance(100.0)
        await driver.poll()
        clock.advance(10.0)
        before = values(await driver.poll())

        await sim.reboot()
        clock.advance(5.0)
        after = values(await driver.poll())
        clock.advance(5.0)
        later = values(await driver.poll())

    assert before["if.Gi1/0/2.in_octets_rate"] == pytest.approx(2000.0)
    assert after["sys.restart"] == "detected"
    assert after["sys.uptime_s"] == pytest.approx(5.0)
    assert after["if.Gi1/0/2.in_octets"] == 10_000
    assert not any(point.endswith("_rate") for point in after)
    assert "sys.restart" not in later
    assert later["if.Gi1/0/2.in_octets_rate"] == pytest.approx(2000.0)


async def test_uptime_wrap_after_497_days_is_not_a_restart() -> None:
    clock = FakeClock()
    model = switch(ports=1, clock=clock, uptime_offset_ticks=WRAP - 300)
    async with polled(model, clock) as (_, driver):
        first = values(await driver.poll())
        clock.advance(10.0)
        second = values(await driver.poll())

    assert first["sys.uptime_s"] == pytest.approx((WRAP - 300) / 100)
    assert second["sys.uptime_s"] == pytest.approx(7.0)
    assert "sys.restart" not in second
    assert second["if.Gi1/0/1.in_octets_rate"] == pytest.approx(1000.0)


async def test_v3_poll() -> None:
    clock = FakeClock()
    v3 = SnmpCredentials.v3(
        "warden",
        auth_protocol="sha",
        auth_key="auth-secret-1",
        priv_protocol="aes",
        priv_key="priv-secret-1",
    )
    async with polled(switch(ports=2, clock=clock), clock, v3) as (sim, driver):
        got = values(await driver.poll())
        engine_id = driver.engine_id

    assert got["if.Gi1/0/2.oper_status"] == "up"
    assert engine_id == sim.engine_id


async def test_looping_agent_gives_bad_interface_samples() -> None:
    clock = FakeClock()
    model = switch(ports=4, clock=clock)
    async with polled(model, clock, loop_at=(*oids.IF_OPER_STATUS, 2)) as (_, driver):
        samples = await driver.poll()

    good = {s.point: s.value for s in samples if s.quality is Quality.GOOD}
    bad = {s.point: s.reason for s in samples if s.quality is Quality.BAD}
    assert good["sys.name"] == "SW-A"
    assert bad  # every known interface point is marked, with the reason
    assert set(bad.values()) == {"OID not increasing"}


async def test_silent_agent_raises_timeout_and_writes_are_refused() -> None:
    clock = FakeClock()
    async with polled(switch(ports=1, clock=clock), clock) as (sim, driver):
        await sim.power_off()
        with pytest.raises(RequestTimeout):
            await driver.poll()
        with pytest.raises(NotWritableError):
            await driver.write("if.Gi1/0/1.admin_status", "down")


async def test_poller_group_drives_switches_of_a_site() -> None:
    site = LoadedSite(
        path=Path("site.yaml"),
        site=SiteFile.model_validate(
            {
                "site": {"id": "t", "name": "t"},
                "devices": [
                    {
                        "id": name,
                        "kind": "switch",
                        "protocol": "snmp",
                        "endpoint": {"port": 0},
                        "poll_interval_s": 0.2,
                        "snmp": {
                            "version": "v2c",
                            "community_env": "TEST_SNMP_COMMUNITY",
                        },
                    }
                    for name in ("SW-A", "SW-B")
                ],
                "links": [{"a": "SW-A/Gi1/0/1", "b": "SW-B/Gi1/0/24"}],
            }
        ),
        profiles={},
        graph=None,
    )
    environ = {"TEST_SNMP_COMMUNITY": "lab-secret"}
    sink = RecordingSink()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TEST_SNMP_COMMUNITY", "lab-secret")
        async with (
            asyncio.timeout(15),
            start_snmp_network(site.site, environ=environ) as network,
        ):
            group = PollerGroup(with_endpoints(site, network.endpoints), sink)
            async with group:
                await sink.wait_for("SW-A", "if.Gi1/0/1.oper_status", "up")
                await network.cut("SW-A", "SW-B")
                await sink.wait_for("SW-B", "if.Gi1/0/24.oper_status", "down")
                drivers = [group.poller(d).driver for d in ("SW-A", "SW-B")]

    assert all(isinstance(driver, SnmpDriver) for driver in drivers)
    # Both drivers shared one pysnmp engine, closed with the last of them.
    clients = [driver.client for driver in drivers]  # type: ignore[attr-defined]
    assert clients[0]._engines is clients[1]._engines
    assert clients[0]._engines._engines == {}
