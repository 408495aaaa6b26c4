"""The twin's mutable per-node records. Internal to :mod:`twin.model`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from topology.sample import DeviceHealth, DeviceStatus, Sample
from twin.door import DoorAlarm, DoorInputs, DoorMemory, DoorStatus, InputName

if TYPE_CHECKING:
    from twin.commands import CommandEntry

Binding = tuple["DoorRecord", InputName, bool]
"""A door input fed by a point: (door, input, invert)."""


class DeviceRecord:
    """A device's latest samples, health and the door inputs its points feed."""

    __slots__ = (
        "bindings",
        "doors",
        "good",
        "health",
        "id",
        "last_seen",
        "network_cause",
        "points",
    )

    def __init__(self, device_id: str) -> None:
        self.id = device_id
        self.points: dict[str, Sample] = {}
        self.good: dict[str, Sample] = {}
        self.bindings: dict[str, list[Binding]] = {}
        self.doors: list[DoorRecord] = []
        self.health: DeviceHealth | None = None
        self.last_seen: float | None = None
        # Set while something upstream in the network cuts the device off.
        self.network_cause: str | None = None

    @property
    def status(self) -> DeviceStatus:
        return DeviceStatus.UNKNOWN if self.health is None else self.health.status

    @property
    def offline(self) -> bool:
        """Reported offline, or cut off by the network (nothing it says is current)."""
        if self.network_cause is not None:
            return True
        return self.health is not None and self.health.status is DeviceStatus.OFFLINE


class DoorRecord:
    """A door's inputs, memory, derived status and active alarms, its latest
    accepted command and the interlock groups it belongs to."""

    __slots__ = (
        "alarms",
        "bound",
        "command",
        "controllers",
        "held_open_s",
        "id",
        "inputs",
        "interlocks",
        "memory",
        "reasons",
        "since",
        "status",
    )

    def __init__(self, door_id: str, held_open_s: float) -> None:
        self.id = door_id
        self.held_open_s = held_open_s
        self.inputs = DoorInputs()
        self.memory = DoorMemory()
        self.status = DoorStatus.UNKNOWN
        self.since: float | None = None
        self.alarms: frozenset[DoorAlarm] = frozenset()
        self.controllers: list[DeviceRecord] = []
        self.bound: dict[InputName, str] = {}
        """Each bound input and its point, written ``DEVICE/point``."""
        self.reasons: dict[InputName, str] = {}
        """Why each input's latest sample is bad, while it is."""
        self.command: CommandEntry | None = None
        """The latest command accepted for this door; None before any."""
        self.interlocks: tuple[str, ...] = ()
        """The ids of the interlock groups this door belongs to."""

    @property
    def controller_online(self) -> bool:
        return not any(device.offline for device in self.controllers)
