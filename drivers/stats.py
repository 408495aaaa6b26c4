"""Counters kept by the pollers and their summary across a group."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

LATENESS_WINDOW = 128
"""Recent poll start latenesses kept per device for the percentiles."""


@dataclass(slots=True)
class PollerStats:
    """One device's counters since its poller started (mutated by the poller).

    ``lateness`` holds the most recent poll start delays, in seconds, of the
    actual start after the scheduled one.
    """

    polls: int = 0
    failed_polls: int = 0
    failed_connects: int = 0
    samples: int = 0
    skipped_slots: int = 0
    lateness: deque[float] = field(
        default_factory=lambda: deque(maxlen=LATENESS_WINDOW)
    )


@dataclass(frozen=True, slots=True)
class GroupStats:
    """A summary over every poller of a group.

    Counters are totals since start; the lateness percentiles (seconds, ``None``
    before any poll) cover the recent polls of every device.
    """

    devices: int
    polls: int
    failed_polls: int
    failed_connects: int
    requests: int
    samples: int
    skipped_slots: int
    lateness_p50_s: float | None
    lateness_p95_s: float | None
    lateness_p99_s: float | None
    lateness_max_s: float | None


def _percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of a sorted, non-empty list."""
    # The tolerance keeps 0.95 * 100 at rank 95 despite binary rounding.
    rank = math.ceil(fraction * len(ordered) - 1e-9)
    return ordered[min(max(rank, 1), len(ordered)) - 1]


def summarize(stats: Iterable[tuple[PollerStats, int]]) -> GroupStats:
    """Totals and lateness percentiles over ``(stats, requests)`` per device."""
    devices = polls = failed_polls = failed_connects = 0
    requests = samples = skipped = 0
    lateness: list[float] = []
    for one, device_requests in stats:
        devices += 1
        polls += one.polls
        failed_polls += one.failed_polls
        failed_connects += one.failed_connects
        samples += one.samples
        skipped += one.skipped_slots
        requests += device_requests
        lateness.extend(one.lateness)

    lateness.sort()
    p50 = p95 = p99 = worst = None
    if lateness:
        p50 = _percentile(lateness, 0.50)
        p95 = _percentile(lateness, 0.95)
        p99 = _percentile(lateness, 0.99)
        worst = lateness[-1]
    return GroupStats(
        devices=devices,
        polls=polls,
        failed_polls=failed_polls,
        failed_connects=failed_connects,
        requests=requests,
        samples=samples,
        skipped_slots=skipped,
        lateness_p50_s=p50,
        lateness_p95_s=p95,
        lateness_p99_s=p99,
        lateness_max_s=worst,
    )
