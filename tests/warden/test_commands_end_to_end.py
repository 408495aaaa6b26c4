"""Door commands from the API to the controller over real Modbus TCP, the
interlock of a sally port, and alarms acknowledged by an operator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.warden.facility import (
    OPERATOR_TOKEN,
    VIEWER_TOKEN,
    Facility,
    running_facility,
)

CELL = "D-A1-01"
OUTER, INNER = "D-GH-PED-OUTER", "D-GH-PED-INNER"  # pedestrian sally port


@pytest.fixture
async def facility(tmp_path: Path) -> AsyncIterator[Facility]:
    async with running_facility(tmp_path) as running:
        for door in (CELL, OUTER, INNER):
            await running.wait_door(door, "secure", timeout_s=10)
        yield running


async def test_unlock_command_reaches_the_relay_and_converges(
    facility: Facility,
) -> None:
    response = await facility.command(CELL, "unlock")

    assert response.status_code == 202, response.text
    command = response.json()
    assert (command["device"], command["point"], command["value"]) == (
        "DC-A1",
        "door01_relay",
        True,  # inverted binding: energising the relay releases the lock
    )
    await facility.wait_door(CELL, "unlocked", timeout_s=2)
    assert facility.sims.world.door(CELL).locked is False

    async def converged() -> bool:
        log = await facility.get("/api/v1/commands")
        return bool(log[0]["id"] == command["id"] and log[0]["outcome"] == "converged")

    await facility.wait_for(converged, 2, "command converged")
    door = await facility.door(CELL)
    assert (door["state"]["desired_locked"], door["state"]["converged"]) == (
        False,
        True,
    )


async def test_sally_port_interlock_refuses_the_second_door(facility: Facility) -> None:
    assert (await facility.command(OUTER, "unlock")).status_code == 202
    await facility.wait_door(OUTER, "unlocked", timeout_s=2)

    refused = await facility.command(INNER, "unlock")

    assert refused.status_code == 409
    assert OUTER in refused.json()["detail"]
    assert facility.sims.world.door(INNER).locked is True
    log = await facility.get("/api/v1/commands")
    assert log[0]["door"] == INNER and log[0]["outcome"] == "refused"


async def test_commands_need_an_operator_token(facility: Facility) -> None:
    anonymous = await facility.http.post(
        f"/api/v1/doors/{CELL}/commands", json={"action": "unlock"}
    )
    viewer = await facility.command(CELL, "unlock", token=VIEWER_TOKEN)
    wrong = await facility.command(CELL, "unlock", token="x" * 32)
    bad_action = await facility.http.post(
        f"/api/v1/doors/{CELL}/commands",
        json={"action": "explode"},
        headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
    )
    unknown = await facility.command("D-NOWHERE", "unlock")

    assert (anonymous.status_code, viewer.status_code, wrong.status_code) == (
        401,
        403,
        401,
    )
    assert bad_action.status_code == 422
    assert unknown.status_code == 404
    assert facility.sims.world.door(CELL).locked is True


async def test_forced_door_alarm_is_listed_until_acknowledged(
    facility: Facility,
) -> None:
    facility.sims.world.open_door(CELL)
    await facility.wait_door(CELL, "forced_open", timeout_s=2)
    facility.sims.world.close_door(CELL)
    await facility.wait_door(CELL, "secure", timeout_s=2)

    alarms = await facility.get("/api/v1/alarms")
    forced = next(a for a in alarms if a["node"] == CELL)
    assert forced["type"] == "forced_open" and forced["severity"] == "critical"
    assert forced["active"] is False and forced["acknowledged_by"] is None

    ack = await facility.http.post(
        f"/api/v1/alarms/{forced['id']}/acknowledge",
        json={"note": "officer checked the cell"},
        headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
    )
    again = await facility.http.post(
        f"/api/v1/alarms/{forced['id']}/acknowledge",
        json={},
        headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
    )

    assert ack.status_code == 200 and ack.json()["acknowledged_by"] == "night-operator"
    assert again.status_code == 409
    assert all(a["id"] != forced["id"] for a in await facility.get("/api/v1/alarms"))
