"""Fence segment derivation as tables: inputs and processor state in, status,
alarms and zone class out."""

from __future__ import annotations

import pytest

from topology.sample import Quality
from twin.fence import (
    Reading,
    SegmentAlarm,
    SegmentInputs,
    SegmentStatus,
    derive_segment,
    segment_alarms,
    zone_class,
)
from twin.space import SpaceStatus

G, U, B = Quality.GOOD, Quality.UNCERTAIN, Quality.BAD
ON, OFF = Reading(True, G), Reading(False, G)
NEVER = Reading()


def _inputs(
    alarm: Reading = OFF, tamper: Reading = NEVER, fault: Reading = NEVER
) -> SegmentInputs:
    return SegmentInputs(alarm, tamper, fault)


@pytest.mark.parametrize(
    ("inputs", "offline", "expected"),
    [
        (_inputs(), False, SegmentStatus.NORMAL),
        (_inputs(OFF, OFF, OFF), False, SegmentStatus.NORMAL),
        (_inputs(NEVER), False, SegmentStatus.UNKNOWN),
        (_inputs(ON), False, SegmentStatus.ALARM),
        (_inputs(Reading(True, U)), False, SegmentStatus.ALARM),
        # An intrusion is not cleared by a bad reading; only a good false does.
        (_inputs(Reading(True, B)), False, SegmentStatus.ALARM),
        (_inputs(ON, ON, ON), False, SegmentStatus.ALARM),
        (_inputs(OFF, ON, ON), False, SegmentStatus.TAMPER),
        (_inputs(OFF, OFF, ON), False, SegmentStatus.FAULT),
        (_inputs(Reading(False, B)), False, SegmentStatus.FAULT),
        (_inputs(Reading(None, B)), False, SegmentStatus.FAULT),
        (_inputs(OFF, Reading(False, B)), False, SegmentStatus.FAULT),
        (_inputs(OFF, OFF, Reading(False, B)), False, SegmentStatus.FAULT),
        (_inputs(ON), True, SegmentStatus.OFFLINE),
        (_inputs(NEVER), True, SegmentStatus.OFFLINE),
    ],
)
def test_segment_status(
    inputs: SegmentInputs, offline: bool, expected: SegmentStatus
) -> None:
    assert derive_segment(inputs, offline) is expected


INTR, TAMP = SegmentAlarm.INTRUSION, SegmentAlarm.TAMPER


@pytest.mark.parametrize(
    ("inputs", "offline", "previous", "expected"),
    [
        (_inputs(), False, frozenset(), frozenset()),
        (_inputs(ON), False, frozenset(), frozenset({INTR})),
        (_inputs(ON, ON), False, frozenset(), frozenset({INTR, TAMP})),
        (_inputs(OFF, ON), False, frozenset({INTR}), frozenset({TAMP})),
        (_inputs(Reading(True, B)), False, frozenset({INTR}), frozenset({INTR})),
        (_inputs(OFF), True, frozenset({INTR}), frozenset({INTR})),
        (_inputs(ON), True, frozenset(), frozenset()),
    ],
)
def test_segment_alarms(
    inputs: SegmentInputs,
    offline: bool,
    previous: frozenset[SegmentAlarm],
    expected: frozenset[SegmentAlarm],
) -> None:
    status = derive_segment(inputs, offline)

    assert segment_alarms(status, inputs, previous) == expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (SegmentStatus.ALARM, SpaceStatus.BREACH),
        (SegmentStatus.TAMPER, SpaceStatus.DEGRADED),
        (SegmentStatus.FAULT, SpaceStatus.DEGRADED),
        (SegmentStatus.OFFLINE, SpaceStatus.DEGRADED),
        (SegmentStatus.UNKNOWN, SpaceStatus.UNKNOWN),
        (SegmentStatus.NORMAL, SpaceStatus.SECURE),
    ],
)
def test_zone_class(status: SegmentStatus, expected: SpaceStatus) -> None:
    assert zone_class(status) is expected


def test_a_bad_sample_keeps_the_last_usable_value() -> None:
    reading = Reading().with_sample(True, G).with_sample(None, B)

    assert reading == Reading(True, B)
    assert reading.with_sample(False, U) == Reading(False, U)
