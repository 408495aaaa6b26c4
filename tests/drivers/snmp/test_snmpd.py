"""The SNMP driver and trap receiver against Debian's net-snmp agent.

Skipped, with the reason, when ``snmpd`` is not installed.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from drivers.snmp import oids
from drivers.snmp.client import SnmpClient
from drivers.snmp.driver import SnmpDriver
from drivers.snmp.security import SnmpCredentials
from drivers.snmp.traps import TrapEvent, TrapReceiver
from tests.drivers.snmp.snmpd import COMMUNITY, V3_USERS, Snmpd, running_snmpd
from tests.drivers.snmp.switches import RecordingSink
from topology.sample import Quality
from topology.site import Device, DeviceKind, Endpoint, Protocol

NET_SNMP_TO_OURS = {"SHA": "sha", "SHA-256": "sha256", "AES": "aes"}


def v3(user: str) -> SnmpCredentials:
    auth, auth_key, priv, priv_key = V3_USERS[user]
    return SnmpCredentials.v3(
        user,
        auth_protocol=NET_SNMP_TO_OURS[auth],
        auth_key=auth_key,
        priv_protocol=NET_SNMP_TO_OURS[priv],
        priv_key=priv_key,
    )


def device(agent: Snmpd) -> Device:
    return Device(
        id="HOST",
        kind=DeviceKind.SERVER,
        protocol=Protocol.SNMP,
        endpoint=Endpoint(host="127.0.0.1", port=agent.port),
        timeout_s=1.0,
    )


async def net_snmp_walk(agent: Snmpd, oid: str) -> dict[str, str]:
    """``snmpbulkwalk`` of ``oid``: values by numeric OID, as net-snmp prints them."""
    process = await asyncio.create_subprocess_exec(
        "snmpbulkwalk",
        "-v2c",
        "-c",
        COMMUNITY,
        "-On",
        "-Oq",
        "-Ov" if False else "-Oe",
        f"127.0.0.1:{agent.port}",
        oid,
        env=agent.env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    found = {}
    for line in out.decode().splitlines():
        name, _, value = line.partition(" ")
        found[name.lstrip(".")] = value.strip('"')
    return found


@pytest.mark.parametrize(
    "credentials",
    [SnmpCredentials.v2c(COMMUNITY), v3("warden"), v3("warden256")],
    ids=["v2c", "v3-sha-aes", "v3-sha256-aes"],
)
async def test_poll_net_snmp(tmp_path: Path, credentials: SnmpCredentials) -> None:
    async with asyncio.timeout(20), running_snmpd(tmp_path) as agent:
        driver = SnmpDriver(device(agent), credentials)
        try:
            samples = await driver.poll()
        finally:
            await driver.close()

    good = {s.point: s.value for s in samples if s.quality is Quality.GOOD}
    assert good["sys.name"] == "warden-snmpd"
    assert good["if.lo.oper_status"] == "up"
    assert good["if.lo.admin_status"] == "up"
    assert isinstance(good["if.lo.in_octets"], int)
    assert isinstance(good["sys.uptime_s"], float)


async def test_walk_matches_snmpbulkwalk(tmp_path: Path) -> None:
    async with asyncio.timeout(20), running_snmpd(tmp_path) as agent:
        client = SnmpClient(
            "127.0.0.1", agent.port, SnmpCredentials.v2c(COMMUNITY), max_repetitions=2
        )
        try:
            table = await client.walk([oids.IF_DESCR, oids.IF_NAME, oids.IF_TYPE])
        finally:
            await client.close()
        expected_names = await net_snmp_walk(agent, "1.3.6.1.2.1.31.1.1.1.1")
        expected_types = await net_snmp_walk(agent, "1.3.6.1.2.1.2.2.1.3")

    names = {
        f"1.3.6.1.2.1.31.1.1.1.1.{index[0]}": value.decode()  # type: ignore[union-attr]
        for index, value in table[oids.IF_NAME].items()
    }
    types = {
        f"1.3.6.1.2.1.2.2.1.3.{index[0]}": str(value)
        for index, value in table[oids.IF_TYPE].items()
    }
    assert names == expected_names
    assert types == expected_types
    assert "lo" in names.values()


async def test_restart_is_detected_and_v3_still_works(tmp_path: Path) -> None:
    async with asyncio.timeout(30), running_snmpd(tmp_path) as agent:
        driver = SnmpDriver(device(agent), v3("warden"), retries=0)
        try:
            first = {s.point: s.value for s in await driver.poll()}
            engine_before = driver.engine_id
            # Wait until the agent has been up for a second, so that the
            # restarted agent's sysUpTime is clearly lower.
            while first["sys.uptime_s"] < 1.5:  # type: ignore[operator]
                await asyncio.sleep(0.25)
                first = {s.point: s.value for s in await driver.poll()}
            await agent.restart()
            after = {s.point: s.value for s in await driver.poll()}
            engine_after = driver.engine_id
        finally:
            await driver.close()

    assert after["sys.restart"] == "detected"
    assert not any(point.endswith("_rate") for point in after)
    assert engine_before is not None
    assert engine_after == engine_before


async def test_cold_start_traps_v2c_and_v3(tmp_path: Path) -> None:
    sink = RecordingSink()
    events: asyncio.Queue[TrapEvent] = asyncio.Queue()
    receiver = TrapReceiver(sink, communities=["traps"], on_trap=events.put_nowait)
    host, port = await receiver.start()
    auth, auth_key, priv, priv_key = V3_USERS["warden"]
    trap_lines = [
        f"trap2sink {host}:{port} traps",
        f"trapsess -v 3 -u warden -l authPriv -a {auth} -A {auth_key} "
        f"-x {priv} -X {priv_key} {host}:{port}",
    ]
    try:
        async with asyncio.timeout(30), running_snmpd(tmp_path, trap_lines) as agent:
            receiver.add_device("HOST", "127.0.0.1")
            # The v2c coldStart of the first start may beat add_device; the v3
            # one needs the engine id, learnt by polling. Restart for both.
            driver = SnmpDriver(device(agent), v3("warden"))
            try:
                await driver.poll()
                engine_id = driver.engine_id
            finally:
                await driver.close()
            assert engine_id is not None
            receiver.add_v3_engine("HOST", engine_id, v3("warden"))
            while not events.empty():
                events.get_nowait()

            await agent.restart()
            # snmpd also announces its shutdown (an enterprise trap, "other").
            cold_starts = 0
            while cold_starts < 2:
                event = await events.get()
                assert event.device == "HOST"
                cold_starts += event.kind == "cold_start"
    finally:
        await receiver.stop()

    restarts = [s for s in sink.samples if s.point == "sys.restart"]
    assert {s.device for s in restarts} == {"HOST"}
