"""The time-series store interface every back-end implements.

Errors: every back-end raises :class:`StoreError` (or a subclass) and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from topology.sample import Quality, Sample, Value


class StoreError(Exception):
    """A store operation failed; the message says which and why."""


class Aggregate(StrEnum):
    MEAN = "mean"
    MIN = "min"
    MAX = "max"
    LAST = "last"
    FIRST = "first"
    COUNT = "count"


@dataclass(frozen=True, slots=True)
class SeriesKey:
    device: str
    point: str


@dataclass(frozen=True, slots=True)
class Query:
    """A range read of one series, ``start <= time < end`` (epoch seconds).

    With ``every`` set, points are grouped into windows of that many seconds
    (aligned to the epoch) and reduced with ``aggregate``; a window's time is its
    start. ``limit`` caps the number of rows returned.
    """

    series: SeriesKey
    start: float
    end: float
    every: float | None = None
    aggregate: Aggregate = Aggregate.MEAN
    limit: int = 10_000


@dataclass(frozen=True, slots=True)
class Point:
    """One row of a query result. Windowed rows have ``quality`` good and the
    aggregate as value; windows with no samples are left out."""

    time: float
    value: Value
    quality: Quality


class TimeSeriesStore(Protocol):
    """History of samples. ``write`` queues and returns at once; the back-end
    writes in batches in the background and ``close`` flushes what is pending."""

    async def start(self) -> None: ...

    def write(self, samples: Sequence[Sample]) -> None: ...

    async def flush(self) -> None: ...

    async def query(self, query: Query) -> list[Point]: ...

    async def latest(self, series: SeriesKey) -> Sample | None: ...

    async def close(self) -> None: ...
