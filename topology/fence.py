"""Fence segments across the site file: neighbours and cross-reference checks.

The pydantic models in :mod:`topology.site` check each segment alone; this module
checks what needs the whole file (the zone exists, bound points exist on their
devices, cameras are cameras) and works out each segment's neighbours.
"""

from __future__ import annotations

from collections.abc import Mapping

from topology.profile import ModbusProfile
from topology.profile_opcua import OpcUaProfile
from topology.site import DeviceKind, FenceLine, FenceSegment, SiteFile


def segment_neighbours(site: SiteFile) -> dict[str, tuple[str, ...]]:
    """Each segment's neighbours, in a stable order.

    A segment without ``adjacent`` neighbours the segments before and after it on
    the same fence in file order, the fence closing into a ring (a perimeter
    encloses the site; a fence of two segments gives each one neighbour). A
    segment with ``adjacent`` takes no implicit neighbours, and its entries are
    mirrored so the relation is symmetric. Unknown ids in ``adjacent`` are
    ignored here; :func:`fence_problems` reports them.
    """
    known = {segment.id for segment in site.fence_segments}
    found: dict[str, dict[str, None]] = {s.id: {} for s in site.fence_segments}

    def link(a: str, b: str) -> None:
        if a != b and a in known and b in known:
            found[a].setdefault(b)
            found[b].setdefault(a)

    for line in FenceLine:
        ring = [s for s in site.fence_segments if s.fence is line]
        count = len(ring)
        for index, segment in enumerate(ring):
            if segment.adjacent is not None or count < 2:
                continue
            for other in (ring[(index - 1) % count], ring[(index + 1) % count]):
                if other.adjacent is None and other.id != segment.id:
                    found[segment.id].setdefault(other.id)
    for segment in site.fence_segments:
        for other_id in segment.adjacent or []:
            link(segment.id, other_id)
    return {segment: tuple(others) for segment, others in found.items()}


def fence_problems(
    site: SiteFile, profiles: Mapping[str, ModbusProfile | OpcUaProfile]
) -> list[tuple[str, str]]:
    """Every cross-reference mistake in the fence segments, as
    ``(segment id, plain sentence)`` pairs, in file order; empty when all is well.
    """
    problems: list[tuple[str, str]] = []
    spaces = {space.id for space in site.spaces}
    devices = {device.id: device for device in site.devices}
    segment_ids: set[str] = set()
    all_ids = {segment.id for segment in site.fence_segments}

    for segment in site.fence_segments:

        def report(message: str, segment: FenceSegment = segment) -> None:
            problems.append((segment.id, message))

        if segment.id in segment_ids:
            report(f"fence segment {segment.id!r} is declared twice")
        segment_ids.add(segment.id)
        if segment.zone not in spaces:
            report(f"zone {segment.zone!r} is not a declared space")
        for other in segment.adjacent or []:
            if other == segment.id:
                report("a segment cannot be adjacent to itself")
            elif other not in all_ids:
                report(f"adjacent segment {other!r} is not declared")
        for camera in segment.cameras:
            device = devices.get(camera)
            if device is None:
                report(f"camera {camera!r} is not a declared device")
            elif device.kind is not DeviceKind.CAMERA:
                report(f"{camera!r} is a {device.kind}, not a camera")
        for attribute, ref in segment.bindings.refs().items():
            device = devices.get(ref.device)
            if device is None:
                report(f"{attribute} is bound to unknown device {ref.device!r}")
                continue
            profile = profiles.get(device.profile) if device.profile else None
            if profile is None:
                report(f"{attribute}: device {ref.device!r} has no profile to check")
            elif ref.point not in profile.point_names:
                report(
                    f"{attribute} is bound to {ref}, but profile {profile.id!r} "
                    f"has no point {ref.point!r}"
                )
    return problems
