"""Graph queries on the demo prison and on small hand-made sites."""

from __future__ import annotations

import networkx as nx
import pytest

from tests.topology.files import SITE, WriteSite
from topology.graph import (
    NoPathError,
    SpaceTree,
    UnknownNodeError,
    WrongKindError,
    ancestors,
    children,
    containment_tree,
    controllers_of,
    descendants,
    doors_between,
    doors_controlled_by,
    isolating_doors,
    neighbors,
    nodes_of,
)
from topology.loader import LoadedSite, load_site
from warden.demo import site_path


@pytest.fixture(scope="module")
def demo() -> LoadedSite:
    return load_site(site_path())


@pytest.fixture(scope="module")
def graph(demo: LoadedSite) -> nx.MultiDiGraph:
    return demo.graph


def test_way_in_through_the_pedestrian_sally_port(graph: nx.MultiDiGraph) -> None:
    assert doors_between(graph, "OUTSIDE", "GH-CCR") == [
        "D-GH-RECEPTION",
        "D-GH-PED-OUTER",
        "D-GH-PED-INNER",
        "D-GH-CCR",
    ]


def test_way_back_is_the_same_doors_reversed(graph: nx.MultiDiGraph) -> None:
    assert doors_between(graph, "GH-CCR", "OUTSIDE") == [
        "D-GH-CCR",
        "D-GH-PED-INNER",
        "D-GH-PED-OUTER",
        "D-GH-RECEPTION",
    ]


def test_way_in_through_the_vehicle_sally_port(graph: nx.MultiDiGraph) -> None:
    assert doors_between(graph, "OUTSIDE", "KITCHEN") == [
        "G-VSP-OUTER",
        "G-VSP-INNER",
        "D-KITCHEN-DOCK",
    ]


def test_way_from_a_cell_to_a_cell_of_the_other_unit(
    graph: nx.MultiDiGraph,
) -> None:
    assert doors_between(graph, "A1-01", "B2-16") == [
        "D-A1-01",
        "D-A-ENTRY-INNER",
        "D-A-ENTRY-OUTER",
        "D-B-ENTRY-OUTER",
        "D-B-ENTRY-INNER",
        "D-B-STAIR-1",
        "D-B-STAIR-2",
        "D-B2-16",
    ]


def test_way_into_a_container_ends_at_its_nearest_inner_space(
    graph: nx.MultiDiGraph,
) -> None:
    # Housing unit B as a whole is reached at its entrance lobby or its yard.
    assert doors_between(graph, "WALKWAY", "HU-B") == ["D-B-ENTRY-OUTER"]
    assert doors_between(graph, "HU-A", "A1-01") == []
    assert doors_between(graph, "A1-01", "COMPOUND") == []


def test_isolating_a_cell(graph: nx.MultiDiGraph) -> None:
    assert isolating_doors(graph, "A1-01") == ["D-A1-01"]


def test_isolating_a_housing_unit(graph: nx.MultiDiGraph) -> None:
    assert isolating_doors(graph, "HU-A") == ["D-A-ENTRY-OUTER", "D-A-YARD-GATE"]


def test_isolating_the_compound(graph: nx.MultiDiGraph) -> None:
    assert isolating_doors(graph, "COMPOUND") == [
        "D-GH-SEARCH",
        "D-GH-VISITS-RETURN",
        "G-VSP-INNER",
    ]


@pytest.mark.parametrize("space", ["A1-01", "A-L2", "HU-A", "GATEHOUSE", "COMPOUND"])
def test_isolating_doors_really_seal_the_space(
    graph: nx.MultiDiGraph, space: str
) -> None:
    # Before sealing there is a way in from outside the fence.
    assert doors_between(graph, "OUTSIDE", space)

    sealed = graph.copy()
    sealed.remove_nodes_from(isolating_doors(graph, space))

    inside = {space, *descendants(graph, space)}
    around = set(ancestors(graph, space))  # contain it, so "already there"
    others = [s for s in nodes_of(graph, "space") if s not in inside | around]
    assert others
    for other in others:
        with pytest.raises(NoPathError):
            doors_between(sealed, other, space)


