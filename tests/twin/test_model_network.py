"""The twin with a network: a port or switch going down marks the devices behind
it unreachable, raises one alarm for the cause and takes their doors offline."""

from __future__ import annotations

from topology.loader import LoadedSite
from topology.sample import DeviceHealth, DeviceStatus, Quality, Sample
from twin.clock import FakeClock
from twin.events import Event, EventBus
from twin.model import Twin

from .sites import loaded


def networked_site() -> LoadedSite:
    return loaded(
        {
            "site": {"id": "net", "name": "Networked test site"},
            "spaces": [
                {"id": "site", "kind": "site"},
                {"id": "A-1", "kind": "cell", "parent": "site"},
                {"id": "A-corr", "kind": "corridor", "parent": "site"},
            ],
            "doors": [
                {
                    "id": "D-A1",
                    "between": ["A-1", "A-corr"],
                    "bindings": {"locked": "DC-1/lock_1", "closed": "DC-1/closed_1"},
                }
            ],
            "devices": [
                {"id": "SRV", "kind": "server", "protocol": "none"},
                {"id": "CORE", "kind": "switch", "protocol": "snmp"},
                {"id": "SW-A", "kind": "switch", "protocol": "snmp"},
                {"id": "DC-1", "kind": "door_controller", "protocol": "modbus"},
                {"id": "CAM-1", "kind": "camera", "protocol": "none"},
            ],
            "network": {"platform": "SRV"},
            "links": [
                {"a": "SRV", "b": "CORE/Gi0/48"},
                {"a": "CORE/Gi0/1", "b": "SW-A/Gi0/48"},
                {"a": "SW-A/Gi0/5", "b": "DC-1"},
                {"a": "SW-A/Gi0/6", "b": "CAM-1"},
            ],
        }
    )


class Rig:
    def __init__(self) -> None:
        self.clock = FakeClock(start=1_000_000.0)
        self.bus = EventBus()
        self.twin = Twin(networked_site(), clock=self.clock, bus=self.bus)
        self.seen = 0

    def port(
        self, device: str, port: str, status: str, quality: Quality = Quality.GOOD
    ) -> None:
        now = self.clock.time()
        value = None if quality is Quality.BAD else status
        sample = Sample(device, f"if.{port}.oper_status", value, quality, now, now)
        self.twin.publish_samples([sample])

    def health(self, device: str, status: DeviceStatus) -> None:
        now = self.clock.time()
        self.twin.publish_health(DeviceHealth(device, status, now, None, 3, "timeout"))

    def new_events(self) -> list[tuple[str, str, str | None, str | None]]:
        events: list[Event] = [e for e in self.bus.recent() if e.seq > self.seen]
        if events:
            self.seen = events[-1].seq
        return [(e.type, e.node, e.old, e.new) for e in events]

    def status(self, node: str) -> object:
        return self.twin.node(node).state["status"]


def test_uplink_down_makes_one_alarm_and_everything_behind_unreachable() -> None:
    rig = Rig()
    now = rig.clock.time()
    rig.twin.publish_samples(
        [
            Sample("DC-1", "lock_1", True, Quality.GOOD, now, now),
            Sample("DC-1", "closed_1", True, Quality.GOOD, now, now),
        ]
    )
    for device in ("CORE", "SW-A", "DC-1"):
        rig.health(device, DeviceStatus.ONLINE)
    rig.port("CORE", "Gi0/1", "up")
    rig.new_events()
    assert rig.status("D-A1") == "secure"

    rig.port("CORE", "Gi0/1", "down")

    events = rig.new_events()
    assert events[0] == ("alarm_raised", "CORE", None, "link_down")
    alarm = rig.bus.recent()[-len(events)]
    assert alarm.detail["unreachable"] == ["SW-A", "DC-1", "CAM-1"]
    assert alarm.detail["port"] == "Gi0/1"
    assert (
        alarm.detail["cause"]
        == "port Gi0/1 of CORE is down (link CORE/Gi0/1 - SW-A/Gi0/48)"
    )
    assert events[1:4] == [
        ("state_changed", "CAM-1", "unknown", "unreachable"),
        ("state_changed", "DC-1", "online", "unreachable"),
        ("state_changed", "SW-A", "online", "unreachable"),
    ]
    assert ("state_changed", "D-A1", "secure", "offline") in events
    assert [e for e in events if e[0] == "alarm_raised"] == [events[0]]
    view = rig.twin.node("DC-1").state
    assert view["status"] == "unreachable"
    assert view["cause"] == alarm.detail["cause"]

    # The pollers notice later: their offline reports raise nothing new.
    rig.health("SW-A", DeviceStatus.OFFLINE)
    rig.health("DC-1", DeviceStatus.OFFLINE)
    later = rig.new_events()
    assert [e for e in later if e[0] == "alarm_raised"] == []
    assert rig.status("DC-1") == "unreachable"

    # Repaired: the link alarm clears. Until SW-A is polled again its last
    # report says offline, so for now it is the cause for what hangs off it.
    rig.port("CORE", "Gi0/1", "up")
    assert rig.new_events() == [
        ("alarm_raised", "SW-A", None, "device_offline"),
        ("state_changed", "SW-A", "unreachable", "offline"),
        ("alarm_cleared", "CORE", "link_down", None),
    ]
    assert rig.status("DC-1") == "unreachable"

    rig.health("SW-A", DeviceStatus.ONLINE)
    assert rig.new_events() == [
        ("state_changed", "SW-A", "offline", "online"),
        ("state_changed", "CAM-1", "unreachable", "unknown"),
        ("state_changed", "DC-1", "unreachable", "offline"),
        ("alarm_cleared", "SW-A", "device_offline", None),
    ]
    assert rig.status("D-A1") == "offline"
    rig.health("DC-1", DeviceStatus.ONLINE)
    assert rig.status("D-A1") == "secure"


def test_switch_offline_cuts_off_its_devices_but_not_itself() -> None:
    rig = Rig()

    rig.health("SW-A", DeviceStatus.OFFLINE)

    events = rig.new_events()
    assert events[:2] == [
        ("state_changed", "SW-A", "unknown", "offline"),
        ("alarm_raised", "SW-A", None, "device_offline"),
    ]
    assert rig.status("SW-A") == "offline"
    assert rig.status("DC-1") == "unreachable"
    assert rig.status("CAM-1") == "unreachable"
    assert rig.status("CORE") == "unknown"


def test_access_port_down_and_bad_samples() -> None:
    rig = Rig()

    rig.port("SW-A", "Gi0/5", "down")
    assert rig.status("DC-1") == "unreachable"
    assert rig.status("CAM-1") == "unknown"

    # A bad sample (the switch could not be read) does not clear what is known.
    rig.port("SW-A", "Gi0/5", "", Quality.BAD)
    assert rig.status("DC-1") == "unreachable"
    # Ports no path leaves by are not watched.
    rig.port("SW-A", "Gi0/7", "down")
    assert rig.status("CAM-1") == "unknown"

    rig.port("SW-A", "Gi0/5", "up")
    assert rig.status("DC-1") == "unknown"
