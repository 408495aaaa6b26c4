"""Helpers shared by the SNMP tests: a fake clock and small switch models."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from simulators.snmp_agent import V3User
from simulators.snmp_switch import Port, SwitchModel
from topology.sample import DeviceHealth, Sample

USER = V3User("warden", "sha", "auth-secret-1", "aes", "priv-secret-1")


class FakeClock:
    """Monotonic seconds that move only when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def switch(
    name: str = "SW-A",
    ports: int = 4,
    clock: FakeClock | None = None,
    **options: object,
) -> SwitchModel:
    """A switch with ports ``Gi1/0/1..n``; port i receives i * 1000 octets/s."""
    made = [
        Port(i, f"Gi1/0/{i}", alias=f"port {i}", in_rate=1000.0 * i, out_rate=10.0)
        for i in range(1, ports + 1)
    ]
    if clock is not None:
        options["clock"] = clock
    return SwitchModel(name, made, **options)  # type: ignore[arg-type]


class RecordingSink:
    """A SampleSink that keeps everything and lets a test wait for a point."""

    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.health: list[DeviceHealth] = []
        self._changed = asyncio.Event()

    def publish_samples(self, samples: Sequence[Sample]) -> None:
        self.samples.extend(samples)
        self._changed.set()

    def publish_health(self, health: DeviceHealth) -> None:
        self.health.append(health)
        self._changed.set()

    async def wait_for(self, device: str, point: str, value: object) -> Sample:
        """The first sample of ``point`` with ``value``; waits until it comes
        (bound the wait with ``asyncio.timeout`` around the call)."""
        while True:
            for sample in self.samples:
                if (sample.device, sample.point, sample.value) == (
                    device,
                    point,
                    value,
                ):
                    return sample
            self._changed.clear()
            await self._changed.wait()
