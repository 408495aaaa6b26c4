"""Loading valid sites, and how problems are collected and reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.topology.files import SITE, WriteSite, edit
from topology.check import check_site
from topology.graph import CONNECTS, CONTAINS, CONTROLS
from topology.loader import Problem, SiteError, load_site, with_endpoints
from topology.profile import DataType
from topology.site import Endpoint


def test_valid_site_loads_with_profiles_and_graph(write_site: WriteSite) -> None:
    path = write_site()

    loaded = load_site(str(path))

    assert loaded.path == path
    assert loaded.site.site.id == "test"
    assert [door.id for door in loaded.site.doors] == ["D-1"]
    lock = loaded.site.doors[0].lock
    assert lock is not None and lock.invert and lock.point == "relay_1"
    assert loaded.profile_for("DC-1").point("count_1").data_type is DataType.UINT32
    assert loaded.graph.nodes["CELL-1"] == {
        "category": "space",
        "kind": "cell",
        "name": "CELL-1",
        "parent": "S",
    }
    assert loaded.graph.nodes["DC-1"]["kind"] == "door_controller"
    assert loaded.graph.has_edge("S", "CELL-1", key=CONTAINS)
    assert loaded.graph.has_edge("D-1", "HALL", key=CONNECTS)
    assert loaded.graph.has_edge("HALL", "D-1", key=CONNECTS)
    controls = loaded.graph.edges["DC-1", "D-1", CONTROLS]
    assert controls["attributes"] == ("locked", "closed", "lock")


def test_every_problem_is_reported_at_once_in_line_order(
    write_site: WriteSite,
) -> None:
    site = edit(SITE, "kind: corridor, parent: S}", "kind: corridor, parent: X}")
    site = edit(site, "[HALL, CELL-1]", "[HALL, CELL-9]")
    site = edit(site, "port: 15020", "port: -1")
    path = write_site(site)

    with pytest.raises(SiteError) as caught:
        load_site(path)

    assert [p.line for p in caught.value.problems] == [7, 11, 20]
    assert all(p.file == path for p in caught.value.problems)
    assert str(caught.value).splitlines()[0] == (
        f"{path}:7: space HALL has parent space X, which is not defined"
    )


def test_an_invalid_item_is_still_a_known_id(write_site: WriteSite) -> None:
    # CELL-1 has a bad kind; the door naming it must not add "not defined".
    path = write_site(edit(SITE, "kind: cell", "kind: cel"))

    problems = check_site(path)

    assert [(p.line, p.message.split(":")[0]) for p in problems] == [
        (8, "space CELL-1")
    ]


def test_broken_profile_does_not_cascade_into_binding_problems(
    write_site: WriteSite,
) -> None:
    path = write_site(profile="id: dc\npoints: 3\n")

    problems = check_site(path)

    assert len(problems) == 1
    assert problems[0].file == path.parent / "profiles" / "dc.yaml"
    assert problems[0].line == 2
    assert "'points' should be a list" in problems[0].message


@pytest.mark.parametrize(
    ("text", "line", "phrase"),
    [
        ("", None, "the site file is empty"),
        ("- just\n- a list\n", 1, "the site file should be a mapping of fields"),
        ("site: {id: x, name: y}\nspaces: 5\n", 2, "'spaces' should be a list"),
        ("version: 2\nsite: {id: x, name: y}\n", 1, "'version' should be 1"),
        ("spaces: []\n", 1, "the site file is missing the required field 'site'"),
    ],
)
def test_broken_top_level(
    text: str, line: int | None, phrase: str, tmp_path: Path
) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(text, encoding="utf-8")

    problems = check_site(path)

    assert [(p.line, phrase in p.message) for p in problems] == [(line, True)], problems


def test_missing_site_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"

    assert check_site(path) == [Problem(path, None, "file not found")]


def test_problem_names_file_and_line() -> None:
    problem = Problem(Path("site.yaml"), 42, "door D-1 is wrong")

    assert str(problem) == "site.yaml:42: door D-1 is wrong"
    assert str(Problem(Path("site.yaml"), None, "empty")) == "site.yaml: empty"


def test_check_site_of_a_valid_site_is_empty(write_site: WriteSite) -> None:
    assert check_site(write_site()) == []


def test_devices_on_port_zero_do_not_collide(write_site: WriteSite) -> None:
    site = edit(SITE, "port: 15020}", "port: 0}") + (
        "  - id: DC-2\n"
        "    kind: door_controller\n"
        "    protocol: modbus\n"
        "    endpoint: {host: 127.0.0.1, port: 0}\n"
        "    profile: dc\n"
    )

    assert check_site(write_site(site)) == []


def test_with_endpoints_replaces_only_the_named_devices(
    write_site: WriteSite,
) -> None:
    site = SITE + (
        "  - id: DC-2\n"
        "    kind: door_controller\n"
        "    protocol: modbus\n"
        "    endpoint: {host: 127.0.0.1, port: 15021}\n"
        "    profile: dc\n"
    )
    loaded = load_site(write_site(site))
    real = Endpoint(host="127.0.0.1", port=40123, unit_id=1)

    moved = with_endpoints(loaded, {"DC-1": real})

    assert moved.device("DC-1").endpoint == real
    assert moved.device("DC-2").endpoint == loaded.device("DC-2").endpoint
    assert loaded.device("DC-1").endpoint == Endpoint(port=15020)
    assert moved.graph is loaded.graph
    assert moved.profiles is loaded.profiles


def test_with_endpoints_rejects_unknown_devices(write_site: WriteSite) -> None:
    loaded = load_site(write_site())

    with pytest.raises(KeyError, match="DC-7"):
        with_endpoints(loaded, {"DC-7": Endpoint(port=1)})
