"""The sample: one reading of one point, the unit that travels through the platform.

Drivers produce samples, the store keeps them and the twin applies them. Times are
seconds since the Unix epoch as floats (microsecond resolution), because samples are
made by the tens of thousands per second and a float is cheap to make and compare.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

Value = bool | int | float | str | None


class Quality(StrEnum):
    """How far a sample's value can be trusted.

    ``bad`` samples carry no usable value and never overwrite good state.
    """

    GOOD = "good"
    UNCERTAIN = "uncertain"
    BAD = "bad"


@dataclass(frozen=True, slots=True)
class Sample:
    """One reading: ``value`` of ``point`` on ``device``.

    ``source_time`` is when the device says the value was true, ``received_time``
    when the platform got it; both are epoch seconds. A bad sample has
    ``value=None`` and a short ``reason`` (for example ``"timeout"``).
    """

    device: str
    point: str
    value: Value
    quality: Quality
    source_time: float
    received_time: float
    reason: str | None = None


class DeviceStatus(StrEnum):
    """A device's health as its driver sees it."""

    UNKNOWN = "unknown"
    ONLINE = "online"
    DEGRADED = "degraded"
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class DeviceHealth:
    """A snapshot of one device's health, published when its status changes.

    ``last_good`` is the epoch time of the last fully successful poll (``None`` if
    there was none), ``consecutive_failures`` counts failed polls since then and
    ``reason`` says why the last poll failed.
    """

    device: str
    status: DeviceStatus
    since: float
    last_good: float | None
    consecutive_failures: int
    reason: str | None = None
