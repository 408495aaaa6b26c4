"""The book of door commands: checks, desired state, deadlines, audit log.

:class:`CommandBook` is the part of the twin that issues door commands (see
:mod:`twin.commands` for the flow, the types and the errors). It keeps, per
door, the latest accepted command; watches the reported ``locked`` input of
doors whose command still waits on it; turns pending commands past their
deadline ``not_converged`` on :meth:`CommandBook.tick`; and raises and clears
the ``command_failed`` and ``not_converged`` alarms. Only doors with a watched
command are looked at, so the rest of the site costs nothing.

Every request, accepted or refused, stays in a bounded audit log, is logged
(INFO when accepted, refused, converged or superseded; WARNING when failed or
not converged) and is published as a ``command_changed`` event whenever its
outcome changes. Not thread-safe.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from topology.loader import LoadedSite
from topology.sample import Quality
from twin.alarms import AlarmBook, AlarmType, Emit
from twin.clock import Clock
from twin.commands import (
    ACTIONS,
    Action,
    CommandEntry,
    CommandOutcome,
    CommandPoint,
    CommandRefused,
    CommandTicket,
    command_point,
)
from twin.events import EventType
from twin.interlock import InterlockWatch
from twin.records import DeviceRecord, DoorRecord
from twin.views import DOOR_KIND

logger = logging.getLogger(__name__)

CONVERGE_POLLS = 3
"""Poll intervals of the command device a door gets to report the new state,
on top of the device's timeout for the write itself."""


def _state(locked: bool) -> str:
    return "locked" if locked else "unlocked"


