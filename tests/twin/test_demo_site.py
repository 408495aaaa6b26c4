"""Commands and interlocks on the demo prison, loaded by the real site loader."""

from __future__ import annotations

import pytest

from topology.loader import load_site
from topology.sample import Quality, Sample
from topology.site import PointRef
from twin.clock import FakeClock
from twin.commands import CommandPoint, CommandRefused, command_point
from twin.model import Twin
from warden.demo import site_path


def test_every_demo_door_has_a_command_point() -> None:
    site = load_site(site_path())

    points = {door.id: command_point(door, site) for door in site.site.doors}

    refused = {door: why for door, why in points.items() if isinstance(why, str)}
    assert refused == {}
    assert points["D-GH-PED-OUTER"] == CommandPoint("DC-GH", "door02_relay", True)


def test_the_pedestrian_sally_port_lets_one_door_unlock_at_a_time() -> None:
    site = load_site(site_path())
    clock = FakeClock()
    twin = Twin(site, clock=clock)
    now = clock.time()

    def reading(ref: PointRef, value: bool) -> Sample:
        return Sample(
            ref.device, ref.point, value != ref.invert, Quality.GOOD, now, now
        )

    twin.publish_samples(
        reading(ref, True)
        for door in site.site.doors
        for name, ref in door.bindings.refs().items()
        if name in ("locked", "closed")
    )

    inner = twin.request_door("D-GH-PED-INNER", "unlock", "officer")
    assert (inner.device, inner.point, inner.value) == ("DC-GH", "door03_relay", True)
    with pytest.raises(CommandRefused) as refused:
        twin.request_door("D-GH-PED-OUTER", "unlock", "officer")

    assert refused.value.conflict == "D-GH-PED-INNER"
    assert "interlock Pedestrian sally port doors" in refused.value.reason
