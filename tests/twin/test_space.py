"""Space roll-up: door statuses counted up the containment tree."""

from __future__ import annotations

import random

import pytest

from twin.door import DoorStatus
from twin.space import SpaceRollup, SpaceStatus, door_class

PARENTS: dict[str, str | None] = {
    "site": None,
    "A": "site",
    "A-cell-1": "A",
    "A-cell-2": "A",
    "A-corridor": "A",
    "yard": "site",
    "outside": None,
}
DOORS = {
    "D1": ["A-cell-1", "A-corridor"],
    "D2": ["A-cell-2", "A-corridor"],
    "D3": ["A-corridor", "outside"],
}


def settled() -> SpaceRollup:
    rollup = SpaceRollup(PARENTS, DOORS)
    for door in DOORS:
        rollup.update(door, DoorStatus.SECURE)
    return rollup


def test_all_doors_unknown_at_start_and_a_space_without_doors_is_secure() -> None:
    rollup = SpaceRollup(PARENTS, DOORS)

    assert rollup.status("A-cell-1") is SpaceStatus.UNKNOWN
    assert rollup.status("site") is SpaceStatus.UNKNOWN
    assert rollup.status("outside") is SpaceStatus.UNKNOWN
    assert rollup.status("yard") is SpaceStatus.SECURE


def test_forced_door_breaches_its_spaces_and_every_space_above() -> None:
    rollup = settled()

    changes = rollup.update("D1", DoorStatus.FORCED_OPEN)

    assert changes == [
        ("A-cell-1", SpaceStatus.SECURE, SpaceStatus.BREACH),
        ("A", SpaceStatus.SECURE, SpaceStatus.BREACH),
        ("site", SpaceStatus.SECURE, SpaceStatus.BREACH),
        ("A-corridor", SpaceStatus.SECURE, SpaceStatus.BREACH),
    ]
    assert rollup.status("A-cell-2") is SpaceStatus.SECURE
    assert rollup.status("outside") is SpaceStatus.SECURE
    assert rollup.counts("A") == {"breach": 1, "degraded": 0, "unknown": 0}


def test_breach_outranks_degraded_outranks_unknown() -> None:
    rollup = settled()

    rollup.update("D2", DoorStatus.UNKNOWN)
    assert rollup.status("A") is SpaceStatus.UNKNOWN
    rollup.update("D3", DoorStatus.OFFLINE)
    assert rollup.status("A") is SpaceStatus.DEGRADED
    assert rollup.status("outside") is SpaceStatus.DEGRADED
    rollup.update("D1", DoorStatus.HELD_OPEN)
    assert rollup.status("A") is SpaceStatus.BREACH

    rollup.update("D1", DoorStatus.SECURE)
    assert rollup.status("A") is SpaceStatus.DEGRADED
    rollup.update("D3", DoorStatus.UNLOCKED)
    assert rollup.status("A") is SpaceStatus.UNKNOWN
    assert rollup.status("outside") is SpaceStatus.SECURE


def test_a_change_within_one_class_touches_nothing() -> None:
    rollup = settled()

    assert rollup.update("D1", DoorStatus.OPEN) == []
    assert rollup.update("D1", DoorStatus.UNLOCKED) == []


def test_door_class_of_every_status() -> None:
    assert {status: door_class(status) for status in DoorStatus} == {
        DoorStatus.SECURE: SpaceStatus.SECURE,
        DoorStatus.UNLOCKED: SpaceStatus.SECURE,
        DoorStatus.OPEN: SpaceStatus.SECURE,
        DoorStatus.FORCED_OPEN: SpaceStatus.BREACH,
        DoorStatus.HELD_OPEN: SpaceStatus.BREACH,
        DoorStatus.FAULT: SpaceStatus.DEGRADED,
        DoorStatus.OFFLINE: SpaceStatus.DEGRADED,
        DoorStatus.UNKNOWN: SpaceStatus.UNKNOWN,
    }


def test_incremental_roll_up_matches_a_full_recount() -> None:
    rng = random.Random(7)
    parents: dict[str, str | None] = {"site": None}
    for index in range(60):
        parents[f"S{index}"] = rng.choice(list(parents))
    spaces = list(parents)
    doors = {f"D{index}": rng.sample(spaces, 2) for index in range(200)}
    rollup = SpaceRollup(parents, doors)
    current = dict.fromkeys(doors, DoorStatus.UNKNOWN)

    for _ in range(2000):
        door = rng.choice(list(doors))
        status = rng.choice(list(DoorStatus))
        current[door] = status
        rollup.update(door, status)

    for space in spaces:
        assert rollup.status(space) is full_recount(space, parents, doors, current)


def full_recount(
    space: str,
    parents: dict[str, str | None],
    doors: dict[str, list[str]],
    current: dict[str, DoorStatus],
) -> SpaceStatus:
    def inside(candidate: str) -> bool:
        node: str | None = candidate
        while node is not None:
            if node == space:
                return True
            node = parents[node]
        return False

    classes = {
        door_class(current[door])
        for door, between in doors.items()
        if any(inside(side) for side in between)
    }
    for status in (SpaceStatus.BREACH, SpaceStatus.DEGRADED, SpaceStatus.UNKNOWN):
        if status in classes:
            return status
    return SpaceStatus.SECURE


def test_inconsistent_structure_is_refused() -> None:
    with pytest.raises(ValueError, match="contain each other"):
        SpaceRollup({"a": "b", "b": "a"}, {"D": ["a", "b"]})
    with pytest.raises(ValueError, match="unknown space 'x'"):
        SpaceRollup({"a": None}, {"D": ["a", "x"]})
    with pytest.raises(ValueError, match="unknown space 'ghost'"):
        SpaceRollup({"a": "ghost"}, {"D": ["a", "a"]})
