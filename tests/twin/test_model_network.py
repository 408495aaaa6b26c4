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


def active(rig: Rig) -> list[tuple[str, str]]:
    return [(a.type.value, a.node) for a in rig.twin.alarms.listed() if a.active]


def settled() -> Rig:
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
    return rig


def test_uplink_down_makes_one_alarm_and_everything_behind_unreachable() -> None:
    rig = settled()
    assert rig.status("D-A1") == "secure"

    rig.port("CORE", "Gi0/1", "down")

    events = rig.new_events()
    assert events[:3] == [
        ("state_changed", "CAM-1", "unknown", "unreachable"),
        ("state_changed", "DC-1", "online", "unreachable"),
        ("state_changed", "SW-A", "online", "unreachable"),
    ]
    assert ("state_changed", "D-A1", "secure", "offline") in events
    assert [e for e in events if e[0] == "alarm_raised"] == [
        ("alarm_raised", "CORE", None, "link_down")
    ]
    (alarm,) = rig.twin.alarms.listed()
    assert alarm.cause == (
        "link down on CORE",
        "port Gi0/1 of CORE is down (link CORE/Gi0/1 - SW-A/Gi0/48): "
        "SW-A, DC-1, CAM-1 unreachable",
    )
    view = rig.twin.node("DC-1").state
    assert view["status"] == "unreachable"
    assert view["cause"] == "port Gi0/1 of CORE is down (link CORE/Gi0/1 - SW-A/Gi0/48)"

    # The pollers notice later: their offline reports raise nothing new.
    rig.health("SW-A", DeviceStatus.OFFLINE)
    rig.health("DC-1", DeviceStatus.OFFLINE)
    assert [e for e in rig.new_events() if e[0] == "alarm_raised"] == []
    assert active(rig) == [("link_down", "CORE")]
    assert rig.status("DC-1") == "unreachable"

    # Repaired: the alarm clears. The offline reports came while cut off, so
    # no alarm until the pollers have had time to catch up.
    rig.port("CORE", "Gi0/1", "up")
    repaired = rig.new_events()
    assert ("alarm_cleared", "CORE", "link_down", None) in repaired
    assert ("state_changed", "DC-1", "unreachable", "offline") in repaired
    assert active(rig) == []
    assert rig.status("CAM-1") == "unknown"  # SW-A's stale report cuts nothing off

    rig.health("SW-A", DeviceStatus.ONLINE)
    rig.clock.advance(61)
    rig.twin.tick()
    # DC-1 never answered again: now it is its own fault.
    assert active(rig) == [("device_offline", "DC-1")]
    (alarm,) = [a for a in rig.twin.alarms.listed() if a.active]
    assert alarm.cause[-1] == "still not answering after its network path came back"


def test_offline_alarm_raised_before_the_cut_was_known_is_explained() -> None:
    rig = settled()
    rig.health("DC-1", DeviceStatus.OFFLINE)
    assert active(rig) == [("device_offline", "DC-1")]

    rig.port("SW-A", "Gi0/5", "down")

    assert active(rig) == [("link_down", "SW-A")]
    cleared = [a for a in rig.twin.alarms.listed() if not a.active]
    assert [(a.type.value, a.node) for a in cleared] == [("device_offline", "DC-1")]


def test_switch_offline_cuts_off_its_devices_in_its_own_alarm() -> None:
    rig = Rig()

    rig.health("SW-A", DeviceStatus.OFFLINE)

    assert rig.status("SW-A") == "offline"
    assert rig.status("DC-1") == "unreachable"
    assert rig.status("CAM-1") == "unreachable"
    assert rig.status("CORE") == "unknown"
    (alarm,) = rig.twin.alarms.listed()
    assert (alarm.type.value, alarm.node) == ("device_offline", "SW-A")
    assert alarm.cause == (
        "SW-A cuts devices off",
        "SW-A is offline: DC-1, CAM-1 unreachable",
    )

    rig.health("SW-A", DeviceStatus.ONLINE)
    assert active(rig) == []
    assert rig.status("DC-1") == "unknown"


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
    assert active(rig) == []
