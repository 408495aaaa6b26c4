"""HealthTracker status rules, as a table of outcomes and the status after each."""

from __future__ import annotations

import pytest

from drivers.health import HealthTracker
from topology.sample import DeviceStatus

U, ON, DEG, OFF = (
    DeviceStatus.UNKNOWN,
    DeviceStatus.ONLINE,
    DeviceStatus.DEGRADED,
    DeviceStatus.OFFLINE,
)

# "g" good poll, "p" partial poll, "x" unreachable attempt
CASES = [
    ("g", [ON]),
    ("x", [U]),
    ("xx", [U, OFF]),
    ("gx", [ON, ON]),
    ("gxx", [ON, ON, OFF]),
    ("gxg", [ON, ON, ON]),
    ("gxpx", [ON, ON, DEG, DEG]),
    ("gxpxx", [ON, ON, DEG, DEG, OFF]),
    ("xxxg", [U, OFF, OFF, ON]),
    ("xxp", [U, OFF, DEG]),
    ("pg", [DEG, ON]),
]


@pytest.mark.parametrize(("outcomes", "statuses"), CASES)
def test_status_after_each_outcome(outcomes: str, statuses: list[DeviceStatus]) -> None:
    tracker = HealthTracker("D1", now=0.0)
    seen = []

    for t, outcome in enumerate(outcomes, start=1):
        if outcome == "g":
            tracker.record_good(float(t))
        elif outcome == "p":
            tracker.record_partial(float(t), "some refused")
        else:
            tracker.record_unreachable(float(t), "timeout")
        seen.append(tracker.status)

    assert seen == statuses


def test_changes_are_reported_once() -> None:
    tracker = HealthTracker("D1", now=0.0)

    changes = [
        tracker.record_good(1.0),
        tracker.record_good(2.0),
        tracker.record_unreachable(3.0, "timeout"),
        tracker.record_unreachable(4.0, "timeout"),
        tracker.record_unreachable(5.0, "refused"),
        tracker.record_good(6.0),
    ]

    assert changes == [True, False, False, True, False, True]


def test_snapshot_fields_follow_the_outcomes() -> None:
    tracker = HealthTracker("D1", offline_after=3, now=0.0)
    tracker.record_good(1.0)
    tracker.record_partial(2.0, "1 of 4 points bad")
    tracker.record_unreachable(3.0, "timeout")
    tracker.record_unreachable(4.0, "timeout")
    before_offline = tracker.snapshot()
    tracker.record_unreachable(5.0, "connection refused")

    health = tracker.snapshot()

    assert before_offline.status is DEG
    assert (health.device, health.status, health.since) == ("D1", OFF, 5.0)
    assert health.last_good == 1.0
    assert health.consecutive_failures == 4
    assert health.reason == "connection refused"


def test_offline_after_must_be_positive() -> None:
    with pytest.raises(ValueError):
        HealthTracker("D1", offline_after=0, now=0.0)
