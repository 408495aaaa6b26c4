"""The embedded store: one SQLite file in WAL mode, written in batches.

``write`` puts samples on a bounded in-memory queue (:mod:`store.batching`); a
background task hands full batches (or whatever is there after
``flush_interval_s``) to a dedicated writer thread, which stores each batch in
one transaction. Queries run on a second thread with their own connection, so a
long batch never delays a read and WAL lets both proceed at once. The event loop
never waits on the disk.

Durability: ``synchronous=NORMAL`` in WAL mode means a committed batch survives
the process being killed at any moment (the file is never corrupted); after a
power cut the last batches before it may be missing, but the file is still
consistent. ``flush`` returns when everything queued before it is committed.

Retention and downsampling: with ``retention_s`` set, samples whose source time
is older than that (taken down to a whole minute) are folded into one-minute
rollups and deleted, periodically. The rollups are kept for
``rollup_retention_s`` (default ten times ``retention_s``; ``None`` keeps them)
and windowed queries read them together with the raw samples, so history stays
queryable at one-minute resolution after the raw samples are gone (see
:mod:`store.sqlite_rollup`). Raw (unwindowed) reads see raw samples only.
SQLite reuses the freed pages, so the file stops growing but does not shrink.

Errors (all :class:`~store.base.StoreError`): opening a file that is not an
SQLite database or was written by another schema version, a lock another process
holds past ``busy_timeout_s``, a full disk (or ``max_bytes`` reached) and I/O
errors. A failed batch is kept and retried with backoff; ``flush`` and ``close``
report the failure.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from store.base import Point, Query, SeriesKey, StoreError, StoreState, StoreStats
from store.batching import BatchQueue, stop_writing
from store.sqlite_db import SqliteDatabase
from topology.sample import Sample

logger = logging.getLogger(__name__)

_T = TypeVar("_T")


class _Default:
    """Marks an argument left out (where ``None`` has a meaning of its own)."""


_DEFAULT = _Default()


class SqliteStore:
    """A :class:`~store.base.TimeSeriesStore` in one SQLite file at ``path``.

    ``batch_size`` samples go in one transaction; a sample waits at most about
    ``flush_interval_s`` seconds before it is written. Each transaction costs
    about one page write per series it touches, so throughput wants batches of
    tens of samples per series (the default suits ~1,000 series; see
    ``bench/store_bench.py``). ``queue_capacity`` (samples, default 10 batches)
    bounds memory: beyond it new samples are refused and counted.
    ``retention_s`` (seconds, ``None`` keeps everything) bounds history by
    source time: ``start`` prunes once, then a background pass runs every tenth
    of it (between 1 s and 10 min). ``max_bytes`` caps the file size.
    ``close_timeout_s`` bounds how long ``close`` keeps retrying a failing write.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        batch_size: int = 50_000,
        flush_interval_s: float = 1.0,
        retention_s: float | None = None,
        rollup_retention_s: float | _Default | None = _DEFAULT,
        queue_capacity: int | None = None,
        busy_timeout_s: float = 5.0,
        max_bytes: int | None = None,
        close_timeout_s: float = 10.0,
    ) -> None:
        if retention_s is not None and retention_s <= 0:
            raise ValueError("retention_s must be positive (or None to keep all)")
        self.path = Path(path)
        self._retention_s = retention_s
        if isinstance(rollup_retention_s, _Default):
            rollup_retention_s = None if retention_s is None else 10 * retention_s
        self._rollup_retention_s = rollup_retention_s
        self._busy_timeout_s = busy_timeout_s
        self._max_bytes = max_bytes
        self._close_timeout_s = close_timeout_s
        self._queue = BatchQueue(
            self._write_batch,
            name=f"SQLite store {self.path}",
            capacity=queue_capacity or 10 * batch_size,
            batch_size=batch_size,
            flush_interval_s=flush_interval_s,
        )
        self._writer_thread: ThreadPoolExecutor | None = None
        self._reader_thread: ThreadPoolExecutor | None = None
        self._writer: SqliteDatabase | None = None
        self._reader: SqliteDatabase | None = None
        self._task: asyncio.Task[None] | None = None
        self._writer_task: asyncio.Task[None] | None = None
        self._closed = False
        self._written = 0
        self._rejected = 0
        self._lost_at_close = 0

    # -- life cycle ----------------------------------------------------------

    async def start(self) -> None:
        """Open (or create) the file, and its folder, and start the writer;
        raises :class:`StoreError` if the file cannot be opened as a store."""
        if self._task is not None or self._closed:
            raise StoreError(f"SQLite store {self.path} was already started")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"SQLite store {self.path}: cannot create its folder: {exc.strerror}"
            ) from exc
        self._writer_thread = ThreadPoolExecutor(1, "warden-sqlite-writer")
        self._reader_thread = ThreadPoolExecutor(1, "warden-sqlite-reader")
        try:
            self._writer = await self._on(
                self._writer_thread,
                lambda: SqliteDatabase(
                    self.path,
                    writer=True,
                    busy_timeout_s=self._busy_timeout_s,
                    max_bytes=self._max_bytes,
                ),
            )
            self._reader = await self._on(
                self._reader_thread,
                lambda: SqliteDatabase(
                    self.path, writer=False, busy_timeout_s=self._busy_timeout_s
                ),
            )
            if self._retention_s is not None:
                await self.apply_retention()
        except BaseException:
            await self._release()
            raise
        self._task = asyncio.create_task(
            self._run(), name=f"sqlite-store:{self.path.name}"
        )
        logger.info("SQLite store open at %s", self.path)

    async def close(self) -> None:
        """Flush (retrying a failing write for up to ``close_timeout_s``), stop
        and close the file. Raises :class:`StoreError` after closing if samples
        were left unwritten; they are counted in ``stats().lost_at_close``."""
        if self._closed:
            return
        self._closed = True
        failure = None if self._task is None else await self._final_flush()
        left = await stop_writing(self._queue, self._writer_task, self._task)
        self._lost_at_close += left
        await self._release()
        logger.info("SQLite store at %s closed", self.path)
        if left:
            raise StoreError(
                f"SQLite store {self.path} closed with {left} samples unwritten; "
                f"last error: {failure or 'writer stopped'}"
            )

    async def _final_flush(self) -> StoreError | None:
        failure: StoreError | None = None
        try:
            async with asyncio.timeout(self._close_timeout_s):
                while self._queue.depth and not self._queue.stopped:
                    try:
                        await self._queue.flush()
                    except StoreError as exc:
                        failure = exc
                    else:
                        failure = None
        except TimeoutError:
            pass
        return failure

    async def _release(self) -> None:
        for db, thread in (
            (self._reader, self._reader_thread),
            (self._writer, self._writer_thread),
        ):
            if thread is None:
                continue
            if db is not None:
                try:
                    await self._on(thread, db.close)
                except StoreError as exc:
                    logger.warning("%s", exc)
            # The thread is idle now: its last job has returned.
            thread.shutdown(wait=True)
        self._reader = self._writer = None
        self._reader_thread = self._writer_thread = None

    async def _run(self) -> None:
        try:
            async with asyncio.TaskGroup() as group:
                self._writer_task = group.create_task(
                    self._queue.run(), name="sqlite-store-writer"
                )
                if self._retention_s is not None:
                    group.create_task(
                        self._retain(self._retention_s), name="sqlite-store-retention"
                    )
        except Exception:
            # A bug, not a database error (those are retried): say so loudly;
            # stats() reports "failing" and flush() raises from now on.
            logger.exception("SQLite store %s: background writer stopped", self.path)

    # -- writing -------------------------------------------------------------

    def write(self, samples: Sequence[Sample]) -> None:
        """Queue samples; never blocks. Overflow is counted, not raised. Raises
        :class:`StoreError` once the store is closed."""
        if self._closed:
            raise StoreError(f"SQLite store {self.path} is closed")
        self._queue.put(samples)

    async def flush(self) -> None:
        """Return once every sample written before the call is committed; raises
        :class:`StoreError` if a batch failed meanwhile (it stays queued)."""
        if self._task is None:
            raise StoreError(f"SQLite store {self.path} is not started")
        await self._queue.flush()

    async def _write_batch(self, batch: list[Sample]) -> None:
        writer, thread = self._writer, self._writer_thread
        if writer is None or thread is None:
            raise StoreError(f"SQLite store {self.path} is not open")
        rejected = await self._on(thread, lambda: writer.write(batch))
        self._rejected += rejected
        self._written += len(batch) - rejected

    # -- retention -------------------------------------------------------------

    async def apply_retention(self, now: float | None = None) -> int:
        """Fold samples older than ``retention_s`` before ``now`` (epoch
        seconds, default the wall clock) into rollups and delete them, and
        delete rollups older than ``rollup_retention_s``; return how many
        samples were deleted. Does nothing without ``retention_s``."""
        if self._retention_s is None:
            return 0
        writer, thread = self._writer, self._writer_thread
        if writer is None or thread is None:
            raise StoreError(f"SQLite store {self.path} is not open")
        now = time.time() if now is None else now
        cutoff = now - self._retention_s
        rollup_cutoff = (
            None if self._rollup_retention_s is None else now - self._rollup_retention_s
        )
        deleted = await self._on(thread, lambda: writer.retain(cutoff, rollup_cutoff))
        if deleted:
            logger.info("deleted %d samples older than %.0f", deleted, cutoff)
        return deleted

    async def _retain(self, retention_s: float) -> None:
        period = min(max(retention_s / 10, 1.0), 600.0)
        while True:
            await asyncio.sleep(period)
            try:
                await self.apply_retention()
            except StoreError as exc:
                logger.warning("%s; retrying in %.0f s", exc, period)

    # -- reading -------------------------------------------------------------

    async def query(self, query: Query) -> list[Point]:
        """Read one series; see :class:`~store.base.Query`. Raises
        :class:`StoreError` on an invalid query or a database failure."""
        reader, thread = self._reader, self._reader_thread
        if reader is None or thread is None:
            raise StoreError(f"SQLite store {self.path} is not open")
        return await self._on(thread, lambda: reader.query(query))

    async def latest(self, series: SeriesKey) -> Sample | None:
        """The committed sample of ``series`` with the latest source time (any
        quality), or ``None``."""
        reader, thread = self._reader, self._reader_thread
        if reader is None or thread is None:
            raise StoreError(f"SQLite store {self.path} is not open")
        return await self._on(thread, lambda: reader.latest(series))

    def stats(self) -> StoreStats:
        """Counters since ``start``; see :class:`~store.base.StoreStats`."""
        queue = self._queue
        writer_died = self._task is not None and self._task.done() and not self._closed
        failing = queue.failing or writer_died or queue.overflowing
        return StoreStats(
            backend="sqlite",
            state=StoreState.FAILING if failing else StoreState.OK,
            queued=queue.depth,
            written=self._written,
            dropped_overflow=queue.overflow,
            rejected=self._rejected,
            write_errors=queue.write_errors,
            lost_at_close=self._lost_at_close,
            last_error=queue.last_error,
        )

    @staticmethod
    async def _on(thread: ThreadPoolExecutor, job: Callable[[], _T]) -> _T:
        return await asyncio.get_running_loop().run_in_executor(thread, job)
