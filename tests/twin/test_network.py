"""Network root cause as tables: port and device states in, causes out."""

from __future__ import annotations

import pytest

from topology.network import Link, NetworkSettings
from topology.paths import NetworkPath, devices_behind, network_paths
from topology.site import Device, DeviceKind, Protocol, SiteFile, SiteInfo
from twin.network import (
    DEVICE_OFFLINE,
    PORT_DOWN,
    NetworkCause,
    NetworkWatch,
    alarm_conditions,
    find_cause,
)

LINKS = [
    ("SRV", "CORE/Gi0/48"),
    ("CORE/Gi0/1", "SW-A/Gi0/48"),
    ("SW-A/Gi0/5", "DC-A1"),
    ("SW-A/Gi0/6", "CAM-A1"),
    ("CORE/Gi0/2", "SW-B/Gi0/48"),
    ("SW-B/Gi0/1", "DC-B1"),
]
KINDS = {
    "SRV": DeviceKind.SERVER,
    "CORE": DeviceKind.SWITCH,
    "SW-A": DeviceKind.SWITCH,
    "SW-B": DeviceKind.SWITCH,
    "DC-A1": DeviceKind.DOOR_CONTROLLER,
    "DC-B1": DeviceKind.DOOR_CONTROLLER,
    "CAM-A1": DeviceKind.CAMERA,
    "LOOSE": DeviceKind.CAMERA,
}


def site(platform: str | None = "SRV") -> SiteFile:
    return SiteFile(
        site=SiteInfo(id="t", name="t"),
        devices=[
            Device(id=name, kind=kind, protocol=Protocol.NONE)
            for name, kind in KINDS.items()
        ],
        links=[Link.model_validate({"a": a, "b": b}) for a, b in LINKS],
        network=None if platform is None else NetworkSettings(platform=platform),
    )


PATHS = network_paths(site())


def test_paths_run_from_the_platform_outward() -> None:
    path = PATHS["DC-A1"]

    assert [str(hop) for hop in path.hops] == [
        "SRV - CORE/Gi0/48",
        "CORE/Gi0/1 - SW-A/Gi0/48",
        "SW-A/Gi0/5 - DC-A1",
    ]
    assert path.upstream_devices == ("SRV", "CORE", "SW-A")
    assert PATHS["SRV"] == NetworkPath("SRV", ())
    assert "LOOSE" not in PATHS  # not linked: no path, never unreachable
    assert devices_behind(PATHS, "SW-A") == ["DC-A1", "CAM-A1"]
    assert network_paths(site(platform=None)) == {}


CORE_UPLINK_A = NetworkCause(PORT_DOWN, "CORE", "Gi0/1")
ACCESS_PORT = NetworkCause(PORT_DOWN, "SW-A", "Gi0/5")
SW_A_OFFLINE = NetworkCause(DEVICE_OFFLINE, "SW-A")


@pytest.mark.parametrize(
    ("offline", "ports", "expected"),
    [
        # Everything fine.
        (set(), {}, {}),
        (set(), {("CORE", "Gi0/1"): "up", ("SW-A", "Gi0/5"): "up"}, {}),
        # An access port down cuts off the one device behind it.
        (set(), {("SW-A", "Gi0/5"): "down"}, {"DC-A1": ACCESS_PORT}),
        (set(), {("SW-A", "Gi0/5"): "lower_layer_down"}, {"DC-A1": ACCESS_PORT}),
        # Statuses that are not "down" do not count.
        (set(), {("SW-A", "Gi0/5"): "dormant"}, {}),
        (set(), {("SW-A", "Gi0/5"): "testing"}, {}),
        # The core's port to SW-A down: SW-A and all behind it, one cause.
        (
            set(),
            {("CORE", "Gi0/1"): "down"},
            {"SW-A": CORE_UPLINK_A, "DC-A1": CORE_UPLINK_A, "CAM-A1": CORE_UPLINK_A},
        ),
        # ...and SW-A going offline as a consequence changes nothing, nor does
        # its last (now stale) report of an access port.
        (
            {"SW-A", "DC-A1", "CAM-A1"},
            {("CORE", "Gi0/1"): "down", ("SW-A", "Gi0/5"): "down"},
            {"SW-A": CORE_UPLINK_A, "DC-A1": CORE_UPLINK_A, "CAM-A1": CORE_UPLINK_A},
        ),
        # SW-A offline while its uplink looks fine: the switch is the cause,
        # and it is itself offline, not unreachable.
        (
            {"SW-A"},
            {("CORE", "Gi0/1"): "up"},
            {"DC-A1": SW_A_OFFLINE, "CAM-A1": SW_A_OFFLINE},
        ),
        # An end device offline on a whole path is its own fault.
        ({"DC-B1"}, {}, {}),
    ],
)
def test_find_cause(
    offline: set[str],
    ports: dict[tuple[str, str], str],
    expected: dict[str, NetworkCause],
) -> None:
    found = {
        device: cause
        for device, path in PATHS.items()
        if (cause := find_cause(path, frozenset(offline), ports)) is not None
    }
    assert found == expected


