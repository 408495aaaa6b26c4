"""The SQLite store against real files in tmp_path."""

from __future__ import annotations

import asyncio
import math
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from store.base import Aggregate, Point, Query, SeriesKey, StoreError, StoreState
from store.sqlite import SqliteStore
from tests.store.helpers import T0, sample
from topology.sample import Quality, Sample, Value

KEY = SeriesKey("DC-1", "lock_1")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "history.db", batch_size=100, flush_interval_s=0.05)
    await opened.start()
    yield opened
    await opened.close()


async def stored(store: SqliteStore, samples: list[Sample]) -> None:
    store.write(samples)
    async with asyncio.timeout(5):
        await store.flush()


def everything(key: SeriesKey = KEY, **kwargs: object) -> Query:
    return Query(key, T0 - 1e6, T0 + 1e6, **kwargs)  # type: ignore[arg-type]


def recent_minute() -> float:
    """The start of a whole minute ten minutes ago, in epoch seconds."""
    return (time.time() - 600) // 60 * 60


VALUES: list[Value] = [
    True,
    False,
    0,
    1,
    -7,
    2**63 - 1,
    -(2**63),
    2**70,
    1.0,
    -0.5,
    1e300,
    math.inf,
    "",
    "Tür offen, ✓",
    None,
]


async def test_every_value_type_round_trips(store: SqliteStore) -> None:
    await stored(store, [sample(v, i) for i, v in enumerate(VALUES)])

    points = await store.query(everything())

    assert [p.value for p in points] == VALUES
    assert [type(p.value) for p in points] == [type(v) for v in VALUES]
    assert [p.time for p in points] == [T0 + i for i in range(len(VALUES))]


async def test_nan_round_trips_as_nan(store: SqliteStore) -> None:
    await stored(store, [sample(math.nan, 0)])

    [point] = await store.query(everything())

    assert isinstance(point.value, float) and math.isnan(point.value)


async def test_latest_returns_the_whole_sample(store: SqliteStore) -> None:
    bad = sample(None, 5, quality=Quality.BAD, received=T0 + 5.125, reason="timeout")
    await stored(store, [bad, sample(True, 1), sample(3, 2, point="other")])

    latest = await store.latest(KEY)

    assert latest == bad
    assert await store.latest(SeriesKey("DC-1", "nothing")) is None


async def test_latest_is_by_source_time_not_arrival(store: SqliteStore) -> None:
    await stored(store, [sample(2, 20)])
    await stored(store, [sample(1, 10)])

    latest = await store.latest(KEY)

    assert latest is not None and latest.value == 2


async def test_the_same_source_time_twice_keeps_the_last_written(
    store: SqliteStore,
) -> None:
    await stored(store, [sample(1, 0), sample(2, 0)])
    await stored(store, [sample(3, 0, quality=Quality.UNCERTAIN)])

    points = await store.query(everything())

    assert points == [Point(T0, 3, Quality.UNCERTAIN)]


async def test_range_is_half_open_ordered_and_limited(store: SqliteStore) -> None:
    await stored(store, [sample(i, i) for i in reversed(range(10))])

    window = await store.query(Query(KEY, T0 + 2, T0 + 6))
    limited = await store.query(Query(KEY, T0, T0 + 10, limit=3))

    assert [p.value for p in window] == [2, 3, 4, 5]
    assert [p.value for p in limited] == [0, 1, 2]


async def test_series_are_kept_apart(store: SqliteStore) -> None:
    await stored(
        store, [sample(1, 0, device="A"), sample(2, 0, device="B", point="lock_1")]
    )

    points = await store.query(everything(SeriesKey("B", "lock_1")))

    assert [p.value for p in points] == [2]
    assert await store.query(everything(SeriesKey("C", "lock_1"))) == []


# Windows of 5 s over t = 0..13 s: values 0..13, with t=3 bad and t=7 uncertain.
def window_series() -> list[Sample]:
    samples = [sample(float(i) if i % 2 else i, i) for i in range(14)]
    samples[3] = sample(None, 3, quality=Quality.BAD, reason="timeout")
    samples[7] = sample(7, 7, quality=Quality.UNCERTAIN)
    return samples


G, U = Quality.GOOD, Quality.UNCERTAIN


@pytest.mark.parametrize(
    ("aggregate", "expected"),
    [
        (Aggregate.MEAN, [(0, 1.75, G), (5, 7.0, U), (10, 11.5, G)]),
        (Aggregate.MIN, [(0, 0, G), (5, 5.0, U), (10, 10, G)]),
        (Aggregate.MAX, [(0, 4, G), (5, 9.0, U), (10, 13.0, G)]),
        (Aggregate.FIRST, [(0, 0, G), (5, 5.0, G), (10, 10, G)]),
        (Aggregate.LAST, [(0, 4, G), (5, 9.0, G), (10, 13.0, G)]),
        (Aggregate.COUNT, [(0, 4, G), (5, 5, U), (10, 4, G)]),
    ],
)
async def test_windowed_aggregates(
    store: SqliteStore,
    aggregate: Aggregate,
    expected: list[tuple[float, object, Quality]],
) -> None:
    await stored(store, window_series())

    points = await store.query(everything(every=5.0, aggregate=aggregate))

    assert points == [Point(T0 + t, v, q) for t, v, q in expected]  # type: ignore[arg-type]
    assert [type(p.value) for p in points] == [type(v) for _, v, _ in expected]


