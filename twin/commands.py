"""Door commands: desired state, the write, and whether the door followed.

A command to lock or unlock a door goes through three steps:

1. :meth:`Twin.request_door <twin.model.Twin.request_door>` checks it and, if
   it may go, makes it the door's desired state with a deadline, returning a
   :class:`CommandTicket` that names the device, point and value to write. It
   is refused (:class:`CommandRefused`) when the door has no writable command
   point, when the door or its command device is offline, or when unlocking
   would break an interlock (see :mod:`twin.interlock`).
2. The caller writes the value through a :class:`CommandTarget` and reports
   the result (``Twin.command_written`` or ``Twin.command_failed``);
   :func:`execute_door_command` does both steps.
3. The twin compares the reported ``locked`` input with the desired state on
   every change of the door's inputs and at every tick: matching before the
   deadline is ``converged``; the deadline passing first is ``not_converged``
   and raises an alarm, cleared if the door gets there late. A failed write
   raises ``command_failed``, cleared once the door reports the desired state
   anyway or a newer command replaces it.

The bookkeeping lives in :mod:`twin.command_book`; this module holds the
types, the command point rule and the write.

A door's command point is its ``lock`` point when the site file gives one,
otherwise the point its ``locked`` input is bound to, if the device's profile
says that point is writable. An inverted binding (``!DEV/point``) inverts the
written value too: ``lock`` writes ``True`` to a plain point and ``False`` to
an inverted one.

Errors::

    CommandError           base of this module's errors
    └── CommandRefused     the command was not issued; ``reason`` says why

An unknown door raises ``KeyError``; an action other than ``lock`` or
``unlock``, or a blank user, ``ValueError``. Times are epoch seconds, except
deadlines, which are kept on the monotonic clock.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, Protocol

from topology.loader import LoadedSite
from topology.profile import DataType
from topology.sample import Value
from topology.site import Door

if TYPE_CHECKING:
    from twin.model import Twin

Action = Literal["lock", "unlock"]
ACTIONS: tuple[Action, ...] = ("lock", "unlock")


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
