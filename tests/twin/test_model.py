"""The twin end to end: samples and health in, views and events out."""

from __future__ import annotations

import asyncio

import pytest

from topology.sample import DeviceHealth, DeviceStatus, Quality, Sample, Value
from twin.clock import FakeClock
from twin.events import Event, EventBus, EventType
from twin.model import Twin
from twin.views import Neighbor

from .sites import small_site


class Rig:
    """A twin on the small site with a fake clock, and ways to feed it."""

    def __init__(self) -> None:
        self.clock = FakeClock(start=1_000_000.0)
        self.bus = EventBus()
        self.twin = Twin(small_site(), clock=self.clock, bus=self.bus)
        self.seen = 0

    def feed(
        self,
        device: str,
        quality: Quality = Quality.GOOD,
        reason: str | None = None,
        **values: Value,
    ) -> None:
        now = self.clock.time()
        self.twin.publish_samples(
            [
                Sample(device, point, value, quality, now, now, reason)
                for point, value in values.items()
            ]
        )

    def health(self, device: str, status: DeviceStatus) -> None:
        now = self.clock.time()
        self.twin.publish_health(DeviceHealth(device, status, now, None, 3, "timeout"))

    def settle(self) -> None:
        """Every door closed and locked, every input good."""
        self.feed("DC-1", lock_1=True, door_open_1=False, tamper_1=False, rex_1=False)
        self.feed("DC-1", lock_2=True, closed_2=True)
        self.feed("DC-2", lock_1=True, closed_1=True)
        self.new_events()

    def status(self, node: str) -> object:
        return self.twin.node(node).state["status"]

    def new_events(self) -> list[Event]:
        events = self.bus.recent()
        fresh = [e for e in events if e.seq > self.seen]
        if events:
            self.seen = events[-1].seq
        return fresh


def changes(events: list[Event]) -> list[tuple[str, str, str | None, str | None]]:
    return [(e.type, e.node, e.old, e.new) for e in events]


@pytest.fixture
def rig() -> Rig:
    return Rig()


def test_doors_and_spaces_start_unknown_then_follow_samples(rig: Rig) -> None:
    assert rig.status("D-A1") == "unknown"
    assert rig.twin.node("D-A1").state["since"] is None
    assert rig.status("A") == "unknown"

    rig.feed("DC-1", lock_1=True, door_open_1=False)

    assert rig.status("D-A1") == "secure"
    assert rig.twin.node("D-A1").state["since"] == rig.clock.time()
    assert changes(rig.new_events()) == [
        ("state_changed", "D-A1", "unknown", "secure"),
        ("state_changed", "A-1", "unknown", "secure"),
    ]

    rig.feed("DC-1", lock_2=True, closed_2=True)
    rig.feed("DC-2", lock_1=True, closed_1=True)

    assert rig.status("A") == "secure"
    assert rig.status("site") == "secure"
    assert rig.status("out") == "secure"


def test_inverted_binding_reads_the_contact_the_other_way(rig: Rig) -> None:
    rig.settle()

    rig.feed("DC-1", lock_1=False)
    rig.feed("DC-1", door_open_1=True)

    view = rig.twin.node("D-A1")
    assert view.state["closed"] is False
    assert view.state["status"] == "open"


