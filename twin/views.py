"""Read-only views of twin nodes and the structure that links them.

:class:`NodeView` is a snapshot: its ``state`` does not change after it is made.
The neighbour index is built once from the site file, because the structure
does not change while the twin runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from topology.sample import Quality
from topology.site import Device, Door, SiteFile, Space
from twin.door import door_cause
from twin.records import DeviceRecord, DoorRecord
from twin.space import SpaceRollup

DOOR_KIND = "door"
SPACE = "space"
DEVICE = "device"


@dataclass(frozen=True, slots=True)
class NodeView:
    """One node as the twin sees it now.

    ``kind`` is the space kind (``cell``, ``building``...), ``door``, or the
    device kind (``door_controller``...). ``name`` falls back to the id.
    ``parent`` is the containing space of a space, the location of a device
    and None for a door. ``state`` depends on the kind; times in it are epoch
    seconds.
    """

    id: str
    kind: str
    name: str
    parent: str | None
    state: Mapping[str, object]


class Relation(StrEnum):
    """How a neighbour relates to the node asked about."""

    CONTAINS = "contains"
    """The neighbour is a space directly inside this space."""
    CONTAINED_BY = "contained_by"
    """The neighbour is the space directly containing this space."""
    CONNECTS = "connects"
    """Between a door and each of the two spaces it connects, both ways."""
    CONTROLS = "controls"
    """The neighbour is a door whose points this device provides."""
    LINKED = "linked"
    """A network link joins the two devices (a switch port and what is on it)."""
    CONTROLLED_BY = "controlled_by"
    """The neighbour is a device providing this door's points."""
    LOCATED_IN = "located_in"
    """The neighbour is the space this device is installed in."""
    HOSTS = "hosts"
    """The neighbour is a device installed in this space."""


@dataclass(frozen=True, slots=True)
class Neighbor:
    id: str
    kind: str
    relation: str


def node_kinds(site: SiteFile) -> dict[str, tuple[str, str]]:
    """Every node id with its kind and category (``space``, ``door``, ``device``).

    Raises ``ValueError`` when two nodes share an id.
    """
    kinds: dict[str, tuple[str, str]] = {}
    entries = (
        [(space.id, space.kind.value, SPACE) for space in site.spaces]
        + [(door.id, DOOR_KIND, DOOR_KIND) for door in site.doors]
        + [(device.id, device.kind.value, DEVICE) for device in site.devices]
    )
    for node, kind, category in entries:
        if node in kinds:
            raise ValueError(f"two nodes share the id {node!r}")
        kinds[node] = (kind, category)
    return kinds


def build_neighbors(
    site: SiteFile, kinds: Mapping[str, tuple[str, str]]
) -> dict[str, list[Neighbor]]:
    """Each node's neighbours, in site file order, each relation once.

    Raises ``ValueError`` for a reference to a node that does not exist.
    """
    found: dict[str, dict[tuple[str, str], None]] = {node: {} for node in kinds}

    def link(a: str, relation: Relation, b: str, back: Relation) -> None:
        for node in (a, b):
            if node not in kinds:
                raise ValueError(f"{a!r} -> {b!r} names unknown node {node!r}")
        found[a][(b, relation)] = None
        found[b][(a, back)] = None

    for space in site.spaces:
        if space.parent is not None:
            link(space.parent, Relation.CONTAINS, space.id, Relation.CONTAINED_BY)
    for door in site.doors:
        for side in door.between:
            link(door.id, Relation.CONNECTS, side, Relation.CONNECTS)
        refs = list(door.bindings.refs().values())
        if door.lock is not None:
            refs.append(door.lock)
        for ref in refs:
            link(ref.device, Relation.CONTROLS, door.id, Relation.CONTROLLED_BY)
    for device in site.devices:
        if device.location is not None:
            link(device.id, Relation.LOCATED_IN, device.location, Relation.HOSTS)
    for cable in site.links:
        if cable.a.device in kinds and cable.b.device in kinds:
            link(cable.a.device, Relation.LINKED, cable.b.device, Relation.LINKED)

    return {
        node: [Neighbor(other, kinds[other][0], rel) for other, rel in pairs]
        for node, pairs in found.items()
    }


