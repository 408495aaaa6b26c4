"""The time-series store interface every back-end implements.

Errors: every back-end raises :class:`StoreError` (or a subclass) and nothing else::

    StoreError            a store operation failed; the message says which and why

Loss is never silent: samples a back-end could not keep are counted in
:class:`StoreStats`, which :meth:`TimeSeriesStore.stats` returns without I/O.
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

    Times are sample source times. Without ``every`` the stored samples come
    back in time order, bad ones included (with the value they were written
    with, normally ``None``). With ``every`` set,
    points are grouped into windows of that many seconds (aligned to the epoch)
    and reduced with ``aggregate``; a window's time is its start. Aggregates skip
    bad samples; ``mean``, ``min`` and ``max`` use numeric values only (a bool
    counts as 0 or 1, so the mean of a bool series is the fraction true) while
    ``first``, ``last`` and ``count`` take any value. ``limit`` caps the number
    of rows returned, earliest first. Samples with the same series and source
    time are one sample: the one written last wins.
    """

    series: SeriesKey
    start: float
    end: float
    every: float | None = None
    aggregate: Aggregate = Aggregate.MEAN
    limit: int = 10_000


@dataclass(frozen=True, slots=True)
class Point:
    """One row of a query result.

    A windowed row has the aggregate as value; its quality is the worst quality
    among the samples that went into it (for ``first`` and ``last``: that
    sample's quality). Windows with no usable samples are left out.
    """

    time: float
    value: Value
    quality: Quality


class StoreState(StrEnum):
    """How a back-end is doing, for the health endpoint.

    ``ok``: writes reach the back-end. ``spooling``: the back-end is unreachable
    or refusing and samples go to the local spool, to be replayed. ``failing``:
    samples are being lost or cannot be written anywhere (see ``last_error``).
    """

    OK = "ok"
    SPOOLING = "spooling"
    FAILING = "failing"


@dataclass(frozen=True, slots=True)
class StoreStats:
    """Counters of one store since it was opened; sample counts unless named.

    ``queued`` waits in memory to be written, ``written`` reached the back-end.
    Lost samples are split by cause: ``dropped_overflow`` did not fit the memory
    queue, ``dropped_spool`` were evicted from (or refused by) a full spool,
    ``rejected`` were refused by the back-end as invalid and ``lost_at_close``
    were still unwritten when the store closed after a failure. ``spooled`` and
    ``spool_bytes`` are the spool's current depth; ``replayed`` counts samples
    written from the spool. ``spool_damaged`` counts spool records found torn or
    corrupt (after a crash or disk damage) and skipped: a loss of an unknown
    number of samples. ``write_errors`` counts failed batch writes (each is
    retried or spooled, so it is not a loss by itself).
    """

    backend: str
    state: StoreState
    queued: int
    written: int
    dropped_overflow: int
    rejected: int = 0
    write_errors: int = 0
    lost_at_close: int = 0
    spooled: int = 0
    spool_bytes: int = 0
    dropped_spool: int = 0
    replayed: int = 0
    spool_damaged: int = 0
    last_error: str | None = None

    @property
    def lost(self) -> int:
        """Every sample given to ``write`` that will never be stored."""
        return (
            self.dropped_overflow
            + self.dropped_spool
            + self.rejected
            + self.lost_at_close
        )


class TimeSeriesStore(Protocol):
    """History of samples. ``write`` queues and returns at once; the back-end
    writes in batches in the background and ``close`` flushes what is pending.

    Life cycle: ``start`` once, then ``write``/``flush``/``query``/``latest``
    from the event loop's thread, then ``close`` once. ``write`` before
    ``start`` queues; after ``close`` it raises :class:`StoreError`.
    """

    async def start(self) -> None:
        """Open the back-end and start the background writer; raises
        :class:`StoreError` if the back-end cannot be opened."""
        ...

    def write(self, samples: Sequence[Sample]) -> None:
        """Queue samples without blocking; what does not fit is counted in
        ``stats().dropped_overflow``, never raised."""
        ...

    async def flush(self) -> None:
        """Return when every sample queued before the call is written (or, for a
        spooling back-end, safely on the local spool); raises
        :class:`StoreError` if a write failed meanwhile (the samples stay queued
        and are retried)."""
        ...

    async def query(self, query: Query) -> list[Point]:
        """Read one series' range, raw or windowed; see :class:`Query`."""
        ...

    async def latest(self, series: SeriesKey) -> Sample | None:
        """The stored sample with the latest source time (any quality), or
        ``None`` if the series has none."""
        ...

    async def close(self) -> None:
        """Flush, stop the background work and release the back-end; raises
        :class:`StoreError` (after closing) if samples could not be written."""
        ...

    def stats(self) -> StoreStats:
        """A snapshot of the counters; no I/O."""
        ...