async def test_windows_align_to_the_epoch_not_the_query_start(
    store: SqliteStore,
) -> None:
    await stored(store, window_series())

    points = await store.query(
        Query(KEY, T0 + 2, T0 + 12, every=5.0, aggregate=Aggregate.COUNT)
    )

    # t=2 and t=4 (t=3 is bad), 5..9, then 10 and 11.
    assert points == [Point(T0, 2, G), Point(T0 + 5, 5, U), Point(T0 + 10, 2, G)]


async def test_window_limit_and_empty_windows(store: SqliteStore) -> None:
    await stored(store, [sample(1, 0), sample(2, 30), sample(4, 31), sample(8, 60)])

    points = await store.query(everything(every=10.0, limit=2))

    assert points == [Point(T0, 1.0, G), Point(T0 + 30, 3.0, G)]


async def test_bool_series_mean_is_fraction_true_and_min_stays_bool(
    store: SqliteStore,
) -> None:
    await stored(store, [sample(v, i) for i, v in enumerate([True, False, True, True])])

    [mean] = await store.query(everything(every=60.0))
    [low] = await store.query(everything(every=60.0, aggregate=Aggregate.MIN))

    assert mean.value == 0.75
    assert low.value is False


async def test_text_series_has_no_mean_but_first_last_and_count(
    store: SqliteStore,
) -> None:
    await stored(store, [sample("closed", 0), sample("open", 1), sample("ajar", 2)])

    assert await store.query(everything(every=60.0)) == []
    [last] = await store.query(everything(every=60.0, aggregate=Aggregate.LAST))
    [count] = await store.query(everything(every=60.0, aggregate=Aggregate.COUNT))
    assert last.value == "ajar"
    assert count.value == 3


async def test_a_window_with_only_bad_samples_is_left_out(store: SqliteStore) -> None:
    bad = [sample(None, i, quality=Quality.BAD) for i in range(3)]
    await stored(store, [*bad, sample(5, 10)])

    for aggregate in Aggregate:
        points = await store.query(everything(every=10.0, aggregate=aggregate))
        assert [p.time for p in points] == [T0 + 10], aggregate


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (Query(KEY, T0, T0 + 1, limit=0), "limit"),
        (Query(KEY, T0, T0 + 1, every=0.0), "window"),
        (Query(KEY, math.nan, T0), "finite"),
    ],
)
async def test_invalid_queries_are_store_errors(
    store: SqliteStore, query: Query, message: str
) -> None:
    with pytest.raises(StoreError, match=message):
        await store.query(query)


async def test_retention_deletes_only_what_is_older(tmp_path: Path) -> None:
    # Recent samples, so that the store's own periodic pass leaves them alone;
    # retention cuts at whole minutes.
    ago = recent_minute() - T0
    store = SqliteStore(tmp_path / "h.db", retention_s=3600, flush_interval_s=0.05)
    await store.start()
    try:
        await stored(store, [sample(i, ago + i * 60) for i in range(6)])
        deleted = await store.apply_retention(now=T0 + ago + 3 * 60 + 3600 + 59)
        left = await store.query(Query(KEY, T0, T0 + 1e9))
    finally:
        await store.close()

    assert deleted == 3
    assert [p.value for p in left] == [3, 4, 5]


