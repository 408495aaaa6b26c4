"""Cause chains: why an alarm was raised, in a few short sentences.

A chain reads from the effect back to its causes (``door D-1 forced open`` <-
``contact DC-1/door_1 reported open while lock DC-1/lock_1 reported locked``
<- ...), so an operator sees what happened first and why next. These
functions only phrase what the twin already knows; they never raise.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from topology.sample import DeviceHealth
from twin.door import DEFAULT_GRACE_S, DoorAlarm
from twin.records import DoorRecord

_LISTED_DOORS = 5
"""Doors named in a device's offline cause before the rest are counted."""


def door_alarm_cause(alarm: DoorAlarm, door: DoorRecord) -> list[str]:
    """The cause chain of a door alarm, naming the points behind it."""
    bound = door.bound
    if alarm is DoorAlarm.FORCED_OPEN:
        return [
            f"door {door.id} forced open",
            f"contact {bound.get('closed', '?')} reported open while lock "
            f"{bound.get('locked', '?')} reported locked",
            f"no unlock or request to exit in the {DEFAULT_GRACE_S:g} s before",
        ]
    if alarm is DoorAlarm.HELD_OPEN:
        return [
            f"door {door.id} held open",
            f"open for more than {door.held_open_s:g} s",
            "the opening followed an unlock or request to exit",
        ]
    return [
        f"door {door.id} tamper",
        f"tamper input {bound.get('tamper', '?')} is active",
    ]


def offline_cause(health: DeviceHealth, doors: Sequence[str]) -> list[str]:
    """The cause chain of a device going offline: its failures and the doors
    that now cannot be seen."""
    chain = [f"device {health.device} offline"]
    failures = f"{health.consecutive_failures} failed polls in a row"
    chain.append(f"{failures}: {health.reason}" if health.reason else failures)
    if health.last_good is not None:
        when = datetime.fromtimestamp(health.last_good, UTC)
        chain.append(f"last good poll at {when:%Y-%m-%d %H:%M:%S} UTC")
    else:
        chain.append("no good poll since the twin started")
    if doors:
        named = ", ".join(doors[:_LISTED_DOORS])
        more = len(doors) - _LISTED_DOORS
        chain.append(
            f"doors not seen: {named}" + (f" and {more} more" if more > 0 else "")
        )
    return chain
