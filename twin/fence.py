"""Fence segment status, derived from the segment's inputs and its processor.

Nothing here does I/O or reads a clock, so each rule is a row of a table test.

Status, checked in this order:

1. ``offline``: a processor the segment's points come from is unreachable.
2. ``alarm``: the alarm input's last usable value is true. A bad reading after
   it never clears an intrusion; only a good ``false`` does.
3. ``tamper``: the tamper input's last usable value is true.
4. ``fault``: the fault input's last usable value is true, or any bound input's
   latest sample is bad (the segment cannot vouch for itself).
5. ``unknown``: no usable alarm value yet.
6. ``normal``: otherwise.

Uncertain samples count as values. Alarms: ``fence_intrusion`` while the alarm input
is true and ``tamper`` while the tamper input is true; an offline segment keeps
the alarms it had, since nobody can tell whether they ended.

For the zone the segment guards: ``alarm`` is a breach; ``tamper``, ``fault`` and
``offline`` leave the zone ``degraded`` (not vouched for); ``unknown`` is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Literal

from topology.sample import Quality
from twin.space import SpaceStatus

SegmentInput = Literal["alarm", "tamper", "fault"]
SEGMENT_INPUTS: tuple[SegmentInput, ...] = ("alarm", "tamper", "fault")


class SegmentStatus(StrEnum):
    NORMAL = "normal"
    ALARM = "alarm"
    TAMPER = "tamper"
    FAULT = "fault"
    OFFLINE = "offline"
    UNKNOWN = "unknown"


class SegmentAlarm(StrEnum):
    """Alarms of a segment, named like the twin's alarm types."""

    INTRUSION = "fence_intrusion"
    TAMPER = "tamper"


@dataclass(frozen=True, slots=True)
class Reading:
    """One input: its last usable value (``None`` before any) and the quality of
    its latest sample (``None`` before any)."""

    value: bool | None = None
    quality: Quality | None = None

    def with_sample(self, value: bool | None, quality: Quality) -> Reading:
        """The reading after a sample; a bad sample keeps the last usable value."""
        if quality is Quality.BAD:
            return replace(self, quality=quality)
        return Reading(value, quality)

    @property
    def bad(self) -> bool:
        return self.quality is Quality.BAD


@dataclass(frozen=True, slots=True)
class SegmentInputs:
    """The segment's bound inputs; unbound ones stay at the empty reading."""

    alarm: Reading = Reading()
    tamper: Reading = Reading()
    fault: Reading = Reading()

    def get(self, name: SegmentInput) -> Reading:
        reading: Reading = getattr(self, name)
        return reading

    def with_sample(
        self, name: SegmentInput, value: bool | None, quality: Quality
    ) -> SegmentInputs:
        return replace(self, **{name: self.get(name).with_sample(value, quality)})


def derive_segment(inputs: SegmentInputs, processor_offline: bool) -> SegmentStatus:
    """The segment's status; see the module docstring for the rules."""
    if processor_offline:
        return SegmentStatus.OFFLINE
    if inputs.alarm.value is True:
        return SegmentStatus.ALARM
    if inputs.tamper.value is True:
        return SegmentStatus.TAMPER
    if inputs.fault.value is True or any(
        inputs.get(name).bad for name in SEGMENT_INPUTS
    ):
        return SegmentStatus.FAULT
    if inputs.alarm.value is None:
        return SegmentStatus.UNKNOWN
    return SegmentStatus.NORMAL


def segment_alarms(
    status: SegmentStatus,
    inputs: SegmentInputs,
    previous: frozenset[SegmentAlarm],
) -> frozenset[SegmentAlarm]:
    """The alarms active for a segment in ``status`` with ``inputs``."""
    if status is SegmentStatus.OFFLINE:
        return previous
    active: set[SegmentAlarm] = set()
    if inputs.alarm.value is True:
        active.add(SegmentAlarm.INTRUSION)
    if inputs.tamper.value is True:
        active.add(SegmentAlarm.TAMPER)
    return frozenset(active)


_ZONE_CLASS = {
    SegmentStatus.ALARM: SpaceStatus.BREACH,
    SegmentStatus.TAMPER: SpaceStatus.DEGRADED,
    SegmentStatus.FAULT: SpaceStatus.DEGRADED,
    SegmentStatus.OFFLINE: SpaceStatus.DEGRADED,
    SegmentStatus.UNKNOWN: SpaceStatus.UNKNOWN,
    SegmentStatus.NORMAL: SpaceStatus.SECURE,
}


def zone_class(status: SegmentStatus) -> SpaceStatus:
    """What a segment in ``status`` contributes to the zone it guards."""
    return _ZONE_CLASS[status]
