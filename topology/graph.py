"""The site as a typed graph, and the questions people ask of it.

The graph is a ``networkx.MultiDiGraph`` whose node keys are the ids of the site
file (one namespace for spaces, doors, devices and interlocks).

Node attributes:

- ``category``: ``space``, ``door``, ``device``, ``interlock`` or
  ``fence_segment``;
- ``kind``: for a space its :class:`~topology.site.SpaceKind` value (``cell``,
  ``housing_unit``...), for a device its :class:`~topology.site.DeviceKind` value
  (``door_controller``...), for a fence segment its fence (``inner``,
  ``outer``), otherwise ``door`` or ``interlock``;
- ``name``: the item's name, or its id when the file gives none;
- ``parent``: for spaces only, the containing space's id or ``None``.

Edges carry ``kind`` (also used as the edge key, so each kind appears at most once
between two nodes):

- ``contains``: parent space -> child space;
- ``connects``: door -> each of its two spaces, and each space -> the door;
- ``controls``: device -> a door with at least one input or its lock bound to
  that device; attribute ``attributes`` lists the bound door attributes
  (``locked``, ``closed``, ``tamper``, ``request_to_exit``, ``lock``);
- ``located_in``: device -> the space it is installed in;
- ``interlocks``: interlock -> each of its doors;
- ``guards``: fence segment -> the zone it guards;
- ``adjacent``: fence segment -> each neighbouring segment (both ways);
- ``covers``: camera -> each fence segment it covers;
- ``watches``: device -> a fence segment with a point bound to that device;
  attribute ``attributes`` lists the bound inputs (``alarm``, ``tamper``...).

Containment is not passage: a person moves between spaces only through doors,
and a door leads into exactly the two spaces it names. Being in a space means
being in it or in any space it contains.

Exceptions raised by the queries::

    GraphQueryError
    ├── UnknownNodeError   no node has that id
    ├── WrongKindError     the node exists but is not what the query needs
    └── NoPathError        no way leads through doors between two spaces

Every query is a pure function of the graph and runs in time linear in the part
of the graph it looks at.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import networkx as nx

from topology.fence import segment_neighbours
from topology.site import SiteFile

SPACE = "space"
DOOR = "door"
DEVICE = "device"
INTERLOCK = "interlock"
FENCE_SEGMENT = "fence_segment"

CONTAINS = "contains"
CONNECTS = "connects"
CONTROLS = "controls"
LOCATED_IN = "located_in"
INTERLOCKS = "interlocks"
GUARDS = "guards"
ADJACENT = "adjacent"
COVERS = "covers"
WATCHES = "watches"

# The relation as seen from the far end of an edge, for ``neighbors``.
_INVERSE = {
    CONTAINS: "contained_in",
    CONNECTS: CONNECTS,
    CONTROLS: "controlled_by",
    LOCATED_IN: "location_of",
    INTERLOCKS: "interlocked_by",
    GUARDS: "guarded_by",
    ADJACENT: ADJACENT,
    COVERS: "covered_by",
    WATCHES: "watched_by",
}


class GraphQueryError(Exception):
    """A graph query cannot be answered; the message says why."""


class UnknownNodeError(GraphQueryError):
    """No node of the graph has the given id."""


class WrongKindError(GraphQueryError):
    """The node exists but is of another category (a door where a space is due)."""


class NoPathError(GraphQueryError):
    """No sequence of doors leads from one space to the other."""


@dataclass(frozen=True, slots=True)
class SpaceTree:
    """A space and, recursively, the spaces it contains (in file order)."""

    id: str
    kind: str
    name: str
    children: tuple[SpaceTree, ...]


def build_graph(site: SiteFile) -> nx.MultiDiGraph:
    """The typed graph of a site whose references have been checked.

    Expects a site that passed :func:`topology.loader.load_site`'s checks; an
    unknown reference would silently create an attribute-less node.
    """
    graph = nx.MultiDiGraph(site_id=site.site.id, site_name=site.site.name)

    for space in site.spaces:
        graph.add_node(
            space.id,
            category=SPACE,
            kind=space.kind.value,
            name=space.name or space.id,
            parent=space.parent,
        )
    for door in site.doors:
        graph.add_node(door.id, category=DOOR, kind=DOOR, name=door.name or door.id)
    for device in site.devices:
        graph.add_node(
            device.id,
            category=DEVICE,
            kind=device.kind.value,
            name=device.name or device.id,
        )
    for interlock in site.interlocks:
        graph.add_node(
            interlock.id,
            category=INTERLOCK,
            kind=INTERLOCK,
            name=interlock.name or interlock.id,
        )

    for space in site.spaces:
        if space.parent is not None:
            _link(graph, space.parent, space.id, CONTAINS)
    for door in site.doors:
        for space_id in door.between:
            _link(graph, door.id, space_id, CONNECTS)
            _link(graph, space_id, door.id, CONNECTS)
        bound: dict[str, list[str]] = {}
        refs = dict(door.bindings.refs())
        if door.lock is not None:
            refs["lock"] = door.lock
        for attribute, ref in refs.items():
            bound.setdefault(ref.device, []).append(attribute)
        for device_id, attributes in bound.items():
            _link(graph, device_id, door.id, CONTROLS, attributes=tuple(attributes))
    for device in site.devices:
        if device.location is not None:
            _link(graph, device.id, device.location, LOCATED_IN)
    for interlock in site.interlocks:
        for door_id in interlock.doors:
            _link(graph, interlock.id, door_id, INTERLOCKS)
    _add_fence(graph, site)
    return graph


def _add_fence(graph: nx.MultiDiGraph, site: SiteFile) -> None:
    for segment in site.fence_segments:
        graph.add_node(
            segment.id,
            category=FENCE_SEGMENT,
            kind=segment.fence.value,
            name=segment.name or segment.id,
        )
    for segment_id, others in segment_neighbours(site).items():
        for other in others:
            _link(graph, segment_id, other, ADJACENT)
    for segment in site.fence_segments:
        _link(graph, segment.id, segment.zone, GUARDS)
        for camera in segment.cameras:
            _link(graph, camera, segment.id, COVERS)
        bound: dict[str, list[str]] = {}
        for attribute, ref in segment.bindings.refs().items():
            bound.setdefault(ref.device, []).append(attribute)
        for device_id, attributes in bound.items():
            _link(graph, device_id, segment.id, WATCHES, attributes=tuple(attributes))


def _link(
    graph: nx.MultiDiGraph, source: str, target: str, kind: str, **extra: object
) -> None:
    graph.add_edge(source, target, key=kind, kind=kind, **extra)


# -- node checks ---------------------------------------------------------


def category_of(graph: nx.MultiDiGraph, node: str) -> str:
    """``space``, ``door``, ``device`` or ``interlock``; raises
    :class:`UnknownNodeError` for an id the graph does not have."""
    try:
        return str(graph.nodes[node]["category"])
    except KeyError as exc:
        raise UnknownNodeError(f"the site has no space, door or device {node}") from exc


def _require(graph: nx.MultiDiGraph, node: str, category: str) -> None:
    found = category_of(graph, node)
    if found != category:
        raise WrongKindError(f"{node} is a {found}, not a {category}")


def _targets(graph: nx.MultiDiGraph, node: str, kind: str) -> list[str]:
    return [v for _, v, k in graph.out_edges(node, keys=True) if k == kind]


# -- containment ---------------------------------------------------------


def children(graph: nx.MultiDiGraph, space: str) -> list[str]:
    """The spaces directly inside ``space``, in file order."""
    _require(graph, space, SPACE)
    return _targets(graph, space, CONTAINS)


def descendants(graph: nx.MultiDiGraph, space: str) -> list[str]:
    """Every space inside ``space`` at any depth, nearest first (breadth-first)."""
    _require(graph, space, SPACE)
    return _inside(graph, space)[1:]


def ancestors(graph: nx.MultiDiGraph, space: str) -> list[str]:
    """The spaces that contain ``space``, from its parent up to the outermost."""
    _require(graph, space, SPACE)
    found: list[str] = []
    parent = graph.nodes[space]["parent"]
    while parent is not None:
        found.append(parent)
        parent = graph.nodes[parent]["parent"]
    return found


def root_spaces(graph: nx.MultiDiGraph) -> list[str]:
    """Spaces that no other space contains, in file order."""
    return [
        node
        for node, data in graph.nodes(data=True)
        if data["category"] == SPACE and data["parent"] is None
    ]


def containment_tree(
    graph: nx.MultiDiGraph, space: str | None = None
) -> list[SpaceTree]:
    """The containment tree under ``space`` (a one-item list), or the trees of
    all root spaces when ``space`` is ``None``."""
    if space is not None:
        _require(graph, space, SPACE)
    tops = [space] if space is not None else root_spaces(graph)
    return [_tree(graph, top) for top in tops]


def _tree(graph: nx.MultiDiGraph, space: str) -> SpaceTree:
    # Built bottom-up from a breadth-first order, so a deep containment chain
    # does not hit Python's recursion limit.
    order = _inside(graph, space)
    built: dict[str, SpaceTree] = {}
    for node in reversed(order):
        data = graph.nodes[node]
        built[node] = SpaceTree(
            id=node,
            kind=data["kind"],
            name=data["name"],
            children=tuple(built[c] for c in _targets(graph, node, CONTAINS)),
        )
    return built[space]


def _inside(graph: nx.MultiDiGraph, space: str) -> list[str]:
    """``space`` followed by every space inside it, breadth-first."""
    order = [space]
    for node in order:  # the list grows while we walk it
        order.extend(_targets(graph, node, CONTAINS))
    return order


# -- passage through doors -----------------------------------------------


def _doors_of(graph: nx.MultiDiGraph, space: str) -> list[str]:
    return _targets(graph, space, CONNECTS)


def _other_side(graph: nx.MultiDiGraph, door: str, space: str) -> str:
    sides = _targets(graph, door, CONNECTS)
    return sides[1] if sides[0] == space else sides[0]


def doors_between(graph: nx.MultiDiGraph, from_space: str, to_space: str) -> list[str]:
    """The doors a person passes through, in order, on the way from
    ``from_space`` to ``to_space`` that crosses the fewest doors.

    A space stands for itself and everything inside it, so the way may start in
    any space inside ``from_space`` and end in any space inside ``to_space``; if
    one contains the other the answer is ``[]``. Among equally short ways the
    one found first in file order wins, so the answer is stable.

    Raises :class:`UnknownNodeError` or :class:`WrongKindError` for a bad id and
    :class:`NoPathError` when no way exists.
    """
    _require(graph, from_space, SPACE)
    _require(graph, to_space, SPACE)
    targets = set(_inside(graph, to_space))
    starts = _inside(graph, from_space)
    if targets.intersection(starts):
        return []

    # Breadth-first search over spaces; came_from[space] = (previous space, door).
    came_from: dict[str, tuple[str, str] | None] = dict.fromkeys(starts)
    queue = deque(starts)
    while queue:
        space = queue.popleft()
        for door in _doors_of(graph, space):
            beyond = _other_side(graph, door, space)
            if beyond in came_from:
                continue
            came_from[beyond] = (space, door)
            if beyond in targets:
                return _walk_back(came_from, beyond)
            queue.append(beyond)
    raise NoPathError(f"no way leads through doors from {from_space} to {to_space}")


def _walk_back(came_from: dict[str, tuple[str, str] | None], end: str) -> list[str]:
    doors: list[str] = []
    step = came_from[end]
    while step is not None:
        space, door = step
        doors.append(door)
        step = came_from[space]
    doors.reverse()
    return doors


def isolating_doors(graph: nx.MultiDiGraph, space: str) -> list[str]:
    """The doors that, all locked, seal ``space`` and everything inside it from
    the rest of the site: those with exactly one side in it. Sorted by id.

    Doors between two spaces that are both inside ``space`` are not needed and
    not listed. A space with no such door is already sealed (``[]``).
    """
    _require(graph, space, SPACE)
    inside = set(_inside(graph, space))
    found = {
        door
        for node in inside
        for door in _doors_of(graph, node)
        if _other_side(graph, door, node) not in inside
    }
    return sorted(found)


# -- neighbourhood -------------------------------------------------------


def neighbors(graph: nx.MultiDiGraph, node: str) -> list[tuple[str, str]]:
    """Every node linked to ``node``, with the relation seen from ``node``.

    Relations: ``contains`` / ``contained_in``, ``connects`` (door and space,
    both ways), ``controls`` / ``controlled_by``, ``located_in`` /
    ``location_of``, ``interlocks`` / ``interlocked_by``. Outgoing links come
    first, each group in file order; a pair appears once.
    """
    category_of(graph, node)
    found: dict[tuple[str, str], None] = {}
    for _, target, kind in graph.out_edges(node, keys=True):
        found[(target, kind)] = None
    for source, _, kind in graph.in_edges(node, keys=True):
        found[(source, _INVERSE[kind])] = None
    return list(found)


def doors_controlled_by(graph: nx.MultiDiGraph, device: str) -> list[str]:
    """The doors with an input or lock bound to ``device``, in file order."""
    _require(graph, device, DEVICE)
    return _targets(graph, device, CONTROLS)


def controllers_of(graph: nx.MultiDiGraph, door: str) -> list[str]:
    """The devices that ``door``'s inputs and lock are bound to."""
    _require(graph, door, DOOR)
    return [u for u, _, k in graph.in_edges(door, keys=True) if k == CONTROLS]


def nodes_of(graph: nx.MultiDiGraph, category: str) -> list[str]:
    """The ids of every ``space``, ``door``, ``device`` or ``interlock``."""
    return [n for n, c in graph.nodes(data="category") if c == category]
