"""Loading sites with OPC UA processors and fence segments: the profiles, the
graph, and each mistake at its line."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from tests.topology.files import edit
from topology.graph import FENCE_SEGMENT
from topology.loader import SiteError, load_site
from topology.profile_opcua import OpcUaProfile

# Line numbers matter: the tests assert the exact line of each problem.
SITE = """\
version: 1
site: {id: test, name: Test site}
profiles:
  pids: profiles/pids.yaml
spaces:
  - {id: S, kind: site}
  - {id: PERIMETER, kind: zone, parent: S}
devices:
  - id: PP-1
    kind: perimeter_processor
    protocol: opcua
    endpoint: {url: "opc.tcp://127.0.0.1:4841/pids"}
    profile: pids
  - {id: CAM-1, kind: camera, protocol: none}
  - {id: SW-1, kind: switch, protocol: none}
fence_segments:
  - id: OF-01
    fence: outer
    zone: PERIMETER
    bindings: {alarm: PP-1/z1_alarm, tamper: PP-1/z1_tamper, signal: PP-1/z1_signal}
    cameras: [CAM-1]
  - id: OF-02
    fence: outer
    zone: PERIMETER
    bindings: {alarm: PP-1/z2_alarm}
    cameras: [CAM-1]
  - id: IF-01
    fence: inner
    zone: PERIMETER
    bindings: {alarm: PP-1/z3_alarm}
"""

PROFILE = """\
id: pids
protocol: opcua
vendor: Acme
points:
  - {name: z1_alarm, node: "nsu=urn:acme:pids;s=Zone01.Alarm"}
  - {name: z1_tamper, node: "nsu=urn:acme:pids;s=Zone01.Tamper"}
  - {name: z1_signal, node: "nsu=urn:acme:pids;s=Zone01.Signal", data_type: float32}
  - {name: z2_alarm, node: "nsu=urn:acme:pids;s=Zone02.Alarm"}
  - {name: z3_alarm, node: "nsu=urn:acme:pids;s=Zone03.Alarm"}
"""


def _write(tmp_path: Path, site: str = SITE, profile: str = PROFILE) -> Path:
    (tmp_path / "profiles").mkdir(exist_ok=True)
    (tmp_path / "profiles" / "pids.yaml").write_text(profile, encoding="utf-8")
    path = tmp_path / "site.yaml"
    path.write_text(site, encoding="utf-8")
    return path


def test_opcua_profiles_and_segments_load(tmp_path: Path) -> None:
    loaded = load_site(_write(tmp_path))

    profile = loaded.opcua_profile_for("PP-1")
    assert isinstance(profile, OpcUaProfile)
    assert loaded.profiles == {}
    assert [s.id for s in loaded.site.fence_segments] == ["OF-01", "OF-02", "IF-01"]
    with pytest.raises(KeyError):
        loaded.opcua_profile_for("CAM-1")


def test_segments_are_graph_nodes_with_their_relations(tmp_path: Path) -> None:
    graph: nx.MultiDiGraph = load_site(_write(tmp_path)).graph

    assert graph.nodes["OF-01"]["category"] == FENCE_SEGMENT
    assert graph.nodes["IF-01"]["kind"] == "inner"
    assert graph.has_edge("OF-01", "PERIMETER", key="guards")
    assert graph.has_edge("OF-01", "OF-02", key="adjacent")
    assert graph.has_edge("OF-02", "OF-01", key="adjacent")
    assert not graph.has_edge("OF-01", "IF-01", key="adjacent")
    assert graph.has_edge("CAM-1", "OF-02", key="covers")
    watches = graph.get_edge_data("PP-1", "OF-01", key="watches")
    assert watches["attributes"] == ("alarm", "tamper", "signal")


@pytest.mark.parametrize(
    ("site", "profile", "line", "phrase"),
    [
        (
            edit(
                SITE,
                "    zone: PERIMETER\n    bindings: {alarm: PP-1/z2",
                "    zone: PERIMTER\n    bindings: {alarm: PP-1/z2",
            ),
            PROFILE,
            24,
            "fence segment OF-02 guards space PERIMTER, which is not defined "
            "(did you mean PERIMETER?)",
        ),
        (
            edit(
                SITE,
                "bindings: {alarm: PP-1/z3_alarm}",
                "bindings: {alarm: PP-1/z3_alarms}",
            ),
            PROFILE,
            30,
            "fence segment IF-01: 'alarm' is bound to point z3_alarms of device "
            "PP-1, but its profile pids has no such point (did you mean z3_alarm?)",
        ),
        (
            edit(SITE, "tamper: PP-1/z1_tamper", "tamper: PP-1/z1_signal"),
            PROFILE,
            20,
            "'tamper' is bound to PP-1/z1_signal, a float32 point; 'tamper' needs "
            "a bool point",
        ),
        (
            edit(
                SITE,
                "    cameras: [CAM-1]\n  - id: OF-02",
                "    cameras: [SW-1]\n  - id: OF-02",
            ),
            PROFILE,
            21,
            "fence segment OF-01 is covered by SW-1, which is a switch, not a camera",
        ),
        (
            edit(SITE, "  - id: IF-01\n", "  - id: OF-01\n"),
            PROFILE,
            27,
            "id OF-01 is already used by the fence segment on line 17",
        ),
        (
            edit(
                SITE, "    fence: inner\n", "    fence: inner\n    adjacent: [OF-09]\n"
            ),
            PROFILE,
            29,
            "fence segment IF-01 is next to fence segment OF-09, which is not defined",
        ),
        (
            SITE,
            edit(PROFILE, "s=Zone02.Alarm", "s=Zone01.Alarm"),
            8,
            "point z2_alarm reads node nsu=urn:acme:pids;s=Zone01.Alarm, as point "
            "z1_alarm on line 5 already does",
        ),
        (
            SITE,
            edit(
                PROFILE,
                'node: "nsu=urn:acme:pids;s=Zone03.Alarm"',
                'node: "ns=4;s=Zone03.Alarm"',
            ),
            9,
            "namespace index 4",
        ),
        (
            edit(SITE, '    endpoint: {url: "opc.tcp://127.0.0.1:4841/pids"}\n', ""),
            PROFILE,
            9,
            "device PP-1 speaks opcua but has no endpoint",
        ),
    ],
)
def test_fence_and_opcua_mistakes_are_named_at_their_line(
    tmp_path: Path, site: str, profile: str, line: int, phrase: str
) -> None:
    with pytest.raises(SiteError) as caught:
        load_site(_write(tmp_path, site, profile))

    found = [(p.line, p.message) for p in caught.value.problems]
    assert any(at == line and phrase in message for at, message in found), found
