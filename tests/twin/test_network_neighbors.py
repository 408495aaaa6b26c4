from __future__ import annotations

from topology.loader import load_site
from twin.model import Twin
from warden.demo import site_path


def test_links_make_devices_neighbours_both_ways() -> None:
    twin = Twin(load_site(site_path()))

    controller = {(n.id, n.relation) for n in twin.neighbors("DC-A1")}
    switch = {(n.id, n.relation) for n in twin.neighbors("SW-A")}

    assert ("SW-A", "linked") in controller
    assert {("DC-A1", "linked"), ("SW-CORE", "linked")} <= switch
