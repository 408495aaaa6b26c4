"""The seams between drivers and the rest of the platform."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from topology.sample import DeviceHealth, Sample


class SampleSink(Protocol):
    """Receives what drivers read. Both methods must return quickly and not block."""

    def publish_samples(self, samples: Sequence[Sample]) -> None: ...

    def publish_health(self, health: DeviceHealth) -> None: ...
