"""Network paths: how each device is reached from the platform, link by link.

The site's ``links`` form a graph of device ports; ``network.platform`` is
where the platform sits. A device's path is the shortest chain of links from
the platform to it (fewest links, then the order links appear in the file),
so it is the same on every load. Where a site has redundant links the first
path found is the one used: a failure on the other path is not seen as
cutting the device off.

Pure functions of the site model; no I/O. Time is linear in the links.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from topology.site import SiteFile


@dataclass(frozen=True, slots=True)
class Hop:
    """One link crossed going away from the platform: out of ``upstream`` by
    ``upstream_port``, into ``downstream`` by ``downstream_port`` (ports are
    ``None`` where the site file names none)."""

    upstream: str
    upstream_port: str | None
    downstream: str
    downstream_port: str | None

    def __str__(self) -> str:
        up = (
            self.upstream
            if self.upstream_port is None
            else (f"{self.upstream}/{self.upstream_port}")
        )
        down = (
            self.downstream
            if self.downstream_port is None
            else (f"{self.downstream}/{self.downstream_port}")
        )
        return f"{up} - {down}"


@dataclass(frozen=True, slots=True)
class NetworkPath:
    """The links from the platform to ``device``, nearest the platform first.
    The platform's own path has no hops."""

    device: str
    hops: tuple[Hop, ...]

    @property
    def upstream_devices(self) -> tuple[str, ...]:
        """The devices passed through on the way, platform first, not ``device``."""
        return tuple(hop.upstream for hop in self.hops)


def network_paths(site: SiteFile) -> dict[str, NetworkPath]:
    """The path of every device reachable from ``site.network.platform``.

    Devices with no chain of links to the platform are left out; so is
    everything when the site names no platform. Links naming unknown devices
    (which the loader reports) are ignored.
    """
    if site.network is None:
        return {}
    known = {device.id for device in site.devices}
    platform = site.network.platform
    if platform not in known:
        return {}

    adjacent: dict[str, list[Hop]] = {device: [] for device in known}
    for link in site.links:
        a, b = link.a, link.b
        if a.device not in known or b.device not in known:
            continue
        adjacent[a.device].append(Hop(a.device, a.port, b.device, b.port))
        adjacent[b.device].append(Hop(b.device, b.port, a.device, a.port))

    paths = {platform: NetworkPath(platform, ())}
    queue = deque([platform])
    while queue:
        here = queue.popleft()
        for hop in adjacent[here]:
            if hop.downstream in paths:
                continue
            paths[hop.downstream] = NetworkPath(
                hop.downstream, (*paths[here].hops, hop)
            )
            queue.append(hop.downstream)
    return paths


def devices_behind(paths: dict[str, NetworkPath], device: str) -> list[str]:
    """Devices whose path passes through ``device`` (not ``device`` itself),
    in path order; what goes dark when it fails."""
    return [
        other
        for other, path in paths.items()
        if other != device and device in path.upstream_devices
    ]