def test_forced_open_raises_and_clears_an_alarm_and_breaches_spaces(
    rig: Rig,
) -> None:
    rig.settle()

    rig.clock.advance(5)
    rig.feed("DC-1", door_open_1=True)

    events = rig.new_events()
    assert changes(events) == [
        ("state_changed", "D-A1", "secure", "forced_open"),
        ("alarm_raised", "D-A1", None, "forced_open"),
        ("state_changed", "A-1", "secure", "breach"),
        ("state_changed", "A", "secure", "breach"),
        ("state_changed", "site", "secure", "breach"),
        ("state_changed", "A-corr", "secure", "breach"),
    ]
    detail = events[0].detail
    assert detail["inputs"] == {
        "locked": True,
        "closed": False,
        "tamper": False,
        "request_to_exit": False,
    }
    assert detail["points"] == ["!DC-1/door_open_1"]
    assert "opened while locked" in str(detail["cause"])
    assert events[0].time == rig.clock.time()
    assert [e.seq for e in events] == sorted(e.seq for e in events)
    assert rig.twin.node("D-A1").state["alarms"] == ["forced_open"]

    rig.feed("DC-1", door_open_1=False)

    assert changes(rig.new_events()) == [
        ("state_changed", "D-A1", "forced_open", "secure"),
        ("alarm_cleared", "D-A1", "forced_open", None),
        ("state_changed", "A-1", "breach", "secure"),
        ("state_changed", "A", "breach", "secure"),
        ("state_changed", "site", "breach", "secure"),
        ("state_changed", "A-corr", "breach", "secure"),
    ]


def test_request_to_exit_authorises_the_opening(rig: Rig) -> None:
    rig.settle()

    rig.feed("DC-1", rex_1=True)
    rig.feed("DC-1", door_open_1=True)

    assert rig.status("D-A1") == "open"
    assert [e.type for e in rig.new_events()] == ["state_changed"]


def test_one_poll_is_one_snapshot_whatever_the_order_of_its_points(
    rig: Rig,
) -> None:
    rig.settle()
    rig.feed("DC-2", lock_1=False)
    rig.new_events()

    rig.clock.advance(60)
    rig.feed("DC-2", lock_1=True, closed_1=False)

    events = rig.new_events()
    assert changes(events) == [("state_changed", "D-AX", "unlocked", "open")]
    assert events[0].detail["points"] == ["DC-2/lock_1", "DC-2/closed_1"]


def test_held_open_follows_the_clock_through_tick(rig: Rig) -> None:
    rig.settle()
    rig.feed("DC-2", lock_1=False)
    rig.feed("DC-2", closed_1=False)
    rig.feed("DC-2", lock_1=True)
    assert rig.status("D-AX") == "open"
    rig.new_events()

    rig.clock.advance(10)
    rig.twin.tick()
    assert rig.status("D-AX") == "open"
    assert rig.twin.stats()["doors_timed"] == 1

    rig.clock.advance(0.5)
    rig.twin.tick()
    assert rig.status("D-AX") == "held_open"
    assert changes(rig.new_events()) == [
        ("state_changed", "D-AX", "open", "held_open"),
        ("alarm_raised", "D-AX", None, "held_open"),
        ("state_changed", "A-corr", "secure", "breach"),
        ("state_changed", "A", "secure", "breach"),
        ("state_changed", "site", "secure", "breach"),
        ("state_changed", "out", "secure", "breach"),
    ]
    assert rig.twin.stats()["doors_timed"] == 0

    rig.feed("DC-2", closed_1=True)
    assert rig.status("D-AX") == "secure"
    assert ("alarm_cleared", "D-AX", "held_open", None) in changes(rig.new_events())


def test_tamper_is_a_fault_with_an_alarm(rig: Rig) -> None:
    rig.settle()

    rig.feed("DC-1", tamper_1=True)

    assert rig.status("D-A1") == "fault"
    assert rig.status("A-1") == "degraded"
    assert ("alarm_raised", "D-A1", None, "tamper") in changes(rig.new_events())

    rig.feed("DC-1", tamper_1=False)

    assert rig.status("D-A1") == "secure"
    assert ("alarm_cleared", "D-A1", "tamper", None) in changes(rig.new_events())


