"""Live state on the topology: samples applied, state derived, events published."""

from twin.clock import Clock, FakeClock, SystemClock
from twin.door import DoorAlarm, DoorInputs, DoorMemory, DoorStatus, derive_door
from twin.events import (
    Event,
    EventBus,
    EventType,
    Subscription,
    SubscriptionClosed,
)
from twin.model import Twin
from twin.space import SpaceRollup, SpaceStatus
from twin.views import Neighbor, NodeView, Relation

__all__ = [
    "Clock",
    "DoorAlarm",
    "DoorInputs",
    "DoorMemory",
    "DoorStatus",
    "Event",
    "EventBus",
    "EventType",
    "FakeClock",
    "Neighbor",
    "NodeView",
    "Relation",
    "SpaceRollup",
    "SpaceStatus",
    "Subscription",
    "SubscriptionClosed",
    "SystemClock",
    "Twin",
    "derive_door",
]
