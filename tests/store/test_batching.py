"""The batching queue's logic, with an in-memory handler standing in for a database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from store.base import StoreError
from store.batching import BatchQueue
from tests.store.helpers import sample
from topology.sample import Sample


class RecordingHandler:
    """Keeps every batch; fails while ``failures`` is positive."""

    def __init__(self) -> None:
        self.batches: list[list[Sample]] = []
        self.failures = 0
        self.called = asyncio.Event()

    async def __call__(self, batch: list[Sample]) -> None:
        self.called.set()
        if self.failures:
            self.failures -= 1
            raise StoreError("disk on fire")
        self.batches.append(batch)

    @property
    def values(self) -> list[object]:
        return [s.value for batch in self.batches for s in batch]


@pytest.fixture
async def running() -> AsyncIterator[tuple[BatchQueue, RecordingHandler]]:
    handler = RecordingHandler()
    queue = BatchQueue(
        handler,
        name="test",
        capacity=10,
        batch_size=4,
        flush_interval_s=30.0,
        retry_initial_s=0.01,
    )
    task = asyncio.create_task(queue.run())
    yield queue, handler
    task.cancel()
    await asyncio.wait([task])


async def test_full_batches_go_without_waiting_for_the_interval(
    running: tuple[BatchQueue, RecordingHandler],
) -> None:
    queue, handler = running

    queue.put([sample(i, i) for i in range(9)])
    async with asyncio.timeout(5):
        while len(handler.batches) < 2:
            handler.called.clear()
            await handler.called.wait()

    assert [len(b) for b in handler.batches] == [4, 4]
    assert queue.depth == 1


async def test_flush_writes_a_partial_batch_and_waits_for_it(
    running: tuple[BatchQueue, RecordingHandler],
) -> None:
    queue, handler = running

    queue.put([sample(i, i) for i in range(3)])
    async with asyncio.timeout(5):
        await queue.flush()

    assert handler.values == [0, 1, 2]
    assert queue.depth == 0


async def test_interval_writes_a_partial_batch() -> None:
    handler = RecordingHandler()
    queue = BatchQueue(
        handler, name="test", capacity=10, batch_size=4, flush_interval_s=0.05
    )
    task = asyncio.create_task(queue.run())
    try:
        queue.put([sample(1, 0)])
        async with asyncio.timeout(5):
            await handler.called.wait()
    finally:
        task.cancel()
        await asyncio.wait([task])

    assert handler.values == [1]


async def test_overflow_refuses_the_newest_and_counts_them() -> None:
    handler = RecordingHandler()
    queue = BatchQueue(
        handler, name="test", capacity=5, batch_size=2, flush_interval_s=30.0
    )

    refused = queue.put([sample(i, i) for i in range(7)])
    refused += queue.put([sample(99, 99)])

    assert refused == 3
    assert queue.overflow == 3
    assert queue.depth == 5


async def test_failed_batch_is_retried_in_order_and_flush_reports_it(
    running: tuple[BatchQueue, RecordingHandler],
) -> None:
    queue, handler = running
    handler.failures = 1

    queue.put([sample(i, i) for i in range(6)])
    with pytest.raises(StoreError, match="disk on fire"):
        async with asyncio.timeout(5):
            await queue.flush()
    async with asyncio.timeout(5):
        await queue.flush()

    assert handler.values == [0, 1, 2, 3, 4, 5]
    assert queue.write_errors == 1
    assert not queue.failing


async def test_flush_after_the_loop_stopped_raises() -> None:
    queue = BatchQueue(
        RecordingHandler(), name="test", capacity=5, batch_size=2, flush_interval_s=1
    )
    queue.put([sample(1, 0)])
    queue.stop()

    with pytest.raises(StoreError, match="writer stopped"):
        await queue.flush()
