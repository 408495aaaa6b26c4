"""The control interface over real HTTP on loopback, through httpx."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from simulators.control import serve_control
from simulators.runner import SimulatorSet
from simulators.world import Fault
from tests.simulators.conftest import modbus_client


@pytest.fixture
async def http(sims: SimulatorSet) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        serve_control(sims) as control,
        httpx.AsyncClient(base_url=control.url, timeout=5) as client,
    ):
        yield client


async def test_world_lists_doors_and_devices(http: httpx.AsyncClient) -> None:
    response = await http.get("/world")

    body = response.json()
    assert response.status_code == 200
    assert body["site"] == "test-site"
    assert [door["id"] for door in body["doors"]] == ["D-1", "D-2", "D-3"]
    devices = {device["id"]: device for device in body["devices"]}
    assert devices["DC-1"]["running"] is True
    assert devices["DC-1"]["endpoint"]["port"] > 0
    assert devices["SW-1"]["simulated"] is False
    assert devices["SW-1"]["endpoint"] is None


async def test_doors_move_through_the_interface(
    http: httpx.AsyncClient, sims: SimulatorSet
) -> None:
    opened = await http.post("/doors/D-1/open")
    tampered = await http.post("/doors/D-1/tamper", params={"on": "true"})
    pressed = await http.post("/doors/D-2/request-to-exit", params={"hold_s": 30})
    closed = await http.post("/doors/D-1/close")
    restored = await http.post("/doors/D-1/tamper", params={"on": "false"})

    assert opened.json()["open"] is True
    assert tampered.json()["tamper"] is True
    assert pressed.json()["request_to_exit"] is True
    assert closed.json()["open"] is False
    assert restored.json()["tamper"] is False
    changes = (await http.get("/changes")).json()
    assert [(c["target"], c["attribute"], c["value"]) for c in changes][-5:] == [
        ("D-1", "open", True),
        ("D-1", "tamper", True),
        ("D-2", "request_to_exit", True),
        ("D-1", "open", False),
        ("D-1", "tamper", False),
    ]


async def test_an_opened_door_reads_open_over_modbus(
    http: httpx.AsyncClient, sims: SimulatorSet
) -> None:
    await http.post("/doors/D-3/open")

    async with modbus_client(sims.endpoints["DC-2"]) as client:
        contact = await client.read_discrete_inputs(0, count=1, device_id=3)

    assert contact.bits[0] is False


async def test_devices_stop_start_and_take_faults(
    http: httpx.AsyncClient, sims: SimulatorSet
) -> None:
    stopped = await http.post("/devices/DC-1/stop")
    started = await http.post("/devices/DC-1/start")
    faulty = await http.post(
        "/devices/DC-1/fault", json={"delay_ms": 250, "exception_code": 11}
    )
    fault_while_set = sims.world.device("DC-1").fault
    healthy = await http.post("/devices/DC-1/fault", json={})

    assert stopped.json()["running"] is False
    assert started.json()["running"] is True
    assert faulty.json()["fault"] == {
        "delay_ms": 250,
        "exception_code": 11,
        "garbage": False,
    }
    assert fault_while_set == Fault(delay_ms=250, exception_code=0x0B)
    assert healthy.json()["fault"]["exception_code"] is None
    assert sims.world.device("DC-1").fault.is_healthy


@pytest.mark.parametrize(
    ("method", "path", "fragment"),
    [
        ("post", "/doors/D-404/open", "no door 'D-404'"),
        ("get", "/doors/D-404", "no door 'D-404'"),
        ("post", "/devices/DC-404/stop", "no device 'DC-404'"),
        ("post", "/devices/SW-1/stop", "no device 'SW-1' simulated here"),
    ],
)
async def test_unknown_ids_answer_404_naming_them(
    http: httpx.AsyncClient, method: str, path: str, fragment: str
) -> None:
    response = await http.request(method, path)

    assert response.status_code == 404
    assert fragment in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"delay_ms": -5}, "delay_ms"),
        ({"exception_code": 0}, "exception_code"),
        ({"garbage": "very"}, "garbage"),
        ({"slow": True}, "slow"),
    ],
)
async def test_bad_fault_bodies_answer_422_naming_the_field(
    http: httpx.AsyncClient, body: dict[str, object], field: str
) -> None:
    response = await http.post("/devices/DC-1/fault", json=body)

    assert response.status_code == 422
    assert field in str(response.json()["detail"])


async def test_a_code_modbus_lacks_answers_422(http: httpx.AsyncClient) -> None:
    response = await http.post("/devices/DC-1/fault", json={"exception_code": 9})

    assert response.status_code == 422
    assert "0x09 is not a Modbus" in response.json()["detail"]


async def test_bad_query_values_answer_422(http: httpx.AsyncClient) -> None:
    tamper = await http.post("/doors/D-1/tamper", params={"on": "maybe"})
    hold = await http.post("/doors/D-1/request-to-exit", params={"hold_s": 0})

    assert (tamper.status_code, hold.status_code) == (422, 422)
