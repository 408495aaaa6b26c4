"""Fence segments in the twin: samples in, segment status, alarms naming the
cameras and neighbours, and the perimeter zone's roll-up out."""

from __future__ import annotations

from typing import Any

from topology.sample import DeviceHealth, DeviceStatus, Quality, Sample, Value
from twin.clock import FakeClock
from twin.events import Event, EventBus, EventType
from twin.model import Twin

from .sites import loaded


def _site() -> dict[str, Any]:
    segments = [
        {
            "id": f"OF-{n}",
            "fence": "outer",
            "zone": "perimeter",
            "bindings": {
                "alarm": f"PP-1/z{n}_alarm",
                "tamper": f"PP-1/z{n}_tamper",
                "signal": f"PP-1/z{n}_signal",
            },
            "cameras": [f"CAM-{n}"],
        }
        for n in range(1, 5)
    ]
    segments.append(
        {
            "id": "IF-1",
            "fence": "inner",
            "zone": "sterile",
            "bindings": {"alarm": "PP-2/z1_alarm", "fault": "!PP-2/z1_ok"},
        }
    )
    return {
        "site": {"id": "test", "name": "Test"},
        "spaces": [
            {"id": "site", "kind": "site"},
            {"id": "perimeter", "kind": "zone", "parent": "site"},
            {"id": "sterile", "kind": "zone", "parent": "site"},
        ],
        "devices": [
            {"id": "PP-1", "kind": "perimeter_processor", "protocol": "opcua"},
            {"id": "PP-2", "kind": "perimeter_processor", "protocol": "opcua"},
            *[
                {"id": f"CAM-{n}", "kind": "camera", "protocol": "none"}
                for n in range(1, 5)
            ],
        ],
        "fence_segments": segments,
    }


class Rig:
    def __init__(self) -> None:
        self.clock = FakeClock(start=2_000_000.0)
        self.bus = EventBus()
        self.twin = Twin(loaded(_site()), clock=self.clock, bus=self.bus)
        self.seen = 0

    def feed(
        self, device: str, quality: Quality = Quality.GOOD, **values: Value
    ) -> None:
        now = self.clock.time()
        self.twin.publish_samples(
            [
                Sample(device, point, value, quality, now, now, None)
                for point, value in values.items()
            ]
        )

    def quiet(self) -> None:
        for n in range(1, 5):
            self.feed("PP-1", **{f"z{n}_alarm": False, f"z{n}_tamper": False})
        self.feed("PP-2", z1_alarm=False, z1_ok=True)
        self.new_events()

    def status(self, node: str) -> object:
        return self.twin.node(node).state["status"]

    def new_events(self) -> list[Event]:
        events = [e for e in self.bus.recent() if e.seq > self.seen]
        if events:
            self.seen = events[-1].seq
        return events


def test_segments_start_unknown_and_settle_normal() -> None:
    rig = Rig()
    assert rig.status("OF-1") == "unknown"
    assert rig.status("perimeter") == "unknown"

    rig.quiet()

    assert rig.status("OF-1") == "normal"
    assert rig.status("IF-1") == "normal"
    assert rig.status("perimeter") == "secure"
    assert rig.status("site") == "secure"


