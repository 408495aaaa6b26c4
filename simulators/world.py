"""The simulated physical world of one site: doors, their inputs, and devices.

The world is what the hardware would sense: whether a door leaf is physically open,
whether its lock relay is energised (the controller's lock coil drives it), the tamper
switch and the request-to-exit button. For each simulated device it records whether
it is running and which fault it has been told to show.

Every change is stamped with ``time.time()`` (epoch seconds), numbered, kept in a
bounded history and announced to listeners synchronously, so a test or a benchmark
can measure how long the platform takes to notice it. Mutators return the
:class:`WorldChange` they made, or ``None`` when the value was already so.

States are frozen snapshots, replaced on change: holding one never shows a later
change, and readers on the request path pay one dictionary look-up.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from simulators.errors import FaultError, UnknownDeviceError, UnknownDoorError
from topology.site import SiteFile

logger = logging.getLogger(__name__)

PointValue = bool | int | float

Listener = Callable[["WorldChange"], None]


@dataclass(frozen=True, slots=True)
class WorldChange:
    """One change of the world.

    ``seq`` counts changes from 1, ``time`` is when it happened (epoch seconds),
    ``kind`` says whether ``target`` is a door or a device id. ``attribute`` is the
    state field that changed (``open``, ``locked``, ``tamper``, ``request_to_exit``,
    ``running``, ``fault``) or ``point:NAME`` for a device point value.
    """

    seq: int
    time: float
    kind: Literal["door", "device"]
    target: str
    attribute: str
    value: object


@dataclass(frozen=True, slots=True)
class DoorState:
    """What the sensors of one door would report right now.

    ``locked`` is the lock relay (True = energised to lock), set by the controller's
    lock coil. A door starts closed and locked.
    """

    id: str
    open: bool = False
    locked: bool = True
    tamper: bool = False
    request_to_exit: bool = False
    changed_at: float = 0.0


@dataclass(frozen=True, slots=True)
class Fault:
    """How a device misbehaves when asked.

    ``delay_ms`` delays every answer, ``exception_code`` makes it answer with that
    protocol exception (Modbus: 1..255, for example 0x02 or 0x0B) and ``garbage``
    makes it answer with a malformed frame. All unset means a healthy device.
    """

    delay_ms: int = 0
    exception_code: int | None = None
    garbage: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.delay_ms <= 600_000:
            raise FaultError(f"delay_ms must be 0..600000, not {self.delay_ms}")
        if self.exception_code is not None and not 1 <= self.exception_code <= 255:
            raise FaultError(
                f"exception_code must be 1..255, not {self.exception_code}"
            )

    @property
    def is_healthy(self) -> bool:
        return not (self.delay_ms or self.exception_code is not None or self.garbage)


HEALTHY = Fault()


@dataclass(frozen=True, slots=True)
class DeviceState:
    """One simulated device: whether it serves, its fault, its point values.

    ``started_at`` is the epoch time it last started (its uptime counts from
    there), ``None`` while it never ran. ``values`` holds point values set by a
    scenario, the control interface or a protocol write, by point name.
    """

    id: str
    running: bool = False
    fault: Fault = HEALTHY
    started_at: float | None = None
    values: Mapping[str, PointValue] = field(default_factory=dict)
    changed_at: float = 0.0


class World:
    """The physical state of a site's doors and devices.

    Created from a site file (:meth:`from_site`) or from plain id lists. Methods
    raise :class:`UnknownDoorError` / :class:`UnknownDeviceError` for ids the
    world does not have. Listeners run synchronously inside the mutator; one that
    raises is logged and does not stop the others.
    """

    def __init__(
        self,
        door_ids: Iterable[str],
        device_ids: Iterable[str],
        *,
        history: int = 10_000,
    ) -> None:
        now = time.time()
        self._doors: dict[str, DoorState] = {
            door_id: DoorState(door_id, changed_at=now) for door_id in door_ids
        }
        self._devices: dict[str, DeviceState] = {
            device_id: DeviceState(device_id, changed_at=now)
            for device_id in device_ids
        }
        self._history: deque[WorldChange] = deque(maxlen=history)
        self._listeners: list[Listener] = []
        self._targeted: dict[str, list[Listener]] = {}
        self._seq = 0
        self._changed = asyncio.Event()
        self._releases: dict[str, asyncio.TimerHandle] = {}

    @classmethod
    def from_site(cls, site: SiteFile) -> World:
        """A world holding every door and device the site file declares."""
        return cls(
            (door.id for door in site.doors), (device.id for device in site.devices)
        )

    # Reading

    @property
    def doors(self) -> Mapping[str, DoorState]:
        """Every door's current state by id (a live read-only view)."""
        return MappingProxyType(self._doors)

    @property
    def devices(self) -> Mapping[str, DeviceState]:
        """Every device's current state by id (a live read-only view)."""
        return MappingProxyType(self._devices)

    def door(self, door_id: str) -> DoorState:
        try:
            return self._doors[door_id]
        except KeyError:
            raise UnknownDoorError(door_id) from None

    def device(self, device_id: str) -> DeviceState:
        try:
            return self._devices[device_id]
        except KeyError:
            raise UnknownDeviceError(device_id) from None

    @property
    def last_seq(self) -> int:
        """Number of the latest change (0 before any)."""
        return self._seq

    def history(self, after_seq: int = 0) -> list[WorldChange]:
        """Changes numbered above ``after_seq``, oldest first, from the bounded
        history (the oldest are dropped past its size)."""
        return [change for change in self._history if change.seq > after_seq]

    # Doors

    def open_door(self, door_id: str) -> WorldChange | None:
        """The door leaf swings open (the contact input reads open)."""
        return self._set_door(door_id, "open", True)

    def close_door(self, door_id: str) -> WorldChange | None:
        """The door leaf shuts (the contact input reads closed)."""
        return self._set_door(door_id, "open", False)

    def set_relay(self, door_id: str, locked: bool) -> WorldChange | None:
        """Energise (``locked=True``) or release the door's lock relay, as the
        controller does when its lock coil is written."""
        return self._set_door(door_id, "locked", locked)

    def set_tamper(self, door_id: str, on: bool) -> WorldChange | None:
        """Open (``on=True``) or restore the door hardware's tamper switch."""
        return self._set_door(door_id, "tamper", on)

    def set_request_to_exit(self, door_id: str, pressed: bool) -> WorldChange | None:
        """Hold or release the request-to-exit button until told otherwise."""
        handle = self._releases.pop(door_id, None)
        if handle is not None:
            handle.cancel()
        return self._set_door(door_id, "request_to_exit", pressed)

    def press_request_to_exit(
        self, door_id: str, hold_s: float = 2.0
    ) -> WorldChange | None:
        """Press the request-to-exit button for ``hold_s`` seconds, then release it.

        Must be called from a running event loop (the release is a timer on it). A
        second press while held restarts the hold. :meth:`close` cancels pending
        releases.
        """
        if hold_s <= 0:
            raise ValueError(f"hold_s must be positive, not {hold_s}")
        self.door(door_id)
        change = self.set_request_to_exit(door_id, True)
        loop = asyncio.get_running_loop()
        self._releases[door_id] = loop.call_later(hold_s, self._release, door_id)
        return change

    def _release(self, door_id: str) -> None:
        self._releases.pop(door_id, None)
        self._set_door(door_id, "request_to_exit", False)

    # Devices

    def set_fault(self, device_id: str, fault: Fault) -> WorldChange | None:
        """Make the device misbehave as ``fault`` says (``HEALTHY`` clears it).

        The device's simulator reads this on every request, so it applies to the
        next answer.
        """
        return self._set_device(device_id, "fault", fault)

    def set_point_value(
        self, device_id: str, point: str, value: PointValue
    ) -> WorldChange | None:
        """Set the value a device reports for one point that no door binds (a
        supply voltage, a setting written over the protocol). Engineering units."""
        state = self.device(device_id)
        if point in state.values and state.values[point] == value:
            return None
        values = {**state.values, point: value}
        return self._replace_device(
            device_id, state, f"point:{point}", value, values=values
        )

    def record_running(self, device_id: str, running: bool) -> WorldChange | None:
        """Record that a device's simulator started or stopped serving.

        Called by the simulator itself; to stop or start a device use
        :meth:`simulators.runner.SimulatorSet.stop_device` and ``start_device``.
        Starting resets the device's uptime.
        """
        state = self.device(device_id)
        if state.running == running:
            return None
        return self._replace_device(
            device_id, state, "running", running, running=running, restarted=running
        )

    # Observing

    def add_listener(
        self, listener: Listener, targets: Iterable[str] | None = None
    ) -> Callable[[], None]:
        """Call ``listener(change)`` after every change, or only after changes of
        the door and device ids in ``targets``; returns the remover.

        Targeted listeners cost nothing when other things change, which matters
        with hundreds of devices each watching a few doors.
        """
        lists = (
            [self._listeners]
            if targets is None
            else [self._targeted.setdefault(target, []) for target in set(targets)]
        )
        for listeners in lists:
            listeners.append(listener)

        def remove() -> None:
            for listeners in lists:
                if listener in listeners:
                    listeners.remove(listener)

        return remove

    async def wait_for(
        self,
        predicate: Callable[[WorldChange], bool],
        *,
        after_seq: int = 0,
    ) -> WorldChange:
        """Wait for the first change numbered above ``after_seq`` that matches.

        Changes already in the history count, so pass :attr:`last_seq` taken
        before acting to wait only for what follows. Waits forever: callers bound
        it with ``asyncio.timeout``.
        """
        seen = after_seq
        while True:
            for change in self._history:
                if change.seq > seen:
                    seen = change.seq
                    if predicate(change):
                        return change
            await self._changed.wait()

    def close(self) -> None:
        """Cancel pending request-to-exit releases (the buttons stay as they are)."""
        for handle in self._releases.values():
            handle.cancel()
        self._releases.clear()

    # Internals

    def _set_door(
        self, door_id: str, attribute: str, value: bool
    ) -> WorldChange | None:
        state = self.door(door_id)
        if getattr(state, attribute) == value:
            return None
        change = self._record("door", door_id, attribute, value)
        fields: dict[str, Any] = {attribute: value, "changed_at": change.time}
        self._doors[door_id] = dataclasses.replace(state, **fields)
        self._announce(change)
        return change

    def _set_device(
        self, device_id: str, attribute: str, value: object
    ) -> WorldChange | None:
        state = self.device(device_id)
        if getattr(state, attribute) == value:
            return None
        fields: dict[str, Any] = {attribute: value}
        return self._replace_device(device_id, state, attribute, value, **fields)

    def _replace_device(
        self,
        device_id: str,
        state: DeviceState,
        attribute: str,
        value: object,
        *,
        restarted: bool = False,
        **fields: Any,
    ) -> WorldChange:
        change = self._record("device", device_id, attribute, value)
        if restarted:
            fields["started_at"] = change.time
        self._devices[device_id] = dataclasses.replace(
            state, changed_at=change.time, **fields
        )
        self._announce(change)
        return change

    def _record(
        self,
        kind: Literal["door", "device"],
        target: str,
        attribute: str,
        value: object,
    ) -> WorldChange:
        self._seq += 1
        return WorldChange(self._seq, time.time(), kind, target, attribute, value)

    def _announce(self, change: WorldChange) -> None:
        self._history.append(change)
        # Wake every waiter, then give later waiters a fresh event to sleep on.
        self._changed.set()
        self._changed = asyncio.Event()
        logger.debug(
            "%s %s: %s = %r",
            change.kind,
            change.target,
            change.attribute,
            change.value,
        )
        targeted = self._targeted.get(change.target, ())
        for listener in [*self._listeners, *targeted]:
            try:
                listener(change)
            except Exception:
                logger.exception("world listener %r failed on %s", listener, change)