async def test_start_prunes_to_the_retention(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    keeper = SqliteStore(path, flush_interval_s=0.05)
    await keeper.start()
    await stored(keeper, [sample(1, 0), sample(2, 1)])  # long before now
    await keeper.close()

    store = SqliteStore(path, retention_s=3600.0)
    await store.start()
    try:
        left = await store.query(everything())
    finally:
        await store.close()

    assert left == []


async def test_overflow_is_counted_and_the_oldest_are_kept(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "h.db", batch_size=10, queue_capacity=50)
    store.write([sample(i, i) for i in range(80)])  # not started: nothing drains
    assert store.stats().state is StoreState.FAILING
    await store.start()
    try:
        await store.flush()
        points = await store.query(everything())
        stats = store.stats()
    finally:
        await store.close()

    assert [p.value for p in points] == list(range(50))
    assert stats.state is StoreState.OK  # drained: no longer losing anything
    assert stats.dropped_overflow == 30
    assert stats.lost == 30
    assert stats.written == 50


async def test_closing_a_store_never_started_counts_what_it_held(
    tmp_path: Path,
) -> None:
    store = SqliteStore(tmp_path / "h.db")
    store.write([sample(1, 0), sample(2, 1)])

    with pytest.raises(StoreError, match="2 samples unwritten"):
        async with asyncio.timeout(5):
            await store.close()

    assert store.stats().lost_at_close == 2


async def test_writes_and_queries_run_together(store: SqliteStore) -> None:
    total = 2000
    seen: list[int] = []

    async def produce() -> None:
        for i in range(0, total, 50):
            store.write([sample(n, n * 0.001) for n in range(i, i + 50)])
            if store.stats().queued > 500:
                await store.flush()  # as a poller would wait for its next round
            await asyncio.sleep(0)
        await store.flush()

    async def consume() -> None:
        while not seen or seen[-1] < total:
            points = await store.query(everything(limit=total))
            assert [p.value for p in points] == list(range(len(points)))
            seen.append(len(points))

    async with asyncio.timeout(10), asyncio.TaskGroup() as group:
        group.create_task(produce())
        group.create_task(consume())

    assert seen == sorted(seen)
    assert store.stats().written == total


async def test_an_unstorable_sample_is_rejected_alone(store: SqliteStore) -> None:
    odd = sample(b"\x00", 1)  # type: ignore[arg-type]
    await stored(store, [sample(1, 0), odd, sample(2, 2)])

    points = await store.query(everything())

    assert [p.value for p in points] == [1, 2]
    assert store.stats().rejected == 1


async def test_stats_of_a_healthy_store(store: SqliteStore) -> None:
    await stored(store, [sample(i, i) for i in range(5)])

    stats = store.stats()

    assert (stats.backend, stats.state, stats.written, stats.queued) == (
        "sqlite",
        StoreState.OK,
        5,
        0,
    )
    assert stats.lost == 0


async def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    path.write_bytes(b"this is not SQLite" * 100)

    with pytest.raises(StoreError, match="not a database"):
        await SqliteStore(path).start()


async def test_a_missing_directory_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="unable to open"):
        await SqliteStore(tmp_path / "no" / "such" / "h.db").start()


async def test_another_schema_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")

    with pytest.raises(StoreError, match="schema version 99"):
        await SqliteStore(path).start()


async def test_a_lock_held_elsewhere_fails_the_flush_then_nothing_is_lost(
    tmp_path: Path,
) -> None:
    path = tmp_path / "h.db"
    store = SqliteStore(path, busy_timeout_s=0.05, flush_interval_s=0.05)
    await store.start()
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        store.write([sample(i, i) for i in range(10)])
        with pytest.raises(StoreError, match="locked"):
            async with asyncio.timeout(5):
                await store.flush()
        assert store.stats().state is StoreState.FAILING

        other.execute("ROLLBACK")
        async with asyncio.timeout(10):
            await store.flush()
        points = await store.query(everything())
        stats = store.stats()
    finally:
        other.close()
        await store.close()

    assert [p.value for p in points] == list(range(10))
    assert stats.state is StoreState.OK
    assert stats.write_errors >= 1
    assert stats.lost == 0


async def test_a_full_database_is_a_store_error_and_close_counts_the_loss(
    tmp_path: Path,
) -> None:
    store = SqliteStore(
        tmp_path / "h.db",
        max_bytes=64 * 1024,
        flush_interval_s=0.05,
        close_timeout_s=0.3,
    )
    await store.start()
    store.write([sample("x" * 1000, i) for i in range(200)])

    with pytest.raises(StoreError, match="full"):
        async with asyncio.timeout(5):
            await store.flush()
    with pytest.raises(StoreError, match="200 samples unwritten"):
        await store.close()

    assert store.stats().lost_at_close == 200
    with pytest.raises(StoreError, match="closed"):
        store.write([sample(1, 0)])


async def test_retention_makes_room_in_a_full_database(tmp_path: Path) -> None:
    ago = recent_minute() - T0  # recent: the periodic pass keeps it
    store = SqliteStore(
        tmp_path / "h.db",
        max_bytes=96 * 1024,
        retention_s=3600,
        flush_interval_s=0.05,
    )
    await store.start()
    try:
        await stored(store, [sample("x" * 200, ago + i) for i in range(200)])
        store.write([sample("y" * 200, ago + 300 + i) for i in range(200)])
        with pytest.raises(StoreError, match="full"):
            async with asyncio.timeout(5):
                await store.flush()

        await store.apply_retention(now=T0 + ago + 240 + 3600)
        async with asyncio.timeout(10):
            await store.flush()
        points = await store.query(Query(KEY, T0, T0 + 1e9))
    finally:
        await store.close()

    assert [p.time for p in points] == [T0 + ago + 300 + i for i in range(200)]
    assert store.stats().lost == 0
