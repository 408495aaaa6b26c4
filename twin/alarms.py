"""Alarms: conditions an operator must see and acknowledge.

An :class:`AlarmBook` keeps one alarm per condition, a condition being an alarm
type on one node (door ``D-A1`` forced open, device ``DC-1`` offline, interlock
``IL-1`` violated). An alarm is *raised* when its condition starts, *cleared*
when it ends, and *acknowledged* by a named operator at any time. It stays
listed (:meth:`AlarmBook.listed`) while it is active or not yet acknowledged,
so an alarm that came and went overnight is still there in the morning; once
cleared and acknowledged it moves to a bounded history
(:meth:`AlarmBook.history`).

A condition that returns while its last alarm is cleared but not yet
acknowledged re-opens that alarm (``occurrences`` counts how often it was
raised) instead of listing a new one: a flapping contact fills one line, not
hundreds. Once an alarm is acknowledged and cleared, the next raise is a new
alarm.

Every change is published on the event bus through the ``emit`` callable:
``alarm_raised`` (``new`` is the alarm type), ``alarm_cleared`` (``old`` is)
and ``alarm_acknowledged`` (``new`` is), each with ``detail["alarm"]`` the
alarm as a mapping (:meth:`Alarm.as_dict`).

Errors::

    AlarmError                 base of this module's errors
    ├── UnknownAlarm           no alarm has that id (also a ``KeyError``)
    └── AlreadyAcknowledged    the alarm was acknowledged before

Times are epoch seconds from the twin's clock. Not thread-safe.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from twin.clock import Clock
from twin.events import EventType

logger = logging.getLogger(__name__)

Emit = Callable[
    [EventType, str, str, str | None, str | None, Mapping[str, object]], None
]
"""Publishes one event: (type, node, node kind, old, new, detail)."""


class AlarmError(Exception):
    """An alarm operation that cannot be done."""


class UnknownAlarm(AlarmError, KeyError):
    """No listed or remembered alarm has this id."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown alarm"


class AlreadyAcknowledged(AlarmError):
    """The alarm was acknowledged before; ``alarm`` says by whom and when."""

    def __init__(self, alarm: Alarm) -> None:
        self.alarm = alarm
        super().__init__(
            f"alarm {alarm.id} was already acknowledged by "
            f"{alarm.acknowledged_by} at {alarm.acknowledged_at}"
        )


class AlarmType(StrEnum):
    FORCED_OPEN = "forced_open"
    HELD_OPEN = "held_open"
    FENCE_INTRUSION = "fence_intrusion"
    TAMPER = "tamper"
    DEVICE_OFFLINE = "device_offline"
    LINK_DOWN = "link_down"
    """A switch port on the way to other devices is down (see twin.network)."""
    INTERLOCK_VIOLATION = "interlock_violation"
    COMMAND_FAILED = "command_failed"
    """A command's write to the device failed."""
    NOT_CONVERGED = "not_converged"
    """A door did not reach the commanded state before its deadline."""


