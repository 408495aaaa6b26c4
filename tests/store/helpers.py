"""Sample makers shared by the store tests."""

from __future__ import annotations

from topology.sample import Quality, Sample, Value

T0 = 1_700_000_000.0  # an epoch second that is a multiple of 10


def sample(
    value: Value,
    t: float,
    *,
    device: str = "DC-1",
    point: str = "lock_1",
    quality: Quality = Quality.GOOD,
    received: float | None = None,
    reason: str | None = None,
) -> Sample:
    """A sample of ``device/point`` at ``T0 + t`` seconds."""
    source = T0 + t
    return Sample(
        device,
        point,
        value,
        quality,
        source,
        source + 0.25 if received is None else received,
        reason,
    )
