from __future__ import annotations

import pytest

from topology.impact import impact
from topology.loader import load_site
from warden.demo import site_path


def test_a_unit_switch_takes_its_controllers_doors_and_cameras() -> None:
    site = load_site(site_path()).site

    found = impact(site, "SW-A")

    assert {"DC-A1", "DC-A2"} <= set(found.devices)
    assert "SW-A" not in found.devices
    assert {"D-A1-01", "D-A2-16"} <= set(found.doors)
    assert not any(door.startswith("D-B") for door in found.doors)
    assert set(found.cameras) <= set(found.devices)


def test_the_core_switch_takes_everything_behind_it() -> None:
    site = load_site(site_path()).site

    core, unit = impact(site, "SW-CORE"), impact(site, "SW-A")

    assert set(unit.devices) < set(core.devices)
    assert set(unit.doors) < set(core.doors)
    assert core.fence_segments  # the perimeter switch hangs off the core


def test_a_door_has_no_dependants_and_an_unknown_id_is_an_error() -> None:
    site = load_site(site_path()).site

    assert impact(site, "D-A1-01").devices == []
    with pytest.raises(KeyError):
        impact(site, "NOPE")
