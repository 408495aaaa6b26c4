"""The demo prison shipped with the package."""

from __future__ import annotations

import re

import pytest

from topology.check import check_site
from topology.loader import LoadedSite, load_site
from topology.paths import network_paths
from topology.profile import DataType, ModbusTable, WordOrder
from topology.site import DeviceKind, Protocol
from warden.demo import generate, site_path


@pytest.fixture(scope="module")
def site() -> LoadedSite:
    return load_site(site_path())


def test_demo_site_has_no_problems() -> None:
    assert check_site(site_path()) == []


def test_demo_files_match_their_generator() -> None:
    for path, text in generate.outputs().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.name} differs; run python -m warden.demo.generate"
        )


def test_demo_controllers_are_modbus_on_loopback_from_port_15020(
    site: LoadedSite,
) -> None:
    controllers = [d for d in site.site.devices if d.kind is DeviceKind.DOOR_CONTROLLER]
    endpoints = [device.endpoint for device in controllers]
    assert all(device.protocol is Protocol.MODBUS for device in controllers)
    assert [e.port for e in endpoints if e] == list(range(15020, 15028))
    assert {(e.host, e.unit_id) for e in endpoints if e} == {("127.0.0.1", 1)}
    assert {d.poll_interval_s for d in controllers} == {1.0}


def test_every_demo_device_is_linked_to_a_switch_of_the_network(
    site: LoadedSite,
) -> None:
    paths = network_paths(site.site)
    switches = {d.id for d in site.site.devices if d.kind is DeviceKind.SWITCH}

    assert switches == {"SW-CORE", "SW-GH", "SW-A", "SW-B", "SW-PERIM"}
    assert set(paths) == {d.id for d in site.site.devices}
    assert paths["DC-A1"].upstream_devices == ("SRV-WARDEN", "SW-CORE", "SW-A")
    assert paths["CAM-P01"].upstream_devices[-1] == "SW-PERIM"
    assert paths["PP-OUTER"].upstream_devices == ("SRV-WARDEN", "SW-CORE", "SW-PERIM")
    assert all(
        d.snmp is not None and d.endpoint is not None
        for d in site.site.devices
        if d.kind is DeviceKind.SWITCH
    )


def test_every_demo_door_reports_locked_and_closed_and_can_be_commanded(
    site: LoadedSite,
) -> None:
    for door in site.site.doors:
        profile = site.profile_for(door.bindings.locked.device)
        assert profile.point(door.bindings.closed.point).table is (
            ModbusTable.DISCRETE_INPUT
        )
        assert door.lock is not None and profile.point(door.lock.point).writable
    cells = [d for d in site.site.doors if re.fullmatch(r"D-[AB][12]-\d\d", d.id)]
    assert len(cells) == 64
    assert all(d.bindings.tamper is not None for d in cells)


def test_demo_sally_ports_are_interlocked(site: LoadedSite) -> None:
    assert {tuple(i.doors) for i in site.site.interlocks} == {
        ("G-VSP-OUTER", "G-VSP-INNER"),
        ("D-GH-PED-OUTER", "D-GH-PED-INNER"),
    }


def test_demo_profiles_use_every_data_type_and_a_swapped_word_order(
    site: LoadedSite,
) -> None:
    for profile in site.profiles.values():
        assert {p.data_type for p in profile.points} == set(DataType)
        assert {p.table for p in profile.points} == set(ModbusTable)
        assert any(p.word_order is WordOrder.LITTLE for p in profile.points)
        assert profile.description and "ioLogik E1212" in profile.description
