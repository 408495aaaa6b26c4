from __future__ import annotations

import asyncio
import time

import pytest

from simulators.errors import FaultError, UnknownDeviceError, UnknownDoorError
from simulators.world import HEALTHY, Fault, World, WorldChange
from topology.loader import LoadedSite


def make_world() -> World:
    return World(["D-1", "D-2"], ["DC-1"])


def test_world_from_site_holds_every_door_and_device(site: LoadedSite) -> None:
    world = World.from_site(site.site)

    assert sorted(world.doors) == ["D-1", "D-2", "D-3"]
    assert sorted(world.devices) == ["DC-1", "DC-2", "SW-1"]
    assert world.door("D-1").open is False
    assert world.door("D-1").locked is True
    assert world.device("DC-1").running is False


def test_changes_are_numbered_timestamped_and_only_made_once() -> None:
    world = make_world()
    before = time.time()

    opened = world.open_door("D-1")
    again = world.open_door("D-1")
    closed = world.close_door("D-1")

    assert opened is not None and closed is not None
    assert again is None
    assert (opened.seq, closed.seq) == (1, 2)
    assert before <= opened.time <= closed.time <= time.time()
    assert (opened.kind, opened.target, opened.attribute, opened.value) == (
        "door",
        "D-1",
        "open",
        True,
    )
    assert world.door("D-1").changed_at == closed.time
    assert world.history(after_seq=1) == [closed]


def test_snapshots_do_not_change_under_the_holder() -> None:
    world = make_world()
    snapshot = world.door("D-2")

    world.set_relay("D-2", False)
    world.set_tamper("D-2", True)

    assert snapshot.locked is True and snapshot.tamper is False
    assert world.door("D-2").locked is False and world.door("D-2").tamper is True


def test_listeners_see_each_change_after_it_is_applied() -> None:
    world = make_world()
    seen: list[tuple[WorldChange, bool]] = []

    def listener(change: WorldChange) -> None:
        seen.append((change, world.door("D-1").open))

    def broken(change: WorldChange) -> None:
        raise RuntimeError("listener bug")

    world.add_listener(broken)
    remove = world.add_listener(listener)
    world.open_door("D-1")
    remove()
    world.close_door("D-1")

    assert [(c.attribute, c.value, state) for c, state in seen] == [
        ("open", True, True)
    ]


async def test_wait_for_returns_the_first_matching_change() -> None:
    world = make_world()
    start = world.last_seq

    async def act() -> None:
        await asyncio.sleep(0)
        world.open_door("D-2")
        world.set_tamper("D-1", True)

    async with asyncio.timeout(2), asyncio.TaskGroup() as group:
        group.create_task(act())
        change = await world.wait_for(
            lambda c: c.attribute == "tamper", after_seq=start
        )

    assert (change.target, change.seq) == ("D-1", 2)


async def test_request_to_exit_press_releases_by_itself() -> None:
    world = make_world()

    pressed = world.press_request_to_exit("D-1", hold_s=0.05)
    async with asyncio.timeout(2):
        released = await world.wait_for(
            lambda c: c.attribute == "request_to_exit" and c.value is False
        )

    assert pressed is not None and pressed.value is True
    assert released.time - pressed.time >= 0.04
    assert world.door("D-1").request_to_exit is False


async def test_close_cancels_a_pending_release() -> None:
    world = make_world()

    world.press_request_to_exit("D-1", hold_s=0.01)
    world.close()
    await asyncio.sleep(0.05)  # longer than the hold: the release must not come

    assert world.door("D-1").request_to_exit is True


def test_device_state_records_running_fault_and_point_values() -> None:
    world = make_world()

    started = world.record_running("DC-1", True)
    world.set_fault("DC-1", Fault(delay_ms=100))
    world.set_point_value("DC-1", "supply_voltage", 19.5)
    unchanged = world.set_point_value("DC-1", "supply_voltage", 19.5)

    state = world.device("DC-1")
    assert started is not None and state.started_at == started.time
    assert state.running is True
    assert state.fault == Fault(delay_ms=100)
    assert state.values == {"supply_voltage": 19.5}
    assert unchanged is None
    assert [c.attribute for c in world.history()] == [
        "running",
        "fault",
        "point:supply_voltage",
    ]


def test_unknown_ids_are_named() -> None:
    world = make_world()

    with pytest.raises(UnknownDoorError, match="'D-9'"):
        world.open_door("D-9")
    with pytest.raises(UnknownDeviceError, match="'DC-9'"):
        world.set_fault("DC-9", HEALTHY)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"delay_ms": -1}, "delay_ms"),
        ({"exception_code": 0}, "exception_code"),
        ({"exception_code": 256}, "exception_code"),
    ],
)
def test_fault_values_are_checked(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(FaultError, match=message):
        Fault(**kwargs)


def test_healthy_fault() -> None:
    assert Fault().is_healthy
    assert not Fault(garbage=True).is_healthy


def test_targeted_listeners_hear_only_their_doors_and_devices() -> None:
    world = make_world()
    heard: list[str] = []

    remove = world.add_listener(lambda c: heard.append(c.target), ["D-2", "DC-1"])
    world.open_door("D-1")
    world.open_door("D-2")
    world.set_fault("DC-1", Fault(garbage=True))
    remove()
    world.close_door("D-2")

    assert heard == ["D-2", "DC-1"]
