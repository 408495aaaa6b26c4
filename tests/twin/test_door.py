"""Table tests of door derivation: inputs, memory and time in, status out."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from topology.sample import Quality
from twin.door import (
    DEFAULT_GRACE_S,
    DoorAlarm,
    DoorInputs,
    DoorMemory,
    DoorStatus,
    InputName,
    derive_door,
    door_alarms,
    door_cause,
)

HELD_S = 30.0
G = Quality.GOOD
U = Quality.UNCERTAIN
B = Quality.BAD

S = DoorStatus


@dataclass(frozen=True)
class Step:
    """At monotonic time ``at``, apply ``samples`` then expect ``status``."""

    at: float
    samples: dict[InputName, tuple[bool | None, Quality]]
    status: DoorStatus
    online: bool = True
    alarms: frozenset[DoorAlarm] | None = None


def good(**values: bool) -> dict[InputName, tuple[bool | None, Quality]]:
    return {name: (value, G) for name, value in values.items()}  # type: ignore[misc]


def q(
    name: InputName, value: bool | None, quality: Quality
) -> dict[InputName, tuple[bool | None, Quality]]:
    return {name: (value, quality)}


@dataclass
class Case:
    name: str
    steps: list[Step] = field(default_factory=list)


CASES = [
    Case(
        "nothing yet is unknown",
        [Step(0, {}, S.UNKNOWN)],
    ),
    Case(
        "locked without closed is unknown, then secure",
        [
            Step(0, good(locked=True), S.UNKNOWN),
            Step(1, good(closed=True), S.SECURE),
        ],
    ),
    Case(
        "a bad first sample leaves the door unknown, never secure",
        [
            Step(0, good(locked=True), S.UNKNOWN),
            Step(1, q("closed", None, B), S.UNKNOWN),
        ],
    ),
    Case(
        "secure, unlocked, open after unlock, closed, relocked",
        [
            Step(0, good(locked=True, closed=True), S.SECURE),
            Step(1, good(locked=False), S.UNLOCKED),
            Step(2, good(closed=False), S.OPEN),
            Step(5, good(closed=True), S.UNLOCKED),
            Step(6, good(locked=True), S.SECURE),
        ],
    ),
    Case(
        "opened while locked is forced and stays forced until it closes",
        [
            Step(0, good(locked=True, closed=True), S.SECURE),
            Step(
                100,
                good(closed=False),
                S.FORCED_OPEN,
                alarms=frozenset({DoorAlarm.FORCED_OPEN}),
            ),
            Step(101, good(locked=False), S.FORCED_OPEN),
            Step(500, {}, S.FORCED_OPEN),
            Step(501, good(closed=True), S.UNLOCKED, alarms=frozenset()),
        ],
    ),
    Case(
        "first seen open while locked counts as forced",
        [Step(0, good(locked=True, closed=False), S.FORCED_OPEN)],
    ),
    Case(
        "first seen open while unlocked counts as open",
        [Step(0, good(locked=False, closed=False), S.OPEN)],
    ),
    Case(
        "request to exit held while the locked door opens authorises it",
        [
            Step(0, good(locked=True, closed=True, request_to_exit=False), S.SECURE),
            Step(10, good(request_to_exit=True), S.SECURE),
            Step(11, good(closed=False), S.OPEN),
            Step(12, good(request_to_exit=False), S.OPEN),
            Step(13, good(closed=True), S.SECURE),
        ],
    ),
    Case(
        "opening just after the exit button was released is authorised",
        [
            Step(0, good(locked=True, closed=True, request_to_exit=False), S.SECURE),
            Step(10, good(request_to_exit=True), S.SECURE),
            Step(11, good(request_to_exit=False), S.SECURE),
            Step(11 + DEFAULT_GRACE_S, good(closed=False), S.OPEN),
        ],
    ),
    Case(
        "opening long after the exit button was released is forced",
        [
            Step(0, good(locked=True, closed=True, request_to_exit=False), S.SECURE),
            Step(10, good(request_to_exit=True), S.SECURE),
            Step(11, good(request_to_exit=False), S.SECURE),
            Step(11.1 + DEFAULT_GRACE_S, good(closed=False), S.FORCED_OPEN),
        ],
    ),
    Case(
        "a lock that re-locks just before the opening is seen still authorises",
        [
            Step(0, good(locked=False, closed=True), S.UNLOCKED),
            Step(5, good(locked=True), S.SECURE),
            Step(5, good(closed=False), S.OPEN),
        ],
    ),
    Case(
        "opening long after the lock re-locked is forced",
        [
            Step(0, good(locked=False, closed=True), S.UNLOCKED),
            Step(5, good(locked=True), S.SECURE),
            Step(5.1 + DEFAULT_GRACE_S, good(closed=False), S.FORCED_OPEN),
        ],
    ),
    Case(
        "an authorised opening becomes held open after its limit, until closed",
        [
            Step(0, good(locked=False, closed=True), S.UNLOCKED),
            Step(1, good(closed=False), S.OPEN),
            Step(2, good(locked=True), S.OPEN),
            Step(1 + HELD_S, {}, S.OPEN),
            Step(
                1.01 + HELD_S,
                {},
                S.HELD_OPEN,
                alarms=frozenset({DoorAlarm.HELD_OPEN}),
            ),
            Step(100, good(closed=True), S.SECURE, alarms=frozenset()),
        ],
    ),
    Case(
        "a forced door stays forced past the held-open limit",
        [
            Step(0, good(locked=True, closed=True), S.SECURE),
            Step(1, good(closed=False), S.FORCED_OPEN),
            Step(1000, {}, S.FORCED_OPEN),
        ],
    ),
    Case(
        "tamper is a fault and an alarm, cleared when it goes",
        [
            Step(0, good(locked=True, closed=True, tamper=False), S.SECURE),
            Step(1, good(tamper=True), S.FAULT, alarms=frozenset({DoorAlarm.TAMPER})),
            Step(2, good(tamper=False), S.SECURE, alarms=frozenset()),
        ],
    ),
    Case(
        "a forced opening outranks tamper; both alarms are active",
        [
            Step(0, good(locked=True, closed=True, tamper=False), S.SECURE),
            Step(1, good(closed=False, tamper=True), S.FORCED_OPEN),
            Step(
                2,
                {},
                S.FORCED_OPEN,
                alarms=frozenset({DoorAlarm.FORCED_OPEN, DoorAlarm.TAMPER}),
            ),
        ],
    ),
    Case(
        "bad quality on locked makes a secure door a fault, then recovers",
        [
            Step(0, good(locked=True, closed=True), S.SECURE),
            Step(1, q("locked", None, B), S.FAULT),
            Step(2, good(locked=True), S.SECURE),
        ],
    ),
    Case(
        "bad quality on closed keeps the last value: an open door stays open",
        [
            Step(0, good(locked=False, closed=False), S.OPEN),
            Step(1, q("closed", True, B), S.FAULT),
            Step(1 + HELD_S + 1, {}, S.HELD_OPEN),
        ],
    ),
    Case(
        "bad quality on tamper or request to exit is a fault too",
        [
            Step(0, good(locked=True, closed=True), S.SECURE),
            Step(1, q("tamper", None, B), S.FAULT),
            Step(2, good(tamper=False), S.SECURE),
            Step(3, q("request_to_exit", None, B), S.FAULT),
        ],
    ),
    Case(
        "uncertain values are used",
        [
            Step(0, {"locked": (True, U), "closed": (True, U)}, S.SECURE),
            Step(1, q("locked", False, U), S.UNLOCKED),
            Step(2, q("closed", False, U), S.OPEN),
        ],
    ),
    Case(
        "controller offline makes the door offline, keeping its alarms",
        [
            Step(0, good(locked=True, closed=True), S.SECURE),
            Step(1, good(closed=False), S.FORCED_OPEN),
            Step(
                2,
                {},
                S.OFFLINE,
                online=False,
                alarms=frozenset({DoorAlarm.FORCED_OPEN}),
            ),
            Step(3, good(closed=True), S.OFFLINE, online=False),
            Step(4, {}, S.SECURE, alarms=frozenset()),
        ],
    ),
    Case(
        "offline outranks unknown",
        [Step(0, {}, S.OFFLINE, online=False)],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_derivation(case: Case) -> None:
    inputs = DoorInputs()
    memory = DoorMemory()
    alarms: frozenset[DoorAlarm] = frozenset()

    for number, step in enumerate(case.steps):
        for name, (value, quality) in step.samples.items():
            inputs = inputs.with_sample(name, value, quality)
        status, memory = derive_door(inputs, memory, step.online, step.at, HELD_S)
        alarms = door_alarms(status, inputs, alarms)

        assert status is step.status, f"step {number} at t={step.at}"
        if step.alarms is not None:
            assert alarms == step.alarms, f"step {number} at t={step.at}"


def test_every_status_is_covered_by_the_table() -> None:
    seen = {step.status for case in CASES for step in case.steps}

    assert seen == set(DoorStatus)


def test_bad_sample_keeps_the_last_usable_value() -> None:
    inputs = DoorInputs().with_sample("closed", True, G)

    inputs = inputs.with_sample("closed", False, B)

    assert inputs.closed is True
    assert inputs.closed_quality is B
    assert inputs.inputs_with(B) == ("closed",)


def test_no_bad_input_ever_derives_secure() -> None:
    for name in ("locked", "closed", "tamper", "request_to_exit"):
        inputs = DoorInputs(locked=True, closed=True, tamper=False)
        inputs = inputs.with_sample(name, None, B)

        status, _ = derive_door(inputs, DoorMemory(), True, 0.0, HELD_S)

        assert status is not DoorStatus.SECURE, name


def test_offline_keeps_memory_unchanged() -> None:
    memory = DoorMemory(opened_at=5.0, authorised=False, was_locked=True)

    status, after = derive_door(
        DoorInputs(locked=True, closed=True), memory, False, 10.0, HELD_S
    )

    assert status is DoorStatus.OFFLINE
    assert after is memory


@pytest.mark.parametrize(
    ("status", "inputs", "words"),
    [
        (S.OFFLINE, DoorInputs(), "offline"),
        (S.UNKNOWN, DoorInputs(locked=True), "closed"),
        (S.FORCED_OPEN, DoorInputs(locked=True, closed=False), "opened while locked"),
        (S.HELD_OPEN, DoorInputs(locked=True, closed=False), "held-open"),
        (S.FAULT, DoorInputs(tamper=True, locked_quality=B), "tamper is active; bad"),
        (S.OPEN, DoorInputs(closed=False), "open after"),
        (S.UNLOCKED, DoorInputs(closed=True, locked=False), "unlocked"),
        (S.SECURE, DoorInputs(closed=True, locked=True), "locked"),
    ],
)
def test_cause_names_the_reason(
    status: DoorStatus, inputs: DoorInputs, words: str
) -> None:
    assert words in door_cause(status, inputs)
