"""Door status, derived from a door's inputs, a little memory and the time.

Nothing here does I/O or reads a clock: :func:`derive_door` takes everything it
needs as arguments, so every rule is tested with a table of inputs, memory and
times in and status out.

Status, checked in this order:

1. ``offline``: the door's controller is unreachable; nothing it says is current.
2. ``unknown``: no usable value yet for ``locked`` or ``closed``.
3. ``forced_open``: it opened while locked with no unlock or request to exit in
   the grace window before; it stays forced until it closes again. A door
   first seen open while locked counts as forced: nothing shows it was let open.
4. ``held_open``: an authorised opening has lasted longer than ``held_open_s``.
5. ``fault``: tamper is active, or a bound input's latest sample is bad quality.
6. ``open``: open after an unlock or request to exit.
7. ``unlocked``: closed and not locked.
8. ``secure``: closed and locked.

Forced and held outrank fault so that a bad reading or a tamper during a breach
never hides the breach; the tamper alarm is raised alongside. A bad sample
keeps the input's last usable value (it never becomes true by being bad) and
flags the input, so a door with a bad input is never ``secure``. Uncertain
samples are used as values and only flagged.

The inputs a door binds (lock relay, contact, tamper, request to exit) have no
combination that is physically impossible; a contradictory reading shows up as
a value that is not a boolean, which the twin records as bad quality and
therefore ``fault``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from topology.sample import Quality

InputName = Literal["locked", "closed", "tamper", "request_to_exit"]
INPUT_NAMES: tuple[InputName, ...] = ("locked", "closed", "tamper", "request_to_exit")

_POSITION = {name: index for index, name in enumerate(INPUT_NAMES)}
_QUALITY_FIELD = {name: f"{name}_quality" for name in INPUT_NAMES}

DEFAULT_GRACE_S = 3.0
"""How long after the lock re-locks, or the exit button is released, an opening
still counts as authorised: covers a controller that re-locks the moment the
door opens and a poll that sees the two changes in either order."""


class DoorStatus(StrEnum):
    SECURE = "secure"
    UNLOCKED = "unlocked"
    OPEN = "open"
    FORCED_OPEN = "forced_open"
    HELD_OPEN = "held_open"
    FAULT = "fault"
    OFFLINE = "offline"
    UNKNOWN = "unknown"


class DoorAlarm(StrEnum):
    """Door conditions an operator must see and acknowledge."""

    FORCED_OPEN = "forced_open"
    HELD_OPEN = "held_open"
    TAMPER = "tamper"


@dataclass(frozen=True, slots=True)
class DoorInputs:
    """A door's inputs: last usable value and latest sample quality of each.

    A value is None until a good or uncertain sample arrives; a quality is None
    until any sample arrives (an input that is not bound stays None/None).
    """

    locked: bool | None = None
    closed: bool | None = None
    tamper: bool | None = None
    request_to_exit: bool | None = None
    locked_quality: Quality | None = None
    closed_quality: Quality | None = None
    tamper_quality: Quality | None = None
    request_to_exit_quality: Quality | None = None

    def value(self, name: InputName) -> bool | None:
        value: bool | None = getattr(self, name)
        return value

    def quality(self, name: InputName) -> Quality | None:
        quality: Quality | None = getattr(self, _QUALITY_FIELD[name])
        return quality

    def with_sample(
        self, name: InputName, value: bool | None, quality: Quality
    ) -> DoorInputs:
        """These inputs after one sample of ``name``.

        A bad sample (or a None value) changes only the quality: the last usable
        value stays, marked by the bad quality.
        """
        # Built positionally: this runs for every input change at full rate.
        fields: list[bool | Quality | None] = [
            self.locked,
            self.closed,
            self.tamper,
            self.request_to_exit,
            self.locked_quality,
            self.closed_quality,
            self.tamper_quality,
            self.request_to_exit_quality,
        ]
        index = _POSITION[name]
        if quality is not Quality.BAD and value is not None:
            fields[index] = value
        fields[index + len(INPUT_NAMES)] = quality
        return DoorInputs(*fields)  # type: ignore[arg-type]

    def inputs_with(self, quality: Quality) -> tuple[InputName, ...]:
        """The inputs whose latest sample has ``quality``."""
        return tuple(name for name in INPUT_NAMES if self.quality(name) is quality)


@dataclass(frozen=True, slots=True)
class DoorMemory:
    """What a door's status depends on beyond its current inputs.

    Times are monotonic seconds. ``opened_at`` is when the current opening was
    first seen (None while closed) and ``authorised`` whether it followed an
    unlock or request to exit. ``unlocked_at`` and ``exit_requested_at`` are the
    last moments the door was seen unlocked and the exit button pressed.
    """

    opened_at: float | None = None
    authorised: bool = False
    unlocked_at: float | None = None
    exit_requested_at: float | None = None
    was_locked: bool | None = None
    was_exit_requested: bool | None = None


def derive_door(
    inputs: DoorInputs,
    memory: DoorMemory,
    controller_online: bool,
    now_monotonic: float,
    held_open_s: float,
    *,
    grace_s: float = DEFAULT_GRACE_S,
) -> tuple[DoorStatus, DoorMemory]:
    """A door's status and updated memory at ``now_monotonic`` (seconds).

    ``held_open_s`` is how long an authorised opening may last; ``grace_s`` how
    recent an unlock or exit request must be to authorise an opening. While the
    controller is offline the memory is kept as it was, because nothing the
    inputs say is current. Never raises.
    """
    if not controller_online:
        return DoorStatus.OFFLINE, memory
    if inputs.locked is None or inputs.closed is None:
        return DoorStatus.UNKNOWN, memory

    memory = _remember(inputs, memory, now_monotonic, grace_s)

    if memory.opened_at is not None and not memory.authorised:
        return DoorStatus.FORCED_OPEN, memory
    if memory.opened_at is not None and now_monotonic - memory.opened_at > held_open_s:
        return DoorStatus.HELD_OPEN, memory
    if inputs.tamper or inputs.inputs_with(Quality.BAD):
        return DoorStatus.FAULT, memory
    if not inputs.closed:
        return DoorStatus.OPEN, memory
    if not inputs.locked:
        return DoorStatus.UNLOCKED, memory
    return DoorStatus.SECURE, memory


def _remember(
    inputs: DoorInputs, memory: DoorMemory, now: float, grace_s: float
) -> DoorMemory:
    unlocked_at = memory.unlocked_at
    # Also on the edge to locked: it was unlocked until this very moment.
    if inputs.locked is False or memory.was_locked is False:
        unlocked_at = now
    exit_requested_at = memory.exit_requested_at
    if inputs.request_to_exit or memory.was_exit_requested:
        exit_requested_at = now

    opened_at = memory.opened_at
    authorised = memory.authorised
    if inputs.closed:
        opened_at = None
        authorised = False
    elif opened_at is None:
        opened_at = now
        authorised = _recent(unlocked_at, now, grace_s) or _recent(
            exit_requested_at, now, grace_s
        )

    return DoorMemory(
        opened_at=opened_at,
        authorised=authorised,
        unlocked_at=unlocked_at,
        exit_requested_at=exit_requested_at,
        was_locked=inputs.locked,
        was_exit_requested=inputs.request_to_exit,
    )


def _recent(moment: float | None, now: float, grace_s: float) -> bool:
    return moment is not None and now - moment <= grace_s


def door_alarms(
    status: DoorStatus, inputs: DoorInputs, previous: frozenset[DoorAlarm]
) -> frozenset[DoorAlarm]:
    """The alarms a door in ``status`` with ``inputs`` has active.

    While the door is ``offline`` its alarms stay as they were (``previous``):
    an unreachable controller neither raises nor clears anything.
    """
    if status is DoorStatus.OFFLINE:
        return previous
    active: set[DoorAlarm] = set()
    if status is DoorStatus.FORCED_OPEN:
        active.add(DoorAlarm.FORCED_OPEN)
    elif status is DoorStatus.HELD_OPEN:
        active.add(DoorAlarm.HELD_OPEN)
    if inputs.tamper:
        active.add(DoorAlarm.TAMPER)
    return frozenset(active)


def door_cause(status: DoorStatus, inputs: DoorInputs) -> str:
    """A short sentence saying why a door has ``status``, for events and views."""
    if status is DoorStatus.OFFLINE:
        return "its controller is offline"
    if status is DoorStatus.UNKNOWN:
        missing = [name for name in ("locked", "closed") if inputs.value(name) is None]
        return f"no usable value yet for {' and '.join(missing)}"
    if status is DoorStatus.FORCED_OPEN:
        return "opened while locked, with no unlock or request to exit"
    if status is DoorStatus.HELD_OPEN:
        return "open longer than its held-open limit"
    if status is DoorStatus.FAULT:
        reasons = []
        if inputs.tamper:
            reasons.append("tamper is active")
        bad = inputs.inputs_with(Quality.BAD)
        if bad:
            reasons.append(f"bad quality on {', '.join(bad)}")
        return "; ".join(reasons)
    if status is DoorStatus.OPEN:
        return "open after an unlock or request to exit"
    if status is DoorStatus.UNLOCKED:
        return "closed and unlocked"
    return "closed and locked"
