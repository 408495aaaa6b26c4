"""Checking an OPC UA profile file across its points."""

from __future__ import annotations

from pathlib import Path

from topology._validate import validate
from topology._yaml import YamlDocument
from topology.problems import Problem
from topology.profile_opcua import OpcUaProfile


def load_opcua_profile(
    document: YamlDocument, expected_id: str, listed_at: str
) -> tuple[OpcUaProfile | None, list[Problem]]:
    """Validate an OPC UA profile already read from its file.

    Returns the profile (``None`` if anything is wrong with it) and the problems:
    the file's own id differing from ``expected_id`` (listed at ``listed_at``),
    a point name used twice, two points naming the same node.
    """
    result = validate(document, OpcUaProfile, "profile", lists=("points",))
    problems = list(result.problems)
    profile = result.model
    if profile is None:
        return None, problems

    path: Path = document.path
    if profile.id != expected_id:
        problems.append(
            Problem(
                path,
                document.line_of(("id",)),
                f"this profile's id is '{profile.id}', but the site file lists it "
                f"as '{expected_id}' ({listed_at}); make them the same",
            )
        )
    names: dict[str, int] = {}
    nodes: dict[str, tuple[str, int]] = {}
    for point, index in zip(
        profile.points, result.indexes.get("points", []), strict=True
    ):
        line = document.line_of(("points", index))
        if point.name in names:
            problems.append(
                Problem(
                    path,
                    line,
                    f"point name '{point.name}' is already used on line "
                    f"{names[point.name]}",
                )
            )
        else:
            names[point.name] = line
        # Compare parsed addresses, so 'ns=0;i=1' and 'i=1' are the same node.
        node = str(point.address)
        if node in nodes:
            other, other_line = nodes[node]
            problems.append(
                Problem(
                    path,
                    line,
                    f"point {point.name} reads node {point.node}, as point {other} "
                    f"on line {other_line} already does",
                )
            )
        else:
            nodes[node] = (point.name, line)
    return (profile if not problems else None), problems
