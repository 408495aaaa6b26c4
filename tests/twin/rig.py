"""A twin on the command site with a fake clock, and ways to drive it."""

from __future__ import annotations

from typing import Any

from topology.sample import DeviceHealth, DeviceStatus, Quality, Sample, Value
from twin.clock import FakeClock
from twin.events import Event, EventBus
from twin.model import Twin

from .sites import command_site

SHUT: dict[str, dict[str, Value]] = {
    "DC-1": {"bolt_1": True, "closed_1": True, "bolt_2": True, "closed_2": True},
    "DC-2": {
        "lock_coil": True,
        "closed_1": True,
        "bolt_2": True,
        "closed_2": True,
        "bolt_3": True,
        "closed_3": True,
    },
    "DC-3": {"bolt_1": True, "closed_1": True},
}
"""Every door of the command site locked and closed."""


class Rig:
    def __init__(self, **twin_options: Any) -> None:
        self.clock = FakeClock(start=2_000_000.0)
        self.bus = EventBus()
        self.twin = Twin(command_site(), clock=self.clock, bus=self.bus, **twin_options)
        self.seen = 0

    def feed(
        self, device: str, quality: Quality = Quality.GOOD, /, **values: Value
    ) -> None:
        now = self.clock.time()
        reason = "timeout" if quality is Quality.BAD else None
        self.twin.publish_samples(
            [
                Sample(device, point, value, quality, now, now, reason)
                for point, value in values.items()
            ]
        )

    def health(self, device: str, status: DeviceStatus, failures: int = 3) -> None:
        now = self.clock.time()
        self.twin.publish_health(
            DeviceHealth(device, status, now, None, failures, "timeout")
        )

    def settle(self, *devices: str) -> None:
        """Every door of ``devices`` (default: all) locked and closed."""
        for device in devices or tuple(SHUT):
            self.feed(device, **SHUT[device])
        self.new_events()

    def state(self, node: str) -> dict[str, object]:
        return dict(self.twin.node(node).state)

    def new_events(self) -> list[Event]:
        events = self.bus.recent()
        fresh = [e for e in events if e.seq > self.seen]
        if events:
            self.seen = events[-1].seq
        return fresh


def changes(events: list[Event]) -> list[tuple[str, str, str | None, str | None]]:
    return [(e.type, e.node, e.old, e.new) for e in events]
