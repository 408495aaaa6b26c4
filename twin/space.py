"""Space status, rolled up from the doors and fence segments in and below each
space.

A space's doors are the doors that connect it and the doors of every space it
contains, at any depth; a door between two spaces counts once for each space
above either side. Fence segments count towards the zone they guard and the
spaces above it, classed by :func:`twin.fence.zone_class`. The status is the
worst class among those members:

- ``breach``: a door is ``forced_open`` or ``held_open``, or a segment is in
  ``alarm``;
- ``degraded``: a door is ``fault`` or ``offline``, or a segment is in
  ``tamper``, ``fault`` or ``offline``;
- ``unknown``: a door or segment is ``unknown``;
- ``secure``: otherwise, including a space with no doors at all.

The roll-up is incremental: each space keeps a count of its doors per class, so
a door's change touches only the spaces above it (tens at most), never the
whole site. Errors: :class:`SpaceRollup` raises ``ValueError`` for a door in a
space it does not know or a containment cycle, and ``KeyError`` for an unknown
space or door id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from twin.door import DoorStatus


class SpaceStatus(StrEnum):
    SECURE = "secure"
    BREACH = "breach"
    DEGRADED = "degraded"
    UNKNOWN = "unknown"


# Worst first: the first class with a door in it is the space's status.
_ORDER = (SpaceStatus.BREACH, SpaceStatus.DEGRADED, SpaceStatus.UNKNOWN)
_INDEX = {status: index for index, status in enumerate(_ORDER)}
_CLASS_OF_DOOR: dict[DoorStatus, SpaceStatus] = {
    DoorStatus.FORCED_OPEN: SpaceStatus.BREACH,
    DoorStatus.HELD_OPEN: SpaceStatus.BREACH,
    DoorStatus.FAULT: SpaceStatus.DEGRADED,
    DoorStatus.OFFLINE: SpaceStatus.DEGRADED,
    DoorStatus.UNKNOWN: SpaceStatus.UNKNOWN,
    DoorStatus.SECURE: SpaceStatus.SECURE,
    DoorStatus.UNLOCKED: SpaceStatus.SECURE,
    DoorStatus.OPEN: SpaceStatus.SECURE,
}


def door_class(status: DoorStatus) -> SpaceStatus:
    """What a door in ``status`` contributes to the spaces around it."""
    return _CLASS_OF_DOOR[status]


SpaceChange = tuple[str, SpaceStatus, SpaceStatus]
"""A space whose status changed: (space id, old status, new status)."""


class SpaceRollup:
    """Live space statuses, updated one door change at a time.

    ``parents`` maps every space id to its containing space (None at the top);
    ``door_spaces`` maps every door id to the spaces it connects. Every door
    starts in ``initial``. ``segment_zones`` maps fence segment ids to the
    zone each guards; segments start ``unknown``.
    """

    def __init__(
        self,
        parents: Mapping[str, str | None],
        door_spaces: Mapping[str, Iterable[str]],
        initial: DoorStatus = DoorStatus.UNKNOWN,
        segment_zones: Mapping[str, str] | None = None,
    ) -> None:
        self._parents = dict(parents)
        self._doors: dict[str, set[str]] = {space: set() for space in parents}
        self._above: dict[str, tuple[str, ...]] = {}
        self._door_class: dict[str, SpaceStatus] = {}
        # Per space: doors in it or below it, per class in _ORDER.
        self._counts: dict[str, list[int]] = {space: [0, 0, 0] for space in parents}
        self._status: dict[str, SpaceStatus] = {}

        for door, spaces in door_spaces.items():
            above: dict[str, None] = {}
            for space in spaces:
                if space not in self._parents:
                    raise ValueError(f"door {door!r} connects unknown space {space!r}")
                self._doors[space].add(door)
                above.update(dict.fromkeys(self._lineage(space)))
            self._above[door] = tuple(above)
            self._door_class[door] = door_class(initial)

        start = door_class(initial)
        if start is not SpaceStatus.SECURE:
            for spaces_above in self._above.values():
                for space in spaces_above:
                    self._counts[space][_INDEX[start]] += 1
        for segment, zone in (segment_zones or {}).items():
            if zone not in self._parents:
                raise ValueError(f"segment {segment!r} guards unknown space {zone!r}")
            self._above[segment] = tuple(self._lineage(zone))
            self._door_class[segment] = SpaceStatus.UNKNOWN
            for space in self._above[segment]:
                self._counts[space][_INDEX[SpaceStatus.UNKNOWN]] += 1
        for space in self._parents:
            self._status[space] = self._evaluate(space)

    def _lineage(self, space: str) -> list[str]:
        """``space`` and every space containing it, nearest first."""
        found: list[str] = []
        current: str | None = space
        while current is not None:
            if current in found:
                raise ValueError(f"spaces contain each other: {' > '.join(found)}")
            if current not in self._parents:
                raise ValueError(f"unknown space {current!r} contains {space!r}")
            found.append(current)
            current = self._parents[current]
        return found

    def _evaluate(self, space: str) -> SpaceStatus:
        counts = self._counts[space]
        for index, status in enumerate(_ORDER):
            if counts[index]:
                return status
        return SpaceStatus.SECURE

    def status(self, space: str) -> SpaceStatus:
        """The space's current status; ``KeyError`` for an unknown space."""
        return self._status[space]

    def counts(self, space: str) -> dict[str, int]:
        """Doors and segments in or below ``space`` per class other than secure."""
        counts = self._counts[space]
        return {status.value: counts[index] for index, status in enumerate(_ORDER)}

    def doors(self, space: str) -> frozenset[str]:
        """The doors connecting ``space`` itself (not those below it)."""
        return frozenset(self._doors[space])

    def spaces_above(self, door: str) -> tuple[str, ...]:
        """Every space whose status ``door`` counts towards, nearest first."""
        return self._above[door]

    def update(self, door: str, status: DoorStatus) -> list[SpaceChange]:
        """Record ``door``'s new status; return the spaces whose status changed.

        Costs nothing when the door stays in the same class (say, from
        ``secure`` to ``open``); otherwise it touches only the spaces above the
        door. ``KeyError`` for an unknown door.
        """
        return self.update_class(door, door_class(status))

    def update_class(self, member: str, new: SpaceStatus) -> list[SpaceChange]:
        """Record that door or segment ``member`` now counts as ``new``; return the
        spaces whose status changed. ``KeyError`` for an unknown member."""
        old = self._door_class[member]
        if old is new:
            return []
        self._door_class[member] = new

        changes: list[SpaceChange] = []
        for space in self._above[member]:
            counts = self._counts[space]
            if old is not SpaceStatus.SECURE:
                counts[_INDEX[old]] -= 1
            if new is not SpaceStatus.SECURE:
                counts[_INDEX[new]] += 1
            before = self._status[space]
            after = self._evaluate(space)
            if after is not before:
                self._status[space] = after
                changes.append((space, before, after))
        return changes
