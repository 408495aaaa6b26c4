"""The seams between drivers and the rest of the platform."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from topology.sample import DeviceHealth, Sample, Value


class SampleSink(Protocol):
    """Receives what drivers read. Both methods must return quickly and not block."""

    def publish_samples(self, samples: Sequence[Sample]) -> None: ...

    def publish_health(self, health: DeviceHealth) -> None: ...


class DeviceDriver(Protocol):
    """One device's driver. :meth:`run` reads the device into its sample sink
    until cancelled, reconnecting as needed; failures become bad samples and
    device health, never exceptions."""

    @property
    def device_id(self) -> str: ...

    @property
    def health(self) -> DeviceHealth: ...

    async def run(self) -> None: ...

    async def write(self, point: str, value: Value) -> None:
        """Write one point; raises a :class:`drivers.errors.DriverError`."""
        ...
