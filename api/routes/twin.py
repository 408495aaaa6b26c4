"""The twin: nodes with live state, their neighbours and paths between spaces."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from api.deps import Context, not_found
from api.schemas import NeighborOut, NodeOut, PathOut, state_json
from topology import graph as site_graph
from topology.impact import impact
from topology.site import SpaceKind
from twin.views import NodeView

router = APIRouter(prefix="/twin", tags=["twin"])

_SPACE_KINDS = frozenset(kind.value for kind in SpaceKind)


def node_out(node: NodeView) -> NodeOut:
    return NodeOut(
        id=node.id,
        kind=node.kind,
        name=node.name,
        parent=node.parent,
        state=state_json(node.state),
    )


@router.get("/nodes")
def list_nodes(
    context: Context,
    kind: Annotated[
        str | None, Query(description="door, cell, housing_unit, door_controller, ...")
    ] = None,
) -> list[NodeOut]:
    """Every node of the twin, optionally of one kind, with its live state."""
    return [node_out(node) for node in context.twin.nodes(kind)]


@router.get("/nodes/{node_id}")
def get_node(context: Context, node_id: str) -> NodeOut:
    """One node and its live state (for a door: status, locked, closed, since)."""
    try:
        return node_out(context.twin.node(node_id))
    except KeyError:
        raise not_found("node", node_id) from None


@router.get("/nodes/{node_id}/neighbors")
def get_neighbors(context: Context, node_id: str) -> list[NeighborOut]:
    """Nodes one edge away and how they relate (contains, connects, controls...)."""
    try:
        neighbors = context.twin.neighbors(node_id)
    except KeyError:
        raise not_found("node", node_id) from None
    return [NeighborOut(id=n.id, kind=n.kind, relation=n.relation) for n in neighbors]


@router.get("/nodes/{node_id}/impact")
def get_impact(context: Context, node_id: str) -> dict[str, Any]:
    """What depends on a node: devices behind it in the network, and the doors,
    fence segments and cameras that would become unreachable if it failed."""
    try:
        found = impact(context.site.site, node_id)
    except KeyError:
        raise not_found("node", node_id) from None
    return dataclasses.asdict(found)


@router.get("/paths", response_model_by_alias=True)
def get_path(
    context: Context,
    from_: Annotated[str, Query(alias="from", description="space id")],
    to: Annotated[str, Query(description="space id")],
) -> PathOut:
    """The doors a person passes through, in order, on the shortest way."""
    graph = context.site.graph
    for space in (from_, to):
        if space not in graph or graph.nodes[space].get("kind") not in _SPACE_KINDS:
            raise not_found("space", space)
    try:
        doors = site_graph.doors_between(graph, from_, to)
    except (KeyError, ValueError) as exc:
        raise HTTPException(status_code=404, detail=str(exc).strip("'\"")) from None
    return PathOut.model_validate({"from": from_, "to": to, "doors": doors})