def test_containment(graph: nx.MultiDiGraph) -> None:
    assert ancestors(graph, "A1-01") == ["A-L1", "HU-A", "COMPOUND", "ARCC"]
    assert ancestors(graph, "ARCC") == []
    assert children(graph, "HU-A") == ["A-ENTRY", "A-STAIR", "A-YARD", "A-L1", "A-L2"]
    assert len(descendants(graph, "A-L2")) == 17

    (tree,) = containment_tree(graph)
    assert tree.id == "ARCC" and tree.kind == "site"
    assert [c.id for c in tree.children] == [
        "OUTSIDE",
        "GATEHOUSE",
        "COMPOUND",
        "PERIMETER",
    ]
    (unit,) = containment_tree(graph, "HU-B")
    landing_2 = unit.children[-1]
    assert landing_2 == SpaceTree(
        id="B-L2",
        kind="floor",
        name="Unit B landing 2 (first floor)",
        children=landing_2.children,
    )
    assert [c.id for c in landing_2.children][:3] == ["B-L2-LANDING", "B2-01", "B2-02"]


def test_demo_has_two_units_of_two_floors_of_sixteen_cells(
    graph: nx.MultiDiGraph,
) -> None:
    for floor in ("A-L1", "A-L2", "B-L1", "B-L2"):
        cells = [c for c in children(graph, floor) if graph.nodes[c]["kind"] == "cell"]
        assert len(cells) == 16, floor


def test_controllers_and_their_doors(graph: nx.MultiDiGraph) -> None:
    assert doors_controlled_by(graph, "DC-A1") == [
        f"D-A1-{n:02d}" for n in range(1, 17)
    ]
    assert doors_controlled_by(graph, "DC-CMP")[:2] == ["G-VSP-OUTER", "G-VSP-INNER"]
    assert controllers_of(graph, "D-B2-07") == ["DC-B2"]


def test_neighbors_name_the_relation_from_the_node(graph: nx.MultiDiGraph) -> None:
    assert neighbors(graph, "D-A1-01") == [
        ("A-L1-LANDING", "connects"),
        ("A1-01", "connects"),
        ("DC-A1", "controlled_by"),
    ]
    assert neighbors(graph, "G-VSP-OUTER") == [
        ("OUTSIDE", "connects"),
        ("VEH-SP", "connects"),
        ("DC-CMP", "controlled_by"),
        ("IL-VEH-SP", "interlocked_by"),
    ]
    assert ("A-L1", "contained_in") in neighbors(graph, "A1-01")
    assert ("DC-A1", "location_of") in neighbors(graph, "A-OFFICE")
    assert ("A-OFFICE", "located_in") in neighbors(graph, "DC-A1")


@pytest.mark.parametrize(
    ("call", "error", "phrase"),
    [
        (lambda g: doors_between(g, "OUTSIDE", "Z-9"), UnknownNodeError, "Z-9"),
        (
            lambda g: doors_between(g, "D-A1-01", "A1-01"),
            WrongKindError,
            "D-A1-01 is a door, not a space",
        ),
        (lambda g: isolating_doors(g, "NOPE"), UnknownNodeError, "NOPE"),
        (
            lambda g: isolating_doors(g, "DC-A1"),
            WrongKindError,
            "DC-A1 is a device, not a space",
        ),
        (
            lambda g: doors_controlled_by(g, "A1-01"),
            WrongKindError,
            "A1-01 is a space, not a device",
        ),
        (
            lambda g: ancestors(g, "IL-PED-SP"),
            WrongKindError,
            "IL-PED-SP is a interlock",
        ),
        (lambda g: neighbors(g, "MISSING"), UnknownNodeError, "MISSING"),
    ],
)
def test_bad_ids_give_clear_errors(
    graph: nx.MultiDiGraph, call: object, error: type[Exception], phrase: str
) -> None:
    assert callable(call)
    with pytest.raises(error, match=phrase):
        call(graph)


def test_no_way_between_unconnected_spaces(write_site: WriteSite) -> None:
    site = SITE.replace(
        "  - {id: CELL-1, kind: cell, parent: S}\n",
        "  - {id: CELL-1, kind: cell, parent: S}\n  - {id: STORE, kind: room}\n",
    )
    graph = load_site(write_site(site)).graph

    with pytest.raises(
        NoPathError, match="no way leads through doors from HALL to STORE"
    ):
        doors_between(graph, "HALL", "STORE")
    assert isolating_doors(graph, "STORE") == []