def test_bad_sample_never_leaves_a_door_secure_nor_replaces_its_value(
    rig: Rig,
) -> None:
    rig.settle()

    rig.feed("DC-1", Quality.BAD, "timeout", lock_1=None)

    view = rig.twin.node("D-A1")
    assert view.state["status"] == "fault"
    assert view.state["locked"] is True
    assert view.state["quality"] == {
        "locked": "bad",
        "closed": "good",
        "tamper": "good",
        "request_to_exit": "good",
    }
    assert view.state["bad"] == {"locked": "timeout"}
    latest = rig.twin.latest("DC-1", "lock_1")
    last_good = rig.twin.last_good("DC-1", "lock_1")
    assert latest is not None and latest.quality is Quality.BAD
    assert last_good is not None and last_good.value is True
    assert changes(rig.new_events()) == [
        ("state_changed", "D-A1", "secure", "fault"),
        ("state_changed", "A-1", "secure", "degraded"),
        ("state_changed", "A", "secure", "degraded"),
        ("state_changed", "site", "secure", "degraded"),
        ("state_changed", "A-corr", "secure", "degraded"),
    ]

    rig.feed("DC-1", lock_1=True)

    assert rig.status("D-A1") == "secure"
    assert "bad" not in rig.twin.node("D-A1").state


def test_uncertain_values_are_used_and_flagged(rig: Rig) -> None:
    rig.settle()

    rig.feed("DC-1", Quality.UNCERTAIN, lock_2=False)

    view = rig.twin.node("D-A2")
    assert view.state["status"] == "unlocked"
    assert view.state["uncertain"] is True
    assert view.state["quality"] == {"locked": "uncertain", "closed": "good"}


def test_a_value_that_is_not_a_boolean_is_a_fault(rig: Rig) -> None:
    rig.settle()

    rig.feed("DC-1", lock_2=7)

    view = rig.twin.node("D-A2")
    assert view.state["status"] == "fault"
    assert view.state["locked"] is True
    assert "not a boolean" in str(view.state["bad"])
    assert rig.twin.stats()["inputs_not_boolean"] == 1


def test_offline_controller_takes_its_doors_offline_and_back(rig: Rig) -> None:
    rig.settle()

    rig.health("DC-1", DeviceStatus.OFFLINE)

    assert rig.status("D-A1") == "offline"
    assert rig.status("D-A2") == "offline"
    assert rig.status("D-AX") == "secure"
    assert rig.status("A") == "degraded"
    assert rig.status("out") == "secure"
    events = rig.new_events()
    assert changes(events)[:4] == [
        ("state_changed", "DC-1", "unknown", "offline"),
        ("alarm_raised", "DC-1", None, "device_offline"),
        ("state_changed", "D-A1", "secure", "offline"),
        ("state_changed", "A-1", "secure", "degraded"),
    ]
    assert events[0].node_kind == "door_controller"
    assert events[0].detail["reason"] == "timeout"
    assert rig.twin.node("DC-1").state["status"] == "offline"
    assert rig.twin.device_health("DC-1").status is DeviceStatus.OFFLINE

    rig.health("DC-1", DeviceStatus.ONLINE)

    assert rig.status("D-A1") == "secure"
    assert rig.status("D-A2") == "secure"
    assert rig.status("A") == "secure"


def test_degraded_controller_keeps_its_doors_online(rig: Rig) -> None:
    rig.settle()

    rig.health("DC-1", DeviceStatus.DEGRADED)

    assert rig.status("D-A1") == "secure"
    assert changes(rig.new_events()) == [
        ("state_changed", "DC-1", "unknown", "degraded")
    ]


def test_only_doors_bound_to_a_changed_point_are_derived(rig: Rig) -> None:
    rig.settle()
    before = rig.twin.stats()["door_derivations"]

    rig.feed("DC-1", lock_1=True, lock_2=True, spare_7=True)
    rig.feed("DC-2", lock_1=True, closed_1=True)
    assert rig.twin.stats()["door_derivations"] == before

    rig.feed("DC-1", lock_2=False)
    assert rig.twin.stats()["door_derivations"] == before + 1
    assert rig.twin.latest("DC-1", "spare_7") is not None


def test_samples_of_unknown_devices_are_counted_and_dropped(rig: Rig) -> None:
    rig.feed("GHOST", x=True)
    rig.twin.publish_health(
        DeviceHealth("GHOST", DeviceStatus.OFFLINE, 0.0, None, 1, None)
    )

    assert rig.twin.stats()["samples_unknown_device"] == 2
    assert rig.twin.latest("GHOST", "x") is None
    assert rig.bus.recent() == []


