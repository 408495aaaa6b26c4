"""Door commands: desired state, the write, and whether the door followed.

A command to lock or unlock a door goes through three steps:

1. :meth:`CommandBook.request` checks it and, if it may go, makes it the
   door's desired state with a deadline, returning a :class:`CommandTicket`
   that names the device, point and value to write. It is refused
   (:class:`CommandRefused`) when the door has no writable command point, when
   the door or its command device is offline, or when unlocking would break an
   interlock (see :mod:`twin.interlock`).
2. The caller writes the value through a :class:`CommandTarget` and reports the
   result (:meth:`CommandBook.written` or :meth:`CommandBook.failed`);
   :func:`execute_door_command` does both steps.
3. The twin compares the reported ``locked`` input with the desired state on
   every change of the door's inputs and at every tick: matching before the
   deadline is ``converged``; the deadline passing first is ``not_converged``
   and raises an alarm, cleared if the door gets there late. A failed write
   raises ``command_failed``, cleared once the door reports the desired state
   anyway or a newer command replaces it.

A door's command point is its ``lock`` point when the site file gives one,
otherwise the point its ``locked`` input is bound to, if the device's profile
says that point is writable. An inverted binding (``!DEV/point``) inverts the
written value too: ``lock`` writes ``True`` to a plain point and ``False`` to
an inverted one.

Every request, accepted or refused, is kept in a bounded audit log
(:meth:`CommandBook.recent`), logged at INFO, and published as a
``command_changed`` event whenever its outcome changes.

Errors::

    CommandError           base of this module's errors
    └── CommandRefused     the command was not issued; ``reason`` says why

An unknown door raises ``KeyError``; an action other than ``lock`` or
``unlock``, or a blank user, ``ValueError``. Times are epoch seconds, except
deadlines, which are kept on the monotonic clock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, Protocol

from topology.loader import LoadedSite
from topology.profile import DataType
from topology.sample import Quality, Value
from topology.site import Door
from twin.alarms import AlarmBook, AlarmType, Emit
from twin.clock import Clock
from twin.events import EventType
from twin.interlock import InterlockWatch
from twin.records import DeviceRecord, DoorRecord
from twin.views import DOOR_KIND

if TYPE_CHECKING:
    from twin.model import Twin

logger = logging.getLogger(__name__)

Action = Literal["lock", "unlock"]
ACTIONS: tuple[Action, ...] = ("lock", "unlock")

CONVERGE_POLLS = 3
"""Poll intervals of the command device a door gets to report the new state,
on top of the device's timeout for the write itself."""


class CommandError(Exception):
    """A door command that cannot be carried out."""


class CommandRefused(CommandError):
    """The twin will not issue this command.

    ``reason`` is a plain sentence for the operator; ``conflict`` names the
    other door when an interlock is the reason; ``command_id`` is the refused
    command's entry in the audit log.
    """

    def __init__(
        self,
        door: str,
        action: str,
        reason: str,
        *,
        conflict: str | None = None,
        command_id: str | None = None,
    ) -> None:
        self.door = door
        self.action = action
        self.reason = reason
        self.conflict = conflict
        self.command_id = command_id
        super().__init__(f"cannot {action} door {door}: {reason}")


class CommandTarget(Protocol):
    """Where door commands are written: the drivers' poll group."""

    async def write_point(self, device_id: str, point: str, value: Value) -> None:
        """Write ``value`` to ``point`` of ``device_id``; raise on failure."""
        ...


class CommandOutcome(StrEnum):
    PENDING = "pending"
    """Accepted; the door has not yet reported the desired state."""
    CONVERGED = "converged"
    """The door reported the desired state before the deadline."""
    NOT_CONVERGED = "not_converged"
    """The deadline passed first (an alarm is raised)."""
    CONVERGED_LATE = "converged_late"
    """The door reported the desired state after the deadline."""
    FAILED = "failed"
    """The write to the device failed (an alarm is raised)."""
    REFUSED = "refused"
    """Not issued; ``reason`` says why."""
    SUPERSEDED = "superseded"
    """A newer command for the door replaced it while pending."""


@dataclass(frozen=True, slots=True)
class CommandPoint:
    """Where a door's lock command is written and how.

    ``invert`` means the point reads true when the door is unlocked;
    ``numeric`` that it is a register, written 0 or 1 rather than a bit.
    """

    device: str
    point: str
    invert: bool = False
    numeric: bool = False

    def value_for(self, locked: bool) -> bool | int:
        """The value to write so that the door ends up ``locked``."""
        value = locked is not self.invert
        return int(value) if self.numeric else value

    def __str__(self) -> str:
        return f"{self.device}/{self.point}"


