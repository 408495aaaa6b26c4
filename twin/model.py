"""The twin: live state on the site's structure, fed by samples and health.

:class:`Twin` is a sample sink (``publish_samples``, ``publish_health``): the
poller hands it every reading and every change of device health. It keeps the
latest sample of every point, feeds the door inputs the points are bound to,
derives door and space status, and publishes an :class:`~twin.events.Event` for
every status change and alarm. Work per sample is a couple of dictionary
lookups; a door is re-derived only when one of its inputs actually changes,
and a space only when a door changes class (see :mod:`twin.space`).

Samples apply in the order they arrive; the samples of one call count as one
snapshot (see :meth:`Twin.publish_samples`). A bad sample is kept as the
point's latest sample but never replaces a door input's last usable value; a
value that is not a boolean where a door expects one counts as bad. A door is
``offline`` while any device its points come from reports ``offline``; a device
with no reported health yet counts as reachable.

Errors: the constructor raises ``ValueError`` for a site whose parts do not fit
together (a binding to a device that does not exist, a containment cycle); a
site from :func:`topology.loader.load_site` never does. Lookups raise
``KeyError`` for an unknown id. Applying samples never raises for bad data:
samples from unknown devices are counted in :meth:`Twin.stats` and dropped.
Not thread-safe: call it from the event loop's thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping

from topology.loader import LoadedSite
from topology.paths import network_paths
from topology.sample import DeviceHealth, DeviceStatus, Quality, Sample, Value
from twin.alarms import AlarmBook, AlarmType
from twin.causes import door_alarm_cause, offline_cause
from twin.clock import Clock, SystemClock
from twin.command_book import CommandBook
from twin.commands import Action, CommandTicket
from twin.door import (
    DoorAlarm,
    DoorStatus,
    InputName,
    derive_door,
    door_alarms,
    door_cause,
)
from twin.events import Event, EventBus, EventType
from twin.fence import zone_class
from twin.fence_state import (
    FENCE_SEGMENT,
    FenceState,
    SegmentRecord,
    segment_alarm_cause,
)
from twin.interlock import InterlockWatch
from twin.network import NetworkWatch, alarm_conditions, network_events
from twin.records import DeviceRecord, DoorRecord
from twin.space import SpaceChange, SpaceRollup
from twin.views import (
    DOOR_KIND,
    SPACE,
    Neighbor,
    NodeView,
    build_neighbors,
    device_view,
    door_parent,
    door_qualities,
    door_view,
    node_kinds,
    space_view,
)

logger = logging.getLogger(__name__)

_WARN_UNKNOWN_DEVICES = 100
"""Distinct unknown devices to log about before going quiet (counting goes on)."""

# Statuses in which an authorised opening is still on its way to held open.
_TIMED = frozenset({DoorStatus.OPEN, DoorStatus.FAULT})


class Twin:
    """Live state of one site; implements the drivers' ``SampleSink``.

    ``clock`` stamps changes (wall time) and times open doors (monotonic);
    ``bus`` receives the events; ``tick_s`` is how often :meth:`run` re-checks
    time-based rules, in seconds, so a held-open door is noticed at most that
    late. ``converge_s`` is how long a commanded door gets to report the new
    state (see :class:`~twin.command_book.CommandBook`; None: per device), and
    ``command_log`` how many commands the audit log keeps.
    """

    def __init__(
        self,
        site: LoadedSite,
        *,
        clock: Clock | None = None,
        bus: EventBus | None = None,
        tick_s: float = 0.25,
        converge_s: float | None = None,
        command_log: int = 1000,
        network_recheck_s: float = 60.0,
    ) -> None:
        if tick_s <= 0:
            raise ValueError(f"tick_s must be positive, not {tick_s}")
        self._site = site
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._bus = bus if bus is not None else EventBus()
        self._tick_s = tick_s
        self._started = self._clock.time()

        model = site.site
        self._kinds = node_kinds(model)
        self._neighbors = build_neighbors(model, self._kinds)
        self._spaces = {space.id: space for space in model.spaces}
        self._space_since: dict[str, float | None] = dict.fromkeys(self._spaces)
        self._device_models = {device.id: device for device in model.devices}
        self._devices = {device.id: DeviceRecord(device.id) for device in model.devices}
        self._door_models = {door.id: door for door in model.doors}
        parents = {space.id: space.parent for space in model.spaces}
        self._door_parents = {
            door.id: door_parent(door, parents) for door in model.doors
        }
        self._doors: dict[str, DoorRecord] = {}
        for door in model.doors:
            held_open_s = door.held_open_s or model.site.held_open_s
            self._doors[door.id] = self._bind(DoorRecord(door.id, held_open_s))
        self._network = NetworkWatch(network_paths(model))
        # Devices last reported offline while cut off, by the monotonic time
        # their offline status is trusted if no poll says otherwise.
        self._network_recheck_s = network_recheck_s
        self._rechecks: dict[str, float] = {}
        self._network_alarms: dict[tuple[str, str], list[str]] = {}
        self._fence = FenceState(model)
        self._rollup = SpaceRollup(
            {space.id: space.parent for space in model.spaces},
            {door.id: door.between for door in model.doors},
            segment_zones=self._fence.zones(),
        )
        self._alarms = AlarmBook(self._clock, self._emit)
        self._interlocks = InterlockWatch(model.interlocks, self._doors, self._alarms)
        self._commands = CommandBook(
            site,
            self._doors,
            self._devices,
            clock=self._clock,
            emit=self._emit,
            alarms=self._alarms,
            interlocks=self._interlocks,
            converge_s=converge_s,
            audit=command_log,
        )

        # Doors open with authorisation, by the monotonic time they turn held.
        self._deadlines: dict[str, float] = {}
        self._unknown_devices: set[str] = set()
        self._counts = {
            "samples": 0,
            "samples_unknown_device": 0,
            "inputs_not_boolean": 0,
            "door_derivations": 0,
            "events": 0,
            "ticks": 0,
        }

    def _bind(self, record: DoorRecord) -> DoorRecord:
        door = self._door_models[record.id]
        for name, ref in door.bindings.refs().items():
            device = self._devices.get(ref.device)
            if device is None:
                raise ValueError(
                    f"door {door.id!r} binds {name} to unknown device {ref.device!r}"
                )
            input_name: InputName = name  # type: ignore[assignment]
            device.bindings.setdefault(ref.point, []).append(
                (record, input_name, ref.invert)
            )
            record.bound[input_name] = str(ref)
            if device not in record.controllers:
                record.controllers.append(device)
                device.doors.append(record)
        return record

    @property
    def bus(self) -> EventBus:
        """Where this twin's events are published."""
        return self._bus

    @property
    def site(self) -> LoadedSite:
        return self._site

    # --- the sample sink -------------------------------------------------

    def publish_samples(self, samples: Iterable[Sample]) -> None:
        """Apply readings in order. Returns quickly; never raises for bad data.

        The samples of one call are taken as one snapshot: each door whose
        inputs changed is derived once, after all of them are applied, so the
        order of points inside a poll cannot fake an opening while locked.
        """
        count = 0
        changed: dict[DoorRecord, list[str]] = {}
        network_changed = False
        segments: dict[SegmentRecord, list[str]] = {}
        for sample in samples:
            count += 1
            device = self._devices.get(sample.device)
            if device is None:
                self._unknown_device(sample.device)
                continue
            point = sample.point
            previous = device.points.get(point)
            device.points[point] = sample
            if sample.quality is not Quality.BAD:
                device.good[point] = sample
                device.last_seen = sample.received_time
            if (
                previous is not None
                and previous.quality is sample.quality
                and previous.value == sample.value
            ):
                # Most polls repeat the last reading; doors already reflect it.
                continue
            port = self._network.watched_port(sample.device, point)
            if port is not None and sample.quality is not Quality.BAD:
                value = sample.value if isinstance(sample.value, str) else None
                network_changed |= self._network.set_port(sample.device, port, value)
            bindings = device.bindings.get(point)
            if bindings is not None:
                for door, name, invert in bindings:
                    if self._apply(door, name, invert, sample):
                        changed.setdefault(door, []).append(door.bound[name])
            for segment in self._fence.apply(sample):
                segments.setdefault(segment, []).append(f"{sample.device}/{point}")
        self._counts["samples"] += count

        if network_changed:
            self._update_network()
        for door, points in changed.items():
            self._derive(door, {"trigger": "sample", "points": points})
        for segment, points in segments.items():
            self._derive_segment(segment, {"trigger": "sample", "points": points})

    def _apply(
        self, door: DoorRecord, name: InputName, invert: bool, sample: Sample
    ) -> bool:
        """Feed one sample to one door input; True if the input changed."""
        quality = sample.quality
        value = _as_bool(sample.value) if quality is not Quality.BAD else None
        if value is None and quality is not Quality.BAD:
            self._counts["inputs_not_boolean"] += 1
            quality = Quality.BAD
            reason: str | None = f"value {sample.value!r} is not a boolean"
        else:
            reason = sample.reason
        if value is not None and invert:
            value = not value

        inputs = door.inputs
        if quality is inputs.quality(name) and (
            value is None or value is inputs.value(name)
        ):
            return False
        door.inputs = inputs.with_sample(name, value, quality)
        if quality is Quality.BAD:
            door.reasons[name] = reason or "bad quality"
        else:
            door.reasons.pop(name, None)
        return True

    def publish_health(self, health: DeviceHealth) -> None:
        """Record a device's health; doors of an offline device go ``offline``."""
        device = self._devices.get(health.device)
        if device is None:
            self._unknown_device(health.device)
            return
        old = device.status
        was_offline = device.offline
        device.health = health
        reported_offline = health.status is DeviceStatus.OFFLINE
        if not reported_offline:
            self._rechecks.pop(health.device, None)
        if health.status is not old:
            self._emit(
                EventType.STATE_CHANGED,
                health.device,
                self._kinds[health.device][0],
                old,
                health.status,
                {
                    "reason": health.reason,
                    "consecutive_failures": health.consecutive_failures,
                    "last_good": health.last_good,
                    "since": health.since,
                },
            )
        if device.offline is not was_offline:
            kind = self._kinds[health.device][0]
            if device.offline:
                cause = offline_cause(health, [door.id for door in device.doors])
                self._alarms.raise_alarm(
                    AlarmType.DEVICE_OFFLINE, health.device, kind, cause
                )
            else:
                self._alarms.clear_alarm(AlarmType.DEVICE_OFFLINE, health.device)
            trigger = {"trigger": "health", "device": health.device}
            for door in device.doors:
                self._derive(door, trigger)
            for segment in self._fence.of_device(health.device):
                self._derive_segment(segment, trigger)
        if self._network.set_offline(health.device, reported_offline):
            self._update_network()

    def _update_network(self) -> None:
        """Recompute network causes: mark the devices behind a cause
        unreachable (their doors offline), keep one alarm per cause, and wait
        for devices reported offline while cut off (see :mod:`twin.network`)."""
        change = self._network.update()
        recheck_at = self._clock.monotonic() + self._network_recheck_s
        for device_id in change.suspected:
            self._rechecks[device_id] = recheck_at
        status = {d: self._devices[d].status.value for d in change.unreachable}
        for event in network_events(change, status):
            node_kind = self._kinds[event.node][0]
            self._emit(
                EventType.STATE_CHANGED,
                event.node,
                node_kind,
                event.old,
                event.new,
                event.detail,
            )
        for device_id, cause in change.unreachable.items():
            device = self._devices[device_id]
            was_offline = device.offline
            device.network_cause = None if cause is None else cause.describe()
            if cause is not None:
                # An offline alarm raised before the cut was known is explained.
                explained = {"explained_by": cause.describe()}
                self._alarms.clear_alarm(AlarmType.DEVICE_OFFLINE, device_id, explained)
                self._rechecks.pop(device_id, None)
            if device.offline is not was_offline:
                trigger = {"trigger": "network", "device": device_id}
                for door in device.doors:
                    self._derive(door, trigger)
                for segment in self._fence.of_device(device_id):
                    self._derive_segment(segment, trigger)
        self._sync_network_alarms()

    def _sync_network_alarms(self) -> None:
        wanted = alarm_conditions(self._network.causes())
        for (name, node), chain in wanted.items():
            if self._network_alarms.get((name, node)) == chain:
                continue
            kind = AlarmType(name)
            if not self._alarms.amend_cause(kind, node, chain):
                self._alarms.raise_alarm(kind, node, self._kinds[node][0], chain)
        for name, node in self._network_alarms.keys() - wanted.keys():
            # A switch's own offline alarm follows its health, not the network.
            if name == AlarmType.LINK_DOWN:
                self._alarms.clear_alarm(AlarmType.LINK_DOWN, node)
        self._network_alarms = wanted

    def _recheck_network(self, now: float) -> None:
        """Trust the offline status of devices still unanswered a while after
        their network path was repaired."""
        due = [d for d, deadline in self._rechecks.items() if now > deadline]
        for device_id in due:
            del self._rechecks[device_id]
            device = self._devices[device_id]
            if device.health is None or device.network_cause is not None:
                continue
            if device.status is DeviceStatus.OFFLINE and self._network.confirm(
                device_id
            ):
                cause = offline_cause(device.health, [door.id for door in device.doors])
                cause.append("still not answering after its network path came back")
                kind = self._kinds[device_id][0]
                self._alarms.raise_alarm(
                    AlarmType.DEVICE_OFFLINE, device_id, kind, cause
                )
                self._update_network()

    def _unknown_device(self, device: str) -> None:
        self._counts["samples_unknown_device"] += 1
        if (
            device not in self._unknown_devices
            and len(self._unknown_devices) < _WARN_UNKNOWN_DEVICES
        ):
            self._unknown_devices.add(device)
            logger.warning("ignoring data from %r: not a device of this site", device)

    # --- derivation ------------------------------------------------------

    def _derive(self, door: DoorRecord, trigger: Mapping[str, object]) -> None:
        now = self._clock.monotonic()
        status, memory = derive_door(
            door.inputs, door.memory, door.controller_online, now, door.held_open_s
        )
        door.memory = memory
        self._counts["door_derivations"] += 1

        if status in _TIMED and memory.opened_at is not None and memory.authorised:
            self._deadlines[door.id] = memory.opened_at + door.held_open_s
        else:
            self._deadlines.pop(door.id, None)

        alarms = door_alarms(status, door.inputs, door.alarms)
        if status is not door.status or alarms != door.alarms:
            self._publish_door(door, status, alarms, trigger)
        # Only doors in an interlock group or with a command pay for these.
        if door.interlocks:
            self._interlocks.door_changed(door)
        if door.command is not None:
            self._commands.observe(door)

    def _publish_door(
        self,
        door: DoorRecord,
        status: DoorStatus,
        alarms: frozenset[DoorAlarm],
        trigger: Mapping[str, object],
    ) -> None:
        detail = {**trigger, **self._door_detail(door, status)}

        if status is not door.status:
            old = door.status
            door.status = status
            door.since = self._clock.time()
            self._emit(EventType.STATE_CHANGED, door.id, DOOR_KIND, old, status, detail)
        for alarm in sorted(alarms - door.alarms):
            cause = door_alarm_cause(alarm, door)
            self._alarms.raise_alarm(
                AlarmType(alarm), door.id, DOOR_KIND, cause, detail
            )
        for alarm in sorted(door.alarms - alarms):
            self._alarms.clear_alarm(AlarmType(alarm), door.id, detail)
        door.alarms = alarms

        changes = self._rollup.update(door.id, status)
        self._spaces_changed(changes, {"door": door.id, "door_status": status.value})

    def _spaces_changed(
        self, changes: list[SpaceChange], cause: Mapping[str, object]
    ) -> None:
        for space, before, after in changes:
            self._space_since[space] = self._clock.time()
            self._emit(
                EventType.STATE_CHANGED,
                space,
                self._kinds[space][0],
                before,
                after,
                {**cause, "counts": self._rollup.counts(space)},
            )

    def _derive_segment(
        self, segment: SegmentRecord, trigger: Mapping[str, object]
    ) -> None:
        offline = any(
            self._devices[device].offline
            for device in segment.devices
            if device in self._devices
        )
        change = self._fence.derive(segment, offline, self._clock.time())
        if change is None:
            return
        detail = {**trigger, **self._fence.detail(segment)}
        if change.new is not change.old:
            self._emit(
                EventType.STATE_CHANGED,
                segment.id,
                FENCE_SEGMENT,
                change.old,
                change.new,
                detail,
            )
        for alarm in sorted(change.raised):
            self._alarms.raise_alarm(
                AlarmType(alarm),
                segment.id,
                FENCE_SEGMENT,
                segment_alarm_cause(alarm, segment),
                detail,
            )
        for alarm in sorted(change.cleared):
            self._alarms.clear_alarm(AlarmType(alarm), segment.id, detail)
        changes = self._rollup.update_class(segment.id, zone_class(change.new))
        self._spaces_changed(
            changes, {"segment": segment.id, "segment_status": change.new.value}
        )

    def _door_detail(self, door: DoorRecord, status: DoorStatus) -> dict[str, object]:
        inputs = door.inputs
        detail: dict[str, object] = {
            "cause": door_cause(status, inputs),
            "inputs": {name: inputs.value(name) for name in door.bound},
            "quality": door_qualities(door),
        }
        if door.reasons:
            detail["bad"] = dict(door.reasons)
        return detail

    def _emit(
        self,
        kind: EventType,
        node: str,
        node_kind: str,
        old: str | None,
        new: str | None,
        detail: Mapping[str, object],
    ) -> None:
        event = Event(
            seq=self._bus.next_seq(),
            time=self._clock.time(),
            type=kind,
            node=node,
            node_kind=node_kind,
            old=old,
            new=new,
            detail=detail,
        )
        self._bus.publish(event)
        self._counts["events"] += 1

    def tick(self) -> None:
        """Re-check time-based rules: doors whose authorised opening ran past
        their held-open limit turn ``held_open`` now, and commands past their
        deadline ``not_converged``."""
        self._counts["ticks"] += 1
        now = self._clock.monotonic()
        due = [door for door, deadline in self._deadlines.items() if now > deadline]
        for door in due:
            self._derive(self._doors[door], {"trigger": "clock"})
        if self._rechecks:
            self._recheck_network(now)
        self._commands.tick()

    async def run(self) -> None:
        """Call :meth:`tick` every ``tick_s`` seconds until cancelled."""
        while True:
            self.tick()
            await asyncio.sleep(self._tick_s)

    # --- commands and alarms ----------------------------------------------

    def request_door(self, door_id: str, action: Action, user: str) -> CommandTicket:
        """Make locked (``"lock"``) or unlocked the door's desired state, for
        ``user``; returns the ticket naming the device, point and value to
        write. Raises ``KeyError`` (unknown door), ``ValueError`` (unknown
        action, blank user) or :class:`~twin.commands.CommandRefused` (no
        writable command point, offline, interlock); see :mod:`twin.commands`.
        """
        return self._commands.request(door_id, action, user)

    def command_written(self, command_id: str) -> CommandTicket:
        """Record that a command's write succeeded; ``KeyError`` if unknown."""
        return self._commands.written(command_id)

    def command_failed(self, command_id: str, reason: str) -> CommandTicket:
        """Record that a command's write failed (raises ``command_failed``);
        ``KeyError`` if unknown."""
        return self._commands.failed(command_id, reason)

    def command(self, command_id: str) -> CommandTicket:
        """A command of the audit log; ``KeyError`` if unknown or forgotten."""
        return self._commands.get(command_id)

    def commands(self, limit: int = 100) -> list[CommandTicket]:
        """The audit log: up to ``limit`` commands, accepted or refused, the
        most recent first."""
        return self._commands.recent(limit)

    @property
    def alarms(self) -> AlarmBook:
        """The alarm list: ``listed()``, ``history()``, ``get()``,
        ``acknowledge()``."""
        return self._alarms

    @property
    def interlocks(self) -> InterlockWatch:
        """The interlock groups: ``groups()`` and ``violations()``."""
        return self._interlocks

    # --- reading ---------------------------------------------------------

    def node(self, node_id: str) -> NodeView:
        """The node's current view; ``KeyError`` for an unknown id."""
        if node_id in self._fence:
            record = self._fence.record(node_id)
            return NodeView(
                record.id,
                FENCE_SEGMENT,
                record.model.name or record.id,
                record.model.zone,
                self._fence.view(record),
            )
        category = self._kinds[node_id][1]
        if category == DOOR_KIND:
            model = self._door_models[node_id]
            return door_view(self._doors[node_id], model, self._door_parents[node_id])
        if category == SPACE:
            return space_view(
                self._spaces[node_id], self._rollup, self._space_since[node_id]
            )
        return device_view(self._devices[node_id], self._device_models[node_id])

    def nodes(self, kind: str | None = None) -> list[NodeView]:
        """Every node (site file order: spaces, doors, devices, fence
        segments), or those of one ``kind``; ``"space"`` and ``"device"`` select
        a whole category, ``"fence_segment"`` every segment."""
        found = [
            self.node(node)
            for node, (node_kind, category) in self._kinds.items()
            if kind is None or kind in (node_kind, category)
        ]
        if kind in (None, FENCE_SEGMENT):
            found.extend(self.node(record.id) for record in self._fence.records())
        return found

    def neighbors(self, node_id: str) -> list[Neighbor]:
        """The nodes linked to this one and how; ``KeyError`` for an unknown id."""
        return list(self._neighbors[node_id])

    def device_health(self, device_id: str) -> DeviceHealth:
        """The device's last reported health; status ``unknown`` (since the twin
        started) before any. ``KeyError`` for an unknown device."""
        device = self._devices[device_id]
        if device.health is not None:
            return device.health
        return DeviceHealth(device_id, DeviceStatus.UNKNOWN, self._started, None, 0)

    def latest(self, device: str, point: str) -> Sample | None:
        """The point's latest sample of any quality, None before any."""
        record = self._devices.get(device)
        return None if record is None else record.points.get(point)

    def last_good(self, device: str, point: str) -> Sample | None:
        """The point's latest good or uncertain sample, None before any."""
        record = self._devices.get(device)
        return None if record is None else record.good.get(point)

    def points(self, device: str) -> Mapping[str, Sample]:
        """A copy of the device's latest sample per point; ``KeyError`` for an
        unknown device."""
        return dict(self._devices[device].points)

    def stats(self) -> dict[str, int]:
        """Counters since start: samples applied and dropped, derivations,
        events, ticks; and now: the doors being timed towards held open, the
        commands waiting on a door, the listed, active and unacknowledged
        alarms."""
        return {
            **self._counts,
            "doors_timed": len(self._deadlines),
            "commands_watched": self._commands.pending(),
            **{f"alarms_{name}": n for name, n in self._alarms.counts().items()},
        }


def _as_bool(value: Value) -> bool | None:
    """A point's value as a boolean, or None if it is not one (0 and 1 count)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    return None
