"""Interlocks: groups of doors (a sally port) of which at most one may be
unlocked or open at a time.

Two jobs. Before a door is commanded to unlock, :meth:`InterlockWatch.
unlock_conflict` names a door of one of its groups that stands in the way:
one that is unlocked or open, one already commanded to unlock, or one whose
state cannot be confirmed (its controller offline, no usable reading yet, a
bad-quality reading). A sally port fails closed: what cannot be confirmed
locked and closed blocks the unlock. Locking is never refused by an interlock.

And when the hardware breaks a group anyway (two doors unlocked or open at
once by their reported state), :class:`InterlockWatch` raises one
``interlock_violation`` alarm for the group (its node is the interlock id) and
clears it once at most one door is left unlocked or open. Doors whose
controller is offline count as unknown: they neither raise nor clear a
violation on their own.

The rules are plain functions of :class:`DoorPosition` so they are tested as
tables. The watch is only consulted for doors that belong to a group, so
doors outside interlocks cost nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from topology.sample import Quality
from topology.site import Interlock
from twin.alarms import AlarmBook, AlarmType
from twin.records import DoorRecord

INTERLOCK_KIND = "interlock"
"""The ``node_kind`` of interlock alarms and their events."""


@dataclass(frozen=True, slots=True)
class DoorPosition:
    """What the interlock rules need to know of one door.

    ``locked`` and ``closed`` are the last usable reported values (None before
    any), ``online`` whether its controllers are reachable, ``trusted`` whether
    neither reading's latest sample is bad quality, and ``unlock_pending``
    whether a command to unlock it is still on its way.
    """

    locked: bool | None
    closed: bool | None
    online: bool = True
    trusted: bool = True
    unlock_pending: bool = False


def engaged(position: DoorPosition) -> bool | None:
    """True if the door is unlocked or open, False if locked and closed, None
    if that is not known (offline, or no usable reading yet)."""
    if not position.online or position.locked is None or position.closed is None:
        return None
    return position.locked is False or position.closed is False


def describe(door: str, position: DoorPosition) -> str:
    """``door D-1 open``, ``door D-1 unlocked`` or ``door D-1 open and
    unlocked``, from the reported values."""
    states = []
    if position.closed is False:
        states.append("open")
    if position.locked is False:
        states.append("unlocked")
    return f"door {door} {' and '.join(states) or 'locked and closed'}"


def blocker(door: str, position: DoorPosition) -> str | None:
    """Why ``door`` stops another door of its group from being unlocked, or
    None if it is confirmed locked and closed with no unlock on its way."""
    if position.unlock_pending:
        return f"door {door} has been commanded to unlock"
    if not position.online:
        return f"door {door} is offline, so it cannot be confirmed locked and closed"
    if position.locked is None or position.closed is None:
        return f"door {door} has not yet reported whether it is locked and closed"
    if engaged(position):
        return describe(door, position)
    if not position.trusted:
        return (
            f"door {door} has a bad-quality lock or contact reading, so it cannot "
            "be confirmed locked and closed"
        )
    return None


def violated(positions: Mapping[str, DoorPosition], was_violated: bool) -> bool:
    """Whether a group of doors is in violation now.

    Two or more doors unlocked or open is a violation; fewer is not, unless a
    door's state is unknown while the group was already in violation, which
    keeps the violation (an unreachable door proves nothing was resolved).
    """
    states = [engaged(position) for position in positions.values()]
    if states.count(True) >= 2:
        return True
    return was_violated and None in states


def position_of(door: DoorRecord) -> DoorPosition:
    """The door's position from its reported inputs and pending command."""
    inputs = door.inputs
    command = door.command
    return DoorPosition(
        locked=inputs.locked,
        closed=inputs.closed,
        online=door.controller_online,
        trusted=inputs.locked_quality is not Quality.BAD
        and inputs.closed_quality is not Quality.BAD,
        unlock_pending=command is not None and command.unlock_pending,
    )


class InterlockWatch:
    """The site's interlock groups over the twin's door records.

    Raises ``ValueError`` for a group naming a door that does not exist.
    Marks each member door's record with the groups it belongs to.
    """

    def __init__(
        self,
        interlocks: Sequence[Interlock],
        doors: Mapping[str, DoorRecord],
        alarms: AlarmBook,
    ) -> None:
        self._doors = doors
        self._alarms = alarms
        self._groups: dict[str, Interlock] = {}
        self._violated: set[str] = set()
        for interlock in interlocks:
            for door_id in interlock.doors:
                door = doors.get(door_id)
                if door is None:
                    raise ValueError(
                        f"interlock {interlock.id!r} names unknown door {door_id!r}"
                    )
                if interlock.id not in door.interlocks:
                    door.interlocks = (*door.interlocks, interlock.id)
            self._groups[interlock.id] = interlock

    def groups(self) -> list[Interlock]:
        """The interlock groups, in site file order."""
        return list(self._groups.values())

    def violations(self) -> list[str]:
        """The ids of the groups in violation now."""
        return [group for group in self._groups if group in self._violated]

    def unlock_conflict(self, door_id: str) -> tuple[str, str] | None:
        """The first other door of ``door_id``'s groups that blocks unlocking
        it, with the reason in words; None if nothing does."""
        for group in self._doors[door_id].interlocks:
            for other in self._groups[group].doors:
                if other == door_id:
                    continue
                reason = blocker(other, position_of(self._doors[other]))
                if reason is not None:
                    name = self._groups[group].name or group
                    return other, f"{reason} (interlock {name})"
        return None

    def door_changed(self, door: DoorRecord) -> None:
        """Re-check the groups of a door whose inputs or reachability changed,
        raising or clearing their violation alarms."""
        for group in door.interlocks:
            self._check(self._groups[group])

    def _check(self, interlock: Interlock) -> None:
        positions = {
            door_id: position_of(self._doors[door_id]) for door_id in interlock.doors
        }
        was = interlock.id in self._violated
        now = violated(positions, was)
        if now is was:
            return

        doors = {
            door_id: describe(door_id, position)
            for door_id, position in positions.items()
            if engaged(position)
        }
        if now:
            self._violated.add(interlock.id)
            cause = [
                f"interlock {interlock.id} violated: {len(doors)} doors unlocked "
                "or open at once",
                *doors.values(),
                f"at most one door of {interlock.name or interlock.id} may be "
                "unlocked or open",
            ]
            self._alarms.raise_alarm(
                AlarmType.INTERLOCK_VIOLATION,
                interlock.id,
                INTERLOCK_KIND,
                cause,
                {"doors": list(doors)},
            )
        else:
            self._violated.discard(interlock.id)
            self._alarms.clear_alarm(
                AlarmType.INTERLOCK_VIOLATION, interlock.id, {"doors": list(doors)}
            )
