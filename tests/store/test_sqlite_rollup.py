"""One-minute rollups: what retention folds away still answers windowed reads."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from store.base import Aggregate, Point, Query, SeriesKey
from store.sqlite import SqliteStore
from tests.store.helpers import T0, sample
from topology.sample import Quality, Sample

KEY = SeriesKey("DC-1", "lock_1")
FLAG = SeriesKey("DC-1", "door_1")
RETENTION = 3600.0


def base_minute() -> float:
    """A whole minute half an hour ago (recent enough for the periodic pass)."""
    return (time.time() - 1800) // 60 * 60


def history(base: float) -> list[Sample]:
    """Seven minutes of a number every 7 s (some bad, some uncertain, ints and
    floats) and a bool every 13 s."""
    samples = []
    for k in range(60):
        t = base - T0 + 7 * k
        if k % 5 == 3:
            samples.append(sample(None, t, quality=Quality.BAD, reason="timeout"))
        elif k % 11 == 4:
            samples.append(sample(k, t, quality=Quality.UNCERTAIN))
        else:
            samples.append(sample(float(k) if k % 2 else k, t))
    for k in range(32):
        samples.append(sample(k % 3 == 0, base - T0 + 13 * k, point="door_1"))
    return samples


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = SqliteStore(
        tmp_path / "h.db", retention_s=RETENTION, flush_interval_s=0.05
    )
    await opened.start()
    yield opened
    await opened.close()


async def stored(store: SqliteStore, samples: list[Sample]) -> None:
    store.write(samples)
    async with asyncio.timeout(5):
        await store.flush()


async def all_windows(
    store: SqliteStore, base: float, every: float
) -> dict[tuple[str, Aggregate], list[Point]]:
    answers = {}
    for key in (KEY, FLAG):
        for aggregate in Aggregate:
            query = Query(
                key, base - 600, base + 1200, every=every, aggregate=aggregate
            )
            answers[key.point, aggregate] = await store.query(query)
    return answers


@pytest.mark.parametrize("every", [60.0, 120.0, 300.0])
async def test_rolled_up_history_answers_like_the_raw_samples(
    store: SqliteStore, every: float
) -> None:
    base = base_minute()
    await stored(store, history(base))
    before = await all_windows(store, base, every)

    deleted = await store.apply_retention(now=base + 1200 + RETENTION)

    assert deleted == 92
    assert await store.query(Query(KEY, base - 600, base + 1200)) == []
    assert await all_windows(store, base, every) == before
    first_end = (base // every + 1) * every - base  # windows align to the epoch
    first_window = sum(1 for k in range(60) if 7 * k < first_end and k % 5 != 3)
    assert before[KEY.point, Aggregate.COUNT][0].value == first_window


async def test_a_window_across_the_boundary_joins_rollups_and_raw(
    store: SqliteStore,
) -> None:
    base = base_minute()
    await stored(store, history(base))
    before = await all_windows(store, base, 300.0)

    # Minutes 0..2 folded away, 3..6 still raw: the first 5-minute window
    # is answered from both.
    await store.apply_retention(now=base + 180 + RETENTION)
    raw_left = await store.query(Query(KEY, base - 600, base + 1200, limit=1000))

    assert raw_left[0].time >= base + 180
    assert await all_windows(store, base, 300.0) == before


async def test_a_late_sample_is_merged_into_its_minute(store: SqliteStore) -> None:
    base = base_minute()
    await stored(store, [sample(1, base - T0 + 1), sample(3, base - T0 + 50)])
    await store.apply_retention(now=base + 600 + RETENTION)

    await stored(store, [sample(8, base - T0 + 30), sample(0, base - T0 + 59)])
    await store.apply_retention(now=base + 600 + RETENTION)

    window = Query(KEY, base, base + 60, every=60.0)
    query = {
        a: await store.query(Query(KEY, base, base + 60, every=60.0, aggregate=a))
        for a in Aggregate
    }
    assert query[Aggregate.COUNT] == [Point(base, 4, Quality.GOOD)]
    assert query[Aggregate.MEAN] == [Point(base, 3.0, Quality.GOOD)]
    assert query[Aggregate.MIN] == [Point(base, 0, Quality.GOOD)]
    assert query[Aggregate.MAX] == [Point(base, 8, Quality.GOOD)]
    assert query[Aggregate.FIRST] == [Point(base, 1, Quality.GOOD)]
    assert query[Aggregate.LAST] == [Point(base, 0, Quality.GOOD)]
    assert await store.query(window) == query[Aggregate.MEAN]


async def test_rollups_expire_after_their_own_retention(tmp_path: Path) -> None:
    store = SqliteStore(
        tmp_path / "h.db",
        retention_s=RETENTION,
        rollup_retention_s=2 * RETENTION,
        flush_interval_s=0.05,
    )
    await store.start()
    try:
        base = base_minute()
        await stored(store, history(base))
        await store.apply_retention(now=base + 1200 + RETENTION)
        kept = await store.query(Query(KEY, base, base + 1200, every=60.0))
        await store.apply_retention(now=base + 1200 + 2 * RETENTION)
        gone = await store.query(Query(KEY, base, base + 1200, every=60.0))
    finally:
        await store.close()

    assert len(kept) == 7
    assert gone == []
