"""The twin's live fence segments: bound inputs, derived status and alarms.

:class:`FenceState` routes samples of bound points to the segments they feed and
re-derives a segment when one of its inputs changes or one of its processors
goes offline or comes back. It returns what changed; :class:`twin.model.Twin`
turns that into events and the zone roll-up. The alarm detail names the
segment, its fence and zone, its neighbours and the cameras that cover it and
them, so an operator can look at the right screens at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from topology.fence import segment_neighbours
from topology.sample import Quality, Sample
from topology.site import FenceSegment, SiteFile
from twin.fence import (
    SegmentAlarm,
    SegmentInput,
    SegmentInputs,
    SegmentStatus,
    derive_segment,
    segment_alarms,
)

FENCE_SEGMENT = "fence_segment"


class SegmentRecord:
    """One segment's inputs, latest signal level, status and active alarms."""

    __slots__ = (
        "alarms",
        "bound",
        "devices",
        "id",
        "inputs",
        "model",
        "reasons",
        "signal",
        "since",
        "status",
    )

    def __init__(self, model: FenceSegment) -> None:
        self.id = model.id
        self.model = model
        self.inputs = SegmentInputs()
        self.status = SegmentStatus.UNKNOWN
        self.since: float | None = None
        self.alarms: frozenset[SegmentAlarm] = frozenset()
        self.signal: Sample | None = None
        self.bound = {name: str(ref) for name, ref in model.bindings.refs().items()}
        self.devices = frozenset(ref.device for ref in model.bindings.refs().values())
        self.reasons: dict[str, str] = {}


@dataclass(frozen=True, slots=True)
class SegmentChange:
    """What one derivation changed: status (``old`` is ``new`` when unchanged)
    and the alarms raised and cleared."""

    record: SegmentRecord
    old: SegmentStatus
    new: SegmentStatus
    raised: frozenset[SegmentAlarm]
    cleared: frozenset[SegmentAlarm]


class FenceState:
    """Every fence segment of ``site``, fed by samples."""

    def __init__(self, site: SiteFile) -> None:
        self._records = {s.id: SegmentRecord(s) for s in site.fence_segments}
        self._neighbours = segment_neighbours(site)
        self._feeds: dict[tuple[str, str], list[tuple[SegmentRecord, str]]] = {}
        self._by_device: dict[str, list[SegmentRecord]] = {}
        for record in self._records.values():
            for name, ref in record.model.bindings.refs().items():
                key = (ref.device, ref.point)
                self._feeds.setdefault(key, []).append((record, name))
            for device in record.devices:
                self._by_device.setdefault(device, []).append(record)

    def __contains__(self, segment: object) -> bool:
        return segment in self._records

    def record(self, segment: str) -> SegmentRecord:
        """The segment's record; ``KeyError`` for an unknown id."""
        return self._records[segment]

    def records(self) -> Iterable[SegmentRecord]:
        return self._records.values()

    def zones(self) -> dict[str, str]:
        """Each segment and the zone it guards."""
        return {r.id: r.model.zone for r in self._records.values()}

    def of_device(self, device: str) -> list[SegmentRecord]:
        """The segments with a point on ``device``."""
        return self._by_device.get(device, [])

    def apply(self, sample: Sample) -> list[SegmentRecord]:
        """Feed one sample to the segment inputs bound to its point; return the
        segments whose inputs changed (a signal level changes no status)."""
        feeds = self._feeds.get((sample.device, sample.point))
        if feeds is None:
            return []
        changed: list[SegmentRecord] = []
        for record, name in feeds:
            if name == "signal":
                record.signal = sample
                continue
            if self._apply(record, name, sample):  # type: ignore[arg-type]
                changed.append(record)
        return changed

    def _apply(self, record: SegmentRecord, name: SegmentInput, sample: Sample) -> bool:
        ref = record.model.bindings.refs()[name]
        quality = sample.quality
        value = _as_bool(sample.value) if quality is not Quality.BAD else None
        reason = sample.reason
        if value is None and quality is not Quality.BAD:
            quality = Quality.BAD
            reason = f"value {sample.value!r} is not a boolean"
        if value is not None and ref.invert:
            value = not value
        before = record.inputs.get(name)
        after = before.with_sample(value, quality)
        if after == before:
            return False
        record.inputs = record.inputs.with_sample(name, value, quality)
        if quality is Quality.BAD:
            record.reasons[name] = reason or "bad quality"
        else:
            record.reasons.pop(name, None)
        return True

    def derive(
        self, record: SegmentRecord, processor_offline: bool, now: float
    ) -> SegmentChange | None:
        """Re-derive ``record``; ``None`` when neither status nor alarms change."""
        status = derive_segment(record.inputs, processor_offline)
        alarms = segment_alarms(status, record.inputs, record.alarms)
        if status is record.status and alarms == record.alarms:
            return None
        change = SegmentChange(
            record,
            record.status,
            status,
            alarms - record.alarms,
            record.alarms - alarms,
        )
        if status is not record.status:
            record.status = status
            record.since = now
        record.alarms = alarms
        return change

    def detail(self, record: SegmentRecord) -> dict[str, object]:
        """Where the segment is and who can see it, and its inputs: for events."""
        neighbours = self._neighbours.get(record.id, ())
        neighbour_cameras: dict[str, None] = {}
        for other in neighbours:
            for camera in self._records[other].model.cameras:
                if camera not in record.model.cameras:
                    neighbour_cameras.setdefault(camera)
        detail: dict[str, object] = {
            "segment": record.id,
            "fence": record.model.fence.value,
            "zone": record.model.zone,
            "neighbours": list(neighbours),
            "cameras": list(record.model.cameras),
            "neighbour_cameras": list(neighbour_cameras),
            "inputs": {
                name: record.inputs.get(name).value  # type: ignore[arg-type]
                for name in record.bound
                if name != "signal"
            },
        }
        if record.signal is not None:
            detail["signal"] = record.signal.value
        if record.reasons:
            detail["bad"] = dict(record.reasons)
        return detail

    def view(self, record: SegmentRecord) -> Mapping[str, object]:
        """A read-only snapshot of the segment for the API."""
        state = {
            **self.detail(record),
            "status": record.status.value,
            "since": record.since,
            "alarms": sorted(alarm.value for alarm in record.alarms),
            "bindings": dict(record.bound),
        }
        return MappingProxyType(state)


def _as_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    return None


def segment_alarm_cause(alarm: SegmentAlarm, record: SegmentRecord) -> list[str]:
    """The cause chain of a segment alarm: the input behind it, the signal level
    and who can look."""
    model = record.model
    where = f"segment {record.id} ({model.fence.value} fence, zone {model.zone})"
    if alarm is SegmentAlarm.INTRUSION:
        chain = [
            f"fence intrusion on {where}",
            f"alarm input {record.bound.get('alarm', '?')} reported an intrusion",
        ]
        if record.signal is not None and record.signal.value is not None:
            chain.append(f"signal level {record.signal.value} %")
    else:
        chain = [
            f"tamper on {where}",
            f"tamper input {record.bound.get('tamper', '?')} is active",
        ]
    cameras = ", ".join(model.cameras) or "none"
    chain.append(f"cameras covering it: {cameras}")
    return chain