def door_qualities(door: DoorRecord) -> dict[str, str | None]:
    """Each bound input's latest sample quality (None before any sample)."""
    inputs = door.inputs
    return {name: inputs.quality(name) for name in door.bound}


def door_parent(model: Door, parents: Mapping[str, str | None]) -> str | None:
    """The innermost space holding both sides of a door: a cell door's floor, or
    the side that contains the other; ``None`` when they share no ancestor."""
    first, second = model.between

    def chain(space: str | None) -> list[str]:
        found: list[str] = []
        while space is not None and space not in found:
            found.append(space)
            space = parents.get(space)
        return found

    outer = chain(second)
    common = [space for space in chain(first) if space in outer]
    return common[0] if common else None


def door_view(door: DoorRecord, model: Door, parent: str | None) -> NodeView:
    """A door's view: status and since, the two spaces it connects, each input's
    value and quality, whether any value in use is uncertain, active alarms and
    the cause in words; the desired lock state with when it was asked for,
    whether the door followed (None while pending or never commanded) and the
    latest command; the interlock groups it belongs to."""
    inputs = door.inputs
    qualities = door_qualities(door)
    command = None if door.command is None else door.command.snapshot()
    state: dict[str, object] = {
        "status": door.status.value,
        "since": door.since,
        "between": list(model.between),
        "locked": inputs.locked,
        "closed": inputs.closed,
        "tamper": inputs.tamper,
        "request_to_exit": inputs.request_to_exit,
        "quality": qualities,
        "uncertain": Quality.UNCERTAIN in qualities.values(),
        "alarms": sorted(alarm.value for alarm in door.alarms),
        "cause": door_cause(door.status, inputs),
        "held_open_s": door.held_open_s,
        "bindings": dict(door.bound),
        "desired_locked": None if command is None else command.desired_locked,
        "desired_since": None if command is None else command.requested_at,
        "converged": None if command is None else command.converged,
        "command": None if command is None else command.as_dict(),
        "interlocks": list(door.interlocks),
    }
    if door.reasons:
        state["bad"] = dict(door.reasons)
    return NodeView(
        door.id, DOOR_KIND, model.name or door.id, parent, MappingProxyType(state)
    )


def space_view(space: Space, rollup: SpaceRollup, since: float | None) -> NodeView:
    """A space's view: rolled-up status, since, the doors connecting it and
    the count of doors in or below it per class other than secure."""
    state: dict[str, object] = {
        "status": rollup.status(space.id).value,
        "since": since,
        "doors": sorted(rollup.doors(space.id)),
        "counts": rollup.counts(space.id),
    }
    return NodeView(
        space.id,
        space.kind.value,
        space.name or space.id,
        space.parent,
        MappingProxyType(state),
    )


def device_view(device: DeviceRecord, model: Device) -> NodeView:
    """A device's view: health status, since, last seen (epoch of its latest
    usable sample or good poll), the reason of its last failure; status
    ``unreachable`` and the ``cause`` while the network cuts it off."""
    health = device.health
    last_seen = device.last_seen
    if health is not None and health.last_good is not None:
        last_seen = max(last_seen or health.last_good, health.last_good)
    state: dict[str, object] = {
        "status": device.status.value,
        "since": None if health is None else health.since,
        "last_seen": last_seen,
        "reason": None if health is None else health.reason,
        "consecutive_failures": 0 if health is None else health.consecutive_failures,
    }
    if device.network_cause is not None:
        state["status"] = "unreachable"
        state["cause"] = device.network_cause
    return NodeView(
        device.id,
        model.kind.value,
        model.name or device.id,
        model.location,
        MappingProxyType(state),
    )
