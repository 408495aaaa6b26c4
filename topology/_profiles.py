"""Loading one device profile file and checking it across its points."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from topology._profiles_opcua import load_opcua_profile
from topology._validate import validate
from topology._yaml import YamlDocument, YamlReadError, read_yaml
from topology.problems import Problem
from topology.profile import ModbusPoint, ModbusProfile, ModbusTable
from topology.profile_opcua import OpcUaProfile


@dataclass(frozen=True, slots=True)
class _Placed:
    """A valid point and where it is in the file."""

    point: ModbusPoint
    line: int
    order: int


def load_profile(
    path: Path, expected_id: str, listed_at: str
) -> tuple[ModbusProfile | OpcUaProfile | None, list[Problem]]:
    """Read and check the profile file at ``path``; its ``protocol`` (``modbus``
    when absent) says which kind of profile it is.

    Returns the profile (``None`` if anything is wrong with it) and the problems,
    which point into the profile file. ``expected_id`` is the id the site file
    lists it under and ``listed_at`` says where (``site.yaml line 7``), for the
    message when the file's own id differs.
    """
    try:
        document = read_yaml(path)
    except YamlReadError as exc:
        return None, [Problem(path, exc.line, exc.message)]
    if document.data is None:
        return None, [Problem(path, None, "the profile file is empty")]
    if isinstance(document.data, dict) and document.data.get("protocol") == "opcua":
        return load_opcua_profile(document, expected_id, listed_at)

    result = validate(document, ModbusProfile, "profile", lists=("points",))
    problems = list(result.problems)
    profile = result.model
    if profile is None:
        return None, problems

    if profile.id != expected_id:
        problems.append(
            Problem(
                path,
                document.line_of(("id",)),
                f"this profile's id is '{profile.id}', but the site file lists it "
                f"as '{expected_id}' ({listed_at}); make them the same",
            )
        )
    placed = [
        _Placed(point, document.line_of(("points", index)), index)
        for point, index in zip(
            profile.points, result.indexes.get("points", []), strict=True
        )
    ]
    problems.extend(_duplicate_names(document, placed))
    problems.extend(_overlaps(document, placed))
    return (profile if not problems else None), problems


def _duplicate_names(document: YamlDocument, placed: list[_Placed]) -> list[Problem]:
    problems = []
    first_line: dict[str, int] = {}
    for item in placed:
        name = item.point.name
        if name in first_line:
            problems.append(
                Problem(
                    document.path,
                    item.line,
                    f"point name '{name}' is already used on line {first_line[name]}",
                )
            )
        else:
            first_line[name] = item.line
    return problems


def _overlaps(document: YamlDocument, placed: list[_Placed]) -> list[Problem]:
    """Points of one table whose address ranges share an address.

    A sweep over the points sorted by address: O(n log n) for n points.
    """
    by_table: dict[ModbusTable, list[_Placed]] = defaultdict(list)
    for item in placed:
        by_table[item.point.table].append(item)

    problems = []
    for items in by_table.values():
        items.sort(key=lambda i: (i.point.address, i.order))
        widest: _Placed | None = None
        for item in items:
            if widest is not None and item.point.address < widest.point.end:
                later, earlier = (
                    (item, widest) if item.order > widest.order else (widest, item)
                )
                problems.append(
                    Problem(
                        document.path,
                        later.line,
                        f"point {later.point.name} ({_span(later.point)}) overlaps "
                        f"point {earlier.point.name} ({_span(earlier.point)}) "
                        f"on line {earlier.line}",
                    )
                )
            if widest is None or item.point.end > widest.point.end:
                widest = item
    return problems


def _span(point: ModbusPoint) -> str:
    if point.count == 1:
        return f"{point.table} {point.address}"
    return f"{point.data_type} at {point.table} {point.address}-{point.end - 1}"