class Severity(StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"


SEVERITY: Mapping[AlarmType, Severity] = {
    AlarmType.FORCED_OPEN: Severity.CRITICAL,
    AlarmType.FENCE_INTRUSION: Severity.CRITICAL,
    AlarmType.INTERLOCK_VIOLATION: Severity.CRITICAL,
    AlarmType.HELD_OPEN: Severity.MAJOR,
    AlarmType.TAMPER: Severity.MAJOR,
    AlarmType.DEVICE_OFFLINE: Severity.MAJOR,
    AlarmType.LINK_DOWN: Severity.MAJOR,
    AlarmType.COMMAND_FAILED: Severity.MAJOR,
    AlarmType.NOT_CONVERGED: Severity.MAJOR,
}

_RANK = {Severity.CRITICAL: 0, Severity.MAJOR: 1, Severity.MINOR: 2}


@dataclass(frozen=True, slots=True)
class Alarm:
    """One alarm as it stands now (a snapshot).

    ``raised_at`` is when it was first raised and ``last_raised_at`` when most
    recently; ``cleared_at`` is None while the condition is active. ``cause``
    reads from the effect back to its causes, one short sentence each.
    """

    id: str
    type: AlarmType
    severity: Severity
    node: str
    node_kind: str
    raised_at: float
    last_raised_at: float
    cleared_at: float | None
    acknowledged_by: str | None
    acknowledged_at: float | None
    note: str | None
    cause: tuple[str, ...]
    occurrences: int

    @property
    def active(self) -> bool:
        return self.cleared_at is None

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    def as_dict(self) -> dict[str, Any]:
        """The alarm as plain JSON-ready values."""
        return {
            "id": self.id,
            "type": self.type.value,
            "severity": self.severity.value,
            "node": self.node,
            "node_kind": self.node_kind,
            "active": self.active,
            "raised_at": self.raised_at,
            "last_raised_at": self.last_raised_at,
            "cleared_at": self.cleared_at,
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_at": self.acknowledged_at,
            "note": self.note,
            "cause": list(self.cause),
            "occurrences": self.occurrences,
        }


class _Entry:
    """The mutable record behind an :class:`Alarm`."""

    __slots__ = (
        "acknowledged_at",
        "acknowledged_by",
        "cause",
        "cleared_at",
        "id",
        "last_raised_at",
        "node",
        "node_kind",
        "note",
        "occurrences",
        "raised_at",
        "type",
    )

    def __init__(
        self,
        alarm_id: str,
        kind: AlarmType,
        node: str,
        node_kind: str,
        cause: tuple[str, ...],
        now: float,
    ) -> None:
        self.id = alarm_id
        self.type = kind
        self.node = node
        self.node_kind = node_kind
        self.cause = cause
        self.raised_at = now
        self.last_raised_at = now
        self.cleared_at: float | None = None
        self.acknowledged_by: str | None = None
        self.acknowledged_at: float | None = None
        self.note: str | None = None
        self.occurrences = 1

    def snapshot(self) -> Alarm:
        return Alarm(
            id=self.id,
            type=self.type,
            severity=SEVERITY[self.type],
            node=self.node,
            node_kind=self.node_kind,
            raised_at=self.raised_at,
            last_raised_at=self.last_raised_at,
            cleared_at=self.cleared_at,
            acknowledged_by=self.acknowledged_by,
            acknowledged_at=self.acknowledged_at,
            note=self.note,
            cause=self.cause,
            occurrences=self.occurrences,
        )


class AlarmBook:
    """The twin's alarms: listed ones, by condition and id, and a history.

    ``history`` bounds how many closed (cleared and acknowledged) alarms are
    remembered for :meth:`history` and :meth:`get`.
    """

    def __init__(self, clock: Clock, emit: Emit, *, history: int = 1000) -> None:
        if history < 0:
            raise ValueError(f"history must not be negative, not {history}")
        self._clock = clock
        self._emit = emit
        self._listed: dict[str, _Entry] = {}
        self._by_condition: dict[tuple[AlarmType, str], _Entry] = {}
        self._closed: deque[_Entry] = deque(maxlen=history)
        self._count = 0

    def raise_alarm(
        self,
        kind: AlarmType,
        node: str,
        node_kind: str,
        cause: Sequence[str],
        detail: Mapping[str, object] | None = None,
    ) -> Alarm:
        """Raise the alarm for ``kind`` on ``node``; nothing new if it is
        already active. ``detail`` is added to the event's detail."""
        now = self._clock.time()
        entry = self._by_condition.get((kind, node))
        if entry is not None and entry.cleared_at is None:
            return entry.snapshot()
        if entry is None:
            self._count += 1
            entry = _Entry(f"alm-{self._count}", kind, node, node_kind, (), now)
            self._listed[entry.id] = entry
            self._by_condition[(kind, node)] = entry
        else:
            entry.cleared_at = None
            entry.last_raised_at = now
            entry.occurrences += 1
        entry.cause = tuple(cause)

        alarm = entry.snapshot()
        logger.warning(
            "alarm %s raised: %s (%s)",
            alarm.id,
            " <- ".join(alarm.cause),
            alarm.severity.value,
        )
        self._emit(
            EventType.ALARM_RAISED,
            node,
            node_kind,
            None,
            kind.value,
            {**(detail or {}), "alarm": alarm.as_dict()},
        )
        return alarm

    def amend_cause(self, kind: AlarmType, node: str, cause: Sequence[str]) -> bool:
        """Replace the cause chain of the active alarm for ``kind`` on ``node``
        (more devices cut off by the same switch, say); False if none is
        active. Publishes no event: the alarm's condition did not change."""
        entry = self._by_condition.get((kind, node))
        if entry is None or entry.cleared_at is not None:
            return False
        entry.cause = tuple(cause)
        return True

    def clear_alarm(
        self,
        kind: AlarmType,
        node: str,
        detail: Mapping[str, object] | None = None,
    ) -> Alarm | None:
        """Clear the active alarm for ``kind`` on ``node``; None if there is
        none. It stays listed until acknowledged."""
        entry = self._by_condition.get((kind, node))
        if entry is None or entry.cleared_at is not None:
            return None
        entry.cleared_at = self._clock.time()
        alarm = entry.snapshot()
        if entry.acknowledged_at is not None:
            self._close(entry)

        logger.info("alarm %s cleared: %s on %s", alarm.id, kind.value, node)
        self._emit(
            EventType.ALARM_CLEARED,
            node,
            entry.node_kind,
            kind.value,
            None,
            {**(detail or {}), "alarm": alarm.as_dict()},
        )
        return alarm

    def acknowledge(self, alarm_id: str, user: str, note: str | None = None) -> Alarm:
        """Record that ``user`` has seen the alarm, with an optional ``note``.

        Raises :class:`UnknownAlarm` for an id not listed or remembered,
        :class:`AlreadyAcknowledged` if someone acknowledged it before, and
        ``ValueError`` for a blank ``user``.
        """
        if not user.strip():
            raise ValueError("an acknowledgement needs the name of who gives it")
        entry = self._listed.get(alarm_id)
        if entry is None:
            remembered = self._find_closed(alarm_id)
            if remembered is None:
                raise UnknownAlarm(f"no alarm has the id {alarm_id!r}")
            raise AlreadyAcknowledged(remembered.snapshot())
        if entry.acknowledged_at is not None:
            raise AlreadyAcknowledged(entry.snapshot())

        entry.acknowledged_by = user
        entry.acknowledged_at = self._clock.time()
        entry.note = note
        alarm = entry.snapshot()
        if entry.cleared_at is not None:
            self._close(entry)

        logger.info("alarm %s acknowledged by %s", alarm.id, user)
        self._emit(
            EventType.ALARM_ACKNOWLEDGED,
            entry.node,
            entry.node_kind,
            None,
            entry.type.value,
            {"user": user, "note": note, "alarm": alarm.as_dict()},
        )
        return alarm

    def _close(self, entry: _Entry) -> None:
        del self._listed[entry.id]
        del self._by_condition[(entry.type, entry.node)]
        self._closed.append(entry)

    def _find_closed(self, alarm_id: str) -> _Entry | None:
        for entry in self._closed:
            if entry.id == alarm_id:
                return entry
        return None

    def get(self, alarm_id: str) -> Alarm:
        """A listed or remembered alarm; :class:`UnknownAlarm` otherwise."""
        entry = self._listed.get(alarm_id) or self._find_closed(alarm_id)
        if entry is None:
            raise UnknownAlarm(f"no alarm has the id {alarm_id!r}")
        return entry.snapshot()

    def active(self, kind: AlarmType, node: str) -> Alarm | None:
        """The active alarm for ``kind`` on ``node``, if there is one."""
        entry = self._by_condition.get((kind, node))
        if entry is None or entry.cleared_at is not None:
            return None
        return entry.snapshot()

    def listed(self) -> list[Alarm]:
        """Alarms active or not yet acknowledged: active ones first, then by
        severity (critical first), then the most recently raised first."""
        alarms = [entry.snapshot() for entry in self._listed.values()]
        alarms.sort(key=lambda a: -a.last_raised_at)
        alarms.sort(key=lambda a: (not a.active, _RANK[a.severity]))
        return alarms

    def history(self, limit: int = 100) -> list[Alarm]:
        """Up to ``limit`` closed alarms (cleared and acknowledged), the most
        recently closed first."""
        if limit <= 0:
            return []
        closed = list(self._closed)[-limit:]
        return [entry.snapshot() for entry in reversed(closed)]

    def counts(self) -> dict[str, int]:
        """Listed alarms: how many are active and how many unacknowledged."""
        entries = self._listed.values()
        return {
            "listed": len(self._listed),
            "active": sum(entry.cleared_at is None for entry in entries),
            "unacknowledged": sum(entry.acknowledged_at is None for entry in entries),
        }
