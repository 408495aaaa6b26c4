"""A bounded in-memory queue of samples, drained in batches by one background loop.

Every back-end shares it: ``put`` never blocks (what does not fit is counted and
refused, newest first, so the queue keeps the oldest unwritten data), the loop
hands batches to the back-end's handler when a batch is full or the flush
interval has passed, and ``flush`` waits for everything queued before it.

The handler's contract: either every sample of the batch is dealt with (written,
or counted by the handler as rejected) and it returns, or nothing is and it raises
:class:`~store.base.StoreError`; then the batch goes back to the head of the queue
and is retried after a capped exponential backoff, so order is kept and nothing is
lost while the queue has room.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence

from store.base import StoreError
from topology.sample import Sample

logger = logging.getLogger(__name__)

BatchHandler = Callable[[list[Sample]], Awaitable[None]]


class BatchQueue:
    """Bounded FIFO of samples with a background batching loop (:meth:`run`).

    ``capacity`` and ``batch_size`` are sample counts, ``flush_interval_s`` the
    longest a sample waits for its batch to fill. Not thread-safe: call it from
    the event loop's thread only.
    """

    def __init__(
        self,
        handler: BatchHandler,
        *,
        name: str,
        capacity: int,
        batch_size: int,
        flush_interval_s: float,
        retry_initial_s: float = 0.1,
        retry_max_s: float = 5.0,
    ) -> None:
        if batch_size < 1 or capacity < batch_size:
            raise ValueError("need 1 <= batch_size <= capacity")
        if flush_interval_s <= 0:
            raise ValueError("flush_interval_s must be positive")
        self._handler = handler
        self._name = name
        self._capacity = capacity
        self._batch_size = batch_size
        self._interval = flush_interval_s
        self._retry_initial = retry_initial_s
        self._retry_max = retry_max_s
        self._queue: deque[Sample] = deque()
        self._ready = asyncio.Event()
        self._urgent = asyncio.Event()
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._stop_requested = asyncio.Event()
        self._stopped = False
        self._overflowing = False
        self.accepted = 0
        self.done = 0
        self.overflow = 0
        self.write_errors = 0
        self.last_error: str | None = None
        self.failing = False

    @property
    def depth(self) -> int:
        """Samples waiting, including a batch being written."""
        return self.accepted - self.done

    @property
    def overflowing(self) -> bool:
        """True while the queue is full and has refused samples."""
        return self._overflowing and self.depth >= self._capacity

    @property
    def stopped(self) -> bool:
        """True once :meth:`run` has ended (or :meth:`stop` was called)."""
        return self._stopped

    def put(self, samples: Sequence[Sample]) -> int:
        """Queue as many of ``samples`` as fit; return how many were refused."""
        room = self._capacity - self.depth
        refused = max(0, len(samples) - room)
        if refused:
            samples = samples[:room]
            self.overflow += refused
            if not self._overflowing:
                self._overflowing = True
                logger.warning(
                    "%s queue full (%d samples): refusing new samples until the "
                    "writer catches up",
                    self._name,
                    self._capacity,
                )
        elif self._overflowing and samples:
            self._overflowing = False
            logger.info(
                "%s queue accepts samples again; %d refused so far",
                self._name,
                self.overflow,
            )
        if samples:
            self._queue.extend(samples)
            self.accepted += len(samples)
            self._ready.set()
            if len(self._queue) >= self._batch_size:
                self._urgent.set()
        return refused

    def take_remaining(self) -> list[Sample]:
        """Remove and return everything still queued (for a closing back-end)."""
        remaining = list(self._queue)
        self._queue.clear()
        self.done += len(remaining)
        return remaining

    async def flush(self) -> None:
        """Wait until every sample queued before this call has been handled.

        Raises :class:`StoreError` if a batch fails meanwhile (the samples stay
        queued and will be retried) or if the loop has stopped. Before the loop
        starts it waits for it.
        """
        if self.depth == 0:
            return
        if self._stopped:
            raise StoreError(
                f"{self._name}: cannot flush {self.depth} samples, writer stopped"
            )
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((self.accepted, waiter))
        self._urgent.set()
        await waiter

    async def run(self) -> None:
        """The batching loop; runs until :meth:`request_stop` (or cancellation).
        Fails pending flushes when it ends."""
        try:
            await self._loop()
        finally:
            self.stop()

    def request_stop(self) -> None:
        """Make :meth:`run` return at its next safe point: never in the middle
        of a batch, so a batch being written is either done or still queued."""
        self._stop_requested.set()
        self._ready.set()
        self._urgent.set()

    def stop(self) -> None:
        """Mark the loop as ended and fail every pending flush."""
        self._stopped = True
        self._fail_waiters(StoreError(f"{self._name}: writer stopped"))

    async def _loop(self) -> None:
        delay = self._retry_initial
        stopping = self._stop_requested.is_set
        while not stopping():
            await self._ready.wait()
            if len(self._queue) < self._batch_size and not self._waiters:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._interval):
                        await self._urgent.wait()

            while self._queue and not stopping():
                batch = self._take(self._batch_size)
                try:
                    await self._handler(batch)
                except StoreError as exc:
                    self._queue.extendleft(reversed(batch))
                    self._note_failure(exc, delay)
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(delay):
                            await self._stop_requested.wait()
                    delay = min(delay * 2, self._retry_max)
                    continue
                except BaseException:
                    # Cancelled mid-batch: keep it counted as unwritten.
                    self._queue.extendleft(reversed(batch))
                    raise
                delay = self._retry_initial
                self.done += len(batch)
                self._note_success()
                if len(self._queue) < self._batch_size and not self._waiters:
                    break

            if not self._queue:
                self._ready.clear()
            self._urgent.clear()

    def _take(self, count: int) -> list[Sample]:
        queue = self._queue
        return [queue.popleft() for _ in range(min(count, len(queue)))]

    def _note_failure(self, exc: StoreError, delay: float) -> None:
        self.write_errors += 1
        self.last_error = str(exc)
        if not self.failing:
            self.failing = True
            logger.warning(
                "%s write failed (%s); %d samples kept, retrying in %.1f s",
                self._name,
                exc,
                self.depth,
                delay,
            )
        self._fail_waiters(StoreError(f"{exc} ({self.depth} samples kept to retry)"))

    def _note_success(self) -> None:
        if self.failing:
            self.failing = False
            logger.info("%s writes succeed again", self._name)
        still_waiting = []
        for target, waiter in self._waiters:
            if target <= self.done:
                if not waiter.done():
                    waiter.set_result(None)
            else:
                still_waiting.append((target, waiter))
        self._waiters = still_waiting

    def _fail_waiters(self, exc: StoreError) -> None:
        waiters, self._waiters = self._waiters, []
        for _, waiter in waiters:
            if not waiter.done():
                waiter.set_exception(exc)


async def stop_writing(
    queue: BatchQueue,
    writer: asyncio.Task[None] | None,
    helper: asyncio.Task[None] | None,
) -> int:
    """Stop a back-end's batching: let ``writer`` (the task running
    ``queue.run``) finish its batch, cancel the back-end's ``helper`` task, and
    return how many samples were left unwritten (dropped from the queue)."""
    queue.request_stop()
    if writer is not None:
        await asyncio.wait([writer])
    if helper is not None:
        helper.cancel()
        await asyncio.wait([helper])
    queue.stop()
    return len(queue.take_remaining())
