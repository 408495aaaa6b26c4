"""Live state on the topology: samples applied, state derived, events published,
alarms listed, door commands issued and watched."""

from twin.alarms import (
    Alarm,
    AlarmBook,
    AlarmError,
    AlarmType,
    AlreadyAcknowledged,
    Severity,
    UnknownAlarm,
)
from twin.clock import Clock, FakeClock, SystemClock
from twin.commands import (
    Action,
    CommandError,
    CommandOutcome,
    CommandRefused,
    CommandTarget,
    CommandTicket,
    execute_door_command,
)
from twin.door import DoorAlarm, DoorInputs, DoorMemory, DoorStatus, derive_door
from twin.events import (
    Event,
    EventBus,
    EventType,
    Subscription,
    SubscriptionClosed,
)
from twin.interlock import InterlockWatch
from twin.model import Twin
from twin.space import SpaceRollup, SpaceStatus
from twin.views import Neighbor, NodeView, Relation

__all__ = [
    "Action",
    "Alarm",
    "AlarmBook",
    "AlarmError",
    "AlarmType",
    "AlreadyAcknowledged",
    "Clock",
    "CommandError",
    "CommandOutcome",
    "CommandRefused",
    "CommandTarget",
    "CommandTicket",
    "DoorAlarm",
    "DoorInputs",
    "DoorMemory",
    "DoorStatus",
    "Event",
    "EventBus",
    "EventType",
    "FakeClock",
    "InterlockWatch",
    "Neighbor",
    "NodeView",
    "Relation",
    "Severity",
    "SpaceRollup",
    "SpaceStatus",
    "Subscription",
    "SubscriptionClosed",
    "SystemClock",
    "Twin",
    "UnknownAlarm",
    "derive_door",
    "execute_door_command",
]
