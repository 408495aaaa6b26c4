"""The SNMP client over real UDP on loopback, against the simulated switch."""

from __future__ import annotations

import asyncio

import pytest

from drivers.errors import RequestTimeout
from drivers.snmp import oids
from drivers.snmp.client import SnmpClient, SnmpEngines
from drivers.snmp.codec import Absent
from drivers.snmp.errors import OidNotIncreasingError, SnmpSecurityError
from drivers.snmp.security import SnmpCredentials
from simulators.snmp import engine_id_for, start_switch_simulator
from tests.drivers.snmp.switches import USER, switch

V2C = SnmpCredentials.v2c("public")
V3 = SnmpCredentials.v3(
    "warden",
    auth_protocol="sha",
    auth_key="auth-secret-1",
    priv_protocol="aes",
    priv_key="priv-secret-1",
)


@pytest.mark.parametrize("credentials", [V2C, V3], ids=["v2c", "v3-authPriv"])
async def test_get_and_walk(credentials: SnmpCredentials) -> None:
    async with (
        asyncio.timeout(10),
        start_switch_simulator(switch(ports=30), users=[USER]) as sim,
    ):
        client = SnmpClient(*sim.address, credentials, timeout_s=0.5, max_repetitions=7)
        try:
            got = await client.get(
                [oids.SYS_NAME, oids.SYS_UPTIME, (1, 3, 6, 1, 2, 1, 1, 9, 0)]
            )
            table = await client.walk(
                [oids.IF_NAME, oids.IF_OPER_STATUS, oids.IF_HC_IN_OCTETS]
            )
        finally:
            await client.close()

    assert got[oids.SYS_NAME] == b"SW-A"
    assert isinstance(got[oids.SYS_UPTIME], int)
    assert got[(1, 3, 6, 1, 2, 1, 1, 9, 0)] is Absent.NO_SUCH_INSTANCE
    assert table[oids.IF_NAME] == {(i,): f"Gi1/0/{i}".encode() for i in range(1, 31)}
    assert set(table[oids.IF_OPER_STATUS].values()) == {1}
    assert len(table[oids.IF_HC_IN_OCTETS]) == 30
    # 30 rows at 7 per request, with 3 columns side by side: 5 GETBULKs + 1 GET.
    assert client.requests == 6


async def test_walk_of_a_missing_column_is_empty() -> None:
    async with asyncio.timeout(10), start_switch_simulator(switch(ports=2)) as sim:
        client = SnmpClient(*sim.address, V2C, timeout_s=0.5)
        try:
            table = await client.walk([(1, 3, 6, 1, 2, 1, 99), oids.IF_NAME])
        finally:
            await client.close()

    assert table[(1, 3, 6, 1, 2, 1, 99)] == {}
    assert len(table[oids.IF_NAME]) == 2


async def test_looping_agent_stops_with_a_typed_error() -> None:
    loop_at = (*oids.IF_OPER_STATUS, 3)
    async with (
        asyncio.timeout(10),
        start_switch_simulator(switch(ports=6), loop_at=loop_at) as sim,
    ):
        client = SnmpClient(*sim.address, V2C, timeout_s=0.5, max_repetitions=2)
        try:
            with pytest.raises(OidNotIncreasingError, match=r"2\.2\.1\.8\.3"):
                await client.walk([oids.IF_OPER_STATUS])
        finally:
            await client.close()


async def test_wrong_community_times_out() -> None:
    async with asyncio.timeout(10), start_switch_simulator(switch(ports=1)) as sim:
        client = SnmpClient(
            *sim.address, SnmpCredentials.v2c("wrong"), timeout_s=0.2, retries=1
        )
        try:
            with pytest.raises(RequestTimeout):
                await client.get([oids.SYS_NAME])
        finally:
            await client.close()


async def test_wrong_v3_key_is_a_security_error() -> None:
    wrong = SnmpCredentials.v3(
        "warden",
        auth_protocol="sha",
        auth_key="not-the-key",
        priv_protocol="aes",
        priv_key="priv-secret-1",
    )
    async with (
        asyncio.timeout(10),
        start_switch_simulator(switch(ports=1), users=[USER]) as sim,
    ):
        client = SnmpClient(*sim.address, wrong, timeout_s=0.3, retries=0)
        try:
            with pytest.raises(SnmpSecurityError) as caught:
                await client.get([oids.SYS_NAME])
        finally:
            await client.close()

    assert "digest" in caught.value.reason.lower()


async def test_v3_survives_reboot_and_rediscovers_a_new_engine() -> None:
    engines = SnmpEngines()
    async with (
        asyncio.timeout(20),
        start_switch_simulator(switch(ports=1), users=[USER]) as sim,
    ):
        client = SnmpClient(*sim.address, V3, timeout_s=0.3, retries=0, engines=engines)
        try:
            await client.get([oids.SYS_NAME])
            first_engine = client.peer_engine_id()

            # Same engine id, one more boot, engine time from 0: pysnmp resyncs.
            await sim.reboot()
            assert (await client.get([oids.SYS_NAME]))[oids.SYS_NAME] == b"SW-A"

            # Another engine id on the same address (a replaced switch): the
            # silent request is sent again after discovering the new engine.
            await sim.replace(b"\x80\x00\x1f\x88\x04replacement")
            requests = client.requests
            assert (await client.get([oids.SYS_NAME]))[oids.SYS_NAME] == b"SW-A"
            assert client.requests == requests + 2
            second_engine = client.peer_engine_id()

            # Once it is known dead, a request is not tried twice.
            await sim.power_off()
            with pytest.raises(RequestTimeout):
                await client.get([oids.SYS_NAME])
            requests = client.requests
            with pytest.raises(RequestTimeout):
                await client.get([oids.SYS_NAME])
            assert client.requests == requests + 1
        finally:
            await client.close()
            await engines.close()

    assert first_engine == engine_id_for("SW-A")
    assert second_engine == b"\x80\x00\x1f\x88\x04replacement"
