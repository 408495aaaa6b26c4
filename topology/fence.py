"""Fence segments across the site file: which segment neighbours which.

The cross-reference checks (zone exists, bound points exist, cameras are cameras)
run with the loader's other checks, in :mod:`topology._rules_fence`.
"""

from __future__ import annotations

from topology.site import FenceLine, SiteFile


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
