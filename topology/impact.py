"""What depends on a node: the devices, doors, fence segments and cameras that
would go dark if it failed.

A device's dependants are the devices whose network path to the platform passes
through it (see :mod:`topology.paths`) and what those devices, and the device
itself, report on: doors bound to their points and fence segments watched by
them. Spaces and doors have no network dependants.
"""

from __future__ import annotations

from dataclasses import dataclass

from topology.paths import devices_behind, network_paths
from topology.site import DeviceKind, SiteFile


@dataclass(frozen=True, slots=True)
class Impact:
    """Ids of what depends on ``node``, each list sorted."""

    node: str
    devices: list[str]
    doors: list[str]
    fence_segments: list[str]
    cameras: list[str]


def impact(site: SiteFile, node: str) -> Impact:
    """What loses its reporting or reachability when ``node`` fails. Raises
    ``KeyError`` for an id that is not a device, door, space or fence segment."""
    devices = {device.id: device for device in site.devices}
    known = (
        set(devices)
        | {door.id for door in site.doors}
        | {space.id for space in site.spaces}
        | {segment.id for segment in site.fence_segments}
    )
    if node not in known:
        raise KeyError(node)
    if node not in devices:
        return Impact(node, [], [], [], [])

    behind = set(devices_behind(network_paths(site), node))
    dark = behind | {node}
    doors = [
        door.id
        for door in site.doors
        if any(ref.device in dark for ref in door.bindings.refs().values())
        or (door.lock is not None and door.lock.device in dark)
    ]
    segments = [
        segment.id
        for segment in site.fence_segments
        if any(ref.device in dark for ref in segment.bindings.refs().values())
    ]
    cameras = [d for d in behind if devices[d].kind is DeviceKind.CAMERA]
    return Impact(
        node, sorted(behind), sorted(doors), sorted(segments), sorted(cameras)
    )
