"""The demo prison's perimeter: two fences on two OPC UA processors, cameras."""

from __future__ import annotations

import pytest

from topology.fence import segment_neighbours
from topology.loader import LoadedSite, load_site
from topology.profile_opcua import OpcUaDataType
from topology.site import DeviceKind, FenceLine, Protocol
from warden.demo import site_path


@pytest.fixture(scope="module")
def site() -> LoadedSite:
    return load_site(site_path())


def test_two_fences_of_at_least_24_segments_guard_the_sterile_zone(
    site: LoadedSite,
) -> None:
    segments = site.site.fence_segments
    by_fence = {line: [s for s in segments if s.fence is line] for line in FenceLine}

    assert len(segments) >= 24
    assert len(by_fence[FenceLine.OUTER]) == 16
    assert len(by_fence[FenceLine.INNER]) == 12
    assert {s.zone for s in segments} == {"PERIMETER"}
    neighbours = segment_neighbours(site.site)
    assert neighbours["OF-01"] == ("OF-16", "OF-02")
    assert neighbours["IF-12"] == ("IF-11", "IF-01")


def test_each_fence_is_on_its_own_opcua_processor_on_loopback(
    site: LoadedSite,
) -> None:
    processors = [
        d for d in site.site.devices if d.kind is DeviceKind.PERIMETER_PROCESSOR
    ]

    assert len(processors) >= 2
    assert all(d.protocol is Protocol.OPCUA for d in processors)
    urls = [d.endpoint.opcua_url for d in processors if d.endpoint]
    assert urls == [
        "opc.tcp://127.0.0.1:4841/fenceline",
        "opc.tcp://127.0.0.1:4842/fenceline",
    ]
    for segment in site.site.fence_segments:
        devices = {ref.device for ref in segment.bindings.refs().values()}
        assert len(devices) == 1


def test_every_segment_is_covered_by_a_camera_and_bound_to_bool_inputs(
    site: LoadedSite,
) -> None:
    # The perimeter's cameras; others watch doors and yards inside.
    cameras = {
        d.id
        for d in site.site.devices
        if d.kind is DeviceKind.CAMERA and d.location == "PERIMETER"
    }
    for segment in site.site.fence_segments:
        assert segment.cameras and set(segment.cameras) <= cameras
        profile = site.opcua_profile_for(segment.bindings.alarm.device)
        for name in ("alarm", "tamper", "fault"):
            ref = segment.bindings.refs()[name]
            assert profile.point(ref.point).data_type is OpcUaDataType.BOOL
    covered = {c for s in site.site.fence_segments for c in s.cameras}
    assert covered == cameras