def test_watch_tracks_causes_and_what_they_cut_off() -> None:
    watch = NetworkWatch(PATHS)

    assert watch.watched_port("CORE", "if.Gi0/1.oper_status") == "Gi0/1"
    assert watch.watched_port("CORE", "if.Gi0/9.oper_status") is None
    assert watch.watched_port("DC-A1", "if.eth0.oper_status") is None

    assert watch.set_port("SW-A", "Gi0/5", "down")
    first = watch.update()
    assert first.unreachable == {"DC-A1": ACCESS_PORT}
    assert watch.causes() == {ACCESS_PORT: ["DC-A1"]}
    assert watch.cause_of("DC-A1") == ACCESS_PORT
    assert ACCESS_PORT.alarm == "link_down"
    assert watch.cause_of("DC-A1").describe() == (  # type: ignore[union-attr]
        "port Gi0/5 of SW-A is down (link SW-A/Gi0/5 - DC-A1)"
    )

    assert not watch.set_port("SW-A", "Gi0/5", "down")  # repeated reading
    assert not watch.update()

    # The uplink fails: one new cause takes over every device behind it.
    watch.set_port("CORE", "Gi0/1", "down")
    second = watch.update()
    assert second.unreachable == {
        "CAM-A1": CORE_UPLINK_A,
        "DC-A1": CORE_UPLINK_A,
        "SW-A": CORE_UPLINK_A,
    }
    assert watch.causes() == {CORE_UPLINK_A: ["SW-A", "DC-A1", "CAM-A1"]}


def test_offline_reported_while_cut_off_is_suspect_after_repair() -> None:
    watch = NetworkWatch(PATHS)
    watch.set_port("CORE", "Gi0/1", "down")
    watch.update()
    # SW-A's poller gives up while the uplink is down.
    assert watch.set_offline("SW-A", True) is True
    assert watch.update().unreachable == {}

    watch.set_port("CORE", "Gi0/1", "up")
    repaired = watch.update()

    # SW-A's offline report predates the repair: not taken as a cause yet.
    assert repaired.suspected == ["SW-A"]
    assert repaired.unreachable == {"CAM-A1": None, "DC-A1": None, "SW-A": None}
    assert watch.causes() == {}

    # Still not answering after the grace time: now it is the cause.
    assert watch.confirm("SW-A")
    assert watch.update().unreachable == {"CAM-A1": SW_A_OFFLINE, "DC-A1": SW_A_OFFLINE}
    assert not watch.confirm("SW-A")

    # A fresh report clears it.
    watch.set_offline("SW-A", False)
    assert watch.update().unreachable == {"CAM-A1": None, "DC-A1": None}


def test_alarm_conditions_group_causes_by_switch() -> None:
    second_port = NetworkCause(PORT_DOWN, "SW-A", "Gi0/6", "SW-A/Gi0/6 - CAM-A1")
    access = NetworkCause(PORT_DOWN, "SW-A", "Gi0/5", "SW-A/Gi0/5 - DC-A1")

    found = alarm_conditions({access: ["DC-A1"], second_port: ["CAM-A1"]})

    assert found == {
        ("link_down", "SW-A"): [
            "link down on SW-A",
            "port Gi0/5 of SW-A is down (link SW-A/Gi0/5 - DC-A1): DC-A1 unreachable",
            "port Gi0/6 of SW-A is down (link SW-A/Gi0/6 - CAM-A1): CAM-A1 unreachable",
        ]
    }
    assert alarm_conditions({SW_A_OFFLINE: ["DC-A1", "CAM-A1"]}) == {
        ("device_offline", "SW-A"): [
            "SW-A cuts devices off",
            "SW-A is offline: DC-A1, CAM-A1 unreachable",
        ]
    }