def test_views_neighbors_and_points(rig: Rig) -> None:
    rig.settle()

    door = rig.twin.node("D-A1")
    assert (door.kind, door.name, door.parent) == ("door", "Cell A1", "A")
    assert door.state["between"] == ["A-1", "A-corr"]
    space = rig.twin.node("A")
    assert (space.kind, space.name, space.parent) == ("building", "Block A", "site")
    assert space.state["doors"] == []
    assert rig.twin.node("A-corr").state["doors"] == ["D-A1", "D-A2", "D-AX"]
    device = rig.twin.node("DC-1")
    assert (device.kind, device.parent) == ("door_controller", "A-corr")
    assert device.state["status"] == "unknown"
    assert device.state["last_seen"] == rig.clock.time()

    assert [n.id for n in rig.twin.nodes("door")] == ["D-A1", "D-A2", "D-AX"]
    assert [n.id for n in rig.twin.nodes("cell")] == ["A-1", "A-2"]
    assert len(rig.twin.nodes("space")) == 6
    assert [n.id for n in rig.twin.nodes("device")] == ["DC-1", "DC-2", "SW-1"]
    assert len(rig.twin.nodes()) == 12

    assert rig.twin.neighbors("D-A1") == [
        Neighbor("A-1", "cell", "connects"),
        Neighbor("A-corr", "corridor", "connects"),
        Neighbor("DC-1", "door_controller", "controlled_by"),
    ]
    assert rig.twin.neighbors("A") == [
        Neighbor("site", "site", "contained_by"),
        Neighbor("A-1", "cell", "contains"),
        Neighbor("A-2", "cell", "contains"),
        Neighbor("A-corr", "corridor", "contains"),
    ]
    assert Neighbor("D-A2", "door", "controls") in rig.twin.neighbors("DC-1")
    assert Neighbor("A-corr", "corridor", "located_in") in rig.twin.neighbors("DC-1")

    points = rig.twin.points("DC-2")
    assert sorted(points) == ["closed_1", "lock_1"]
    assert rig.twin.points("SW-1") == {}
    health = rig.twin.device_health("SW-1")
    assert health.status is DeviceStatus.UNKNOWN
    assert health.since == 1_000_000.0

    for lookup in (rig.twin.node, rig.twin.neighbors, rig.twin.device_health):
        with pytest.raises(KeyError):
            lookup("nowhere")
    with pytest.raises(KeyError):
        rig.twin.points("nowhere")
    with pytest.raises(TypeError):
        door.state["status"] = "secure"  # type: ignore[index]


async def test_run_ticks_until_cancelled() -> None:
    clock = FakeClock()
    twin = Twin(small_site(), clock=clock, tick_s=0.01)
    now = clock.time()
    twin.publish_samples(
        [
            Sample("DC-2", "lock_1", False, Quality.GOOD, now, now),
            Sample("DC-2", "closed_1", False, Quality.GOOD, now, now),
        ]
    )
    clock.advance(11)

    async with twin.bus.subscribe() as sub:
        task = asyncio.create_task(twin.run())
        try:
            async with asyncio.timeout(2):
                async for event in sub:
                    if event.type == EventType.ALARM_RAISED:
                        break
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    assert (event.node, event.new) == ("D-AX", "held_open")
    assert twin.stats()["ticks"] >= 1


def test_a_site_with_a_binding_to_a_missing_device_is_refused() -> None:
    site = small_site()
    broken = site.site.model_copy(update={"devices": site.site.devices[1:]})

    with pytest.raises(ValueError, match="DC-1"):
        Twin(type(site)(site.path, broken, {}, None))


def test_tick_s_must_be_positive() -> None:
    with pytest.raises(ValueError, match="tick_s"):
        Twin(small_site(), tick_s=0)
