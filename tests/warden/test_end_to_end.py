"""The main job end to end over real Modbus TCP on loopback: simulated door
controllers, the poller, the store, the twin and the HTTP API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pymodbus.client import AsyncModbusTcpClient

from tests.warden.facility import POLL_S, Facility, running_facility

CELL = "D-A1-01"  # cell door: lock "!DC-A1/door01_relay" (coil 0), bolt, contact
CONTROLLER = "DC-A1"
# Generous bound for "within two poll intervals" on a loaded 2-core CI machine.
TWO_POLLS = 2 * POLL_S + 0.5


@pytest.fixture
async def facility(tmp_path: Path) -> AsyncIterator[Facility]:
    async with running_facility(tmp_path) as running:
        await running.wait_door(CELL, "secure", timeout_s=10)
        yield running


async def write_coil(facility: Facility, address: int, value: bool) -> None:
    """Write a coil the way a third-party tool would: a plain pymodbus client."""
    endpoint = facility.sims.endpoints[CONTROLLER]
    client = AsyncModbusTcpClient(endpoint.host, port=endpoint.port, retries=0)
    try:
        assert await client.connect()
        response = await client.write_coil(address, value, device_id=endpoint.unit_id)
        assert not response.isError()
    finally:
        client.close()


async def test_every_demo_door_becomes_secure(facility: Facility) -> None:
    async def all_secure() -> bool:
        doors = await facility.get("/api/v1/twin/nodes", kind="door")
        return {door["state"]["status"] for door in doors} == {"secure"}

    async def all_online() -> bool:
        devices = await facility.get("/api/v1/devices")
        driven = [d for d in devices if d["protocol"] != "none"]
        return {device["status"] for device in driven} == {"online"}

    await facility.wait_for(all_secure, 10, "every door secure")
    await facility.wait_for(all_online, 10, "every device with a driver online")


async def test_lock_coil_written_by_a_plain_client_shows_in_the_api(
    facility: Facility,
) -> None:
    await write_coil(facility, 0, True)  # energise the relay: the lock releases

    await facility.wait_door(CELL, "unlocked", timeout_s=TWO_POLLS)
    door = await facility.door(CELL)
    assert (door["state"]["locked"], door["state"]["closed"]) == (False, True)

    device = await facility.get(f"/api/v1/devices/{CONTROLLER}")
    relay = next(p for p in device["points"] if p["name"] == "door01_relay")
    assert relay == relay | {"value": True, "quality": "good", "table": "coil"}
    assert (relay["address"], relay["writable"]) == (0, True)

    await write_coil(facility, 0, False)
    await facility.wait_door(CELL, "secure", timeout_s=TWO_POLLS)


async def test_door_opened_while_locked_is_forced_open_and_alarms(
    facility: Facility,
) -> None:
    facility.sims.world.open_door(CELL)

    await facility.wait_door(CELL, "forced_open", timeout_s=TWO_POLLS)
    events = await facility.get("/api/v1/events", limit=1000)
    raised = [e for e in events if e["type"] == "alarm_raised" and e["node"] == CELL]
    assert raised and raised[-1]["new"] == "forced_open"
    cell = await facility.get("/api/v1/twin/nodes/A1-01")
    assert cell["state"]["status"] == "breach"

    facility.sims.world.close_door(CELL)
    await facility.wait_door(CELL, "secure", timeout_s=TWO_POLLS)


async def test_unlocked_then_opened_is_open_not_forced(facility: Facility) -> None:
    await write_coil(facility, 0, True)
    await facility.wait_door(CELL, "unlocked", timeout_s=TWO_POLLS)

    facility.sims.world.open_door(CELL)

    await facility.wait_door(CELL, "open", timeout_s=TWO_POLLS)


async def test_controller_killed_takes_its_doors_offline_then_recovers(
    facility: Facility,
) -> None:
    doors = [
        d.id for d in facility.site.site.doors if d.bindings.locked.device == CONTROLLER
    ]

    await facility.sims.stop_device(CONTROLLER)

    async def all_offline() -> bool:
        states = [(await facility.door(d))["state"]["status"] for d in doors]
        return set(states) == {"offline"}

    await facility.wait_for(all_offline, 10, f"doors of {CONTROLLER} offline")
    device = await facility.get(f"/api/v1/devices/{CONTROLLER}")
    assert device["status"] == "offline"
    assert {p["quality"] for p in device["points"]} == {"bad"}
    unit = await facility.get("/api/v1/twin/nodes/HU-A")
    assert unit["state"]["status"] == "degraded"

    await facility.sims.start_device(CONTROLLER)

    await facility.wait_door(doors[-1], "secure", timeout_s=15)
    device = await facility.get(f"/api/v1/devices/{CONTROLLER}")
    assert device["status"] == "online"


async def test_history_holds_what_was_polled(facility: Facility) -> None:
    await write_coil(facility, 0, True)
    await facility.wait_door(CELL, "unlocked", timeout_s=TWO_POLLS)

    # The bolt input can show the release one poll before the relay coil does
    # (coils and inputs are separate requests), so wait for the relay's sample.
    async def relay_stored() -> bool:
        await facility.platform.store.flush()
        raw = await facility.get(
            "/api/v1/history", device=CONTROLLER, point="door01_relay"
        )
        values = [p["value"] for p in raw["points"]]
        assert values[0] is False
        assert {p["quality"] for p in raw["points"]} == {"good"}
        return bool(values[-1] is True)

    await facility.wait_for(relay_stored, TWO_POLLS, "relay sample in history")

    windows = await facility.get(
        "/api/v1/history",
        device=CONTROLLER,
        point="uptime",
        every="1m",
        aggregate="max",
    )
    assert len(windows["points"]) >= 1 and windows["aggregate"] == "max"
