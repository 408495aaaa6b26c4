"""The production store: InfluxDB 2.x, with a durable spool for its outages.

Write path: ``write`` puts samples on the bounded memory queue of
:mod:`store.batching`; each batch is encoded as line protocol
(:mod:`store.line_protocol`) and sent with one HTTP request on a worker thread
(:mod:`store.influx_http` says why not the client's own batching writer).

- Written: counted in ``written``. Lines the server refuses as invalid (400/422)
  are isolated by splitting the batch, counted in ``rejected``, and the rest is
  written.
- The server cannot take it now (unreachable, timeout, 429, 5xx, 401/403/404):
  the encoded batch is appended to the spool (:mod:`store.spool`) and the state
  becomes ``spooling``. From then on new batches also go to the spool, behind
  the older ones, until a replay loop has sent everything spooled, oldest
  first, waiting between attempts with exponential backoff capped at
  ``retry_max_s``, or longer when the server's ``Retry-After`` asks (up to ten
  minutes). When the spool is
  empty, batches go straight to the server again and the state is ``ok``.
- The spool cannot be written (disk full): the batch stays in memory and is
  retried, new samples overflow the queue and are counted, state ``failing``.

``flush`` returns once every earlier sample is written or safely spooled; it
does not wait for the spool to drain (:meth:`InfluxStore.wait_drained` does).
``close`` flushes, stops the replay and leaves what is spooled for the next
start.

Reads are Flux scripts (:mod:`store.flux`) run on their own worker thread.

Retention and downsampling belong to the server: give the bucket a retention
period, and for long-term history run a task that aggregates into a second
bucket (see ``deploy/influxdb/downsample.flux``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from influxdb_client.client.flux_table import FluxTable

from store.base import Point, Query, SeriesKey, StoreError, StoreState, StoreStats
from store.batching import BatchQueue, stop_writing
from store.flux import (
    FluxSchema,
    check_query,
    latest_sample,
    latest_script,
    points_from_raw,
    points_from_windows,
    raw_script,
    window_script,
)
from store.influx_http import Delivery, InfluxHttp, RetryLater
from store.line_protocol import DEFAULT_MEASUREMENT, LineEncoder, UnencodableSample
from store.spool import Spool, SpoolPolicy, SpoolRecord
from topology.sample import Sample

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

# The longest Retry-After honoured; a larger one is a server misconfiguration.
_RETRY_AFTER_CAP_S = 600.0


class InfluxStore:
    """A :class:`~store.base.TimeSeriesStore` on InfluxDB 2 at ``url``.

    ``token`` authorises writes and reads (pass it from a secret, never log it).
    Samples go to ``measurement`` with ``extra_tags`` on every line. The spool
    lives in ``spool_dir`` (bounded by ``spool_max_bytes``, full policy
    ``spool_policy``, fsync per append unless ``spool_fsync`` is false).
    ``batch_size`` samples go in one request, at least every
    ``flush_interval_s``; ``queue_capacity`` (default 20 batches) bounds memory.
    """

    def __init__(
        self,
        url: str,
        *,
        org: str,
        bucket: str,
        token: str,
        spool_dir: str | Path,
        measurement: str = DEFAULT_MEASUREMENT,
        extra_tags: Mapping[str, str] | None = None,
        batch_size: int = 5_000,
        flush_interval_s: float = 1.0,
        queue_capacity: int | None = None,
        timeout_s: float = 10.0,
        gzip: bool = False,
        spool_max_bytes: int = 1 << 30,
        spool_segment_bytes: int = 8 << 20,
        spool_policy: SpoolPolicy = SpoolPolicy.DROP_OLDEST,
        spool_fsync: bool = True,
        retry_initial_s: float = 0.5,
        retry_max_s: float = 60.0,
        close_timeout_s: float = 10.0,
    ) -> None:
        self.url = url
        try:
            self._encoder = LineEncoder(measurement, dict(extra_tags or {}))
        except UnencodableSample as exc:
            raise StoreError(f"InfluxDB store {url}: {exc}") from exc
        self._schema = FluxSchema(bucket, measurement, dict(extra_tags or {}))
        self._connection = {"org": org, "bucket": bucket, "token": token}
        self._timeout_s = timeout_s
        self._gzip = gzip
        self._spool = Spool(
            spool_dir,
            max_bytes=spool_max_bytes,
            segment_bytes=spool_segment_bytes,
            policy=spool_policy,
            fsync=spool_fsync,
        )
        self._queue = BatchQueue(
            self._write_batch,
            name=f"InfluxDB store {url}",
            capacity=queue_capacity or 20 * batch_size,
            batch_size=batch_size,
            flush_interval_s=flush_interval_s,
        )
        self._retry_initial_s = retry_initial_s
        self._retry_max_s = retry_max_s
        self._close_timeout_s = close_timeout_s
        self._http: InfluxHttp | None = None
        self._send_thread: ThreadPoolExecutor | None = None
        self._query_thread: ThreadPoolExecutor | None = None
        self._disk_thread: ThreadPoolExecutor | None = None
        self._task: asyncio.Task[None] | None = None
        self._writer_task: asyncio.Task[None] | None = None
        self._spooled_pending = asyncio.Event()
        self._drained = asyncio.Event()
        self._drained.set()
        self._stopping = asyncio.Event()
        self._retry_delay = retry_initial_s
        self._next_attempt = 0.0
        self._closed = False
        self._written = 0
        self._rejected = 0
        self._replayed = 0
        self._lost_at_close = 0
        self._last_error: str | None = None
        # Spool losses up to the last delivery; more since then means failing.
        self._spool_dropped_seen = 0

    # -- life cycle ----------------------------------------------------------

    async def start(self) -> None:
        """Open the spool (replaying what an earlier run left) and start the
        writer. Does not need the server to be up. Raises :class:`StoreError`
        if the spool cannot be opened."""
        if self._task is not None or self._closed:
            raise StoreError(f"InfluxDB store {self.url} was already started")
        self._send_thread = ThreadPoolExecutor(1, "warden-influx-send")
        self._query_thread = ThreadPoolExecutor(1, "warden-influx-query")
        self._disk_thread = ThreadPoolExecutor(1, "warden-influx-spool")
        try:
            self._http = InfluxHttp(
                self.url,
                org=self._connection["org"],
                bucket=self._connection["bucket"],
                token=self._connection["token"],
                timeout_s=self._timeout_s,
                gzip=self._gzip,
            )
            await self._on(self._disk_thread, self._spool.open)
        except BaseException:
            await self._release()
            raise
        if self._spool.samples:
            self._spooled_pending.set()
            self._drained.clear()
        self._task = asyncio.create_task(self._run(), name="influx-store")
        logger.info("InfluxDB store for %s started", self.url)

    async def _run(self) -> None:
        try:
            async with asyncio.TaskGroup() as group:
                self._writer_task = group.create_task(
                    self._queue.run(), name="influx-store-writer"
                )
                group.create_task(self._replay(), name="influx-store-replay")
        except Exception:
            logger.exception("InfluxDB store %s: background work stopped", self.url)

    async def close(self) -> None:
        """Flush to the server or the spool (retrying a failing spool for up to
        ``close_timeout_s``), stop, and close. What is spooled stays for the
        next start. Raises :class:`StoreError` after closing if samples could be
        neither sent nor spooled (counted in ``lost_at_close``)."""
        if self._closed:
            return
        self._closed = True
        failure: StoreError | None = None
        if self._task is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._close_timeout_s):
                    while self._queue.depth and not self._queue.stopped:
                        try:
                            await self._queue.flush()
                        except StoreError as exc:
                            failure = exc
                        else:
                            failure = None
        self._stopping.set()
        left = await stop_writing(self._queue, self._writer_task, self._task)
        self._lost_at_close += left
        await self._release()
        logger.info(
            "InfluxDB store for %s closed; %d samples stay spooled",
            self.url,
            self._spool.samples,
        )
        if left:
            raise StoreError(
                f"InfluxDB store {self.url} closed with {left} samples neither "
                f"sent nor spooled; last error: {failure or 'writer stopped'}"
            )

    async def _release(self) -> None:
        if self._disk_thread is not None:
            try:
                await self._on(self._disk_thread, self._spool.close)
            except OSError as exc:
                logger.warning("closing the spool failed: %s", exc)
        if self._send_thread is not None and self._http is not None:
            await self._on(self._send_thread, self._http.close)
        for thread in (self._send_thread, self._query_thread, self._disk_thread):
            if thread is not None:
                # Their last jobs have returned; a query cancelled mid-flight
                # may still be running and is waited for here (bounded by the
                # request timeout).
                await asyncio.get_running_loop().run_in_executor(None, thread.shutdown)
        self._send_thread = self._query_thread = self._disk_thread = None
        self._http = None

    # -- writing -------------------------------------------------------------

    def write(self, samples: Sequence[Sample]) -> None:
        """Queue samples; never blocks. Overflow is counted, not raised. Raises
        :class:`StoreError` once the store is closed."""
        if self._closed:
            raise StoreError(f"InfluxDB store {self.url} is closed")
        self._queue.put(samples)

    async def flush(self) -> None:
        """Return once every sample written before the call is on the server or
        in the spool; raises :class:`StoreError` if the spool failed meanwhile
        (the samples stay queued)."""
        if self._task is None:
            raise StoreError(f"InfluxDB store {self.url} is not started")
        await self._queue.flush()

    async def wait_drained(self) -> None:
        """Return when the spool is empty (everything spooled was replayed)."""
        await self._drained.wait()

    async def _write_batch(self, batch: list[Sample]) -> None:
        http, send_thread = self._http, self._send_thread
        if http is None or send_thread is None:
            raise StoreError(f"InfluxDB store {self.url} is not open")

        lines, unencodable = await self._on(
            send_thread, lambda: self._encoder.encode_batch(batch)
        )
        self._rejected += unencodable
        if not lines:
            return
        payload = "\n".join(lines).encode()
        if not self._spooled_pending.is_set():
            try:
                delivery = await self._on(send_thread, lambda: http.send(payload))
            except RetryLater as exc:
                self._note_refusal(exc)
            else:
                self._count(delivery)
                return
        await self._to_spool(payload, len(lines))

    async def _to_spool(self, payload: bytes, count: int) -> None:
        disk = self._disk_thread
        if disk is None:
            raise StoreError(f"InfluxDB store {self.url} is not open")
        # A SpoolError propagates: the batch queue keeps the batch and retries.
        await self._on(disk, lambda: self._spool.append(payload, count))
        if not self._spooled_pending.is_set():
            logger.warning(
                "InfluxDB at %s unavailable (%s); spooling to %s",
                self.url,
                self._last_error,
                self._spool.directory,
            )
        self._spooled_pending.set()
        self._drained.clear()

    def _count(self, delivery: Delivery) -> None:
        self._written += delivery.written
        self._rejected += delivery.rejected
        self._spool_dropped_seen = self._spool.dropped

    def _note_refusal(self, exc: RetryLater) -> None:
        self._last_error = str(exc)
        wait = self._retry_delay
        if exc.retry_after_s is not None:
            # The server's hint wins over our backoff, up to a sanity bound.
            wait = max(wait, min(exc.retry_after_s, _RETRY_AFTER_CAP_S))
        self._next_attempt = asyncio.get_running_loop().time() + wait
        self._retry_delay = min(self._retry_delay * 2, self._retry_max_s)

    # -- replaying the spool ---------------------------------------------------

    async def _replay(self) -> None:
        while True:
            await self._spooled_pending.wait()
            await self._wait_for_next_attempt()
            record = await self._on_disk(self._spool.peek)
            if record is None:
                if self._spool.samples:
                    continue  # a batch was appended while we looked
                self._spooled_pending.clear()
                self._drained.set()
                self._retry_delay = self._retry_initial_s
                logger.info("InfluxDB at %s is back; spool replayed", self.url)
                continue
            await self._replay_one(record)

    async def _wait_for_next_attempt(self) -> None:
        delay = self._next_attempt - asyncio.get_running_loop().time()
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._stopping.wait()

    async def _replay_one(self, record: SpoolRecord) -> None:
        http, send_thread = self._http, self._send_thread
        if http is None or send_thread is None:
            return
        try:
            delivery = await self._on(send_thread, lambda: http.send(record.payload))
        except RetryLater as exc:
            self._note_refusal(exc)
            return
        await self._on_disk(lambda: self._spool.ack(record))
        self._count(delivery)
        self._replayed += delivery.written
        self._retry_delay = self._retry_initial_s
        self._last_error = None

    async def _on_disk(self, job: Callable[[], _T]) -> _T:
        if self._disk_thread is None:
            raise StoreError(f"InfluxDB store {self.url} is not open")
        return await self._on(self._disk_thread, job)

    # -- reading -------------------------------------------------------------

    async def query(self, query: Query) -> list[Point]:
        """Read one series with Flux; see :class:`~store.base.Query` and
        :mod:`store.flux` for the differences from SQLite. Raises
        :class:`StoreError` on an invalid query or a server failure."""
        check_query(query)
        if query.every is None:
            tables = await self._flux(raw_script(self._schema, query))
            return points_from_raw(r for t in tables for r in t.records)
        tables = await self._flux(window_script(self._schema, query))
        records = [r for t in tables for r in t.records]
        return points_from_windows(query.aggregate, records, query.limit)

    async def latest(self, series: SeriesKey) -> Sample | None:
        """The stored sample of ``series`` with the latest source time."""
        tables = await self._flux(latest_script(self._schema, series))
        return latest_sample(series, (r for t in tables for r in t.records))

    async def _flux(self, script: str) -> list[FluxTable]:
        http, thread = self._http, self._query_thread
        if http is None or thread is None:
            raise StoreError(f"InfluxDB store {self.url} is not open")
        return list(await self._on(thread, lambda: http.query(script)))

    # -- health ----------------------------------------------------------------

    def stats(self) -> StoreStats:
        """Counters and state; see :class:`~store.base.StoreStats`."""
        queue, spool = self._queue, self._spool
        background_died = (
            self._task is not None and self._task.done() and not self._closed
        )
        losing = queue.overflowing or spool.dropped > self._spool_dropped_seen
        if queue.failing or background_died or losing:
            state = StoreState.FAILING
        elif self._spooled_pending.is_set():
            state = StoreState.SPOOLING
        else:
            state = StoreState.OK
        return StoreStats(
            backend="influxdb",
            state=state,
            queued=queue.depth,
            written=self._written,
            dropped_overflow=queue.overflow,
            rejected=self._rejected,
            write_errors=queue.write_errors,
            lost_at_close=self._lost_at_close,
            spooled=spool.samples,
            spool_bytes=spool.bytes,
            dropped_spool=spool.dropped,
            replayed=self._replayed,
            spool_damaged=spool.torn + spool.corrupt,
            last_error=queue.last_error or self._last_error,
        )

    @staticmethod
    async def _on(thread: ThreadPoolExecutor, job: Callable[[], _T]) -> _T:
        return await asyncio.get_running_loop().run_in_executor(thread, job)