def command_point(door: Door, site: LoadedSite) -> CommandPoint | str:
    """The door's command point, or the reason it has none, in words."""
    devices = {device.id: device for device in site.site.devices}
    ref = door.lock if door.lock is not None else door.bindings.locked
    device = devices.get(ref.device)
    profile = None
    if device is not None and device.profile is not None:
        profile = site.profiles.get(device.profile)
    point = None
    if profile is not None and ref.point in profile.point_names:
        point = profile.point(ref.point)

    if door.lock is None:
        if profile is None:
            return (
                f"door {door.id} has no lock point in the site file, and no "
                f"profile of {ref.device} says whether {ref.point} is writable"
            )
        if point is None:
            return (
                f"door {door.id} has no lock point in the site file, and profile "
                f"{profile.id} has no point {ref.point}"
            )
        if not point.writable:
            return (
                f"door {door.id} has no lock point in the site file, and its "
                f"lock input {ref.device}/{ref.point} is read-only"
            )
    elif point is not None and not point.writable:
        return f"the lock point {ref.device}/{ref.point} of door {door.id} is read-only"

    numeric = point is not None and point.data_type is not DataType.BOOL
    return CommandPoint(ref.device, ref.point, ref.invert, numeric)


@dataclass(frozen=True, slots=True)
class CommandTicket:
    """One door command as it stands now (a snapshot).

    ``device``, ``point`` and ``value`` say what to write (None for a refused
    command); ``deadline`` is when the door must report ``desired_locked``
    by; ``written_at`` when the write was confirmed; ``finished_at`` when the
    outcome became final; ``reason`` why it was refused or failed.
    """

    id: str
    door: str
    action: Action
    user: str
    requested_at: float
    outcome: CommandOutcome
    desired_locked: bool
    device: str | None
    point: str | None
    value: bool | int | None
    deadline: float | None
    written_at: float | None
    finished_at: float | None
    reason: str | None

    @property
    def converged(self) -> bool | None:
        """None while pending (or refused), True if the door followed in time."""
        if self.outcome in (CommandOutcome.PENDING, CommandOutcome.REFUSED):
            return None
        return self.outcome is CommandOutcome.CONVERGED

    def as_dict(self) -> dict[str, Any]:
        """The command as plain JSON-ready values."""
        return {
            "id": self.id,
            "door": self.door,
            "action": self.action,
            "user": self.user,
            "requested_at": self.requested_at,
            "outcome": self.outcome.value,
            "converged": self.converged,
            "failed": self.outcome is CommandOutcome.FAILED,
            "desired_locked": self.desired_locked,
            "device": self.device,
            "point": self.point,
            "value": self.value,
            "deadline": self.deadline,
            "written_at": self.written_at,
            "finished_at": self.finished_at,
            "reason": self.reason,
        }


class CommandEntry:
    """The mutable record behind a :class:`CommandTicket`."""

    __slots__ = (
        "action",
        "deadline",
        "deadline_monotonic",
        "desired_locked",
        "door",
        "finished_at",
        "id",
        "outcome",
        "point",
        "reason",
        "requested_at",
        "user",
        "value",
        "written_at",
    )

    def __init__(
        self, command_id: str, door: str, action: Action, user: str, now: float
    ) -> None:
        self.id = command_id
        self.door = door
        self.action = action
        self.user = user
        self.requested_at = now
        self.desired_locked = action == "lock"
        self.outcome = CommandOutcome.PENDING
        self.point: CommandPoint | None = None
        self.value: bool | int | None = None
        self.deadline: float | None = None
        self.deadline_monotonic = 0.0
        self.written_at: float | None = None
        self.finished_at: float | None = None
        self.reason: str | None = None

    @property
    def unlock_pending(self) -> bool:
        return self.outcome is CommandOutcome.PENDING and not self.desired_locked

    def snapshot(self) -> CommandTicket:
        point = self.point
        return CommandTicket(
            id=self.id,
            door=self.door,
            action=self.action,
            user=self.user,
            requested_at=self.requested_at,
            outcome=self.outcome,
            desired_locked=self.desired_locked,
            device=None if point is None else point.device,
            point=None if point is None else point.point,
            value=self.value,
            deadline=self.deadline,
            written_at=self.written_at,
            finished_at=self.finished_at,
            reason=self.reason,
        )


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
                device.id
                for device in [*door.controllers, self._devices[point.device]]
                if device.offline
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
        log = logger.info if outcome is CommandOutcome.CONVERGED else logger.warning
        if outcome is CommandOutcome.SUPERSEDED:
            log = logger.info
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


async def execute_door_command(
    twin: Twin,
    target: CommandTarget,
    door_id: str,
    action: Action,
    user: str,
    *,
    timeout_s: float = 5.0,
) -> CommandTicket:
    """Request a door command from ``twin`` and write it through ``target``.

    Returns the command as it stands after the write: ``pending`` (or already
    ``converged``) when the write succeeded, ``failed`` when it raised or took
    longer than ``timeout_s`` seconds. Raises what :meth:`Twin.request_door`
    raises (``KeyError``, ``ValueError``, :class:`CommandRefused`) before
    anything is written. Cancellation propagates; the command then stays
    pending and its deadline decides.
    """
    ticket = twin.request_door(door_id, action, user)
    assert ticket.device is not None and ticket.point is not None
    try:
        async with asyncio.timeout(timeout_s):
            await target.write_point(ticket.device, ticket.point, ticket.value)
    except TimeoutError:
        return twin.command_failed(ticket.id, f"no answer within {timeout_s:g} s")
    except Exception as exc:
        # The target's errors belong to the drivers, which the twin does not
        # import; whatever it raised, the write did not happen.
        return twin.command_failed(ticket.id, f"{type(exc).__name__}: {exc}")
    return twin.command_written(ticket.id)
