"""Interlock rules as tables, and violations the hardware makes."""

from __future__ import annotations

import pytest

from topology.sample import DeviceStatus, Quality
from twin.alarms import AlarmType, Severity
from twin.interlock import DoorPosition, blocker, engaged, violated
from twin.model import Twin

from .rig import Rig
from .sites import command_site

SHUT = DoorPosition(locked=True, closed=True)
UNLOCKED = DoorPosition(locked=False, closed=True)
OPEN = DoorPosition(locked=True, closed=False)
WIDE = DoorPosition(locked=False, closed=False)
OFFLINE = DoorPosition(locked=True, closed=True, online=False)
OFFLINE_OPEN = DoorPosition(locked=True, closed=False, online=False)
BLANK = DoorPosition(locked=None, closed=True)
BAD = DoorPosition(locked=True, closed=True, trusted=False)
BAD_OPEN = DoorPosition(locked=True, closed=False, trusted=False)
COMMANDED = DoorPosition(locked=True, closed=True, unlock_pending=True)


@pytest.mark.parametrize(
    ("position", "expected"),
    [
        (SHUT, False),
        (UNLOCKED, True),
        (OPEN, True),
        (WIDE, True),
        (OFFLINE, None),
        (OFFLINE_OPEN, None),
        (BLANK, None),
        (BAD, False),
        (BAD_OPEN, True),
        (COMMANDED, False),
    ],
)
def test_engaged_means_unlocked_or_open_by_reported_state(
    position: DoorPosition, expected: bool | None
) -> None:
    assert engaged(position) is expected


@pytest.mark.parametrize(
    ("position", "expected"),
    [
        (SHUT, None),
        (UNLOCKED, "door X unlocked"),
        (OPEN, "door X open"),
        (WIDE, "door X open and unlocked"),
        (OFFLINE, "door X is offline, so it cannot be confirmed locked and closed"),
        (BLANK, "door X has not yet reported whether it is locked and closed"),
        (BAD, "door X has a bad-quality lock or contact reading"),
        (BAD_OPEN, "door X open"),
        (COMMANDED, "door X has been commanded to unlock"),
    ],
)
def test_a_door_blocks_unlocking_its_partner_unless_confirmed_shut(
    position: DoorPosition, expected: str | None
) -> None:
    reason = blocker("X", position)

    if expected is None:
        assert reason is None
    else:
        assert reason is not None and reason.startswith(expected)


@pytest.mark.parametrize(
    ("positions", "was", "expected"),
    [
        ([SHUT, SHUT], False, False),
        ([UNLOCKED, SHUT], False, False),
        ([UNLOCKED, OPEN], False, True),
        ([WIDE, BAD_OPEN], False, True),
        ([UNLOCKED, SHUT, OPEN], False, True),
        ([UNLOCKED, OFFLINE_OPEN], False, False),
        # Already violated: an unreachable door neither proves nor clears it.
        ([UNLOCKED, OFFLINE_OPEN], True, True),
        ([SHUT, OFFLINE], True, True),
        ([UNLOCKED, SHUT], True, False),
        ([SHUT, SHUT], True, False),
        ([COMMANDED, UNLOCKED], False, False),
    ],
)
def test_two_doors_unlocked_or_open_violate_the_group(
    positions: list[DoorPosition], was: bool, expected: bool
) -> None:
    named = {f"D{n}": position for n, position in enumerate(positions)}

    assert violated(named, was) is expected


# --- the twin --------------------------------------------------------------


@pytest.fixture
def rig() -> Rig:
    rig = Rig()
    rig.settle()
    return rig


def violations(rig: Rig) -> list[tuple[str, str | None, str | None]]:
    return [
        (e.type, e.old, e.new)
        for e in rig.new_events()
        if e.node == "IL-SP" and e.node_kind == "interlock"
    ]


def test_hardware_breaking_the_sally_port_raises_one_alarm_until_resolved(
    rig: Rig,
) -> None:
    rig.feed("DC-1", bolt_1=False)
    assert violations(rig) == []

    rig.feed("DC-1", bolt_2=False)

    assert violations(rig) == [("alarm_raised", None, "interlock_violation")]
    [alarm] = rig.twin.alarms.listed()
    assert (alarm.type, alarm.severity, alarm.node) == (
        AlarmType.INTERLOCK_VIOLATION,
        Severity.CRITICAL,
        "IL-SP",
    )
    assert alarm.cause == (
        "interlock IL-SP violated: 2 doors unlocked or open at once",
        "door D-OUT unlocked",
        "door D-IN unlocked",
        "at most one door of Sally port may be unlocked or open",
    )
    assert rig.twin.interlocks.violations() == ["IL-SP"]

    rig.feed("DC-1", closed_2=False)
    assert violations(rig) == []

    rig.feed("DC-1", bolt_1=True)
    assert violations(rig) == [("alarm_cleared", "interlock_violation", None)]
    assert rig.twin.interlocks.violations() == []

    rig.feed("DC-1", closed_1=False)
    assert violations(rig) == [("alarm_raised", None, "interlock_violation")]
    reopened = rig.twin.alarms.get(alarm.id)
    assert reopened.occurrences == 2
    assert reopened.cause[1:3] == ("door D-OUT open", "door D-IN open and unlocked")


def test_an_offline_controller_neither_clears_nor_raises_a_violation(
    rig: Rig,
) -> None:
    rig.feed("DC-1", bolt_1=False, bolt_2=False)
    violations(rig)

    rig.health("DC-1", DeviceStatus.OFFLINE)
    assert violations(rig) == []
    assert rig.twin.interlocks.violations() == ["IL-SP"]

    rig.health("DC-1", DeviceStatus.ONLINE)
    rig.feed("DC-1", bolt_1=True, bolt_2=True)
    assert violations(rig) == [("alarm_cleared", "interlock_violation", None)]


def test_a_bad_reading_keeps_the_last_usable_value(rig: Rig) -> None:
    rig.feed("DC-1", bolt_1=False, bolt_2=False)
    violations(rig)

    rig.feed("DC-1", Quality.BAD, bolt_2=None)

    assert violations(rig) == []
    assert rig.twin.interlocks.violations() == ["IL-SP"]


def test_door_views_name_their_interlock_groups(rig: Rig) -> None:
    assert rig.state("D-IN")["interlocks"] == ["IL-SP"]
    assert rig.state("D-COIL")["interlocks"] == []
    assert [group.id for group in rig.twin.interlocks.groups()] == ["IL-SP"]


def test_an_interlock_naming_an_unknown_door_is_refused() -> None:
    site = command_site()
    broken = site.site.model_copy(
        update={
            "interlocks": [
                site.site.interlocks[0].model_copy(update={"doors": ["D-IN", "D-X"]})
            ]
        }
    )

    with pytest.raises(ValueError, match="D-X"):
        Twin(type(site)(site.path, broken, site.profiles, None))