def test_an_intrusion_alarms_the_segment_and_breaches_the_zone() -> None:
    rig = Rig()
    rig.quiet()

    rig.feed("PP-1", z2_signal=100.0, z2_alarm=True)
    events = rig.new_events()

    assert rig.status("OF-2") == "alarm"
    assert rig.status("perimeter") == "breach"
    assert rig.status("site") == "breach"
    assert rig.status("sterile") == "secure"
    raised = next(e for e in events if e.type == EventType.ALARM_RAISED)
    assert (raised.node, raised.node_kind, raised.new) == (
        "OF-2",
        "fence_segment",
        "fence_intrusion",
    )
    alarm = raised.detail["alarm"]
    assert isinstance(alarm, dict)
    assert alarm["severity"] == "critical"
    assert alarm["cause"][:2] == [
        "fence intrusion on segment OF-2 (outer fence, zone perimeter)",
        "alarm input PP-1/z2_alarm reported an intrusion",
    ]
    assert [a.node for a in rig.twin.alarms.listed()] == ["OF-2"]
    assert raised.detail["cameras"] == ["CAM-2"]
    assert raised.detail["neighbours"] == ["OF-1", "OF-3"]
    assert raised.detail["neighbour_cameras"] == ["CAM-1", "CAM-3"]
    assert raised.detail["signal"] == 100.0
    assert raised.detail["zone"] == "perimeter"
    zone = next(e for e in events if e.node == "perimeter")
    assert (zone.old, zone.new, zone.detail["segment"]) == ("secure", "breach", "OF-2")


def test_clearing_the_alarm_clears_the_breach() -> None:
    rig = Rig()
    rig.quiet()
    rig.feed("PP-1", z2_alarm=True)
    rig.new_events()

    rig.feed("PP-1", z2_alarm=False)
    events = rig.new_events()

    assert rig.status("perimeter") == "secure"
    assert [(e.type, e.node, e.old) for e in events if e.type != "state_changed"] == [
        (EventType.ALARM_CLEARED, "OF-2", "fence_intrusion")
    ]


def test_tamper_and_fault_degrade_the_zone() -> None:
    rig = Rig()
    rig.quiet()

    rig.feed("PP-1", z3_tamper=True)
    rig.feed("PP-2", z1_ok=False)  # inverted: not ok means fault

    assert rig.status("OF-3") == "tamper"
    assert rig.status("IF-1") == "fault"
    assert rig.status("perimeter") == "degraded"
    assert rig.status("sterile") == "degraded"
    assert any(
        e.type == EventType.ALARM_RAISED and e.new == "tamper" for e in rig.new_events()
    )


def test_a_bad_alarm_reading_is_a_fault_but_never_clears_an_intrusion() -> None:
    rig = Rig()
    rig.quiet()
    rig.feed("PP-1", z1_alarm=False)
    rig.feed("PP-1", Quality.BAD, z1_alarm=None)
    assert rig.status("OF-1") == "fault"

    rig.feed("PP-1", z4_alarm=True)
    rig.feed("PP-1", Quality.BAD, z4_alarm=None)

    assert rig.status("OF-4") == "alarm"
    assert rig.twin.node("OF-4").state["bad"] == {"alarm": "bad quality"}


def test_an_offline_processor_takes_its_segments_offline_and_back() -> None:
    rig = Rig()
    rig.quiet()
    now = rig.clock.time()

    rig.twin.publish_health(
        DeviceHealth("PP-1", DeviceStatus.OFFLINE, now, None, 1, "connection lost")
    )
    offline = [rig.status(f"OF-{n}") for n in range(1, 5)]
    zone_while_offline = rig.status("perimeter")
    rig.twin.publish_health(DeviceHealth("PP-1", DeviceStatus.ONLINE, now, now, 0))

    assert offline == ["offline"] * 4
    assert zone_while_offline == "degraded"
    assert rig.status("IF-1") == "normal"
    assert rig.status("OF-1") == "normal"
    assert rig.status("perimeter") == "secure"


def test_segments_are_listed_with_the_other_nodes() -> None:
    rig = Rig()
    rig.quiet()

    segments = rig.twin.nodes("fence_segment")

    assert [view.id for view in segments] == ["OF-1", "OF-2", "OF-3", "OF-4", "IF-1"]
    assert segments[0].parent == "perimeter"
    assert segments[0].state["bindings"] == {
        "alarm": "PP-1/z1_alarm",
        "tamper": "PP-1/z1_tamper",
        "signal": "PP-1/z1_signal",
    }
    assert "OF-1" in [view.id for view in rig.twin.nodes()]