class CommandBook:
    """Door commands of one twin: desired state, deadlines and the audit log.

    ``converge_s`` is how long a door gets to report a commanded state, in
    seconds; None gives each door :data:`CONVERGE_POLLS` poll intervals of its
    command device plus that device's timeout. ``audit`` bounds how many
    commands are remembered. Raises ``ValueError`` for a non-positive
    ``converge_s``.
    """

    def __init__(
        self,
        site: LoadedSite,
        doors: Mapping[str, DoorRecord],
        devices: Mapping[str, DeviceRecord],
        *,
        clock: Clock,
        emit: Emit,
        alarms: AlarmBook,
        interlocks: InterlockWatch,
        converge_s: float | None = None,
        audit: int = 1000,
    ) -> None:
        if converge_s is not None and converge_s <= 0:
            raise ValueError(f"converge_s must be positive, not {converge_s}")
        if audit < 1:
            raise ValueError(f"audit must be at least 1, not {audit}")
        self._doors = doors
        self._devices = devices
        self._clock = clock
        self._emit = emit
        self._alarms = alarms
        self._interlocks = interlocks
        self._audit = audit

        models = {device.id: device for device in site.site.devices}
        self._points: dict[str, CommandPoint | str] = {}
        self._converge_s: dict[str, float] = {}
        for door in site.site.doors:
            point = command_point(door, site)
            self._points[door.id] = point
            if isinstance(point, CommandPoint):
                device = models[point.device]
                default = CONVERGE_POLLS * device.poll_interval_s + device.timeout_s
                self._converge_s[door.id] = converge_s or default

        self._entries: dict[str, CommandEntry] = {}
        self._watched: dict[str, CommandEntry] = {}
        """Doors whose command still waits on the reported state, by door id."""
        self._count = 0

    # --- issuing ---------------------------------------------------------

    def request(self, door_id: str, action: Action, user: str) -> CommandTicket:
        """Check a command and make it the door's desired state.

        Returns the ticket naming what to write. Raises ``KeyError`` for an
        unknown door, ``ValueError`` for an unknown action or a blank user, and
        :class:`CommandRefused` (after recording the refusal) when the command
        may not go.
        """
        door = self._doors[door_id]
        if action not in ACTIONS:
            raise ValueError(f"a door command is lock or unlock, not {action!r}")
        if not user.strip():
            raise ValueError("a command needs the name of who gives it")

        self._count += 1
        entry = CommandEntry(
            f"cmd-{self._count}", door_id, action, user, self._clock.time()
        )
        self._remember(entry)
        try:
            point = self._check(door, action)
        except CommandRefused as refusal:
            refusal.command_id = entry.id
            entry.outcome = CommandOutcome.REFUSED
            entry.reason = refusal.reason
            entry.finished_at = entry.requested_at
            logger.info(
                "command %s by %s: %s %s refused: %s",
                entry.id,
                user,
                action,
                door_id,
                refusal.reason,
            )
            self._publish(entry, None)
            raise

        converge_s = self._converge_s[door_id]
        entry.point = point
        entry.value = point.value_for(entry.desired_locked)
        entry.deadline = entry.requested_at + converge_s
        entry.deadline_monotonic = self._clock.monotonic() + converge_s
        self._supersede(door, entry)
        door.command = entry
        self._watched[door_id] = entry
        logger.info(
            "command %s by %s: %s %s, writing %s to %s, expecting it %s within %.1f s",
            entry.id,
            user,
            action,
            door_id,
            entry.value,
            point,
            _state(entry.desired_locked),
            converge_s,
        )
        self._publish(entry, None)
        return entry.snapshot()

    def _check(self, door: DoorRecord, action: Action) -> CommandPoint:
        point = self._points[door.id]
        if isinstance(point, str):
            raise CommandRefused(door.id, action, point)
        if not door.controller_online or self._devices[point.device].offline:
            offline = sorted(
                {
                    device.id
                    for device in [*door.controllers, self._devices[point.device]]
                    if device.offline
                }
            )
            raise CommandRefused(
                door.id,
                action,
                f"door {door.id} is offline: {', '.join(offline)} not reachable",
            )
        if action == "unlock" and door.interlocks:
            conflict = self._interlocks.unlock_conflict(door.id)
            if conflict is not None:
                other, reason = conflict
                raise CommandRefused(door.id, action, reason, conflict=other)
        return point

    def _supersede(self, door: DoorRecord, entry: CommandEntry) -> None:
        previous = door.command
        if previous is None:
            return
        self._watched.pop(door.id, None)
        detail = {"superseded_by": entry.id}
        for kind in (AlarmType.NOT_CONVERGED, AlarmType.COMMAND_FAILED):
            self._alarms.clear_alarm(kind, door.id, detail)
        if previous.outcome is CommandOutcome.PENDING:
            previous.reason = f"replaced by {entry.id}"
            self._finish(previous, CommandOutcome.SUPERSEDED)

    # --- the write's result ------------------------------------------------

    def written(self, command_id: str) -> CommandTicket:
        """Record that the command's write succeeded. ``KeyError`` for an
        unknown command id."""
        entry = self._entries[command_id]
        entry.written_at = self._clock.time()
        if entry.outcome is CommandOutcome.PENDING:
            door = self._doors[entry.door]
            if self._reports(door, entry.desired_locked):
                self._finish(entry, CommandOutcome.CONVERGED)
        return entry.snapshot()

    def failed(self, command_id: str, reason: str) -> CommandTicket:
        """Record that the command's write failed, with the error in words.

        Raises an alarm if the command is still the door's current one; the
        desired state stays, flagged failed. ``KeyError`` for an unknown id.
        """
        entry = self._entries[command_id]
        door = self._doors[entry.door]
        entry.reason = f"write failed: {reason}"
        if door.command is not entry or entry.outcome is not CommandOutcome.PENDING:
            logger.warning(
                "command %s: write failed after it was %s: %s",
                entry.id,
                entry.outcome.value,
                reason,
            )
            return entry.snapshot()

        # It stays watched, so the alarm clears if the door gets there anyway.
        self._finish(entry, CommandOutcome.FAILED)
        self._alarms.raise_alarm(
            AlarmType.COMMAND_FAILED,
            door.id,
            DOOR_KIND,
            [
                f"door {door.id} could not be {_state(entry.desired_locked)}",
                f"writing {entry.value} to {entry.point} failed: {reason}",
                f"command {entry.id} by {entry.user}",
            ],
            {"command": entry.snapshot().as_dict()},
        )
        return entry.snapshot()

    # --- watching the reported state ---------------------------------------

    def observe(self, door: DoorRecord) -> None:
        """Compare a door's reported lock with its command's desired state;
        called after the door's inputs or reachability change."""
        entry = self._watched.get(door.id)
        if entry is None or not self._reports(door, entry.desired_locked):
            return
        del self._watched[door.id]
        detail = {"command": entry.id}
        if entry.outcome is CommandOutcome.PENDING:
            self._finish(entry, CommandOutcome.CONVERGED)
        elif entry.outcome is CommandOutcome.NOT_CONVERGED:
            self._finish(entry, CommandOutcome.CONVERGED_LATE)
            self._alarms.clear_alarm(AlarmType.NOT_CONVERGED, door.id, detail)
        else:
            self._alarms.clear_alarm(AlarmType.COMMAND_FAILED, door.id, detail)

    def tick(self) -> None:
        """Turn pending commands past their deadline ``not_converged``."""
        if not self._watched:
            return
        now = self._clock.monotonic()
        due = [
            entry
            for entry in self._watched.values()
            if entry.outcome is CommandOutcome.PENDING
            and now > entry.deadline_monotonic
        ]
        for entry in due:
            door = self._doors[entry.door]
            if self._reports(door, entry.desired_locked):
                self.observe(door)
                continue
            self._finish(entry, CommandOutcome.NOT_CONVERGED)
            self._alarms.raise_alarm(
                AlarmType.NOT_CONVERGED,
                door.id,
                DOOR_KIND,
                self._not_converged_cause(door, entry),
                {"command": entry.snapshot().as_dict()},
            )

    def _not_converged_cause(self, door: DoorRecord, entry: CommandEntry) -> list[str]:
        desired = _state(entry.desired_locked)
        limit = self._converge_s[door.id]
        locked = door.inputs.locked
        if not door.controller_online:
            reported = "its controller is offline"
        elif locked is None:
            reported = "its lock has reported no usable value"
        elif door.inputs.locked_quality is Quality.BAD:
            reported = f"its lock reading is bad; last usable: {_state(locked)}"
        else:
            reported = f"its lock still reports {_state(locked)}"
        written = (
            f"{entry.value} written to {entry.point}"
            if entry.written_at is not None
            else f"the write of {entry.value} to {entry.point} was not confirmed"
        )
        return [
            f"door {door.id} not {desired} within {limit:g} s of command {entry.id}",
            reported,
            f"command {entry.id} by {entry.user}: {written}",
        ]

    @staticmethod
    def _reports(door: DoorRecord, locked: bool) -> bool:
        inputs = door.inputs
        return (
            inputs.locked is locked
            and inputs.locked_quality is not Quality.BAD
            and door.controller_online
        )

    # --- records ---------------------------------------------------------

    def _finish(self, entry: CommandEntry, outcome: CommandOutcome) -> None:
        old = entry.outcome
        entry.outcome = outcome
        entry.finished_at = self._clock.time()
        elapsed = entry.finished_at - entry.requested_at
        trouble = outcome in (CommandOutcome.NOT_CONVERGED, CommandOutcome.FAILED)
        log = logger.warning if trouble else logger.info
        log(
            "command %s by %s: %s %s %s after %.1f s%s",
            entry.id,
            entry.user,
            entry.action,
            entry.door,
            outcome.value,
            elapsed,
            f": {entry.reason}" if entry.reason else "",
        )
        self._publish(entry, old)

    def _publish(self, entry: CommandEntry, old: CommandOutcome | None) -> None:
        ticket = entry.snapshot()
        self._emit(
            EventType.COMMAND_CHANGED,
            entry.door,
            DOOR_KIND,
            None if old is None else old.value,
            entry.outcome.value,
            {"command": ticket.as_dict()},
        )

    def _remember(self, entry: CommandEntry) -> None:
        self._entries[entry.id] = entry
        if len(self._entries) > self._audit:
            # Dicts keep insertion order: the first key is the oldest command.
            del self._entries[next(iter(self._entries))]

    def get(self, command_id: str) -> CommandTicket:
        """A remembered command; ``KeyError`` for an unknown or forgotten id."""
        return self._entries[command_id].snapshot()

    def recent(self, limit: int = 100) -> list[CommandTicket]:
        """Up to ``limit`` commands, the most recent request first."""
        if limit <= 0:
            return []
        entries = list(self._entries.values())[-limit:]
        return [entry.snapshot() for entry in reversed(entries)]

    def pending(self) -> int:
        """Commands whose door is still watched for the desired state."""
        return len(self._watched)
